package io.leadership.spi;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one address grammar of every backend:
 * {@code scheme://[user:password@]host:port[,host:port...][/path][?name=value&...]}.
 *
 * <ul>
 * <li>Values are percent-decoded; {@code +} stays a plus (it is not a space).</li>
 * <li>Durations are {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}, combinations such as
 *     {@code 1m30s}, or ISO-8601 such as {@code PT5S}.</li>
 * <li>A parameter the backend does not know, given twice, or without a value is an error.</li>
 * </ul>
 * Every mistake is an {@link IllegalArgumentException} naming the bad part and what is accepted;
 * messages show the address with its password and secret parameters replaced by {@code ***}.
 */
public final class StoreAddress {

    /** Parameters whose values are secrets, never echoed: {@code password}, {@code keyPassword}, {@code token}, {@code aclToken}, {@code secret}... */
    private static final Pattern SECRET = Pattern.compile("(?i)[a-z0-9_]*(password|token|secret)");
    private static final Pattern DURATION = Pattern.compile("(?:(\\d+)h)?(?:(\\d+)m(?!s))?(?:(\\d+)s)?(?:(\\d+)ms)?");
    private static final String DURATIONS = "500ms, 5s, 2m, 1h, 1m30s or PT5S";

    private final String store;
    private final URI uri;
    private final String user;
    private final String password;
    private final List<String> hosts;
    private final String path;
    private final Map<String, String> parameters;

    private StoreAddress(String store, URI uri, String user, String password, List<String> hosts, String path,
                         Map<String, String> parameters) {
        this.store = store;
        this.uri = uri;
        this.user = user;
        this.password = password;
        this.hosts = hosts;
        this.path = path;
        this.parameters = parameters;
    }

    /**
     * Reads {@code address} for the backend {@code store} (its name in messages), whose scheme is
     * {@code scheme} and which knows the parameters {@code known}.
     */
    public static StoreAddress parse(String store, String scheme, URI address, Set<String> known) {
        if (address == null) {
            throw new IllegalArgumentException(store + " address must not be null; expected e.g. " + scheme + "://127.0.0.1:port");
        }
        String shown = redact(address.toString());
        if (address.getScheme() == null || !address.getScheme().equalsIgnoreCase(scheme)) {
            throw new IllegalArgumentException(store + " address '" + shown + "' must start with " + scheme + "://");
        }
        if (address.isOpaque() || address.getRawAuthority() == null || address.getRawAuthority().isBlank()) {
            throw new IllegalArgumentException(store + " address '" + shown + "' names no server; expected "
                    + scheme + "://host:port[,host:port...]");
        }
        if (address.getRawFragment() != null) {
            throw new IllegalArgumentException(store + " address '" + shown + "' has a fragment '#...'; settings go in"
                    + " query parameters: " + new TreeSet<>(known));
        }
        String authority = address.getRawAuthority();
        String user = null;
        String password = null;
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            String info = authority.substring(0, at);
            int colon = info.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException(store + " address '" + shown + "': credentials before '@' must be user:password");
            }
            user = decode(store, shown, info.substring(0, colon));
            password = decode(store, shown, info.substring(colon + 1));
            authority = authority.substring(at + 1);
        }
        List<String> hosts = Arrays.asList(authority.split(",", -1));
        for (String host : hosts) {
            checkHost(store, shown, host);
        }
        String path = address.getRawPath() == null ? "" : decode(store, shown, address.getRawPath());
        Map<String, String> parameters = new LinkedHashMap<>();
        String query = address.getRawQuery();
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&", -1)) {
                int eq = pair.indexOf('=');
                String name = decode(store, shown, eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(store, shown, pair.substring(eq + 1));
                if (!known.contains(name)) {
                    throw new IllegalArgumentException("unknown parameter " + Keys.quote(name) + " in " + store + " address '"
                            + shown + "'; known parameters: " + String.join(", ", new TreeSet<>(known)));
                }
                if (value.isEmpty()) {
                    throw new IllegalArgumentException("parameter '" + name + "' has no value in " + store + " address '" + shown + "'");
                }
                if (parameters.put(name, value) != null) {
                    throw new IllegalArgumentException("parameter '" + name + "' is given twice in " + store + " address '" + shown + "'");
                }
            }
        }
        return new StoreAddress(store, address, user, password, List.copyOf(hosts), path, Collections.unmodifiableMap(parameters));
    }

    /** Parses {@code address} as a URI first; see {@link #parse(String, String, URI, Set)}. */
    public static StoreAddress parse(String store, String scheme, String address, Set<String> known) {
        if (address == null) {
            return parse(store, scheme, (URI) null, known);
        }
        try {
            return parse(store, scheme, new URI(address.trim()), known);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("malformed " + store + " address '" + redact(address) + "': " + e.getReason(), e);
        }
    }

    /**
     * {@code address} with its authority replaced by {@code authority} (e.g. default ports added),
     * path, query and fragment kept as given; {@code store} names the backend in the error.
     */
    public static URI withAuthority(String store, URI address, String authority) {
        String s = address.getScheme() + "://" + authority + (address.getRawPath() == null ? "" : address.getRawPath())
                + (address.getRawQuery() == null ? "" : "?" + address.getRawQuery())
                + (address.getRawFragment() == null ? "" : "#" + address.getRawFragment());
        try {
            return new URI(s);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("malformed " + store + " address '" + redact(address.toString()) + "': " + e.getReason(), e);
        }
    }

    private static void checkHost(String store, String shown, String host) {
        int colon = host.lastIndexOf(':');
        boolean ok = colon > 0 && colon < host.length() - 1;
        if (ok) {
            try {
                int port = Integer.parseInt(host.substring(colon + 1));
                ok = port >= 1 && port <= 65535;
            } catch (NumberFormatException e) {
                ok = false;
            }
        }
        if (!ok) {
            throw new IllegalArgumentException("bad server " + Keys.quote(host) + " in " + store + " address '" + shown
                    + "'; expected host:port with a port from 1 to 65535");
        }
    }

    /** The servers, {@code host:port} each, in the order given. */
    public List<String> hosts() {
        return hosts;
    }

    /** The decoded path, {@code ""} when there is none. */
    public String path() {
        return path;
    }

    public Optional<String> user() {
        return Optional.ofNullable(user);
    }

    public Optional<String> password() {
        return Optional.ofNullable(password);
    }

    /** A parameter's decoded value. */
    public Optional<String> text(String name) {
        return Optional.ofNullable(parameters.get(name));
    }

    public boolean has(String name) {
        return parameters.containsKey(name);
    }

    /** A duration parameter, see {@link #parseDuration(String)}. */
    public Optional<Duration> duration(String name) {
        return text(name).map(value -> {
            try {
                return parseDuration(value);
            } catch (IllegalArgumentException e) {
                throw bad(name, value, e.getMessage());
            }
        });
    }

    /** A {@code true}/{@code false} parameter. */
    public Optional<Boolean> flag(String name) {
        return text(name).map(value -> switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw bad(name, value, "expected true or false");
        });
    }

    /** An integer parameter from {@code min} to {@code max}. */
    public Optional<Integer> integer(String name, int min, int max) {
        return text(name).map(value -> {
            try {
                int n = Integer.parseInt(value);
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // named below
            }
            throw bad(name, value, "expected a whole number from " + min + " to " + max);
        });
    }

    /** A file path parameter. */
    public Optional<Path> file(String name) {
        return text(name).map(value -> {
            try {
                return Path.of(value);
            } catch (InvalidPathException e) {
                throw bad(name, value, "not a file path");
            }
        });
    }

    /** An error about parameter {@code name}, naming its value (unless secret) and the address. */
    public IllegalArgumentException bad(String name, String value, String why) {
        return new IllegalArgumentException("parameter " + name + "=" + (SECRET.matcher(name).matches() ? "***" : Keys.quote(value))
                + " in " + store + " address '" + this + "': " + why);
    }

    /**
     * {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}, combinations largest unit first
     * ({@code 1h30m}, {@code 1m30s}), or ISO-8601 ({@code PT5S}).
     */
    public static Duration parseDuration(String text) {
        String t = text.trim();
        Matcher m = DURATION.matcher(t.toLowerCase(Locale.ROOT));
        if (!t.isEmpty() && m.matches()) {
            try {
                Duration d = Duration.ZERO;
                d = m.group(1) == null ? d : d.plusHours(Long.parseLong(m.group(1)));
                d = m.group(2) == null ? d : d.plusMinutes(Long.parseLong(m.group(2)));
                d = m.group(3) == null ? d : d.plusSeconds(Long.parseLong(m.group(3)));
                return m.group(4) == null ? d : d.plusMillis(Long.parseLong(m.group(4)));
            } catch (NumberFormatException | ArithmeticException e) {
                throw new IllegalArgumentException(Keys.quote(text) + " is too large a duration");
            }
        }
        try {
            return Duration.parse(t);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(Keys.quote(text) + " is not a duration; expected e.g. " + DURATIONS);
        }
    }

    private static String decode(String store, String shown, String raw) {
        try {
            return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad percent-encoding " + Keys.quote(raw) + " in " + store + " address '" + shown + "'");
        }
    }

    /** {@code address} with its password and secret parameters replaced by {@code ***}. */
    public static String redact(String address) {
        String out = address.replaceFirst("(//[^/@:?#]*:)[^/@]*@", "$1***@");
        return out.replaceAll("(?i)([?&][a-z0-9_]*(?:password|token|secret)=)[^&#]*", "$1***");
    }

    /** The address as given, with secrets replaced by {@code ***}. */
    @Override
    public String toString() {
        return redact(uri.toString());
    }
}
