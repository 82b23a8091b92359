package io.leadership.consul.agent;

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
 * Certificates made in the test with the JDK's keytool: a CA, a server certificate for
 * 127.0.0.1/localhost signed by it (PEM certificate and PKCS#8 PEM key, as a Consul agent takes
 * them), a client certificate signed by it (a PKCS12 key store, as ConsulStoreBuilder.clientCertificate takes it,
 * and its key as PEM, for tests that search for it), and a PKCS12 trust store holding the CA.
 */
public record TestCertificates(Path caPem, Path serverPem, Path serverKeyPem, Path clientP12, Path clientKeyPem, Path trustP12,
        String password) {

    public static TestCertificates create(Path dir) throws Exception {
        return create(dir, "changeit");
    }

    /** With {@code pw} as the password of every key store (a distinctive one lets a test search for it). */
    public static TestCertificates create(Path dir, String pw) throws Exception {
        Files.createDirectories(dir);
        Path ca = dir.resolve("ca.p12");
        Path server = dir.resolve("server.p12");
        Path client = dir.resolve("client.p12");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=leadership-test-ca",
                "-ext", "bc:c", "-validity", "2", "-storetype", "PKCS12", "-keystore", ca.toString(), "-storepass", pw, "-keypass", pw);
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", pw, "-file", dir.resolve("ca.pem").toString());
        sign(dir, ca, server, "server", "CN=server.dc1.consul", "SAN=ip:127.0.0.1,dns:localhost,dns:server.dc1.consul",
                "EKU=serverAuth,clientAuth", pw);
        sign(dir, ca, client, "client", "CN=leadership-client", null, "EKU=clientAuth", pw);
        keytool("-importcert", "-noprompt", "-alias", "leadership-ca", "-file", dir.resolve("ca.pem").toString(),
                "-storetype", "PKCS12", "-keystore", dir.resolve("trust.p12").toString(), "-storepass", pw);
        exportKey(server, "server", pw, dir.resolve("server-key.pem"));
        exportKey(client, "client", pw, dir.resolve("client-key.pem"));
        return new TestCertificates(dir.resolve("ca.pem"), dir.resolve("server.pem"), dir.resolve("server-key.pem"), client,
                dir.resolve("client-key.pem"), dir.resolve("trust.p12"), pw);
    }

    /** The key of {@code alias} as a PKCS#8 PEM file (the agent takes its key so; for the client's, tests search for it). */
    private static void exportKey(Path store, String alias, String pw, Path pemFile) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, pw.toCharArray());
        }
        Key key = ks.getKey(alias, pw.toCharArray());
        String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n";
        Files.writeString(pemFile, pem);
    }

    private static void sign(Path dir, Path ca, Path store, String alias, String dname, String san, String eku, String pw) throws Exception {
        keytool("-genkeypair", "-alias", alias, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", dname, "-validity", "2",
                "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", pw, "-keypass", pw);
        Path csr = dir.resolve(alias + ".csr");
        keytool("-certreq", "-alias", alias, "-keystore", store.toString(), "-storepass", pw, "-file", csr.toString());
        List<String> gencert = new ArrayList<>(List.of("-gencert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", pw,
                "-infile", csr.toString(), "-outfile", dir.resolve(alias + ".pem").toString(), "-validity", "2", "-ext", eku));
        if (san != null) {
            gencert.addAll(List.of("-ext", san));
        }
        keytool(gencert.toArray(String[]::new));
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", dir.resolve("ca.pem").toString(), "-keystore", store.toString(),
                "-storepass", pw);
        keytool("-importcert", "-noprompt", "-alias", alias, "-file", dir.resolve(alias + ".pem").toString(), "-keystore", store.toString(),
                "-storepass", pw);
    }

    private static void keytool(String... args) throws Exception {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> command = new ArrayList<>(List.of(keytool.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool " + command + ": " + out);
        }
    }
}
