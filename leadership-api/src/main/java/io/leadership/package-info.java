/**
 * Leader election on a lease-shaped store: {@link io.leadership.Session} keeps a lease,
 * {@link io.leadership.Candidate} runs for election with a key bound to it,
 * {@link io.leadership.Follower} tells who leads.
 *
 * <h2>How it works</h2>
 *
 * <p><b>The election is a queue.</b> Each candidate joins with a key of its own, bound to its
 * session's lease; the store gives it a version greater than that of every key already there
 * (etcd create revision, ZooKeeper czxid, Consul CreateIndex), and the oldest key leads. A
 * waiting candidate reads its position ({@code Store.position}): how many keys are ahead and the
 * nearest one. It then waits for that one key only ({@code Store.awaitGone}), as etcd's
 * {@code waitDeletes} and Curator's {@code LeaderLatch} do, so a hand-off notifies the successor
 * and nobody else.
 *
 * <p><b>Why the wait on the predecessor needs no read.</b> No key can be created ahead of an
 * existing one: the store orders every new key after all keys already there. So if our last read
 * showed exactly one key ahead of ours, and that key is gone, nothing can be ahead of ours now
 * (anything created since is behind us), and we lead at once: the hand-off is one delete and one
 * notification. If the read showed more keys ahead, the one we waited for may have gone out of
 * order (a crashed candidate's key expires, a waiting one leaves), and we read again. A leader
 * waits on its own key the same way: if someone else deletes it, the leader steps down at once.
 * Safety does not rest on these notifications, which may come late: it rests on the lease.
 *
 * <p><b>Why the lease deadline counts from the send.</b> A store extends a lease to a full TTL at
 * some instant between our keep-alive's send and our receipt of its acknowledgement; we do not know
 * when. Counting from the send is the only instant we know is not later than the store's, so the
 * store cannot expire the lease before {@code sent + ttl}. Counted from the acknowledgement
 * instead, a slow round trip would let us believe the lease held after the store expired it, and a
 * successor could lead beside us. The session steps its candidates down at
 * {@code sent + ttl - margin}: the margin covers a late timer and clocks that run at slightly
 * different rates in our process and in the store. The same deadline answers
 * {@link io.leadership.Candidate#isLeader()} on the monotonic clock at the moment of the call, so a
 * process paused past it answers {@code false} the instant it wakes. A leader whose lease is in
 * doubt (its deadline passed) steps down and deletes its
 * key, so the next candidate need not wait for the lease to expire.
 *
 * <p><b>Resign acts on the store's view.</b> A leader steps down ({@code false} is published
 * first), deletes its key and joins again at the tail; {@code resign()} completes {@code true} only
 * after the delete. A candidate holding a key but not yet leading reads its position at that
 * moment: if its key heads the election it hands off the same way, without ever publishing
 * {@code true}; otherwise it answers {@code false}.
 *
 * <p><b>Why the hand-off drains the leader's work.</b> The next candidate leads only once our key
 * is deleted. So a voluntary end (resign, stop, ineligible) publishes {@code false}, cancels the
 * term's work (interrupt and {@code Leadership.ended()}) and deletes the key only once that work
 * has returned: the successor's work starts after ours ended, on any clock. The wait is bounded by
 * the lease's safety deadline as it stood when the term ended, as the key could expire then anyway;
 * a work still running is abandoned (and logged), and the epoch fences what it still writes. An
 * involuntary end (lease in doubt, key taken over) cannot wait: the successor may be elected as
 * soon as the store expires our lease, so the work is cancelled and the key left at once.
 *
 * <p><b>Why a transfer keeps one leader.</b> A transfer moves no key forward: the keys between
 * the leader's and the target's leave and join again at the tail (they read a signal in the
 * election's mailbox, {@code <election>.transfers}, a name beside the election that no Curator or
 * etcd client reads), then the leader ends its term as on a resign and rejoins at the tail. Every
 * step is a delete or a join at the tail, the steps a campaign already takes, so the argument
 * above holds unchanged; the target simply finds itself next and leads after one delete. A
 * preferred candidate's signal in the same mailbox lets a leader of lower priority transfer to it,
 * no sooner than its preference hold into its term, which bounds how often preferences move
 * leadership.
 *
 * <p><b>No clock, no thread of its own.</b> The campaign ({@code Campaign}; how its key enters the
 * store in {@code Arrival}, how it leaves and what a resign is answered in {@code Departure}; its
 * side of the mailbox in {@code Handover} and {@code Transfer}) and the lease keeping
 * ({@code LeaseKeeper}) are state machines: their inputs are store answers, wait completions, lease
 * signals, timer expiries and user calls, their outputs store calls, publications and timers. They
 * take time, timers and their thread from a {@code Loop}: production passes one thread and
 * {@link System#nanoTime()}, a simulation passes virtual time, so a seeded run replays exactly.
 */
package io.leadership;
