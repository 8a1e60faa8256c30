package dev.bpfhook.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;
import java.util.Properties;

/**
 * The agent jar where the target JVM can open it. A JVM in a container has a file system of its own, in which
 * this jar's path names nothing (the JVM then refuses the attach: "Agent JAR not found"). The kernel shows that
 * file system at {@code /proc/PID/root}: when the jar is not there at its own path, it is copied into the
 * target's temporary directory, under a name made from its content, so that attaching again reuses the copy.
 * The copy stays: the JVM reads classes from it for as long as it runs.
 */
final class TargetJar {
    private final String path;
    private final boolean copied;

    private TargetJar(String path, boolean copied) {
        this.path = path;
        this.copied = copied;
    }

    /** @param targetProperties the target's system properties (its {@code java.io.tmpdir}) */
    static TargetJar place(Path jar, String pid, Properties targetProperties) throws IOException {
        Path root = Paths.get("/proc", pid, "root");
        if (!Files.isReadable(root) || seesThisFile(root, jar)) {
            return new TargetJar(jar.toString(), false); // the same file system, or one we cannot look into
        }
        Path directory = Paths.get(targetProperties.getProperty("java.io.tmpdir", "/tmp")).toAbsolutePath();
        Path inTarget = directory.resolve("bpfhook-agent-" + contentHash(jar) + ".jar");
        Path copy = within(root, inTarget);
        if (!Files.isRegularFile(copy) || Files.size(copy) != Files.size(jar)) {
            try {
                copy(jar, copy);
            } catch (IOException e) {
                throw new IOException("process " + pid + " has a file system of its own (a container), in which "
                        + jar + " is not, and the agent jar could not be copied into its java.io.tmpdir " + directory
                        + " (" + e + "); give it a writable one, or put the jar where it can read it", e);
            }
        }
        return new TargetJar(inTarget.toString(), true);
    }

    /** Whole or not at all: a JVM attached meanwhile by another operator must never open half a jar. */
    private static void copy(Path jar, Path copy) throws IOException {
        Path partial = copy.resolveSibling(copy.getFileName() + "." + ProcessHandle.current().pid());
        Files.copy(jar, partial, StandardCopyOption.REPLACE_EXISTING);
        try {
            Files.move(partial, copy, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(partial, copy, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The path to hand the target. */
    String path() {
        return path;
    }

    /** What the operator should know when the target has a file system of its own. */
    Optional<String> note(String pid, boolean optionsNameFiles) {
        if (!copied) {
            return Optional.empty();
        }
        return Optional.of("bpfhook: note: process " + pid + " has a file system of its own (a container): the agent "
                + "jar was copied to " + path + " in it" + (optionsNameFiles ? ", and the files the options name are "
                + "read and written there, not here" : ""));
    }

    private static boolean seesThisFile(Path root, Path jar) {
        try {
            return Files.isSameFile(within(root, jar), jar);
        } catch (NoSuchFileException notThere) {
            return false;
        } catch (IOException | SecurityException cannotTell) {
            return true; // hand the path over as it is: the target's answer then says what is wrong
        }
    }

    /** {@code path} (absolute) as seen inside the file system at {@code root}. */
    private static Path within(Path root, Path path) {
        return root.resolve(path.toAbsolutePath().toString().substring(1));
    }

    private static String contentHash(Path jar) throws IOException {
        try (InputStream in = Files.newInputStream(jar)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                sha.update(buffer, 0, n);
            }
            StringBuilder hex = new StringBuilder();
            for (byte b : sha.digest()) {
                hex.append(String.format("%02x", b));
            }
            return hex.substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
