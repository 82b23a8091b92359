package io.leadership.zookeeper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates made for a test run with the JDK's keytool (no BouncyCastle on the class path): a
 * CA, a server certificate for 127.0.0.1/localhost and a client certificate signed by it, and a
 * second CA that signed nothing the server shows (for "the client does not trust the server").
 * Keys are EC P-256; PEM files as ZooKeeper's {@code ssl.keyStore.type=PEM} reads them: private
 * key (PKCS#8) and certificate chain in one file.
 */
final class TestCertificates {

    private static final String STORE_PASSWORD = "keytool-work-" + Long.toHexString(System.nanoTime());

    final Path dir;
    /** The CA that signed the server's and the client's certificates. */
    final Path caPem;
    /** A CA that signed neither. */
    final Path otherCaPem;
    /** Server: private key + certificate + CA certificate. */
    final Path serverPem;
    /** Client: private key + certificate + CA certificate. */
    final Path clientPem;

    private TestCertificates(Path dir) {
        this.dir = dir;
        this.caPem = dir.resolve("ca.pem");
        this.otherCaPem = dir.resolve("other-ca.pem");
        this.serverPem = dir.resolve("server.pem");
        this.clientPem = dir.resolve("client.pem");
    }

    static TestCertificates create() throws Exception {
        TestCertificates c = new TestCertificates(Files.createTempDirectory("leadership-zk-tls"));
        String work = c.dir.resolve("work.p12").toString();
        for (String[] key : new String[][] {{"ca", "CN=leadership test CA"}, {"other-ca", "CN=leadership other CA"},
                {"server", "CN=127.0.0.1"}, {"client", "CN=elector"}}) {
            boolean ca = key[0].endsWith("ca");
            c.keytool("-genkeypair", "-alias", key[0], "-keyalg", "EC", "-groupname", "secp256r1", "-dname", key[1],
                    "-validity", "2", "-keystore", work, "-storetype", "PKCS12", "-storepass", STORE_PASSWORD,
                    "-ext", ca ? "bc:c" : "bc=ca:false");
        }
        c.keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", work, "-storepass", STORE_PASSWORD,
                "-file", c.caPem.toString());
        c.keytool("-exportcert", "-rfc", "-alias", "other-ca", "-keystore", work, "-storepass", STORE_PASSWORD,
                "-file", c.otherCaPem.toString());
        for (String name : List.of("server", "client")) {
            String csr = c.dir.resolve(name + ".csr").toString();
            String crt = c.dir.resolve(name + ".crt").toString();
            c.keytool("-certreq", "-alias", name, "-keystore", work, "-storepass", STORE_PASSWORD, "-file", csr);
            c.keytool("-gencert", "-alias", "ca", "-keystore", work, "-storepass", STORE_PASSWORD, "-infile", csr,
                    "-outfile", crt, "-rfc", "-validity", "2", "-ext", "san=ip:127.0.0.1,dns:localhost",
                    "-ext", "eku=" + (name.equals("server") ? "serverAuth,clientAuth" : "clientAuth"));
        }
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(Path.of(work))) {
            store.load(in, STORE_PASSWORD.toCharArray());
        }
        for (String name : List.of("server", "client")) {
            Key key = store.getKey(name, STORE_PASSWORD.toCharArray());
            String pem = pem("PRIVATE KEY", key.getEncoded())
                    + Files.readString(c.dir.resolve(name + ".crt")) + Files.readString(c.caPem);
            Path file = name.equals("server") ? c.serverPem : c.clientPem;
            Files.writeString(file, pem, StandardCharsets.US_ASCII);
        }
        Files.delete(Path.of(work));
        return c;
    }

    private void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool " + args[0] + " failed: " + output);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }
}
