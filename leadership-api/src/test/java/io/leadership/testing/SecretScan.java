package io.leadership.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.LoggerFactory;

/**
 * Checks that no secret (password, token, private key) appears in what a scenario shows: every
 * log line, and the messages, stack traces and {@code toString()} of the objects and errors it
 * is given. For the security tests of every backend.
 *
 * <pre>{@code
 * try (SecretScan scan = SecretScan.start()) {
 *     scan.password("s3cret-pw");                 // the password, URL-encoded and Base64 forms
 *     scan.privateKey(Path.of("client-key.pem")); // every Base64 line of its PRIVATE KEY blocks
 *     scan.secret("token-1234");                  // an exact string
 *     ... run the scenario: connect, elect, fail with wrong credentials ...
 *     scan.show(store, session, candidate);       // their toString()
 *     scan.show(error);                           // message, toString and stack trace, with causes and suppressed
 *     scan.text("watch error", message);          // any other text
 * }                                               // close(): restores the streams, then asserts
 * }</pre>
 *
 * <p><b>What is captured.</b> {@code System.out} and {@code System.err} are teed from
 * {@link #start()} to {@link #close()}: the modules' tests log through {@code slf4j-simple},
 * which writes to {@code System.err} as it is at each call (its default; not with
 * {@code org.slf4j.simpleLogger.cacheOutputStream=true} or a {@code logFile}), and surefire's
 * {@code redirectTestOutputToFile} still gets every line. {@code java.util.logging} records
 * (gRPC's, for jetcd) are captured by a handler on the root logger. Only lines that the
 * configured levels let through are seen, so a module that hides a library's DEBUG lines does
 * not scan them. {@code start()} logs a canary line through SLF4J at WARN and {@link #close()}
 * fails if it was not captured: a binding that writes elsewhere is noticed, not silently unscanned.
 *
 * <p>Streams are JVM-wide: run one scan at a time (tests in one fork run one after another).
 * A failure names where the secret appeared and shows the line with the secret masked, so the
 * failure report does not leak it either.
 */
public final class SecretScan implements AutoCloseable {

    private static final int MIN_SECRET = 6;
    private static final Pattern PRIVATE_KEY = Pattern.compile(
            "-----BEGIN ([A-Z ]*)PRIVATE KEY-----(.*?)-----END \\1PRIVATE KEY-----", Pattern.DOTALL);

    private final Set<String> secrets = new LinkedHashSet<>();
    private final List<String[]> texts = Collections.synchronizedList(new ArrayList<>()); // {where, text}
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private final PrintStream originalOut;
    private final PrintStream originalErr;
    private final Handler julHandler;
    private final String canary = "secret-scan canary " + UUID.randomUUID();
    private boolean closed;

    private SecretScan() {
        originalOut = System.out;
        originalErr = System.err;
        System.setOut(new PrintStream(new Tee(originalOut, captured), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new Tee(originalErr, captured), true, StandardCharsets.UTF_8));
        SimpleFormatter format = new SimpleFormatter();
        julHandler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                texts.add(new String[] {"java.util.logging " + record.getLoggerName(), format.format(record)});
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger.getLogger("").addHandler(julHandler);
        LoggerFactory.getLogger(SecretScan.class).warn(canary);
    }

    /** Starts capturing the logs. Add the secrets with {@link #secret}, {@link #password}, {@link #privateKey}. */
    public static SecretScan start() {
        return new SecretScan();
    }

    /** A string that must appear nowhere (at least 6 characters, so that it cannot match by chance). */
    public SecretScan secret(String secret) {
        if (secret == null || secret.length() < MIN_SECRET) {
            throw new IllegalArgumentException("a secret to scan for needs at least " + MIN_SECRET + " characters, so that it"
                    + " cannot appear by chance; use a longer one in the test");
        }
        secrets.add(secret);
        return this;
    }

    /** A password as given, URL-encoded (as in an address) and in Base64 (as in HTTP basic auth, alone and as {@code user:password}). */
    public SecretScan password(String password) {
        secret(password);
        secret(URLEncoder.encode(password, StandardCharsets.UTF_8));
        String base64 = Base64.getEncoder().encodeToString(password.getBytes(StandardCharsets.UTF_8));
        secret(base64.replace("=", ""));
        return this;
    }

