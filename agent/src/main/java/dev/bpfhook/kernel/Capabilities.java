package dev.bpfhook.kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Checks before loading anything that this process may load and attach BPF programs. */
public final class Capabilities {
    private static final int CAP_NET_ADMIN = 12;
    private static final int CAP_SYS_ADMIN = 21;
    private static final int CAP_PERFMON = 38;
    private static final int CAP_BPF = 39;

    private Capabilities() {
    }

    /** Empty when allowed, else the one-line reason with the fix. */
    public static Optional<String> problem() {
        return problem(Paths.get("/proc/self/status"));
    }

    static Optional<String> problem(Path procStatus) {
        // plain loops and a long, no streams or BigInteger: this runs in premain
        long effective = -1;
        try {
            for (String line : Files.readAllLines(procStatus)) {
                if (line.startsWith("CapEff:")) {
                    effective = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Optional.empty(); // cannot tell: let the kernel decide, and explain its answer
        }
        if (effective == -1 || has(effective, CAP_SYS_ADMIN)) {
            return Optional.empty();
        }
        List<String> missing = new ArrayList<>();
        if (!has(effective, CAP_BPF)) {
            missing.add("CAP_BPF");
        }
        if (!has(effective, CAP_PERFMON)) {
            missing.add("CAP_PERFMON");
        }
        if (!has(effective, CAP_NET_ADMIN)) {
            missing.add("CAP_NET_ADMIN");
        }
        if (missing.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("needs root to load eBPF programs (missing " + String.join(", ", missing)
                + "); run it as root, or grant CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_SYS_ADMIN");
    }

    private static boolean has(long capabilities, int capability) {
        return (capabilities & (1L << capability)) != 0;
    }
}
