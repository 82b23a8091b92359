package io.leadership.etcd;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away PKI for TLS tests, made with {@code openssl} (EC P-256, PEM, private keys in PKCS#8
 * as the store expects) in a directory of the test's own: a CA; a server certificate for
 * {@code 127.0.0.1}/{@code localhost} and client certificates signed by it; and a second,
 * unrelated CA ("rogue") with its own server and client certificates, which nobody trusts.
 * Without {@code openssl} on the {@code PATH} the test fails saying so.
 */
final class TestCertificates {

    /** A certificate (chain of one) and its PKCS#8 key. */
    record Pair(Path cert, Path key) {
    }

    final Path dir;
    final Path ca;
    final Path caKey;
    final Path rogueCa;
    final Path rogueCaKey;
    /** The server's certificate: SAN IP 127.0.0.1 and DNS localhost, signed by {@link #ca}. */
    final Pair server;
    /** A client certificate signed by {@link #ca}, CN {@code leadership-client}. */
    final Pair client;
    /** A client certificate signed by {@link #rogueCa}. */
    final Pair rogueClient;
    /** A server certificate signed by {@link #ca} for another host ({@code other.example} only). */
    final Pair wrongHostServer;

    private TestCertificates(Path dir) throws IOException, InterruptedException {
        this.dir = dir;
        ca = dir.resolve("ca.pem");
        caKey = dir.resolve("ca-key.pem");
        rogueCa = dir.resolve("rogue-ca.pem");
        rogueCaKey = dir.resolve("rogue-ca-key.pem");
        makeCa(ca, caKey, "leadership test CA");
        makeCa(rogueCa, rogueCaKey, "rogue CA");
        server = signed("server", "127.0.0.1", "IP:127.0.0.1,DNS:localhost", ca, caKey, "serverAuth");
        client = signed("client", "leadership-client", null, ca, caKey, "clientAuth");
        rogueClient = signed("rogue-client", "leadership-client", null, rogueCa, rogueCaKey, "clientAuth");
        wrongHostServer = signed("wrong-host-server", "other.example", "DNS:other.example", ca, caKey, "serverAuth");
    }

    /** Makes them all in {@code dir}. */
    static TestCertificates create(Path dir) throws IOException, InterruptedException {
        return new TestCertificates(dir);
    }

    private void makeCa(Path cert, Path key, String cn) throws IOException, InterruptedException {
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key.toString(), "-out", cert.toString(), "-days", "2", "-subj", "/CN=" + cn,
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    }

    private Pair signed(String name, String cn, String san, Path caCert, Path caKey, String usage)
            throws IOException, InterruptedException {
        Path key = dir.resolve(name + "-key.pem");
        Path csr = dir.resolve(name + ".csr");
        Path cert = dir.resolve(name + ".pem");
        Path ext = dir.resolve(name + ".ext");
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", key.toString());
        openssl("req", "-new", "-key", key.toString(), "-out", csr.toString(), "-subj", "/CN=" + cn);
        Files.writeString(ext, "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                + "extendedKeyUsage=" + usage + "\n" + (san == null ? "" : "subjectAltName=" + san + "\n"), StandardCharsets.US_ASCII);
        openssl("x509", "-req", "-in", csr.toString(), "-CA", caCert.toString(), "-CAkey", caKey.toString(),
                "-CAcreateserial", "-out", cert.toString(), "-days", "2", "-extfile", ext.toString());
        return new Pair(cert, key);
    }

    private void openssl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("the TLS tests make their certificates with openssl, which could not be run"
                    + " (install it, e.g. apt-get install openssl): " + e.getMessage(), e);
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("openssl failed: " + String.join(" ", command) + "\n" + output);
        }
    }
}
