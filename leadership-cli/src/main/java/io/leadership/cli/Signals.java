package io.leadership.cli;

import sun.misc.Signal;

/** POSIX signals to the CLI: the JVM's own handling (exit at once on SIGTERM/SIGINT) is replaced by {@code handler}. */
final class Signals {

    private Signals() {
    }

    /** Calls {@code handler} with the signal's name (e.g. {@code "TERM"}) on each of {@code names} that the platform has. */
    static void handle(java.util.function.Consumer<String> handler, String... names) {
        for (String name : names) {
            try {
                Signal.handle(new Signal(name), s -> handler.accept(s.getName()));
            } catch (IllegalArgumentException unknownHere) {
                // e.g. SIGHUP on Windows: that signal cannot reach us there
            }
        }
    }
}
