package io.leadership.cli;

import io.leadership.Candidate;
import io.leadership.Subscribers;
import io.leadership.spi.Durations;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One {@code elect}: the candidate's campaign, and the command run only while it leads.
 *
 * <p>Everything happens on the thread that calls {@link #run()} (the CLI's main thread, which
 * then also is the parent the child's {@code --pdeathsig} watches): one loop reads the events
 * (elected flags, signals, resign answers) and, every {@value #WATCH_MILLIS} ms while it leads or
 * a child lives, asks {@link Candidate#isLeader()}, which answers from the lease deadline at that
 * instant. Either one ending the term sends SIGTERM to the child, so a missed or late event
 * cannot keep the child running; SIGKILL follows {@code --kill-after} later (see {@link Bound}).
 * The key is deleted ({@link Candidate#stop()}, {@link Candidate#resign()} on SIGHUP, or a transfer)
 * only after the child is dead ({@link ChildGate}, the candidate's drained work), so the next leader's
 * command never starts while ours still runs.
 */
final class Campaign {

    /**
     * The candidate's work in each term ({@link io.leadership.LeaderTask}): it returns once the term
     * ended and the command of that term, if one was started, has exited. So the library's drained
     * hand-off deletes the key only after the command is gone, whatever ended the term voluntarily.
     */
    static final class ChildGate implements io.leadership.LeaderTask {
        private volatile java.util.concurrent.CompletableFuture<Void> gone = java.util.concurrent.CompletableFuture.completedFuture(null);

        void starting() {
            gone = new java.util.concurrent.CompletableFuture<>();
        }

        void exited() {
            gone.complete(null);
        }

        @Override
        public void run(io.leadership.Leadership term) {
            term.ended().join(); // the main thread sees the term end too, and stops the command
            gone.join();
        }
    }

    /** The watchdog's period while leading: part of {@link Bound#SLACK}. */
    static final long WATCH_MILLIS = 5;
    private static final long IDLE_MILLIS = 50;
    /** Exit code when the command cannot be started, as a shell's for a command not found. */
    static final int CANNOT_RUN = 127;

    private sealed interface Event permits Flag, Signalled, ResignAnswer { }

    private record Flag(boolean elected, OptionalLong epoch) implements Event { }

    private record Signalled(String name) implements Event { }

    private record ResignAnswer(boolean handedOff, Throwable error) implements Event { }

    private final Candidate candidate;
    private final ChildGate gate;
    private final String name;
    private final String id;
    private final Bound bound;
    private final List<String> command;
    private final boolean once;
    private final Duration timeout;
    private final String store;
    private final Output out;
    private final PrintStream err;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

    private boolean connected;
    private boolean inTerm; // "elected" printed, "deposed" not yet
    private OptionalLong epoch = OptionalLong.empty();
    private boolean pending; // the command is to start in this term
    private volatile Child child;
    private boolean ran;
    private boolean resigning;
    private boolean stopping;
    private int exitCode = Main.OK;
    // The last error and when it came, and when the current term began, all under termLock: an
    // error counts for a term only if it came after that term's "elected" line.
    private final Object termLock = new Object();
    private String lastError;
    private long lastErrorAt;
    private long termBegan;

    Campaign(Candidate candidate, ChildGate gate, String name, String id, Bound bound, List<String> command, boolean once,
             Duration timeout, String store, Output out, PrintStream err) {
        this.candidate = candidate;
        this.gate = gate;
        this.name = name;
        this.id = id;
        this.bound = bound;
        this.command = command;
        this.once = once;
        this.timeout = timeout;
        this.store = store;
        this.out = out;
        this.err = err;
    }

    /** Campaigns until stopped by a signal (or, with {@code --once}, until the command ends); returns the exit code. */
    int run() throws InterruptedException {
        List<String> ignored = Signals.handle(s -> events.add(new Signalled(s)), "HUP", "TERM", "INT");
        if (!ignored.isEmpty()) {
            warn(Signals.ignoredWarning(ignored));
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            Child c = child;
            if (c != null) {
                c.kill(); // the JVM goes anyway (a failure, a System.exit): never leave the command behind
            }
        }, "leadership-child-reaper"));
        candidate.errors().subscribe(Subscribers.each(this::error));
        candidate.runForElection().subscribe(Subscribers.each(elected -> events.add(new Flag(elected, elected ? candidate.epoch() : OptionalLong.empty()))));
        if (!command.isEmpty() && !Child.diesWithParent()) {
            warn("setpriv --pdeathsig not found: if this process is killed with SIGKILL, the command keeps running");
        }
        long connectBy = System.nanoTime() + timeout.toNanos();
        while (true) {
            Event e = events.poll(inTerm || child != null ? WATCH_MILLIS : IDLE_MILLIS, TimeUnit.MILLISECONDS);
            for (; e != null; e = events.poll()) {
                handle(e);
            }
            if (!connected && !stopping) {
                connected = candidate.participants().contains(id);
                if (!connected && System.nanoTime() - connectBy >= 0) {
                    String error;
                    synchronized (termLock) {
                        error = lastError;
                    }
                    warn("no connection to " + store + " within --timeout " + Durations.format(timeout)
                            + (error == null ? "" : ": " + error));
                    stopping = true;
                    exitCode = Main.FAILED;
                }
            }
            watch();
            if (stopping && child == null) {
                return stop();
            }
        }
    }

    private void handle(Event e) {
        if (e instanceof Flag f && f.elected()) {
            inTerm = true;
            epoch = f.epoch();
            synchronized (termLock) {
                termBegan = System.nanoTime();
                out.line("elected " + (epoch.isPresent() ? epoch.getAsLong() : "unknown"), Output.fields("event", "elected",
                        "epoch", epoch.isPresent() ? epoch.getAsLong() : null, "name", name, "id", id));
            }
            // No epoch: the term ended as it began (isLeader() is false already); the next term runs the command.
            pending = !command.isEmpty() && epoch.isPresent() && !stopping && !(once && ran);
        } else if (e instanceof Flag) {
            deposed();
        } else if (e instanceof Signalled s && s.name().equals("HUP")) {
            if (!stopping) {
                resigning = true;
                resign(); // drained: the term ends, the command is stopped, and only then is the key deleted
            }
        } else if (e instanceof Signalled s) {
            Child c = child;
            if (stopping && c != null) {
                warn("SIG" + s.name() + " again: SIGKILL to the command (pid " + c.pid() + ")");
                c.kill();
            }
            stopping = true;
            pending = false;
        } else if (e instanceof ResignAnswer r && !r.handedOff()) {
            resigning = false;
            warn(r.error() != null ? "resign failed: " + r.error().getMessage() : "not at the head of the queue: nothing to resign");
        }
    }

    /** The term ended (the flag went down, or isLeader() said so first): print it once, stop the command. */
    private void deposed() {
        pending = false;
        if (!inTerm) {
            return;
        }
        inTerm = false;
        String why;
        if (stopping) {
            why = "stopped";
        } else if (resigning) {
            why = "resigned";
        } else {
            String error = termError();
            why = error != null ? "lost: " + error : "lost";
        }
        resigning = false;
        out.line("deposed " + why, Output.fields("event", "deposed", "why", why, "epoch",
                epoch.isPresent() ? epoch.getAsLong() : null));
        if (child != null) {
            child.terminate();
        }
    }

    /** The watchdog and the child's life: start it in a new term, SIGTERM when the term ends, SIGKILL when overdue. */
    private void watch() {
        boolean leader = candidate.isLeader();
        if (inTerm && !leader) {
            deposed();
        }
        Child c = child;
        if (c != null) {
            if ((stopping || !inTerm) && !c.terminating()) {
                c.terminate();
            }
            if (c.terminating() && !c.killed() && c.overdue(bound.killAfter())) {
                warn("the command (pid " + c.pid() + ") did not exit within --kill-after "
                        + Durations.format(bound.killAfter()) + ": SIGKILL");
                c.kill();
            }
            if (c.exited() && (!c.terminating() || !c.alive())) {
                ended(c);
            }
        } else if (pending && inTerm && leader && !stopping) {
            pending = false;
            ran = true;
            gate.starting();
            try {
                child = Child.start(command, Map.of("LEADERSHIP_NAME", name, "LEADERSHIP_ID", id,
                        "LEADERSHIP_EPOCH", String.valueOf(epoch.getAsLong())));
            } catch (IOException e) {
                gate.exited();
                warn("cannot run " + command.get(0) + ": " + e.getMessage());
                stopping = true;
                exitCode = CANNOT_RUN;
            }
        }
    }

    private void ended(Child c) {
        child = null;
        gate.exited();
        int code = c.exitCode();
        if (once) {
            stopping = true;
            exitCode = code;
        } else if (!c.terminating() && inTerm && !stopping) {
            // A daemon that dies while leading: the next candidate gets its turn; ours comes again later.
            warn("the command exited with code " + code + " while leading: handing off");
            resigning = true;
            resign();
        }
    }

    private void resign() {
        candidate.resign().whenComplete((ok, error) -> events.add(new ResignAnswer(Boolean.TRUE.equals(ok), error)));
    }

    /** The child is dead: now the key may go. */
    private int stop() {
        if (inTerm) {
            deposed();
        }
        try {
            candidate.stop().get(Math.max(1000, bound.ttl().toMillis()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            warn("the key was not deleted within " + Durations.format(bound.ttl()) + "; it expires with the lease");
        } catch (Exception e) {
            warn("stopping: " + e.getMessage());
        }
        return exitCode;
    }

    /**
     * The last error, if it came during the current term and within the last TTL; else null. An
     * earlier term's error (the previous lease's, reported just before this term began) is not
     * why this term was lost.
     */
    private String termError() {
        synchronized (termLock) {
            long now = System.nanoTime();
            return lastError != null && lastErrorAt - termBegan > 0 && now - lastErrorAt < bound.ttl().toNanos()
                    ? lastError : null;
        }
    }

    private void error(Throwable e) {
        String message = e.getMessage() != null ? e.getMessage() : e.toString();
        synchronized (termLock) { // printed in the same order as it is stamped, relative to "elected"
            lastError = message;
            lastErrorAt = System.nanoTime();
            warn(message);
        }
    }

    private void warn(String message) {
        synchronized (err) {
            err.println("leadership elect: " + message);
            err.flush();
        }
    }
}
