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

    /**
     * What to do when the kernel answered a BPF system call with EPERM: the capabilities this process lacks, or,
     * when it has them, what else denies it (a seccomp filter, as a container's default profile, or a security
     * module).
     */
    static String fixForRefusal() {
        return fixForRefusal(Paths.get("/proc/self/status"));
    }

    static String fixForRefusal(Path procStatus) {
        Optional<String> missing = problem(procStatus);
        if (missing.isPresent()) {
            return missing.get();
        }
        String seccomp = "";
        try {
            for (String line : Files.readAllLines(procStatus)) {
                if (line.startsWith("Seccomp:")) {
                    seccomp = line.substring(8).trim();
                }
            }
        } catch (IOException e) {
            // cannot tell: name every usual cause
        }
        if (seccomp.equals("2")) {
            return "this process has the capabilities, but runs under a seccomp filter (Seccomp: 2 in "
                    + "/proc/self/status), which most likely denies the bpf() system call, as container runtimes' "
                    + "default profiles do; run it with a profile that allows bpf (e.g. docker run --security-opt "
                    + "seccomp=PROFILE, Kubernetes securityContext.seccompProfile, systemd SystemCallFilter=)";
        }
        return "this process has the capabilities, so a security module (SELinux, AppArmor, kernel lockdown) "
                + (seccomp.isEmpty() ? "or a seccomp filter " : "")
                + "denies it; the kernel log (dmesg) names the denial";
    }

    private static boolean has(long capabilities, int capability) {
        return (capabilities & (1L << capability)) != 0;
    }
}
