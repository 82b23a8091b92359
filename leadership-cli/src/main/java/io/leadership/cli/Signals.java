package io.leadership.cli;

import java.util.ArrayList;
import java.util.List;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/** POSIX signals to the CLI: the JVM's own handling (exit at once on SIGTERM/SIGINT) is replaced by {@code handler}. */
final class Signals {

    private Signals() {
    }

    /**
     * Calls {@code handler} with the signal's name (e.g. {@code "TERM"}) on each of {@code names} that the platform has;
     * returns the names that were ignored when the JVM started, for which no handler can be installed. The JVM keeps a
     * signal ignored at its start ignored ({@code nohup} ignores SIGHUP, a non-interactive shell's background job SIGINT):
     * {@link Signal#handle} then answers {@link SignalHandler#SIG_IGN} and installs nothing.
     */
    static List<String> handle(java.util.function.Consumer<String> handler, String... names) {
        List<String> ignored = new ArrayList<>();
        for (String name : names) {
            try {
                if (Signal.handle(new Signal(name), s -> handler.accept(s.getName())) == SignalHandler.SIG_IGN) {
                    ignored.add(name);
                }
            } catch (IllegalArgumentException unknownHere) {
                // e.g. SIGHUP on Windows: that signal cannot reach us there
            }
        }
        return ignored;
    }

    /** What to tell the operator when {@code ignored} (from {@link #handle}) is not empty: what is lost and what to do. */
    static String ignoredWarning(List<String> ignored) {
        List<String> lost = new ArrayList<>();
        for (String name : ignored) {
            lost.add("SIG" + name + (name.equals("HUP") ? " will not resign" : " will not stop it"));
        }
        return "SIG" + String.join(" and SIG", ignored) + (ignored.size() == 1 ? " was" : " were")
                + " ignored when this process started (nohup, or a background job of a script), and a JVM cannot handle"
                + " a signal ignored at its start: " + String.join(", ", lost) + ". Use SIGTERM to stop it"
                + (ignored.contains("TERM") ? " once it is not ignored" : "") + ", or start it through the leadership"
                + " launcher or `env --default-signal=HUP,INT,TERM`, which restore the default dispositions";
    }
}
