package io.leadership.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The servers cache rule, the one scripts/lib.sh has: LEADERSHIP_SERVERS, else $HOME from the environment. */
class ServersCacheTest {

    @TempDir
    Path dir;

    @Test
    void leadershipServersWins() {
        assertEquals(Path.of("/srv/cache"), ServersCache.dir(Map.of("LEADERSHIP_SERVERS", "/srv/cache", "HOME", "/elsewhere")));
    }

    @Test
    void elseHomeFromTheEnvironmentNotUserHome() {
        String elsewhere = dir.resolve("home").toString();
        assertTrue(!elsewhere.equals(System.getProperty("user.home")));
        assertEquals(Path.of(elsewhere, ".cache", "leadership-servers"), ServersCache.dir(Map.of("HOME", elsewhere)));
        assertEquals(Path.of(elsewhere, ".cache", "leadership-servers"),
                ServersCache.dir(Map.of("LEADERSHIP_SERVERS", " ", "HOME", elsewhere)), "blank is unset, as ${VAR:-...}");
    }

    @Test
    void neitherSetFailsNamingBoth() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ServersCache.dir(Map.of()));
        assertTrue(e.getMessage().contains("LEADERSHIP_SERVERS") && e.getMessage().contains("HOME"), e.getMessage());
    }

    /** The scripts print the same directory: scripts/lib.sh's servers_cache under the same environment. */
    @Test
    void theScriptsAgree() throws Exception {
        Path lib = Path.of("..", "scripts", "lib.sh").toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(lib), "no " + lib);
        String home = dir.resolve("home").toString();
        for (Map<String, String> env : java.util.List.of(Map.of("HOME", home), Map.of("HOME", home, "LEADERSHIP_SERVERS", "/srv/cache"))) {
            ProcessBuilder b = new ProcessBuilder("bash", "-c", ". \"$0\"; servers_cache", lib.toString());
            b.environment().remove("LEADERSHIP_SERVERS");
            b.environment().putAll(env);
            Process p = b.redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            assertEquals(0, p.waitFor(), out);
            assertEquals(ServersCache.dir(env).toString(), out, "for " + env);
        }
    }

    @Test
    void settingsAreTheLastAssignmentUnquoted() throws Exception {
        Path env = Files.writeString(dir.resolve("servers.env"), "# written by scripts/build-servers\n"
                + "ETCD_36_BIN=/old/etcd\nETCD_36_BIN='/c/etcd-3.6.17/etcd'\nCONSUL_BIN=\"/c/consul\"\nEMPTY=\n");
        assertEquals(Optional.of("/c/etcd-3.6.17/etcd"), ServersCache.setting("ETCD_36_BIN", env));
        assertEquals(Optional.of("/c/consul"), ServersCache.setting("CONSUL_BIN", env));
        assertEquals(Optional.empty(), ServersCache.setting("EMPTY", env));
        assertEquals(Optional.empty(), ServersCache.setting("ETCD_36", env));
        assertEquals(Optional.empty(), ServersCache.setting("X", dir.resolve("none")));
    }
}
