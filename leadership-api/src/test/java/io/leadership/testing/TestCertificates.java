package io.leadership.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away PKI for the TLS tests of every store, made with the JDK's keytool (nothing else to
 * install) in a directory of the test's own. Keys are EC P-256, valid two days.
 * <ul>
 * <li>{@link #ca} signed {@link #server} (SAN 127.0.0.1, localhost, server.dc1.consul),
 *     {@link #client} and {@link #wrongHostServer} (SAN other.example only);
 * <li>{@link #rogueCa}, which nobody trusts, signed {@link #rogueClient};
 * <li>{@link #impostorCa} has the same name as {@link #ca} and another key: it signed nothing.
 * </ul>
 * Each certificate comes as PEM files of the forms the stores and clients take: certificate and
 * PKCS#8 key apart ({@link Pair}, etcd, Consul agent); key, certificate and CA in one file
 * (ZooKeeper's {@code ssl.keyStore.type=PEM}); PKCS12 key and trust stores (consul-api's TLSConfig),
 * all with {@link #password}.
 */
public final class TestCertificates {

    /** A certificate (PEM, chain of one) and its private key (PKCS#8 PEM). */
    public record Pair(Path cert, Path key) {
    }

    public final Path dir;
    /** The password of every PKCS12 store here. */
    public final String password;
    public final Path ca;
    public final Path caKey;
    public final Path rogueCa;
    public final Path rogueCaKey;
    /** A CA named as {@link #ca} with another key: a server certificate of {@link #ca} does not chain to it. */
    public final Path impostorCa;
    /** Signed by {@link #ca} for 127.0.0.1, localhost and server.dc1.consul; server and client use. */
    public final Pair server;
    /** Signed by {@link #ca}, CN {@code leadership-client} (SAN 127.0.0.1, localhost); client use. */
    public final Pair client;
    /** Signed by {@link #rogueCa}, otherwise as {@link #client}. */
    public final Pair rogueClient;
    /** Signed by {@link #ca} for another host ({@code other.example} only). */
    public final Pair wrongHostServer;
    /** The server's key, certificate and CA certificate in one PEM file (ZooKeeper). */
    public final Path serverKeyAndChain;
    /** The client's key, certificate and CA certificate in one PEM file (ZooKeeper). */
    public final Path clientKeyAndChain;
    /** PKCS12: the client's key with its chain. */
    public final Path clientP12;
    /** PKCS12: {@link #ca} as the one trusted certificate. */
    public final Path trustP12;
    /** PKCS12: {@link #impostorCa} as the one trusted certificate. */
    public final Path impostorTrustP12;

    private TestCertificates(Path dir, String password) {
        this.dir = dir;
        this.password = password;
        ca = dir.resolve("ca.pem");
        caKey = dir.resolve("ca-key.pem");
        rogueCa = dir.resolve("rogue-ca.pem");
        rogueCaKey = dir.resolve("rogue-ca-key.pem");
        impostorCa = dir.resolve("impostor-ca.pem");
        server = pair("server");
        client = pair("client");
        rogueClient = pair("rogue-client");
        wrongHostServer = pair("wrong-host-server");
        serverKeyAndChain = dir.resolve("server-key-and-chain.pem");
        clientKeyAndChain = dir.resolve("client-key-and-chain.pem");
        clientP12 = dir.resolve("client.p12");
        trustP12 = dir.resolve("trust.p12");
        impostorTrustP12 = dir.resolve("impostor-trust.p12");
    }

    private Pair pair(String name) {
        return new Pair(dir.resolve(name + ".pem"), dir.resolve(name + "-key.pem"));
    }

    /** Makes them all in {@code dir} (created if absent), with a password of its own. */
    public static TestCertificates create(Path dir) throws Exception {
        return create(dir, "certs-pw-" + UUID.randomUUID().toString().substring(0, 8));
    }

    /** As {@link #create(Path)} with {@code password} for every PKCS12 store (a distinctive one lets a test search for it). */
    public static TestCertificates create(Path dir, String password) throws Exception {
        Files.createDirectories(dir);
        TestCertificates c = new TestCertificates(dir, password);
        c.make();
        return c;
    }

    private void make() throws Exception {
        Path work = dir.resolve("work.p12");
        String[][] keys = {{"ca", "CN=leadership test CA"}, {"rogue-ca", "CN=rogue CA"}, {"impostor-ca", "CN=leadership test CA"}, {"server", "CN=server.dc1.consul"},
                {"client", "CN=leadership-client"}, {"rogue-client", "CN=leadership-client"}, {"wrong-host-server", "CN=other.example"}};
        for (String[] key : keys) {
            keytool("-genkeypair", "-alias", key[0], "-keyalg", "EC", "-groupname", "secp256r1", "-dname", key[1], "-validity", "2",
                    "-keystore", work.toString(), "-storetype", "PKCS12", "-storepass", password,
                    "-ext", key[0].endsWith("ca") ? "bc:c" : "bc=ca:false");
        }
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", work.toString(), "-storepass", password, "-file", ca.toString());
        keytool("-exportcert", "-rfc", "-alias", "rogue-ca", "-keystore", work.toString(), "-storepass", password,
                "-file", rogueCa.toString());
        keytool("-exportcert", "-rfc", "-alias", "impostor-ca", "-keystore", work.toString(), "-storepass", password,
                "-file", impostorCa.toString());
        sign(work, "server", "ca", "san=ip:127.0.0.1,dns:localhost,dns:server.dc1.consul", "eku=serverAuth,clientAuth");
        sign(work, "client", "ca", "san=ip:127.0.0.1,dns:localhost", "eku=clientAuth");
        sign(work, "rogue-client", "rogue-ca", "san=ip:127.0.0.1,dns:localhost", "eku=clientAuth");
        sign(work, "wrong-host-server", "ca", "san=dns:other.example", "eku=serverAuth");

        KeyStore all = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(work)) {
            all.load(in, password.toCharArray());
        }
        writeKey(all, "ca", caKey);
        writeKey(all, "rogue-ca", rogueCaKey);
        for (Pair p : List.of(server, client, rogueClient, wrongHostServer)) {
            String alias = p.cert().getFileName().toString().replace(".pem", "");
            writeKey(all, alias, p.key());
        }
        Files.writeString(serverKeyAndChain, Files.readString(server.key()) + Files.readString(server.cert()) + Files.readString(ca));
        Files.writeString(clientKeyAndChain, Files.readString(client.key()) + Files.readString(client.cert()) + Files.readString(ca));

        KeyStore clientStore = emptyStore();
        clientStore.setKeyEntry("client", all.getKey("client", password.toCharArray()), password.toCharArray(),
                new Certificate[] {certificate(client.cert()), certificate(ca)});
        save(clientStore, clientP12);
        KeyStore trust = emptyStore();
        trust.setCertificateEntry("leadership-ca", certificate(ca));
        save(trust, trustP12);
        KeyStore impostorTrust = emptyStore();
        impostorTrust.setCertificateEntry("leadership-ca", certificate(impostorCa));
        save(impostorTrust, impostorTrustP12);
        Files.delete(work);
    }

    private void sign(Path work, String alias, String by, String san, String eku) throws Exception {
        Path csr = dir.resolve(alias + ".csr");
        keytool("-certreq", "-alias", alias, "-keystore", work.toString(), "-storepass", password, "-file", csr.toString());
        keytool("-gencert", "-rfc", "-alias", by, "-keystore", work.toString(), "-storepass", password, "-infile", csr.toString(),
                "-outfile", dir.resolve(alias + ".pem").toString(), "-validity", "2", "-ext", san, "-ext", eku);
        Files.delete(csr);
    }

    private void writeKey(KeyStore store, String alias, Path file) throws Exception {
        Key key = store.getKey(alias, password.toCharArray());
        Files.writeString(file, "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n", StandardCharsets.US_ASCII);
    }

    private static Certificate certificate(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static KeyStore emptyStore() throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        return store;
    }

    private void save(KeyStore store, Path file) throws Exception {
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, password.toCharArray());
        }
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool " + args[0] + " failed: " + output);
        }
    }
}
