package io.leadership;

import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a candidate tells the world: the elected flag, its terms and its errors, published by its
 * campaign on the loop, and the current term, which {@link Candidate#isLeader()} reads from any
 * thread. Every end of a term follows its beginning, and the flag strictly alternates.
 */
final class TermPublisher {

    private static final Logger log = LoggerFactory.getLogger(Candidate.class);

    /** The current term: the key that heads the election and the lease it is bound to. */
    record Current(Entry entry, Lease lease) {
    }

    private final String election;
    private final String id;
    final StatePublisher<Boolean> elected;
    final StatePublisher<Term> terms;
    final StatePublisher<Throwable> errors;
    private volatile Current current;

    TermPublisher(String election, String id, Executor events) {
        this.election = election;
        this.id = id;
        this.elected = StatePublisher.flag(events);
        this.terms = StatePublisher.events(events);
        this.errors = StatePublisher.events(events);
    }

    /** The current term, or null while not leading; from any thread. */
    Current current() {
        return current;
    }

    void began(Entry entry, Lease lease) {
        current = new Current(entry, lease);
        log.info("candidate '{}' leads election '{}' with epoch {}", id, election, entry.version());
        elected.publish(true);
        terms.publish(new Term(election, id, entry.version(), true, Term.Cause.ELECTED));
    }

    /** Ends the current term, if any, for {@code cause}. */
    void ended(Term.Cause cause) {
        Current c = current;
        if (c != null) {
            current = null;
            elected.publish(false);
            terms.publish(new Term(election, id, c.entry().version(), false, cause));
        }
    }

    /** Ends the current term, if any, as lost: says why on {@link #errors}. */
    void lost(String why, Term.Cause cause) {
        if (current != null) {
            log.warn("candidate '{}' lost election '{}': {}", id, election, why);
            ended(cause);
            errors.publish(new LostLeadershipException(election, "candidate '" + id + "' lost election '" + election + "': " + why));
        }
    }

    void error(Throwable error) {
        errors.publish(Session.unwrap(error));
    }

    void complete() {
        elected.complete();
        errors.complete();
        terms.complete();
    }
}
