package dev.bpfhook.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CapabilitiesTest {
    /** Capability bits (include/uapi/linux/capability.h). */
    private static final long CAP_NET_ADMIN = 1L << 12;
    private static final long CAP_SYS_ADMIN = 1L << 21;
    private static final long CAP_PERFMON = 1L << 38;
    private static final long CAP_BPF = 1L << 39;

    @TempDir
    Path tmp;

    @Test
    void fullRootIsAllowed() throws IOException {
        assertEquals(Optional.empty(), Capabilities.problem(status("000001ffffffffff")));
    }

    @Test
    void rootOnKernelWithoutCapBpfIsAllowedThroughSysAdmin() throws IOException {
        assertEquals(Optional.empty(), Capabilities.problem(status("0000003fffffffff"))); // before 5.8: 38 caps
    }

    @Test
    void bpfPerfmonAndNetAdminWithoutSysAdminIsAllowed() throws IOException {
        String caps = String.format("%016x", CAP_BPF | CAP_PERFMON | CAP_NET_ADMIN);
        assertEquals("000000c000001000", caps);

        assertEquals(Optional.empty(), Capabilities.problem(status(caps)));
    }

    @Test
    void sysAdminAloneIsAllowed() throws IOException {
        assertEquals(Optional.empty(), Capabilities.problem(status(String.format("%016x", CAP_SYS_ADMIN))));
    }

    @Test
    void noCapabilitiesNamesAllMissingAndSudo() throws IOException {
        assertEquals(Optional.of("needs root to load eBPF programs (missing CAP_BPF, CAP_PERFMON, "
                + "CAP_NET_ADMIN); run it as root, or grant CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_SYS_ADMIN"),
                Capabilities.problem(status("0000000000000000")));
    }

    @Test
    void namesOnlyTheMissingCapability() throws IOException {
        Optional<String> problem = Capabilities.problem(status(String.format("%016x", CAP_BPF | CAP_PERFMON)));

        assertEquals(Optional.of("needs root to load eBPF programs (missing CAP_NET_ADMIN); run it as "
                + "root, or grant CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_SYS_ADMIN"), problem);
    }

    @Test
    void unreadableStatusIsAllowed() throws IOException {
        assertEquals(Optional.empty(), Capabilities.problem(tmp.resolve("absent")));
        assertEquals(Optional.empty(), Capabilities.problem(Files.createDirectory(tmp.resolve("a-directory"))));
    }

    @Test
    void statusWithoutOrWithGarbledCapEffIsAllowed() throws IOException {
        Path noCapEff = Files.write(tmp.resolve("no-capeff"), Arrays.asList("Name:\tjava", "CapPrm:\t0"));
        Path garbled = Files.write(tmp.resolve("garbled"), Arrays.asList("CapEff:\tnot-hex"));

        assertEquals(Optional.empty(), Capabilities.problem(noCapEff));
        assertEquals(Optional.empty(), Capabilities.problem(garbled));
    }

    /** EPERM from the kernel with every capability: the seccomp filter is named when there is one. */
    @Test
    void aRefusalWithTheCapabilitiesNamesASeccompFilterOrASecurityModule() throws IOException {
        assertTrue(Capabilities.fixForRefusal(status("000001ffffffffff", "Seccomp:\t2")).startsWith("this process "
                + "has the capabilities, but runs under a seccomp filter (Seccomp: 2 in /proc/self/status), which most "
                + "likely denies the bpf() system call"));
        assertEquals("this process has the capabilities, so a security module (SELinux, AppArmor, kernel lockdown) "
                + "denies it; the kernel log (dmesg) names the denial",
                Capabilities.fixForRefusal(status("000001ffffffffff", "Seccomp:\t0")));
        assertEquals("this process has the capabilities, so a security module (SELinux, AppArmor, kernel lockdown) "
                + "or a seccomp filter denies it; the kernel log (dmesg) names the denial",
                Capabilities.fixForRefusal(status("000001ffffffffff")), "no Seccomp line: either may");
        assertEquals(Capabilities.problem(status("0000000000000000")).get(),
                Capabilities.fixForRefusal(status("0000000000000000", "Seccomp:\t2")), "capabilities missing first");
    }

    /** A /proc/self/status as the kernel writes it, with this CapEff; the other sets are full, to be ignored. */
    private Path status(String capEff, String... more) throws IOException {
        List<String> lines = new ArrayList<>(Arrays.asList(
                "Name:\tjava",
                "Umask:\t0022",
                "State:\tS (sleeping)",
                "Tgid:\t4242",
                "Pid:\t4242",
                "Uid:\t1000\t1000\t1000\t1000",
                "CapInh:\t0000000000000000",
                "CapPrm:\t000001ffffffffff",
                "CapEff:\t" + capEff,
                "CapBnd:\t000001ffffffffff",
                "CapAmb:\t0000000000000000",
                "NoNewPrivs:\t0"));
        lines.addAll(Arrays.asList(more));
        return Files.write(tmp.resolve("status"), lines);
    }
}
