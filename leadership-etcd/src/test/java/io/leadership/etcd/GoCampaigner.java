package io.leadership.etcd;

import io.leadership.testing.ChildCandidate;
import io.leadership.testing.History;
import io.leadership.testing.ServersCache;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The Go campaigner ({@code src/test/go/campaigner}: etcd's own {@code concurrency.Election})
 * in a process of its own: it speaks {@code CandidateMain}'s line protocol, so it runs as a kit
 * {@link ChildCandidate} (resign, stop, {@code kill -9}, every line in a {@link History}).
 *
 * <p>The binary is built by {@code scripts/build-go-campaigner} into
 * {@code <servers cache>/go-campaigner-<hash>/campaigner}, where {@code <hash>} is computed from
 * the source here exactly as the script does, so a changed source never runs an old binary.
 */
final class GoCampaigner {

    static final Path SOURCE = Path.of("src", "test", "go", "campaigner");

    private GoCampaigner() {
    }

    /**
     * The binary built from the source in this checkout; throws, saying to run
     * {@code scripts/build-go-campaigner}, if it is not built.
     */
    static Path binary() {
        String hash = sourceHash();
        Path bin = ServersCache.dir().resolve("go-campaigner-" + hash).resolve("campaigner");
        if (!Files.isExecutable(bin)) {
            throw new IllegalStateException("the Go campaigner is not built for this source (" + SOURCE.toAbsolutePath()
                    + ", hash " + hash + "): " + bin + " is missing; scripts/build-go-campaigner builds it (needs Go;"
                    + " scripts/test-all runs it)");
        }
        return bin;
    }

    /** As scripts/build-go-campaigner: SHA-256 of the "<sha256>  <name>" lines of the source's files, by name. */
    static String sourceHash() {
        try (Stream<Path> files = Files.list(SOURCE)) {
            MessageDigest all = MessageDigest.getInstance("SHA-256");
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                String line = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)))
                        + "  " + f.getFileName() + "\n";
                all.update(line.getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(all.digest()).substring(0, 12);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the Go campaigner's source " + SOURCE.toAbsolutePath(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts campaigner {@code id} in {@code election} on {@code servers} with a session TTL of {@code ttl}. */
    static ChildCandidate start(Path binary, List<InetSocketAddress> servers, String election, String id, Duration ttl,
            History history, Path logs) {
        return ChildCandidate.exec(id, List.of(binary.toString(),
                servers.stream().map(a -> a.getHostString() + ":" + a.getPort()).collect(Collectors.joining(",")),
                election, id, String.valueOf(ttl.toMillis())), history, logs);
    }
}
