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
        return problem(read(procStatus));
    }

    private static Optional<String> problem(List<String> status) {
        // plain loops and a long, no streams or BigInteger: this runs in premain
        String capEff = field(status, "CapEff:");
        long effective;
        try {
            effective = capEff == null ? -1 : Long.parseUnsignedLong(capEff, 16);
        } catch (NumberFormatException e) {
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

    /**
     * What to do when the kernel answered a BPF system call with EPERM: the capabilities this process lacks, or,
     * when it has them, what else denies it (a seccomp filter, as a container's default profile, or a security
     * module).
     */
    static String fixForRefusal() {
        return fixForRefusal(Paths.get("/proc/self/status"));
    }

    static String fixForRefusal(Path procStatus) {
        List<String> status = read(procStatus);
        Optional<String> missing = problem(status);
        if (missing.isPresent()) {
            return missing.get();
        }
        String seccomp = field(status, "Seccomp:"); // null when it cannot tell: every usual cause is named
        if ("2".equals(seccomp)) {
            return "this process has the capabilities, but runs under a seccomp filter (Seccomp: 2 in "
                    + "/proc/self/status), which most likely denies the bpf() system call, as container runtimes' "
                    + "default profiles do; run it with a profile that allows bpf (e.g. docker run --security-opt "
                    + "seccomp=PROFILE, Kubernetes securityContext.seccompProfile, systemd SystemCallFilter=)";
        }
        return "this process has the capabilities, so a security module (SELinux, AppArmor, kernel lockdown) "
                + (seccomp == null ? "or a seccomp filter " : "")
                + "denies it; the kernel log (dmesg) names the denial";
    }

    /** The lines of a /proc/PID/status, or none when it cannot be read. */
    private static List<String> read(Path procStatus) {
        try {
            return Files.readAllLines(procStatus);
        } catch (IOException e) {
            return new ArrayList<>();
        }
    }

    /** The value of a status line ("Name:<tab>value"), trimmed; null when there is no such line. */
    private static String field(List<String> status, String name) {
        String value = null;
        for (String line : status) {
            if (line.startsWith(name)) {
                value = line.substring(name.length()).trim();
            }
        }
        return value;
    }

    private static boolean has(long capabilities, int capability) {
        return (capabilities & (1L << capability)) != 0;
    }
}
