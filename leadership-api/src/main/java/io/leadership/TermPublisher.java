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

    /** The current term: the key that heads the election, the lease it is bound to, and the work running in it. */
    record Current(Entry entry, Lease lease, Tenure work) {
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
        String source = "candidate '" + id + "' in election '" + election + "'";
        this.elected = StatePublisher.flag(events).named(source + ": elected");
        this.terms = StatePublisher.<Term>events(events).named(source + ": terms");
        this.errors = StatePublisher.<Throwable>events(events).named(source + ": errors");
    }

    /** The current term, or null while not leading; from any thread. */
    Current current() {
        return current;
    }

    void began(Entry entry, Lease lease, Tenure work) {
        current = new Current(entry, lease, work);
        synchronized (this) {
            notifyAll(); // Candidate.awaitLeadership
        }
        log.info("candidate '{}' leads election '{}' with epoch {}", id, election, entry.version());
        elected.publish(true);
        terms.publish(new Term(election, id, entry.version(), true, Term.Cause.ELECTED));
    }

    /** Ends the current term, if any, for {@code cause}, and cancels its work; returns that work (null if none). */
    Tenure ended(Term.Cause cause) {
        Current c = current;
        if (c == null) {
            return null;
        }
        current = null;
        elected.publish(false);
        terms.publish(new Term(election, id, c.entry().version(), false, cause));
        c.work().end(cause); // in the same loop task: before anything else can happen to the key
        return c.work();
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
