package io.leadership.etcd;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a store address into {@link EtcdStoreBuilder} settings:
 * <pre>etcd://host1:2379,host2:2379?connectTimeout=5s&amp;requestTimeout=5s&amp;keepaliveTime=30s&amp;keepaliveTimeout=10s
 *     &amp;user=..&amp;password=..&amp;caFile=..&amp;certFile=..&amp;keyFile=..&amp;namespace=..&amp;tls=true</pre>
 * Durations are {@code 500ms}, {@code 5s}, {@code 1m} or ISO-8601 ({@code PT5S}); values are
 * percent-decoded ({@code +} stays a plus). Every mistake is an {@link IllegalArgumentException}
 * naming the bad part.
 */
final class EtcdAddress {

    static final Set<String> PARAMETERS = Set.of("connectTimeout", "requestTimeout", "keepaliveTime", "keepaliveTimeout",
            "user", "password", "caFile", "certFile", "keyFile", "namespace", "tls");
    private static final Pattern DURATION = Pattern.compile("([0-9]+)(ms|s|m)");

    private EtcdAddress() {
    }

    static EtcdStoreBuilder parse(URI address) {
        if (address == null) {
            throw new IllegalArgumentException("etcd address must not be null; expected e.g. etcd://127.0.0.1:2379");
        }
        if (!"etcd".equalsIgnoreCase(address.getScheme())) {
            throw new IllegalArgumentException("etcd address '" + address + "' must start with etcd://");
        }
        String hosts = address.getRawAuthority();
        if (hosts == null || hosts.isBlank()) {
            throw new IllegalArgumentException("etcd address '" + address
                    + "' names no endpoint; expected etcd://host1:2379,host2:2379");
        }
        if (hosts.contains("@")) {
            throw new IllegalArgumentException("etcd address '" + redact(address)
                    + "' has user info; give credentials as ?user=..&password=..");
        }
        String path = address.getRawPath();
        if (path != null && !path.isEmpty() && !path.equals("/")) {
            throw new IllegalArgumentException("etcd address '" + address + "' has a path '" + path
                    + "'; use ?namespace=.. for a key prefix");
        }
        EtcdStoreBuilder builder = EtcdStore.builder().endpoints(Arrays.asList(hosts.split(",", -1)));
        Map<String, String> params = query(address);
        for (Map.Entry<String, String> p : params.entrySet()) {
            String value = p.getValue();
            switch (p.getKey()) {
                case "connectTimeout" -> builder.connectTimeout(duration(p.getKey(), value));
                case "requestTimeout" -> builder.requestTimeout(duration(p.getKey(), value));
                case "keepaliveTime" -> builder.keepaliveTime(duration(p.getKey(), value));
                case "keepaliveTimeout" -> builder.keepaliveTimeout(duration(p.getKey(), value));
                case "namespace" -> builder.namespace(value);
                case "caFile" -> builder.trustedCertificates(file(p.getKey(), value));
                case "tls" -> {
                    if (!value.equals("true") && !value.equals("false")) {
                        throw new IllegalArgumentException("etcd address parameter tls=" + value + " must be true or false");
                    }
                }
                case "user", "password", "certFile", "keyFile" -> { } // in pairs below
                default -> throw new IllegalArgumentException("unknown etcd address parameter '" + p.getKey()
                        + "'; known: " + String.join(", ", List.copyOf(new java.util.TreeSet<>(PARAMETERS))));
            }
        }
        String user = params.get("user");
        String password = params.get("password");
        if (user != null || password != null) {
            if (user == null) {
                throw new IllegalArgumentException("etcd address gives a password but no user; add ?user=..");
            }
            builder.credentials(user, password);
        }
        String cert = params.get("certFile");
        String key = params.get("keyFile");
        if (cert != null || key != null) {
            if (cert == null || key == null) {
                throw new IllegalArgumentException("etcd address needs both certFile and keyFile for a client certificate, got certFile="
                        + cert + " keyFile=" + key);
            }
            builder.clientCertificate(file("certFile", cert), file("keyFile", key));
        }
        if ("true".equals(params.get("tls")) && params.get("caFile") == null && cert == null) {
            builder.endpoints(Arrays.stream(hosts.split(",", -1)).map(h -> "https://" + h).toList());
        }
        return builder;
    }

    private static Map<String, String> query(URI address) {
        Map<String, String> params = new LinkedHashMap<>();
        String raw = address.getRawQuery();
        if (raw == null || raw.isEmpty()) {
            return params;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            if (value.isEmpty()) {
                throw new IllegalArgumentException("etcd address parameter '" + name + "' has no value");
            }
            if (params.put(name, value) != null) {
                throw new IllegalArgumentException("etcd address parameter '" + name + "' is given twice");
            }
        }
        return params;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("etcd address has a malformed percent escape in '" + s + "'", e);
        }
    }

    static Duration duration(String name, String value) {
        Matcher m = DURATION.matcher(value);
        try {
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                return switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    default -> Duration.ofMinutes(n);
                };
            }
            return Duration.parse(value);
        } catch (DateTimeParseException | ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("etcd address parameter " + name + "=" + value
                    + " is not a duration; expected e.g. 500ms, 5s, 1m or PT5S", e);
        }
    }

    private static Path file(String name, String value) {
        try {
            return Path.of(value);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("etcd address parameter " + name + "=" + value + " is not a file path", e);
        }
    }

    private static String redact(URI address) {
        return address.getScheme() + "://***@" + address.getRawAuthority().substring(address.getRawAuthority().indexOf('@') + 1);
    }
}