    /** Every line of Base64 of every {@code PRIVATE KEY} block in a PEM file (a leaked key shows at least one whole line). */
    public SecretScan privateKey(Path pemFile) {
        String pem;
        try {
            pem = Files.readString(pemFile, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read private key file " + pemFile, e);
        }
        Matcher m = PRIVATE_KEY.matcher(pem);
        boolean found = false;
        while (m.find()) {
            found = true;
            for (String line : m.group(2).split("\\R")) {
                String t = line.trim();
                if (t.length() >= 16 && !t.contains(":")) { // skip short tails and headers such as Proc-Type:
                    secrets.add(t);
                }
            }
        }
        if (!found) {
            throw new IllegalArgumentException("no PRIVATE KEY block in " + pemFile);
        }
        return this;
    }

    /** The {@code toString()} of each object (stores, sessions, leases, candidates, followers, builders...). */
    public SecretScan show(Object... objects) {
        for (Object o : objects) {
            if (o instanceof Throwable t) {
                show(t);
            } else {
                texts.add(new String[] {"toString of " + (o == null ? "null" : o.getClass().getName()), String.valueOf(o)});
            }
        }
        return this;
    }

    /** An error: the message and {@code toString()} of it and of each cause and suppressed error, and its stack trace. */
    public SecretScan show(Throwable error) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Throwable> todo = new ArrayList<>(List.of(error));
        while (!todo.isEmpty()) {
            Throwable t = todo.remove(todo.size() - 1);
            if (t == null || !seen.add(t)) {
                continue;
            }
            texts.add(new String[] {"message of " + t.getClass().getName(), String.valueOf(t.getMessage())});
            texts.add(new String[] {"toString of " + t.getClass().getName(), t.toString()});
            todo.add(t.getCause());
            todo.addAll(List.of(t.getSuppressed()));
        }
        StringWriter trace = new StringWriter();
        error.printStackTrace(new PrintWriter(trace));
        texts.add(new String[] {"stack trace of " + error.getClass().getName(), trace.toString()});
        return this;
    }

    /** Any other text, named {@code where} in a failure. */
    public SecretScan text(String where, String text) {
        texts.add(new String[] {where, String.valueOf(text)});
        return this;
    }

    /** What the logs captured so far (System.out, System.err). */
    public String logs() {
        synchronized (captured) {
            return captured.toString(StandardCharsets.UTF_8);
        }
    }

    /** How many captured log lines contain {@code text}: for tests that count attempts or errors in the logs. */
    public long logLines(String text) {
        return logs().lines().filter(line -> line.contains(text)).count();
    }

    /** Asserts that no secret appears in what was captured and shown so far. */
    public void assertClean() {
        if (secrets.isEmpty()) {
            throw new AssertionError("SecretScan was given no secret to look for");
        }
        List<String> leaks = new ArrayList<>();
        String logs = logs();
        for (String line : logs.split("\\R")) {
            leak("log line", line, leaks);
        }
        synchronized (texts) {
            for (String[] text : texts) {
                for (String line : text[1].split("\\R")) {
                    leak(text[0], line, leaks);
                }
            }
        }
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " secret(s) shown:\n" + String.join("\n", leaks));
        }
    }

    private void leak(String where, String line, List<String> leaks) {
        for (String secret : secrets) {
            if (line.contains(secret)) {
                leaks.add(where + ": " + mask(line));
                return;
            }
        }
    }

    private String mask(String line) {
        String out = line;
        for (String secret : secrets) {
            out = out.replace(secret, "<SECRET>");
        }
        return out.length() > 400 ? out.substring(0, 400) + "..." : out;
    }

    /** Stops capturing (restores System.out, System.err and java.util.logging), checks the canary, then {@link #assertClean()}. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        System.out.flush();
        System.err.flush();
        System.setOut(originalOut);
        System.setErr(originalErr);
        java.util.logging.Logger.getLogger("").removeHandler(julHandler);
        if (!logs().contains(canary)) {
            throw new AssertionError("SecretScan captured no SLF4J output: the test's SLF4J binding does not write to"
                    + " System.err/System.out as each call finds them (slf4j-simple with cacheOutputStream or a logFile,"
                    + " or another binding), so its logs were not scanned");
        }
        assertClean();
    }

    /** Writes to the original stream and to the capture. */
    private static final class Tee extends OutputStream {
        private final OutputStream original;
        private final ByteArrayOutputStream copy;

        Tee(OutputStream original, ByteArrayOutputStream copy) {
            this.original = original;
            this.copy = copy;
        }

        @Override
        public void write(int b) throws IOException {
            original.write(b);
            synchronized (copy) {
                copy.write(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            original.write(b, off, len);
            synchronized (copy) {
                copy.write(b, off, len);
            }
        }

        @Override
        public void flush() throws IOException {
            original.flush();
        }
    }
}
