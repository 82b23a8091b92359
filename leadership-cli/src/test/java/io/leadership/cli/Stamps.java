package io.leadership.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Predicate;

/**
 * The children's stamps from their shared file, followed every 2 ms, with the instant the test
 * first saw each child's process dead: a child killed with SIGKILL writes no {@code end}, so its
 * end is that instant (never earlier than its real death).
 */
final class Stamps implements AutoCloseable {

    /** One child's run: {@code end} is its own stamp, else the instant it was first seen dead, else empty. */
    record Run(String tag, long epoch, long pid, long start, OptionalLong term, OptionalLong end, boolean endStamped) {
        boolean overlaps(Run other) {
            long e1 = end.orElse(Long.MAX_VALUE);
            long e2 = other.end.orElse(Long.MAX_VALUE);
            return start - e2 < 0 && other.start - e1 < 0;
        }
    }

    private static final class Mutable {
        String tag;
        long epoch;
        long pid;
        long start;
        Long term;
        Long end;
        Long seenDead;
        boolean stamped;
    }

    private final Path file;
    private final Map<Long, Mutable> runs = new LinkedHashMap<>(); // by pid, guarded by this
    private final Thread follower;
    private volatile boolean closed;
    private int consumed; // bytes of the file read

    Stamps(Path file) {
        this.file = file;
        this.follower = new Thread(this::follow, "stamps-follower");
        this.follower.setDaemon(true);
        this.follower.start();
    }

    Path file() {
        return file;
    }

    private void follow() {
        while (!closed) {
            poll();
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private synchronized void poll() {
        long now = System.nanoTime();
        for (Mutable m : runs.values()) {
            if (m.end == null && m.seenDead == null && !ProcessHandle.of(m.pid).map(ProcessHandle::isAlive).orElse(false)) {
                m.seenDead = now;
            }
        }
        byte[] bytes;
        try {
            bytes = Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
        } catch (IOException e) {
            return;
        }
        int last = bytes.length;
        while (last > consumed && bytes[last - 1] != '\n') {
            last--; // a line still being written
        }
        String text = new String(bytes, consumed, last - consumed, StandardCharsets.UTF_8);
        consumed = last;
        for (String line : text.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split(" ");
            switch (f[0]) {
                case "start" -> {
                    Mutable m = new Mutable();
                    m.tag = f[1];
                    m.epoch = f[2].equals("null") ? -1 : Long.parseLong(f[2]);
                    m.pid = Long.parseLong(f[3]);
                    m.start = Long.parseLong(f[4]);
                    runs.put(m.pid, m);
                }
                case "term" -> runs.get(Long.parseLong(f[2])).term = Long.parseLong(f[3]);
                case "end" -> {
                    Mutable m = runs.get(Long.parseLong(f[2]));
                    m.end = Long.parseLong(f[3]);
                    m.stamped = true;
                }
                default -> throw new IllegalStateException("unexpected stamp line: " + line);
            }
        }
    }

    synchronized List<Run> runs() {
        poll();
        List<Run> out = new ArrayList<>();
        for (Mutable m : runs.values()) {
            Long end = m.end != null ? m.end : m.seenDead;
            out.add(new Run(m.tag, m.epoch, m.pid, m.start, m.term == null ? OptionalLong.empty() : OptionalLong.of(m.term),
                    end == null ? OptionalLong.empty() : OptionalLong.of(end), m.stamped));
        }
        return out;
    }

    /** Waits until a run matching {@code p} is there; fails after {@code timeoutMillis}. */
    Run await(String what, long timeoutMillis, Predicate<Run> p) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while (true) {
            for (Run r : runs()) {
                if (p.test(r)) {
                    return r;
                }
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("no " + what + " within " + timeoutMillis + " ms; runs: " + runs());
            }
            Thread.sleep(5);
        }
    }

    /** Fails if two runs overlap in time (a run not yet ended overlaps every later one). */
    void assertNoOverlap() {
        List<Run> all = runs();
        for (int i = 0; i < all.size(); i++) {
            for (int j = i + 1; j < all.size(); j++) {
                if (all.get(i).overlaps(all.get(j))) {
                    throw new AssertionError("two commands ran at once: " + all.get(i) + " and " + all.get(j) + "; all: " + all);
                }
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        follower.join(1000);
    }
}
