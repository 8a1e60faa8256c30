package dev.bpfhook.it;

import static dev.bpfhook.testing.Events.select;
import static dev.bpfhook.testing.KernelTests.assertCount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.KernelCounters;
import dev.bpfhook.event.TcpState;
import dev.bpfhook.kernel.Hook;
import dev.bpfhook.kernel.HookSettings;
import dev.bpfhook.kernel.HookStatus;
import dev.bpfhook.kernel.KernelHooks;
import dev.bpfhook.kernel.RecordStages;
import dev.bpfhook.kernel.RingBuffer;
import dev.bpfhook.pipeline.Monitor;
import dev.bpfhook.testing.Await;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.LoopbackScripts;
import dev.bpfhook.testing.OfflineCpu;
import dev.bpfhook.testing.TestCgroup;
import dev.bpfhook.testing.TestNetworkNamespace;
import dev.bpfhook.track.ConnectionTable;
import dev.bpfhook.track.MonitorSnapshot;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The state hook stages its records per CPU and hands them to the ring eight at a time, so the ring holds a
 * connection's records out of order when its two ends live on two CPUs: the server's handshake, staged on the
 * client's CPU (loopback packets are processed where they are sent), reaches the ring after the accept made on
 * the server's CPU. The monitor must hand every record on in the order it happened, and a CPU that goes quiet
 * with records staged, or goes offline, must not keep them.
 */
class StagedRecordsKernelTest {
    /** The namespace's loopback up, then the variables that follow. */
    private static final String LOOPBACK = "ip link set lo up && export ";
    /** struct bh_event */
    private static final int EVENT_SIZE = 128;

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void recordsStagedOnTwoCpusReachTheListenersInTheOrderTheyHappened() throws Exception {
        int connections = 200;
        List<ConnectionEvent> events = Collections.synchronizedList(new ArrayList<>());
        try (TestNetworkNamespace netns = TestNetworkNamespace.create("staged");
             TestCgroup cgroup = TestCgroup.create("staged");
             Monitor monitor = start(cgroup, events)) {
            String[] out = run(netns, cgroup, "N=" + connections);
            int pid = Integer.parseInt(out[1].substring("pid ".length()));
            int port = Integer.parseInt(out[2].substring("port ".length()));

            MonitorSnapshot snapshot = Await.counters(monitor, cgroup.id(), c -> c.closed() == 2L * connections);
            KernelCounters c = snapshot.byCgroup().get(cgroup.id());
            assertCount(connections, c.connectAttempts(), "attempts");
            assertCount(connections, c.outboundEstablished(), "outbound established");
            assertCount(connections, c.inboundAccepted(), "accepted");
            assertCount(2L * connections, c.closed(), "closed");
            assertCount(snapshot.kernelStats().eventsSubmitted(), snapshot.eventsReceived(), "events received");
            assertCount(6L * connections, snapshot.eventsReceived(), "six records per loopback connection");
            assertCount(0, snapshot.open().size(), "connections left open in the table: " + snapshot.open());

            List<ConnectionEvent> all;
            synchronized (events) {
                all = new ArrayList<>(events);
            }
            for (int i = 1; i < all.size(); i++) {
                assertTrue(all.get(i - 1).timestampNs() <= all.get(i).timestampNs(),
                        "event " + i + " before the one ahead of it: " + all.get(i - 1) + " then " + all.get(i));
            }
            // the accept is completed from the server's handshake, which must have come first
            List<ConnectionEvent> accepts = select(all, e -> e.kind() == EventKind.ACCEPT);
            assertEquals(connections, accepts.size(), "accepts");
            for (ConnectionEvent accept : accepts) {
                assertEquals(pid, accept.pid(), "the accepting process: " + accept);
                assertEquals(port, accept.local() == null ? 0 : accept.local().getPort(), "its local port: " + accept);
            }
            Map<Long, List<ConnectionEvent>> bySocket = new HashMap<>();
            for (ConnectionEvent e : all) {
                bySocket.computeIfAbsent(e.socketCookie(), k -> new ArrayList<>()).add(e);
            }
            assertEquals(2 * connections, bySocket.size(), "sockets");
            for (List<ConnectionEvent> socket : bySocket.values()) {
                assertEquals(3, socket.size(), "records of one socket: " + socket);
                assertEquals(TcpState.CLOSE, socket.get(2).newState(), "a socket's close comes last: " + socket);
            }
        }
    }

