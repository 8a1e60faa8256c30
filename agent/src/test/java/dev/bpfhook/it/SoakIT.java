package dev.bpfhook.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.apps.LoadTestApp;
import dev.bpfhook.testing.AttachedPrograms;
import dev.bpfhook.testing.ChildJvm;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.TestCgroup;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Many connections through one agent-monitored JVM: the counts stay exact and nothing grows with the
 * number of connections, neither the heap (after full GCs) nor threads nor file descriptors. The suite
 * runs a short version (60,000 connections by default); the long one is
 * {@code -Dsoak.connections=1000000} (scripts/soak.sh).
 */
class SoakIT {
    /** The child JVM's answer to one step, a tenth of the connections: generous, the test stops at a hang. */
    private static final long STEP_TIMEOUT_MS = 600_000;
    private static final long TIMEOUT_MS = 30_000;
    private static final int CHECKPOINTS = 10;
    /**
     * Checkpoints that warm up: the JIT, the agent's bounded tables and what it starts lazily (a one-time
     * step of about 150 KB a few seconds in was seen here) reach their steady state.
     */
    private static final int WARM_UP = 3;
    /**
     * Heap (used after two full GCs) that may be added after the warm-up, per connection made after it.
     * A leak that keeps something of every connection keeps at least one object per connection, and no
     * Java object is smaller than 16 bytes (a 12-byte header, aligned to 8): such a leak grows the heap
     * by 16 bytes or more per connection, and a bound of 12 fails it. What legitimately differs between
     * checkpoints does not grow with connections: the agent's bounded tables are full from the warm-up
     * on (256 ended connections, the recent list), and what remains is JIT and class-loading noise,
     * measured here at 20 to 120 KB; 12 bytes per connection allows 504 KB over the 42,000 connections
     * after the warm-up of the default run, and 8.4 MB over the 700,000 of a million. A leak of one object
     * per many connections can pass: the long run (scripts/soak.sh) is the one that shows those.
     */
    private static final long HEAP_BYTES_PER_CONNECTION = 12;
    /**
     * Threads and descriptors the JVM may start or open on its own after the warm-up (JIT compiler and
     * GC worker threads come and go with load): a constant, where a leak per connection would add
     * thousands. The agent's own threads must not change at all.
     */
    private static final int THREAD_SLACK = 4;
    private static final int FD_SLACK = 4;

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void countsStayExactAndHeapThreadsAndDescriptorsStayFlat() throws Exception {
        int connections = Integer.getInteger("soak.connections", 60_000);
        int step = connections / CHECKPOINTS;
        assertTrue(step > 0, "soak.connections must be at least " + CHECKPOINTS);
        // other agents may run on this machine: what this test checks are the child's own programs
        Set<Long> orphansBefore = AttachedPrograms.orphans();
        Set<Long> loaded;
        List<Map<String, Long>> checkpoints = new ArrayList<>();
        Map<String, Long> counts;
        long startNs;
        long endNs;
        try (TestCgroup cgroup = TestCgroup.create("soak");
             ChildJvm child = ChildJvm.builder(LoadTestApp.class.getName())
                     .agent(ChildJvm.agentJar(), "").inCgroup(cgroup.directory()).start()) {
            LoadTestApp.Driver app = new LoadTestApp.Driver(child);
            assertEquals("agent RUNNING", app.ask("agent", "agent ", TIMEOUT_MS), child.describe());

            startNs = System.nanoTime();
            for (int i = 0; i < CHECKPOINTS; i++) {
                app.ask("exchanges " + step, "done exchanges", STEP_TIMEOUT_MS);
                checkpoints.add(app.askNumbers("stats", "stats", TIMEOUT_MS));
                System.out.printf("SoakIT: %d of %d connections, %s%n", (long) step * (i + 1),
                        (long) step * CHECKPOINTS, checkpoints.get(i));
            }
            endNs = System.nanoTime();
            long made = (long) step * CHECKPOINTS;
            counts = app.mbeanWhen(m -> m.get("ClosedConnections") >= 2 * made, "OutboundConnections",
                    "InboundConnections", "ClosedConnections", "TotalConnections", "ActiveConnections",
                    "TableEvictions", "EventsReceived", "DroppedEvents");

            assertEquals(made, counts.get("OutboundConnections"), "outbound: one per connection made");
            assertEquals(made, counts.get("InboundConnections"), "inbound: one per connection made");
            assertEquals(2 * made, counts.get("ClosedConnections"), "closed: both ends of every connection");
            assertEquals(2 * made, counts.get("TotalConnections"), "total: both ends of every connection");
            assertEquals(0, counts.get("ActiveConnections"), "none open at the end");
            assertEquals(0, counts.get("TableEvictions"), "the table never filled: every connection ended");

            loaded = AttachedPrograms.heldBy(child.pid());
            assertFalse(loaded.isEmpty(), "the agent's programs, held by the child");
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
        }
        Map<String, Long> baseline = checkpoints.get(WARM_UP - 1);
        Map<String, Long> last = checkpoints.get(CHECKPOINTS - 1);
        long after = (long) step * (CHECKPOINTS - WARM_UP);
        System.out.printf("SoakIT: %d connections in %.1f s (%.0f/s); events received %d, dropped in the kernel %d;"
                + " after the warm-up / at the end: heap %d / %d bytes, threads %d / %d, fds %d / %d%n",
                (long) step * CHECKPOINTS, (endNs - startNs) / 1e9, step * CHECKPOINTS / ((endNs - startNs) / 1e9),
                counts.get("EventsReceived"), counts.get("DroppedEvents"), baseline.get("heap"), last.get("heap"),
                baseline.get("threads"), last.get("threads"), baseline.get("fds"), last.get("fds"));
        long grown = last.get("heap") - baseline.get("heap");
        assertTrue(grown < HEAP_BYTES_PER_CONNECTION * after, "heap after GC grew by " + grown + " bytes over the "
                + after + " connections after the warm-up: " + checkpoints);
        for (int i = WARM_UP; i < CHECKPOINTS; i++) {
            Map<String, Long> c = checkpoints.get(i);
            String at = "at checkpoint " + (i + 1) + " of " + CHECKPOINTS + " (" + checkpoints + ")";
            assertTrue(c.get("threads") <= baseline.get("threads") + THREAD_SLACK, "threads " + at);
            assertEquals(baseline.get("agent_threads"), c.get("agent_threads"), "the agent's threads " + at);
            assertTrue(c.get("fds") <= baseline.get("fds") + FD_SLACK, "open file descriptors " + at);
        }
        assertEquals(Set.of(), AttachedPrograms.stillLoaded(loaded), "the child's programs left after it exited");
        assertEquals(Set.of(), AttachedPrograms.orphansSince(orphansBefore), "bpfhook programs no process holds");
    }
}
