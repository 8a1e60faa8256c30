package dev.bpfhook.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A JDK newer than the one running the tests, for what only newer JDKs do (restricted native access, JDK 22+):
 * the one the system property {@value #PROPERTY} names (its home), else the newest of the JDKs installed side
 * by side where Debian and Ubuntu put them.
 */
public final class NewerJdk {
    public static final String PROPERTY = "bpfhook.test.newerJdk";
    private static final Path INSTALLED = Paths.get("/usr/lib/jvm");
    private static final Pattern VERSION = Pattern.compile("^JAVA_VERSION=\"(\\d+)", Pattern.MULTILINE);

    private NewerJdk() {
    }

    /** The java binary of a JDK whose feature version is at least {@code feature}, if one is installed. */
    public static Optional<Path> atLeast(int feature) throws IOException {
        String named = System.getProperty(PROPERTY, "");
        if (!named.isEmpty()) {
            Path home = Paths.get(named);
            return version(home) >= feature ? Optional.of(home.resolve("bin/java")) : Optional.empty();
        }
        if (!Files.isDirectory(INSTALLED)) {
            return Optional.empty();
        }
        try (Stream<Path> homes = Files.list(INSTALLED)) {
            return homes.filter(h -> Files.isExecutable(h.resolve("bin/java")) && version(h) >= feature)
                    .max(Comparator.comparingInt(NewerJdk::version)).map(h -> h.resolve("bin/java"));
        }
    }

    /** The feature version in the JDK's release file; 0 when it has none. */
    private static int version(Path home) {
        try {
            Matcher m = VERSION.matcher(new String(Files.readAllBytes(home.resolve("release")), StandardCharsets.UTF_8));
            return m.find() ? Integer.parseInt(m.group(1)) : 0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
