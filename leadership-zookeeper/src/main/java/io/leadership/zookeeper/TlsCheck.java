package io.leadership.zookeeper;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.apache.zookeeper.common.ClientX509Util;
import org.apache.zookeeper.common.X509Exception;

/**
 * Why a TLS connection does not come up. The ZooKeeper client only logs a failed handshake and
 * tries again for ever, so when a grant finds no connection in time the store makes one TLS
 * handshake itself, with the same client configuration (ZooKeeper's own {@link ClientX509Util}
 * builds the context from the same properties) and host name check, and tells what went wrong:
 * an untrusted server certificate, a name mismatch, a refused client certificate, unreadable files.
 */
final class TlsCheck {

    private static final int TIMEOUT_MS = 1_000;

    private TlsCheck() {
    }

    /** One handshake with the first server; a sentence for an error message. */
    static String diagnose(Settings settings) {
        String server = settings.connectString().split(",")[0];
        int colon = server.lastIndexOf(':');
        String host = server.substring(0, colon).replace("[", "").replace("]", "");
        int port = Integer.parseInt(server.substring(colon + 1));
        SSLContext context;
        try (ClientX509Util x509 = new ClientX509Util()) {
            context = x509.createSSLContext(settings.clientConfig());
        } catch (X509Exception | RuntimeException e) {
            return "the TLS settings cannot be used: " + messages(e);
        }
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
            socket.connect(new InetSocketAddress(host, port), TIMEOUT_MS);
            socket.setSoTimeout(TIMEOUT_MS / 2);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS"); // the server's name or IP must be in its certificate
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            try {
                // With TLS 1.3 a server that refuses the client's certificate says so after the handshake.
                InputStream in = socket.getInputStream();
                if (in.read() < 0) {
                    return "the TLS handshake with " + server + " succeeded, then the server closed the connection";
                }
            } catch (SocketTimeoutException quiet) {
                // nothing to read: the server accepted the handshake and waits for ZooKeeper's connect request
            }
            return "a TLS handshake with " + server + " succeeds (" + socket.getSession().getProtocol()
                    + "), so the servers are slow or refuse the session for another reason";
        } catch (IOException e) {
            return "the TLS handshake with " + server + " failed: " + messages(e);
        }
    }

    /** The messages of {@code e} and its causes, without repeats (they never hold key material). */
    private static String messages(Throwable e) {
        StringBuilder out = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            if (out.indexOf(message) < 0) {
                out.append(out.length() == 0 ? "" : ": ").append(message);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return out.toString();
    }
}
