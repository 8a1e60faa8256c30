package dev.bpfhook.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.testing.ChildJvm;
import dev.bpfhook.testing.KernelTests;
import java.io.File;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A program the kernel refuses: libbpf loads it again to get the verifier's log, into the buffer the
 * agent gives it (BpfObject.VERIFIER_LOG_BYTES). The verifier's error and log come back; and the
 * process keeps no memory for it. libbpf's own buffer for that log was 16 MiB, whose free raised
 * glibc's mmap threshold, so that the buffers of every load after it came from the heap and stayed:
 * about 12 MiB for good, in every JVM on a kernel that refuses the fexit tier.
 */
class VerifierLogTest {
    private static final int EACCES = 13;
    /** The next load after a refused one, against about 1.5 MiB after an accepted one. */
    private static final long MOST_KIB_GROWN = 6 * 1024;

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void aRejectedProgramReportsTheVerifiersErrorAndLog() throws Exception {
        BpfException e = assertThrows(BpfException.class, () -> Loads.loadRejected(Loads.object()));
        assertEquals(EACCES, e.errno(), e.getMessage());
        assertTrue(e.detail().contains("prog 'bh_state_btf': BPF program load failed"), e.detail());
        assertTrue(e.detail().contains("-- BEGIN PROG LOAD LOG --"), "the verifier's log: " + e.detail());
    }

    /** In a JVM of its own: the allocator's state is the process's, and other tests' loads change it. */
    @Test
    void aRejectedLoadLeavesNoMemoryBehind() throws Exception {
        Path jna = Paths.get(com.sun.jna.Native.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String classPath = String.join(File.pathSeparator, ChildJvm.testClasses().toString(),
                Paths.get("target", "classes").toAbsolutePath().toString(), jna.toString());
        try (ChildJvm child = ChildJvm.builder(Loads.class.getName()).classPath(classPath).start()) {
            String grew = child.awaitStdout(l -> l.startsWith("grew "), 60_000);
            assertEquals(0, child.waitFor(60_000), child.describe());
            long kib = Long.parseLong(grew.substring("grew ".length()));
            assertTrue(kib < MOST_KIB_GROWN, "the load after a refused one kept " + kib + " KiB: " + child.describe());
        }
    }

    /** The child: a refused load, then how much resident memory the next, accepted load keeps. */
    public static final class Loads {
        public static void main(String[] args) throws Exception {
            byte[] elf = object();
            try {
                loadRejected(elf);
                throw new AssertionError("the verifier accepted a tp_btf program on the wrong tracepoint");
            } catch (BpfException expected) {
                // refused, as it must be
            }
            long before = anonymousKib();
            try (BpfObject accepted = BpfObject.open(elf, "bpfhook", null)) {
                accepted.setAutoload("bh_accept_fexit", false); // refused by some kernels: not this test's
                accepted.load();
            }
            System.out.println("grew " + (anonymousKib() - before));
        }

        static byte[] object() throws Exception {
            try (InputStream in = KernelHooks.class.getResourceAsStream(KernelHooks.OBJECT_RESOURCE)) {
                return in.readAllBytes();
            }
        }

        /** The state program on sched_switch, whose first argument is no socket: the verifier says no. */
        static void loadRejected(byte[] elf) throws BpfException {
            try (BpfObject object = BpfObject.open(elf, "bpfhook", null)) {
                for (Hook hook : Hook.values()) {
                    for (Hook.Tier tier : hook.tiers()) {
                        for (String program : tier.programs()) {
                            object.setAutoload(program, program.equals("bh_state_btf"));
                        }
                    }
                }
                object.setAttachTarget("bh_state_btf", "sched_switch");
                object.load();
            }
        }

        private static long anonymousKib() throws Exception {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (line.startsWith("RssAnon:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            throw new IllegalStateException("no RssAnon in /proc/self/status");
        }
    }
}
