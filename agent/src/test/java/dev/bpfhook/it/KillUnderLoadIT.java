package dev.bpfhook.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.apps.LoadTestApp;
import dev.bpfhook.testing.AttachedPrograms;
import dev.bpfhook.testing.ChildJvm;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.TestCgroup;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code kill -9} at any moment of an agent's life, over and over: while the JVM starts, while the agent
 * loads and attaches its programs, and while it runs under a steady stream of connections. After each
 * kill, no program the agent loaded is left in the kernel and the test's cgroup can be removed; after
 * all of them, a new agent counts exactly. {@code -Dkill.rounds=N} (10 by default) and
 * {@code -Dkill.seed=S} (printed by each run) repeat a run.
 */
class KillUnderLoadIT {
    private static final long TIMEOUT_MS = 30_000;

    /** How far the child had got when the signal went out, as its /proc entry showed a moment before. */
    enum Phase {
        /** no BPF object open yet: the JVM starting, premain, or the agent's quick checks */
        JVM_STARTING,
        /** BPF maps or programs open, no link yet: libbpf loading the object */
        LOADING,
        /** links attached, the ring thread not started yet */
        ATTACHING,
        /** the ring thread running, connections being made and watched */
        RUNNING
    }

    /** When a round sends the signal. */
    private enum When {
        /** a random moment after the child starts, before the agent opened anything (as calibrated) */
        EARLY,
        /** a random moment after the agent opened its first BPF object, within the load as calibrated */
        DURING_LOAD,
        /** a random moment within half a second after the agent runs */
        RUNNING
    }

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void killMinus9AtAnyMomentLeavesNoProgramAndNoCgroup() throws Exception {
        int rounds = Integer.getInteger("kill.rounds", 10);
        long seed = Long.getLong("kill.seed", System.nanoTime());
        System.out.println("KillUnderLoadIT: " + rounds + " rounds, -Dkill.seed=" + seed);
        Random random = new Random(seed);
        Set<Long> orphansBefore = AttachedPrograms.orphans();
        Map<Phase, Integer> phases = new EnumMap<>(Phase.class);
        long firstBpfMs = 0;
        long loadMs = 0;
        for (int round = 0; round < rounds; round++) {
            // RUNNING first: that round waits for the agent to run, and measures how long the JVM takes to
            // reach the load and how long the load takes here, for the EARLY and DURING_LOAD rounds after it
            When when = When.values()[(round + 2) % When.values().length];
            Path cgroupDir;
            Phase phase;
            Set<Long> loaded;
            try (TestCgroup cgroup = TestCgroup.create("kill" + round);
                 ChildJvm child = ChildJvm.builder(LoadTestApp.class.getName(), "--churn")
                         .agent(ChildJvm.agentJar(), "").inCgroup(cgroup.directory()).start()) {
                cgroupDir = cgroup.directory();
                long startNs = System.nanoTime();
                switch (when) {
                    case EARLY:
                        sleepMs(random.nextInt((int) Math.max(1, firstBpfMs)));
                        break;
                    case DURING_LOAD:
                        awaitPhase(child, Phase.LOADING);
                        sleepMs(random.nextInt((int) Math.max(1, loadMs / 2)));
                        break;
                    default:
                        long firstBpfNs = awaitPhase(child, Phase.LOADING);
                        awaitPhase(child, Phase.RUNNING);
                        if (round == 0) {
                            firstBpfMs = TimeUnit.NANOSECONDS.toMillis(firstBpfNs - startNs);
                            loadMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - firstBpfNs);
                        }
                        sleepMs(random.nextInt(500));
                }
                loaded = new TreeSet<>();
                phase = phase(child.pid(), loaded);
                child.kill9();
                phases.merge(phase, 1, Integer::sum);
                assertFalse(ProcessHandle.of(child.pid()).isPresent(), "the child is gone");
                assertEquals(Set.of(), AttachedPrograms.stillLoaded(loaded), "round " + round + ", killed while "
                        + phase + ": programs the child had loaded are still in the kernel");
            }
            assertFalse(Files.exists(cgroupDir), "round " + round + ": the test's cgroup was removed");
            assertEquals(Set.of(), AttachedPrograms.orphansSince(orphansBefore), "round " + round + ", killed while "
                    + phase + ": bpfhook programs that no process holds are left in the kernel");
        }
        System.out.println("KillUnderLoadIT: start to first BPF object " + firstBpfMs + " ms, load " + loadMs
                + " ms; kills by phase " + phases);
        if (rounds >= When.values().length) {
            assertTrue(phases.getOrDefault(Phase.RUNNING, 0) > 0, "killed while running: " + phases);
            assertTrue(phases.getOrDefault(Phase.LOADING, 0) + phases.getOrDefault(Phase.ATTACHING, 0) > 0,
                    "killed while loading or attaching: " + phases);
        }
        aNewAgentCountsExactly();
    }

    /** After all the kills, an agent in a new cgroup starts and counts exactly, and leaves nothing at exit. */
    private static void aNewAgentCountsExactly() throws Exception {
        Set<Long> orphansBefore = AttachedPrograms.orphans();
        try (TestCgroup cgroup = TestCgroup.create("killafter");
             ChildJvm child = ChildJvm.builder(LoadTestApp.class.getName())
                     .agent(ChildJvm.agentJar(), "").inCgroup(cgroup.directory()).start()) {
            LoadTestApp.Driver app = new LoadTestApp.Driver(child);
            assertEquals("agent RUNNING", app.ask("agent", "agent ", TIMEOUT_MS), child.describe());
            app.ask("exchanges 25", "done exchanges", TIMEOUT_MS);
            Map<String, Long> counts = app.mbeanWhen(m -> m.get("ClosedConnections") >= 50, "OutboundConnections",
                    "InboundConnections", "ClosedConnections");
            assertEquals(Map.of("OutboundConnections", 25L, "InboundConnections", 25L, "ClosedConnections", 50L),
                    counts, "after the kills, a new agent counts exactly");
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
        }
        assertEquals(Set.of(), AttachedPrograms.orphansSince(orphansBefore),
                "bpfhook programs left after a normal exit");
    }

    /** Polls the child's /proc entry until it reaches {@code phase}; returns when it did. */
    private static long awaitPhase(ChildJvm child, Phase phase) throws IOException, InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (System.nanoTime() < end) {
            if (phase(child.pid(), new HashSet<>()).compareTo(phase) >= 0) {
                return System.nanoTime();
            }
            if (!ProcessHandle.of(child.pid()).isPresent()) {
                break;
            }
            LockSupport.parkNanos(200_000);
        }
        throw new AssertionError("the child did not reach " + phase + "\n" + child.describe());
    }

    /**
     * The child's phase from its open descriptors and thread names, and the ids of the programs it
     * holds, directly or through links, into {@code programs}.
     */
    private static Phase phase(long pid, Set<Long> programs) throws IOException {
        boolean bpf = false;
        boolean link = false;
        Path proc = Paths.get("/proc", Long.toString(pid));
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
            for (Path fd : fds) {
                String target = readLink(fd);
                if (target.startsWith("anon_inode:bpf")) {
                    bpf = true;
                    link |= target.equals("anon_inode:bpf_link");
                }
            }
        } catch (IOException gone) {
            return Phase.JVM_STARTING; // not started yet, or already gone: nothing of ours is open
        }
        if (!bpf) {
            return Phase.JVM_STARTING;
        }
        programs.addAll(AttachedPrograms.heldBy(pid));
        if (!link) {
            return Phase.LOADING;
        }
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(proc.resolve("task"))) {
            for (Path task : tasks) {
                if (read(task.resolve("comm")).trim().equals("bpfhook-ring")) {
                    return Phase.RUNNING;
                }
            }
        } catch (IOException gone) {
            // ended while we looked
        }
        return Phase.ATTACHING;
    }

    private static String readLink(Path fd) {
        try {
            return Files.readSymbolicLink(fd).toString();
        } catch (IOException | UnsupportedOperationException gone) {
            return "";
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException gone) {
            return "";
        }
    }

    private static void sleepMs(long ms) throws InterruptedException {
        Thread.sleep(ms);
    }
}