    @Test
    void aCpuThatGoesQuietHandsOverWhatItStagedWithinAPoll() throws Exception {
        List<ConnectionEvent> events = Collections.synchronizedList(new ArrayList<>());
        try (TestNetworkNamespace netns = TestNetworkNamespace.create("quiet");
             TestCgroup cgroup = TestCgroup.create("quiet");
             Monitor monitor = start(cgroup, events)) {
            run(netns, cgroup, "N=1"); // five state records, fewer than a stage holds: none fills a stage

            // no flush() here: the monitor's own reading must fetch them
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (events.size() < 6 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(6, events.size(), "the connection's records, without a flush asked for: " + events);
        }
    }

    /**
     * The agent cannot run the flush program on an offline CPU: the kernel flushes its stage once it is dead
     * (the hotplug flush, on the raw tracepoint cpuhp_enter), or its records would wait until it is back. No
     * monitor reads here, so nothing else flushes: the records reach the ring only through that.
     */
    @Test
    void aCpuTakenOfflineHandsOverWhatItStaged() throws Exception {
        try (OfflineCpu cpu = OfflineCpu.lastCpu();
             TestNetworkNamespace netns = TestNetworkNamespace.create("offline");
             TestCgroup cgroup = TestCgroup.create("offline")) {
            KernelHooks hooks = KernelHooks.start(settings(cgroup));
            try {
                assertStaged(hooks.hooks());
                RingBuffer ring = hooks.ringBuffer();
                RecordStages stages = hooks.stages().orElseThrow();
                run(netns, cgroup, onOneCpu(cpu.number()));

                assertEquals(List.of(1), eventsPerRingRecord(ring), "in the ring: the accept's record");
                assertTrue(stages.anyStaged(), "the state hook's five records staged on CPU " + cpu.number());

                cpu.takeOffline();
                assertEquals(List.of(5), eventsPerRingRecord(ring), "in the ring now: the stage's five, in one record");
                assertFalse(stages.anyStaged(), "nothing left staged");
            } finally {
                hooks.close();
            }
        }
    }

    /**
     * Where the hotplug flush is not attached, an offline CPU keeps its records: the reader holds the others'
     * back for them (the flush may be on its way) for a second at most, then goes on without them; they come
     * when the CPU is back.
     */
    @Test
    void withoutTheHotplugFlushAnOfflineCpuHoldsTheOthersBackForASecondAtMost() throws Exception {
        try (OfflineCpu cpu = OfflineCpu.lastCpu();
             TestNetworkNamespace netns = TestNetworkNamespace.create("offline-held");
             TestCgroup cgroup = TestCgroup.create("offline-held")) {
            KernelHooks hooks = KernelHooks.start(settings(cgroup).withoutTiers(Set.of(KernelHooks.NO_HOTPLUG_FLUSH)));
            try {
                HookStatus state = stateHook(hooks.hooks());
                assertEquals(List.of("records staged per CPU (a CPU taken offline keeps its staged records until it "
                        + "is back: disabled by configuration)"), state.notes(), state.toString());
                RingBuffer ring = hooks.ringBuffer();
                RecordStages stages = hooks.stages().orElseThrow();
                run(netns, cgroup, onOneCpu(cpu.number()));
                long[] acceptTime = new long[1];
                ring.read((buffer, offset, length, position) -> acceptTime[0] = buffer.getLong(offset));
                ring.release(ring.readPosition());

                cpu.takeOffline();
                long now = System.nanoTime();
                assertTrue(stages.completeBefore(now) < acceptTime[0],
                        "the connect, staged on the offline CPU before the accept, holds the accept back");
                assertTrue(stages.anyStaged(), "still staged on the offline CPU");
                long later = now + RecordStages.OFFLINE_WAIT_NS;
                assertEquals(later - RecordStages.VISIBILITY_NS, stages.completeBefore(later),
                        "a second on, the others no longer wait");

                cpu.close(); // back online: the agent flushes it again
                stages.completeBefore(System.nanoTime() + RecordStages.OFFLINE_WAIT_NS);
                assertEquals(List.of(5), eventsPerRingRecord(ring), "the five staged records, once the CPU is back");
            } finally {
                hooks.close();
            }
        }
    }

    /**
     * As the agent runs, a CPU's records are staged only while it makes them fast enough to fill a stage before
     * it would be flushed (a flush interrupts the CPU): a few connections' records go straight to the ring, a
     * churn's are staged, and once the churn ended the CPU's records go straight to the ring again.
     */
    @Test
    void aCpuIsStagedOnlyWhileItMakesRecordsFast() throws Exception {
        int cpuNumber = OfflineCpu.lastOnline(); // records of a process pinned there are made there
        try (TestNetworkNamespace netns = TestNetworkNamespace.create("by-rate");
             TestCgroup cgroup = TestCgroup.create("by-rate")) {
            KernelHooks hooks = KernelHooks.start(byRate(cgroup));
            try {
                assertStaged(hooks.hooks());
                RingBuffer ring = hooks.ringBuffer();
                RecordStages stages = hooks.stages().orElseThrow();
                String oneCpu = onOneCpu(cpuNumber);

                // a few connections, a reader looking as the monitor does: nothing staged
                lookFor(stages, ring, 100, new ArrayList<>()); // the first look only notes the counts
                run(netns, cgroup, oneCpu + " N=3");
                List<Integer> few = lookFor(stages, ring, 100, new ArrayList<>());
                assertEquals(Collections.nCopies(18, 1), few, "three connections: each record on its own");

                // a churn: staged within a look or two
                int churn = 3000;
                Process load = netns.startPython(cgroup, LOOPBACK + oneCpu + " N=" + churn, LoopbackScripts.CONNECTIONS);
                List<Integer> fast = new ArrayList<>();
                try {
                    long deadline = System.nanoTime() + 60_000_000_000L;
                    while (load.isAlive() && System.nanoTime() < deadline) {
                        lookFor(stages, ring, 20, fast);
                    }
                } finally {
                    load.destroyForcibly();
                }
                assertEquals(0, load.waitFor(), "the churn's exit, within a minute");
                lookFor(stages, ring, 100, fast); // what the churn left staged, flushed for its age
                assertEquals(6 * churn, fast.stream().mapToInt(Integer::intValue).sum(), "every record of the churn");
                assertTrue(fast.contains(8), "stages of eight in the ring: " + fast.subList(0, Math.min(fast.size(), 50)));

                // the churn ended: one more connection's records go on their own
                run(netns, cgroup, oneCpu + " N=1");
                assertEquals(Collections.nCopies(6, 1), lookFor(stages, ring, 100, new ArrayList<>()),
                        "after the churn, each record on its own");
            } finally {
                hooks.close();
            }
        }
    }

    /**
     * Reads the ring as the monitor does for {@code millis}: a look at the stages (which chooses the staged
     * CPUs and flushes the stages that waited), then a read, every 5 ms. Adds to {@code counts} how many
     * records each ring record held.
     */
    private static List<Integer> lookFor(RecordStages stages, RingBuffer ring, long millis, List<Integer> counts)
            throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000;
        do {
            stages.completeBefore(System.nanoTime());
            counts.addAll(eventsPerRingRecord(ring));
            ring.release(ring.readPosition());
            Thread.sleep(5);
        } while (System.nanoTime() < end);
        return counts;
    }

