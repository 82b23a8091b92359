package io.leadership.zookeeper;

import java.nio.file.Path;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.common.ClientX509Util;

/**
 * TLS settings of a store, mapped onto the ZooKeeper client properties of each of its clients
 * (a {@link ZKClientConfig} per client, never JVM-wide system properties).
 *
 * <p>Every property is set explicitly, so that {@code zookeeper.ssl.*} system properties (which an
 * in-process ZooKeeper server, for one, sets JVM-wide from its {@code ssl.*} settings) never
 * change what this store trusts or presents. The server's certificate is checked against
 * {@code caFile} (or the JDK's trusted CAs when there is none) and its host name or IP address
 * against the certificate; there is no way to turn either check off.
 *
 * @param caFile  PEM file of the CA certificates that sign the servers' certificates, or {@code null}
 *                for the JDK's default trust store
 * @param keyFile PEM file holding the client's private key (PKCS#8) and its certificate chain, or
 *                {@code null} for no client certificate
 */
record Tls(Path caFile, Path keyFile) {

    /** {@code config} with TLS on the Netty client socket and these files. */
    ZKClientConfig apply(ZKClientConfig config) {
        config.setProperty(ZKClientConfig.SECURE_CLIENT, "true");
        config.setProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, "org.apache.zookeeper.ClientCnxnSocketNetty");
        try (ClientX509Util x509 = new ClientX509Util()) {
            config.setProperty(x509.getSslTruststoreLocationProperty(), caFile == null ? "" : caFile.toString());
            config.setProperty(x509.getSslTruststoreTypeProperty(), caFile == null ? "" : "PEM");
            config.setProperty(x509.getSslTruststorePasswdProperty(), "");
            config.setProperty(x509.getSslTruststorePasswdPathProperty(), "");
            config.setProperty(x509.getSslKeystoreLocationProperty(), keyFile == null ? "" : keyFile.toString());
            config.setProperty(x509.getSslKeystoreTypeProperty(), keyFile == null ? "" : "PEM");
            config.setProperty(x509.getSslKeystorePasswdProperty(), "");
            config.setProperty(x509.getSslKeystorePasswdPathProperty(), "");
            config.setProperty(x509.getSslHostnameVerificationEnabledProperty(), "true");
        }
        return config;
    }

    /** For messages and toString: file names only, never their content. */
    String describe() {
        return "tls (ca " + (caFile == null ? "JDK default trust store" : caFile.toString())
                + (keyFile == null ? "" : ", client certificate " + keyFile) + ")";
    }
}
