package io.leadership.consul;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * <b>What consul-api lacks:</b> HTTPS that verifies the agent (its transport trusts any self-signed certificate) and PEM CA files.
 *
 * <p>Builds the SSLContext for HTTPS to the agent from {@link KeyStores} (a client
 * certificate key store and a trust store, both of one type) and/or a PEM CA
 * file (Consul's own {@code -ca-file} / {@code CONSUL_CACERT}). Unlike consul-api's own HTTPS
 * transport it does not trust self-signed certificates blindly: server certificates must chain to
 * the given trust store or CA file, or to the JVM's default trust store when neither is given,
 * and the host name is verified.
 */
final class TlsContexts {

    private TlsContexts() {
    }

    static SSLContext create(KeyStores stores, Path caFile) {
        try {
            KeyManager[] keyManagers = null;
            KeyStore trust = null;
            if (stores.clientCert() != null) {
                KeyStore identity = load(stores.type(), stores.clientCert(), stores.clientCertPassword(), "client certificate key store");
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(identity, password(stores.clientCertPassword()));
                keyManagers = kmf.getKeyManagers();
            }
            if (stores.trustStore() != null) {
                trust = load(stores.type(), stores.trustStore(), stores.trustStorePassword(), "trust store");
            }
            if (caFile != null) {
                trust = addPemCertificates(trust, caFile);
            }
            TrustManager[] trustManagers = null;
            if (trust != null) {
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(trust);
                trustManagers = tmf.getTrustManagers();
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers, trustManagers, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("consul TLS settings unusable: " + e.getMessage(), e);
        }
    }

    private static KeyStore load(String type, Path path, String password, String what) throws GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(type);
        try (InputStream in = Files.newInputStream(path)) {
            store.load(in, password(password));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read consul TLS " + what + " '" + path + "' as " + type + ": " + e.getMessage(), e);
        }
        return store;
    }

    private static KeyStore addPemCertificates(KeyStore trust, Path caFile) throws GeneralSecurityException {
        KeyStore store = trust;
        if (store == null) {
            store = KeyStore.getInstance(KeyStore.getDefaultType());
            try {
                store.load(null, null);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        try (InputStream in = Files.newInputStream(caFile)) {
            int n = 0;
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("consul-ca-" + n++, certificate);
            }
            if (n == 0) {
                throw new IllegalArgumentException("consul CA file '" + caFile + "' holds no PEM certificate");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read consul CA file '" + caFile + "': " + e.getMessage(), e);
        }
        return store;
    }

    private static char[] password(String password) {
        return password == null ? null : password.toCharArray();
    }
}
