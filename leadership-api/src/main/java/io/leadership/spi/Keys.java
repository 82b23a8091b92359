package io.leadership.spi;

import java.util.regex.Pattern;

/**
 * The election key format every backend accepts: slash-separated segments of letters, digits
 * and {@code . _ -}, no leading, trailing or double slash, no {@code .} or {@code ..} segment,
 * at most {@value #MAX_LENGTH} characters. For example {@code elections/scheduler}.
 * Each backend maps it onto its namespace (ZooKeeper {@code /elections/scheduler}).
 */
public final class Keys {

    public static final int MAX_LENGTH = 512;
    private static final int ECHOED = 80;
    private static final Pattern SEGMENTS = Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");

    private Keys() {
    }

    /** Returns {@code key} if valid; throws {@link IllegalArgumentException} naming it and the format otherwise. */
    public static String check(String key) {
        if (key == null) {
            throw new IllegalArgumentException("key must not be null; expected segments of [A-Za-z0-9._-] separated by '/', e.g. elections/scheduler");
        }
        if (key.isEmpty() || key.length() > MAX_LENGTH || !SEGMENTS.matcher(key).matches()
                || key.equals(".") || key.equals("..") || key.startsWith("./") || key.startsWith("../")
                || key.contains("/./") || key.contains("/../") || key.endsWith("/.") || key.endsWith("/..")) {
            throw new IllegalArgumentException("malformed key " + quote(key) + ": expected 1 to " + MAX_LENGTH
                    + " characters, segments of [A-Za-z0-9._-] separated by single '/', no leading or trailing '/',"
                    + " no '.' or '..' segment, e.g. elections/scheduler");
        }
        return key;
    }

    /** Checks a candidate's identity, the value stored under the key. */
    public static String checkId(String id) {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("candidate id must be a non-blank string of at most 1024 characters, got "
                    + quote(id));
        }
        if (id.length() > 1024 || id.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("candidate id " + quote(id) + " must be at most 1024 characters without control characters");
        }
        return id;
    }

    /**
     * A value as messages echo it: in single quotes, control characters escaped, at most
     * {@value #ECHOED} characters of it (with its length when longer), or {@code null}.
     */
    public static String quote(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("'");
        value.codePoints().limit(ECHOED).forEach(c -> {
            if (Character.isISOControl(c)) {
                b.append(switch (c) {
                    case '\n' -> "\\n";
                    case '\r' -> "\\r";
                    case '\t' -> "\\t";
                    default -> String.format("\\u%04x", c);
                });
            } else {
                b.appendCodePoint(c);
            }
        });
        b.append('\'');
        int length = value.codePointCount(0, value.length());
        return length > ECHOED ? b.append("... (").append(length).append(" characters)").toString() : b.toString();
    }
}
