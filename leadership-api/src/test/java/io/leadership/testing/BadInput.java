package io.leadership.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Cases of bad input for a parameterized test: each call must fail at once with an
 * {@link IllegalArgumentException} whose message mentions every given word (the value, the
 * accepted range), as the README promises.
 */
public final class BadInput {

    private BadInput() {
    }

    /** One case: its display name, the call, and what its message must mention. */
    public static Arguments bad(String name, Executable call, String... mentions) {
        return Arguments.of(name, call, List.of(mentions));
    }

    /** Asserts a case of {@link #bad}: refused with an IllegalArgumentException that mentions each word. */
    public static void assertRefused(String name, Executable call, List<String> mentions) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call, name);
        for (String m : mentions) {
            assertTrue(e.getMessage().contains(m), name + ": message should mention '" + m + "': " + e.getMessage());
        }
    }
}
