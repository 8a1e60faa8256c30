package dev.bpfhook.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import org.junit.jupiter.api.Assumptions;

/**
 * Gatekeeper for tests that load BPF into the real kernel. Outside CI they
 * skip when not root; with CI=true they must run, and a missing privilege is
 * a failure, not a skip.
 */
public final class KernelTests {
    private KernelTests() {
    }

    public static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    public static void requireRoot() {
        boolean root = isRoot();
        if (inCi()) {
            if (!root) {
                fail("CI=true: kernel tests must run, but this JVM is not root; run the tests as root");
            }
            return;
        }
        Assumptions.assumeTrue(root, "kernel tests need root (skipped outside CI)");
    }

    private static boolean isRoot() {
        try {
            return Files.readAllLines(Paths.get("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:"))
                    .anyMatch(l -> l.split("\\s+")[2].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }

    /** Fails with both values and a label; for exact-count assertions that read well in reports. */
    public static void assertCount(long expected, long actual, String what) {
        assertEquals(expected, actual, what);
    }
}
