package io.leadership.testing;

import io.leadership.Candidate;
import io.leadership.Session;
import io.leadership.Store;
import io.leadership.Stores;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One candidate in a JVM of its own, so the fault suite can {@code kill -9} it or freeze it with
 * {@code SIGSTOP}. Started by {@link ChildCandidate}; arguments {@code <store-uri> <key> <id> <ttl-millis>}.
 *
 * <p>Every line it writes on stdout is {@code <word> <nanos> [fields]}, stamped with this JVM's
 * {@link System#nanoTime()}, which on Linux is {@code CLOCK_MONOTONIC}: one clock for every process
 * of the machine, so the test JVM compares stamps of all children directly.
 * <ul>
 * <li>{@code ready <nanos> <pid>}: connected, about to run for election;
 * <li>{@code elected <nanos> <epoch>} and {@code down <nanos> <epoch>}: each elected flag as the
 *     subscriber receives it ({@code -1}: {@link Candidate#epoch()} was already empty);
 * <li>{@code act <to> <epoch> <from>}: the candidate acted as leader of {@code epoch} from {@code from}
 *     to {@code to}. An acting thread asks {@link Candidate#epoch()} about every millisecond, as a
 *     leader's work loop would; consecutive positive answers form a run, written when it ends and
 *     at least every {@value #FLUSH_MILLIS} ms. A paused leader that wakes and still believes it
 *     leads is caught here: its next run starts after it woke.
 * <li>{@code error <nanos> <message>}, {@code pong <nanos>}, {@code stopped <nanos>}.
 * </ul>
 * Each stamp is taken <em>before</em> the call it reports on, so a pause between the two never
 * dates an old answer after the wake-up.
 *
 * <p>Commands on stdin: {@code resign}, {@code stop} (stop the candidate, then exit), {@code ping}
 * (flush the current run, then answer {@code pong}: every sample taken before the ping is then
 * reported). The end of stdin (the test JVM died) stops the candidate too.
 */
public final class CandidateMain {

    static final long FLUSH_MILLIS = 50;
    private static final long SAMPLE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false,
            StandardCharsets.UTF_8);

    private CandidateMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: CandidateMain <store-uri> <key> <id> <ttl-millis>");
            System.exit(2);
        }
        // Log lines go to stderr (a file the parent keeps); stdout carries only the protocol.
        System.setOut(System.err);
        try (Store store = Stores.connect(args[0]);
             Session session = Session.open(store, Duration.ofMillis(Long.parseLong(args[3])))) {
            Candidate candidate = Candidate.create(session, args[1], args[2]);
            Acting acting = new Acting(candidate);
            say("ready", System.nanoTime(), String.valueOf(ProcessHandle.current().pid()));
            candidate.runForElection().subscribe(new Flags(candidate));
            candidate.errors().subscribe(new Errors());
            acting.start();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                switch (line.trim()) {
                    case "resign" -> candidate.resign();
                    case "ping" -> {
                        long at = System.nanoTime();
                        acting.flush();
                        say("pong", at, "");
                    }
                    case "stop" -> {
                        candidate.stop().get(Math.max(1000, Long.parseLong(args[3])), TimeUnit.MILLISECONDS);
                        acting.halt();
                        say("stopped", System.nanoTime(), "");
                        return;
                    }
                    default -> say("error", System.nanoTime(), "unknown command '" + line + "'");
                }
            }
            acting.halt();
        } catch (Exception e) {
            say("error", System.nanoTime(), String.valueOf(e));
            throw e;
        } finally {
            out.flush();
        }
    }

    static synchronized void say(String word, long nanos, String fields) {
        out.print(word + " " + nanos + (fields.isEmpty() ? "" : " " + fields.replace('\n', ' ')) + "\n");
        out.flush();
    }

    /** The leader's work loop: samples {@link Candidate#epoch()} and reports runs of leadership. */
    private static final class Acting extends Thread {
        private final Candidate candidate;
        private volatile boolean running = true;
        private long epoch = -1; // guarded by this; -1: no run open
        private long from;
        private long to;
        private long flushedAt;

        Acting(Candidate candidate) {
            super("acting");
            setDaemon(true);
            this.candidate = candidate;
        }

        @Override
        public void run() {
            while (running) {
                long at = System.nanoTime();
                OptionalLong now = candidate.epoch();
                synchronized (this) {
                    if (now.isPresent() && now.getAsLong() == epoch) {
                        to = at;
                        if (at - flushedAt >= TimeUnit.MILLISECONDS.toNanos(FLUSH_MILLIS)) {
                            write();
                            from = at;
                        }
                    } else {
                        write();
                        epoch = now.orElse(-1);
                        from = at;
                        to = at;
                        flushedAt = at;
                    }
                }
                LockSupport.parkNanos(SAMPLE_NANOS);
            }
            flush();
        }

        /** Writes the open run (if any) and keeps it open. */
        synchronized void flush() {
            write();
            from = to;
        }

        private void write() { // holds this
            if (epoch >= 0) {
                say("act", to, epoch + " " + from);
                flushedAt = to;
            }
        }

        void halt() throws InterruptedException {
            running = false;
            join(1000);
        }
    }

    /** Writes each elected flag, with the epoch the candidate reports at that instant. */
    private static final class Flags implements Flow.Subscriber<Boolean> {
        private final Candidate candidate;
        private long epoch = -1;

        Flags(Candidate candidate) {
            this.candidate = candidate;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(Boolean elected) {
            long at = System.nanoTime();
            if (elected) {
                epoch = candidate.epoch().orElse(-1);
                say("elected", at, String.valueOf(epoch));
            } else {
                say("down", at, String.valueOf(epoch));
                epoch = -1;
            }
        }

        @Override
        public void onError(Throwable throwable) {
            say("error", System.nanoTime(), "elected flag failed: " + throwable);
        }

        @Override
        public void onComplete() {
        }
    }

    private static final class Errors implements Flow.Subscriber<Throwable> {
        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(Throwable error) {
            say("error", System.nanoTime(), String.valueOf(error.getMessage()));
        }

        @Override
        public void onError(Throwable throwable) {
        }

        @Override
        public void onComplete() {
        }
    }
}
