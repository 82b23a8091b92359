package io.leadership.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code leadership} command: {@code elect}, {@code observe}, {@code status}, {@code transfer}.
 *
 * <p>Exit codes: 0 success (for {@code status}: there is a leader), 1 the store could not be reached
 * within {@code --timeout} or another failure, 2 bad arguments (the message names the value and its
 * accepted range), 3 {@code status} found no leader, 4 {@code transfer}
 * did not make the candidate lead; {@code elect --once} exits with the command's code.
 */
@Command(name = "leadership", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        subcommands = {Elect.class, Observe.class, Status.class, Transfer.class},
        description = "Leader election on etcd, Consul and ZooKeeper: run a command only while leader, observe, status, transfer.")
public final class Main implements Runnable {

    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;
    static final int NO_LEADER = 3;
    static final int NOT_TRANSFERRED = 4;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: elect, observe, status or transfer");
    }

    public static void main(String[] args) {
        // grpc (etcd) logs through java.util.logging: only its warnings, like the slf4j loggers.
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Parses and runs {@code args}; returns the exit code. */
    static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine line = new CommandLine(new Main());
        line.setOut(out);
        line.setErr(err);
        // An argument checked past parsing (a key, an id, a TTL the store refuses, the bound) is a usage error too.
        line.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof IllegalArgumentException) {
                cmd.getErr().println("leadership " + cmd.getCommandName() + ": " + e.getMessage());
                return USAGE;
            }
            cmd.getErr().println("leadership " + cmd.getCommandName() + ": " + e);
            return FAILED;
        });
        return line.execute(args);
    }

    /**
     * The project's version, which the build writes into {@code version.properties}: the same in the classes
     * directory, the module's jar and the one-jar build (whose manifest is not the module's).
     */
    static String version() {
        try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                throw new IllegalStateException("io/leadership/cli/version.properties is missing from the class path");
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read io/leadership/cli/version.properties", e);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"leadership " + version()};
        }
    }
}