    /** How many records each ring record after those read before holds (a stage's come in one). */
    private static List<Integer> eventsPerRingRecord(RingBuffer ring) {
        List<Integer> counts = new ArrayList<>();
        ring.read((buffer, offset, length, position) -> counts.add(length / EVENT_SIZE));
        return counts;
    }

    /** Every CPU's records staged, however few: these tests make a few connections. */
    private static HookSettings settings(TestCgroup cgroup) throws Exception {
        return byRate(cgroup).withoutTiers(Set.of(KernelHooks.NO_STAGING_BY_RATE));
    }

    /** As the agent runs: a CPU's records staged only while it makes them fast enough. */
    private static HookSettings byRate(TestCgroup cgroup) throws Exception {
        return new HookSettings(cgroup.directory(), cgroup.id(), cgroup.level(), 4 << 20, 4096, false);
    }

    /** A monitor of the cgroup whose events go to {@code events}; its state hook stages its records. */
    private static Monitor start(TestCgroup cgroup, List<ConnectionEvent> events) throws Exception {
        Monitor monitor = Monitor.start(settings(cgroup), new ConnectionTable(4096, 1024), List.of(events::add));
        try {
            assertStaged(monitor.hooks());
            return monitor;
        } catch (AssertionError e) {
            monitor.close(); // nothing left attached
            throw e;
        }
    }

    private static void assertStaged(List<HookStatus> hooks) {
        HookStatus state = stateHook(hooks);
        assertEquals(List.of("records staged per CPU"), state.notes(), "the state hook stages its records: " + state);
    }

    private static HookStatus stateHook(List<HookStatus> hooks) {
        return hooks.stream().filter(h -> h.hook() == Hook.TCP_STATE).findFirst().orElseThrow();
    }

    /** Client and server on one CPU: every record of their connections is made there. */
    private static String onOneCpu(int cpu) {
        return "CLIENT_CPU=" + cpu + " SERVER_CPU=" + cpu;
    }

    /** Runs LoopbackScripts.CONNECTIONS with these variables ("N=3 CLIENT_CPU=1"): "exit 0", its pid, its port. */
    private static String[] run(TestNetworkNamespace netns, TestCgroup cgroup, String variables) throws Exception {
        String out = netns.python(cgroup, LOOPBACK + variables, LoopbackScripts.CONNECTIONS);
        String[] lines = out.split("\n");
        assertEquals(3, lines.length, out);
        assertEquals("exit 0", lines[0], out);
        return lines;
    }
}
