package io.leadership.consul;

import java.nio.file.Path;

/**
 * The key stores HTTPS to the agent uses, all of one {@code type} (JKS, JCEKS or PKCS12): a client
 * certificate with its key (for agents with {@code verify_incoming}) and a trust store. Either path
 * may be {@code null}; a password may be {@code null} for a store without one.
 */
record KeyStores(String type, Path clientCert, String clientCertPassword, Path trustStore, String trustStorePassword) {

    static final KeyStores NONE = new KeyStores("PKCS12", null, null, null, null);

    KeyStores withClientCert(Path path, String password) {
        return new KeyStores(type, path, password, trustStore, trustStorePassword);
    }

    KeyStores withTrustStore(Path path, String password) {
        return new KeyStores(type, clientCert, clientCertPassword, path, password);
    }

    KeyStores withType(String newType) {
        return new KeyStores(newType, clientCert, clientCertPassword, trustStore, trustStorePassword);
    }
}
