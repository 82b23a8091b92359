package io.leadership;

import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where a {@link Campaign}'s key stands. Every transition makes a new object, so an answer meant
 * for an earlier state is told apart by identity ({@code key != expected}) and ignored.
 */
sealed interface CampaignKey {

    CampaignKey NONE = new None();

    /** No key of ours in the store, and no join in flight. */
    final class None implements CampaignKey { }

    /** A join of {@code lease} in flight; {@code again}: sent after one whose answer was lost ({@link Unsure}). */
    record Joining(Lease lease, boolean again) implements CampaignKey { }

    /** A join of {@code lease} failed: its answer may have been lost after the store made the key. */
    record Unsure(Lease lease) implements CampaignKey { }

    /** Our key is in the store, bound to {@code lease}. */
    sealed interface Held extends CampaignKey {
        Entry entry();

        Lease lease();
    }

    record Reading(Entry entry, Lease lease) implements Held { }

    /** Held, and waiting for a key to go: the one ahead of ours, or ours while leading. */
    sealed interface Watching extends Held {
        CompletableFuture<Void> gone();
    }

    /** {@code ahead} keys were ahead of ours at the last read. */
    record Waiting(Entry entry, Lease lease, int ahead, CompletableFuture<Void> gone) implements Watching { }

    record Leading(Entry entry, Lease lease, CompletableFuture<Void> gone) implements Watching { }

    /**
     * A term ended voluntarily and its {@code work} was cancelled: our key stays until the work
     * returned (and its hold passed), at the latest until {@code deadline}, the lease's safety
     * deadline when the term ended. Then Leaving.
     */
    record Draining(Entry entry, Tenure work, long deadline, List<CompletableFuture<Boolean>> resigns) implements CampaignKey { }

    /**
     * Deleting our key. If it headed the queue ({@code head}) when we chose to leave, {@code resigns}
     * (also those asked meanwhile) complete {@code true} once it is gone. {@code inDoubt}: we chose to
     * leave because the lease was in doubt, so the key may have gone with it already, before a
     * resign was asked: only a delete that found it answers {@code true}.
     */
    record Leaving(Entry entry, boolean head, boolean inDoubt, List<CompletableFuture<Boolean>> resigns) implements CampaignKey { }
}
