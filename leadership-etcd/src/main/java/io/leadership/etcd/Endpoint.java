package io.leadership.etcd;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One member's client address: {@code host:port}, an IPv6 host in brackets. */
record Endpoint(String host, int port, boolean secure) {

    private static final Pattern FORM = Pattern.compile(
            "(?:(?<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?(?<host>\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+)(?::(?<port>[0-9]{1,5}))?/?");

    static Endpoint parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("etcd endpoint must not be blank; expected host:port, e.g. 127.0.0.1:2379, got "
                    + (text == null ? "null" : "'" + text + "'"));
        }
        Matcher m = FORM.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("malformed etcd endpoint '" + text
                    + "': expected host[:port], [ipv6]:port or http(s)://host:port, e.g. 127.0.0.1:2379");
        }
        String scheme = m.group("scheme");
        if (scheme != null && !scheme.equalsIgnoreCase("http") && !scheme.equalsIgnoreCase("https")) {
            throw new IllegalArgumentException("etcd endpoint '" + text + "' has scheme '" + scheme
                    + "'; accepted: none, http:// or https://");
        }
        int port = EtcdStoreBuilder.DEFAULT_PORT;
        if (m.group("port") != null) {
            port = Integer.parseInt(m.group("port"));
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("etcd endpoint '" + text + "' has port " + port
                        + ", outside 1 to 65535");
            }
        }
        return new Endpoint(m.group("host"), port, scheme != null && scheme.equalsIgnoreCase("https"));
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
