package io.leadership.zookeeper;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;

/**
 * Reads a store address {@code zk://[user:password@]host:port[,host:port...][/chroot][?param=value&...]}.
 *
 * <table>
 * <caption>Query parameters</caption>
 * <tr><th>parameter</th><th>meaning</th><th>default</th></tr>
 * <tr><td>{@code connectTimeout}</td><td>how long grants and operations wait for a connection, 100ms..10m</td><td>5s</td></tr>
 * <tr><td>{@code sessionTimeout}</td><td>session timeout of the store's own client (reads, watches)</td><td>30s</td></tr>
 * <tr><td>{@code acl}</td><td>ACL of election keys: {@code open} (anyone), {@code creator} (only the
 *     authenticated user), {@code creator-read} (only that user writes, anyone reads); the last two
 *     need {@code user:password@}</td><td>open</td></tr>
 * </table>
 * Durations are written {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h} or ISO-8601 ({@code PT5S}).
 * The user and password before {@code @} authenticate every session with the {@code digest} scheme.
 */
final class ZooKeeperAddress {

    private static final List<String> PARAMETERS = List.of("connectTimeout", "sessionTimeout", "acl");
    private static final Pattern SIMPLE_DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

    private ZooKeeperAddress() {
    }

    static ZooKeeperStoreBuilder parse(URI address) {
        if (address == null) {
            throw new IllegalArgumentException("ZooKeeper address must not be null; expected e.g. zk://localhost:2181");
        }
        String text = address.toString();
        if (address.getScheme() == null || !address.getScheme().equalsIgnoreCase("zk")) {
            throw new IllegalArgumentException("ZooKeeper address '" + text + "' must start with zk://, e.g. zk://localhost:2181");
        }
        if (address.isOpaque() || address.getRawAuthority() == null || address.getRawAuthority().isEmpty()) {
            throw new IllegalArgumentException("ZooKeeper address '" + text
                    + "' names no server; expected zk://host:port[,host:port...][/chroot], e.g. zk://localhost:2181");
        }
        if (address.getRawFragment() != null) {
            throw new IllegalArgumentException("ZooKeeper address '" + text + "' has a fragment '#" + address.getRawFragment()
                    + "'; settings go in query parameters " + PARAMETERS);
        }
        ZooKeeperStoreBuilder builder = ZooKeeperStore.builder();
        String authority = address.getRawAuthority();
        int at = authority.lastIndexOf('@');
        String userInfo = null;
        if (at >= 0) {
            userInfo = decode(authority.substring(0, at), text);
            authority = authority.substring(at + 1);
        }
        try {
            builder.connectString(authority);
            builder.namespace(decode(address.getRawPath() == null ? "" : address.getRawPath(), text));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("ZooKeeper address '" + redact(text) + "': " + e.getMessage(), e);
        }
        boolean authenticated = false;
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("ZooKeeper address '" + redact(text)
                        + "': credentials before '@' must be user:password (digest scheme)");
            }
            builder.digest(userInfo.substring(0, colon), userInfo.substring(colon + 1));
            authenticated = true;
        }
        Set<String> seen = new HashSet<>();
        String query = address.getRawQuery();
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&", -1)) {
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq), text);
                String value = eq < 0 ? null : decode(pair.substring(eq + 1), text);
                if (!PARAMETERS.contains(name)) {
                    throw new IllegalArgumentException("unknown parameter '" + name + "' in ZooKeeper address '" + redact(text)
                            + "'; known parameters: " + PARAMETERS);
                }
                if (!seen.add(name)) {
                    throw new IllegalArgumentException("parameter '" + name + "' given twice in ZooKeeper address '" + redact(text) + "'");
                }
                if (value == null || value.isEmpty()) {
                    throw new IllegalArgumentException("parameter '" + name + "' has no value in ZooKeeper address '" + redact(text) + "'");
                }
                try {
                    switch (name) {
                        case "connectTimeout" -> builder.connectionTimeout(duration(value));
                        case "sessionTimeout" -> builder.sessionTimeout(duration(value));
                        case "acl" -> builder.keyAcl(acl(value, authenticated));
                        default -> throw new AssertionError(name);
                    }
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("parameter " + name + "=" + value + " in ZooKeeper address '"
                            + redact(text) + "': " + e.getMessage(), e);
                }
            }
        }
        return builder;
    }

    /** {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h} or ISO-8601 such as {@code PT5S}. */
    static Duration duration(String text) {
        Matcher m = SIMPLE_DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (m.matches()) {
            long amount;
            try {
                amount = Long.parseLong(m.group(1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "' is too large a duration", e);
            }
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                default -> Duration.ofHours(amount);
            };
        }
        try {
            return Duration.parse(text.trim());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + text + "' is not a duration; expected e.g. 500ms, 5s, 2m, 1h or PT5S", e);
        }
    }

    private static List<ACL> acl(String value, boolean authenticated) {
        List<ACL> acl = switch (value) {
            case "open" -> ZooDefs.Ids.OPEN_ACL_UNSAFE;
            case "creator" -> ZooDefs.Ids.CREATOR_ALL_ACL;
            case "creator-read" -> List.of(ZooDefs.Ids.CREATOR_ALL_ACL.get(0), ZooDefs.Ids.READ_ACL_UNSAFE.get(0));
            default -> throw new IllegalArgumentException("expected one of open, creator, creator-read");
        };
        if (!value.equals("open") && !authenticated) {
            throw new IllegalArgumentException("acl=" + value + " gives the keys to the authenticated user, so the address needs"
                    + " credentials: zk://user:password@host:port");
        }
        return acl;
    }

    private static String decode(String raw, String address) {
        try {
            return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad percent-encoding '" + raw + "' in ZooKeeper address '" + redact(address) + "'", e);
        }
    }

    /** The address without its password, for messages. */
    static String redact(String address) {
        return address.replaceFirst("(//[^/@:]*:)[^/@]*@", "$1***@");
    }
}
