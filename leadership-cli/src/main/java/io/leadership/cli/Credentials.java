package io.leadership.cli;

import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * Credentials kept out of the address, so that they are not in {@code ps} or the shell's history: from a file named
 * by an option, or from the variables {@code consul} and {@code etcdctl} read. Each fills an address parameter the
 * address does not give; a parameter in the address wins over the option, the option over the environment.
 * <ul>
 * <li>{@code consul://}: {@code token} from {@code --token-file}, else {@code CONSUL_HTTP_TOKEN}, else the file
 *     {@code CONSUL_HTTP_TOKEN_FILE} names; {@code caFile} from {@code CONSUL_CACERT}.</li>
 * <li>{@code etcd://}: {@code user} from {@code ETCDCTL_USER} ({@code user} or {@code user:password}, whose password
 *     goes with that user only); {@code password} from {@code --password-file}, else {@code ETCDCTL_PASSWORD};
 *     {@code caFile}, {@code certFile}, {@code keyFile} from {@code ETCDCTL_CACERT}, {@code ETCDCTL_CERT},
 *     {@code ETCDCTL_KEY}.</li>
 * <li>{@code zk://}: the password of {@code zk://user@host} from {@code --password-file}.</li>
 * </ul>
 * A secret read here is never printed: messages name the option or variable and the file, not its content, and the
 * address is shown redacted.
 */
final class Credentials {

    @Option(names = "--password-file", paramLabel = "<file>",
            description = "Read the password from <file> (etcd: with ?user=.. or ETCDCTL_USER; ZooKeeper: zk://user@host); else ETCDCTL_PASSWORD.")
    Path passwordFile;

    @Option(names = "--token-file", paramLabel = "<file>",
            description = "Read the Consul ACL token from <file>; else CONSUL_HTTP_TOKEN, else the file CONSUL_HTTP_TOKEN_FILE names.")
    Path tokenFile;

    /** {@code address} with what this process's options and environment add. */
    String address(String address) {
        return address(address, System.getenv());
    }

    /** {@code address} with what the options and {@code env} add; an {@link IllegalArgumentException} for a misuse. */
    String address(String address, Map<String, String> env) {
        if (address == null) {
            return null;
        }
        int colon = address.indexOf("://");
        String scheme = colon < 0 ? "" : address.substring(0, colon).toLowerCase(Locale.ROOT);
        if (tokenFile != null && !scheme.equals("consul")) {
            throw new IllegalArgumentException("--token-file is for consul:// addresses (the ACL token)");
        }
        return switch (scheme) {
            case "consul" -> consul(address, env);
            case "etcd" -> etcd(address, env);
            case "zk" -> zooKeeper(address);
            default -> {
                if (passwordFile != null) {
                    throw new IllegalArgumentException("--password-file is for etcd:// and zk:// addresses");
                }
                yield address;
            }
        };
    }

    private String consul(String address, Map<String, String> env) {
        if (passwordFile != null) {
            throw new IllegalArgumentException("--password-file is for etcd:// and zk:// addresses; Consul takes a token: --token-file");
        }
        Set<String> given = parameters(address);
        if (!given.contains("token")) {
            Optional<String> token = tokenFile != null ? Optional.of(read("--token-file", tokenFile))
                    : variable(env, "CONSUL_HTTP_TOKEN").or(() -> variable(env, "CONSUL_HTTP_TOKEN_FILE")
                            .map(f -> read("CONSUL_HTTP_TOKEN_FILE", Path.of(f))));
            address = with(address, given, "token", token);
        }
        return with(address, given, "caFile", variable(env, "CONSUL_CACERT"));
    }

    private String etcd(String address, Map<String, String> env) {
        Set<String> given = parameters(address);
        Optional<String> userVariable = variable(env, "ETCDCTL_USER");
        Optional<String> user = userVariable.map(u -> u.contains(":") ? u.substring(0, u.indexOf(':')) : u);
        boolean hasUser = given.contains("user") || user.isPresent();
        if (passwordFile != null && !hasUser) {
            throw new IllegalArgumentException("--password-file needs a user: ?user=.. in the etcd address, or ETCDCTL_USER");
        }
        boolean userGiven = given.contains("user");
        address = with(address, given, "user", user);
        if (!given.contains("password") && hasUser) {
            Optional<String> password = passwordFile != null ? Optional.of(read("--password-file", passwordFile))
                    : variable(env, "ETCDCTL_PASSWORD");
            if (password.isEmpty() && !userGiven && userVariable.filter(u -> u.contains(":")).isPresent()) {
                password = userVariable.map(u -> u.substring(u.indexOf(':') + 1)); // goes with ETCDCTL_USER's user only
            }
            address = with(address, given, "password", password);
        }
        address = with(address, given, "caFile", variable(env, "ETCDCTL_CACERT"));
        address = with(address, given, "certFile", variable(env, "ETCDCTL_CERT"));
        return with(address, given, "keyFile", variable(env, "ETCDCTL_KEY"));
    }

    private String zooKeeper(String address) {
        if (passwordFile == null) {
            return address;
        }
        int start = address.indexOf("://") + 3;
        int end = start;
        while (end < address.length() && "/?#".indexOf(address.charAt(end)) < 0) {
            end++;
        }
        int at = address.lastIndexOf('@', end - 1);
        if (at < start) {
            throw new IllegalArgumentException("--password-file needs a user in the ZooKeeper address: zk://user@host:2181");
        }
        if (address.substring(start, at).contains(":")) {
            return address; // the address's own password wins
        }
        return address.substring(0, at) + ":" + encode(read("--password-file", passwordFile)) + address.substring(at);
    }

    /** The names of the query parameters {@code address} gives. */
    private static Set<String> parameters(String address) {
        Set<String> names = new LinkedHashSet<>();
        int q = address.indexOf('?');
        if (q >= 0) {
            int hash = address.indexOf('#', q);
            for (String pair : address.substring(q + 1, hash < 0 ? address.length() : hash).split("&")) {
                int eq = pair.indexOf('=');
                try {
                    names.add(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8));
                } catch (IllegalArgumentException malformed) {
                    // Stores.connect reports it, naming the address
                }
            }
        }
        return names;
    }

    private static String with(String address, Set<String> given, String name, Optional<String> value) {
        if (given.contains(name) || value.isEmpty()) {
            return address;
        }
        given.add(name);
        return address + (address.indexOf('?') < 0 ? "?" : "&") + name + "=" + encode(value.get());
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static Optional<String> variable(Map<String, String> env, String name) {
        return Optional.ofNullable(env.get(name)).filter(v -> !v.isEmpty());
    }

    /** The file's content without its trailing line end; an error naming {@code what} and the file, never the content. */
    private static String read(String what, Path file) {
        String content;
        try {
            content = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException(what + " " + file + " cannot be read: " + e.getClass().getSimpleName());
        }
        content = content.replaceAll("[\\r\\n]+$", "");
        if (content.isEmpty() || content.contains("\n")) {
            throw new IllegalArgumentException(what + " " + file + " must hold the secret on one line; it holds "
                    + (content.isEmpty() ? "nothing" : "several lines"));
        }
        return content;
    }
}
