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
 * <p>
 * The child is frozen (its cgroup's freezer) before the signal, so that the phase and the programs read
 * from its /proc entry are those the kill meets, not those of a moment before.
 */
class KillUnderLoadIT {
    private static final long TIMEOUT_MS = 30_000;
    /** The moments of the rounds, in turn: RUNNING first, to calibrate the others. */
    private static final When[] ROTATION = {When.RUNNING, When.EARLY, When.DURING_LOAD};
    /** Rounds more, at most, to kill a child while it loads when no random moment did. */
    private static final int LOAD_ATTEMPTS = 5;

    private long firstBpfMs;
    private long loadMs;

    /** How far the child had got when the signal went out, as its /proc entry showed, the child frozen. */
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
        RUNNING,
        /** as soon as the agent has a BPF object open: the load has begun, and takes a few hundred ms */
        LOAD_BEGUN
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
        for (int round = 0; round < rounds; round++) {
            phases.merge(killRound(round, ROTATION[round % ROTATION.length], random, orphansBefore), 1,
                    Integer::sum);
        }
        boolean everyMoment = rounds >= ROTATION.length;
        // random moments may all miss the load (a load faster than calibrated): then kill as soon as it begins,
        // a few times at most, so that a kill while loading is certain to have been tried
        for (int more = 0; everyMoment && !killedWhileLoading(phases) && more < LOAD_ATTEMPTS; more++) {
            phases.merge(killRound(rounds + more, When.LOAD_BEGUN, random, orphansBefore), 1, Integer::sum);
        }
        System.out.println("KillUnderLoadIT: start to first BPF object " + firstBpfMs + " ms, load " + loadMs
                + " ms; kills by phase " + phases);
        if (everyMoment) {
            assertTrue(phases.getOrDefault(Phase.RUNNING, 0) > 0, "killed while running: " + phases);
            assertTrue(killedWhileLoading(phases), "killed while loading or attaching: " + phases);
        }
        aNewAgentCountsExactly();
    }

    /**
     * One child in a cgroup of its own, frozen and killed at the moment {@code when} says; the phase it was
     * killed in, after checking that it left no program and no cgroup.
     */
    private Phase killRound(int round, When when, Random random, Set<Long> orphansBefore) throws Exception {
        Path cgroupDir;
        Phase phase;
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
                case LOAD_BEGUN:
                    awaitPhase(child, Phase.LOADING);
                    break;
                default:
                    // the first RUNNING round measures how long the JVM takes to reach the load and how long
                    // the load takes here, for the EARLY and DURING_LOAD rounds after it
                    long firstBpfNs = awaitPhase(child, Phase.LOADING);
                    awaitPhase(child, Phase.RUNNING);
                    if (round == 0) {
                        firstBpfMs = TimeUnit.NANOSECONDS.toMillis(firstBpfNs - startNs);
                        loadMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - firstBpfNs);
                    }
                    sleepMs(random.nextInt(500));
            }
            cgroup.freeze();
            Set<Long> loaded = new TreeSet<>();
            phase = phase(child.pid(), loaded);
            child.kill9();
            assertFalse(ProcessHandle.of(child.pid()).isPresent(), "the child is gone");
            assertEquals(Set.of(), AttachedPrograms.stillLoaded(loaded), "round " + round + ", killed while "
                    + phase + ": programs the child had loaded are still in the kernel");
        }
        assertFalse(Files.exists(cgroupDir), "round " + round + ": the test's cgroup was removed");
        assertEquals(Set.of(), AttachedPrograms.orphansSince(orphansBefore), "round " + round + ", killed while "
                + phase + ": bpfhook programs that no process holds are left in the kernel");
        return phase;
    }

    private static boolean killedWhileLoading(Map<Phase, Integer> phases) {
        return phases.getOrDefault(Phase.LOADING, 0) + phases.getOrDefault(Phase.ATTACHING, 0) > 0;
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
