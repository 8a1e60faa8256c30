package dev.bpfhook.it;

import static dev.bpfhook.testing.Events.select;
import static dev.bpfhook.testing.KernelTests.assertCount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.KernelCounters;
import dev.bpfhook.event.TcpState;
import dev.bpfhook.kernel.Hook;
import dev.bpfhook.kernel.HookSettings;
import dev.bpfhook.kernel.HookStatus;
import dev.bpfhook.pipeline.Monitor;
import dev.bpfhook.testing.Await;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.TestCgroup;
import dev.bpfhook.testing.TestNetworkNamespace;
import dev.bpfhook.track.ConnectionTable;
import dev.bpfhook.track.MonitorSnapshot;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The state hook stages its records per CPU and hands them to the ring eight at a time, so the ring holds a
 * connection's records out of order when its two ends live on two CPUs: the server's handshake, staged on the
 * client's CPU (loopback packets are processed where they are sent), reaches the ring after the accept made on
 * the server's CPU. The monitor must hand every record on in the order it happened, and a CPU that goes quiet
 * with records staged must not keep them.
 */
class StagedRecordsKernelTest {
    /** A client pinned to the first CPU, a server to the last: N loopback connections with 16 bytes each way. */
    private static final String CLIENT_AND_SERVER = "import os, socket, threading\n"
            + "cpus = sorted(os.sched_getaffinity(0))\n"
            + "N = int(os.environ.get('N', '1'))\n"
            + "server = socket.socket()\n"
            + "server.bind(('127.0.0.1', 0))\n"
            + "server.listen(128)\n"
            + "port = server.getsockname()[1]\n"
            + "def serve():\n"
            + "    os.sched_setaffinity(0, {cpus[-1]})\n"
            + "    for _ in range(N):\n"
            + "        c, _ = server.accept()\n"
            + "        c.recv(16)\n"
            + "        c.sendall(b'y' * 16)\n"
            + "        c.close()\n"
            + "t = threading.Thread(target=serve)\n"
            + "t.start()\n"
            + "os.sched_setaffinity(0, {cpus[0]})\n"
            + "for _ in range(N):\n"
            + "    c = socket.create_connection(('127.0.0.1', port))\n"
            + "    c.sendall(b'x' * 16)\n"
            + "    c.recv(16)\n"
            + "    c.close()\n"
            + "t.join()\n"
            + "print('pid', os.getpid())\n"
            + "print('port', port)\n";

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
            String[] out = run(netns, cgroup, connections);
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
            run(netns, cgroup, 1); // five state records, fewer than a stage holds: none fills a stage

            // no flush() here: the monitor's own reading must fetch them
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (events.size() < 6 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(6, events.size(), "the connection's records, without a flush asked for: " + events);
        }
    }

    /** A monitor of the cgroup whose events go to {@code events}; its state hook stages its records. */
    private static Monitor start(TestCgroup cgroup, List<ConnectionEvent> events) throws Exception {
        Monitor monitor = Monitor.start(new HookSettings(cgroup.directory(), cgroup.id(), cgroup.level(), 1 << 20, 4096,
                false), new ConnectionTable(4096, 1024), List.of(events::add));
        try {
            assertStaged(monitor);
            return monitor;
        } catch (AssertionError e) {
            monitor.close(); // nothing left attached
            throw e;
        }
    }

    private static void assertStaged(Monitor monitor) {
        HookStatus state = monitor.hooks().stream().filter(h -> h.hook() == Hook.TCP_STATE).findFirst().orElseThrow();
        assertTrue(state.toString().contains("records staged per CPU"), "the state hook stages its records: " + state);
    }

    private static String[] run(TestNetworkNamespace netns, TestCgroup cgroup, int connections) throws Exception {
        String out = netns.python(cgroup, "ip link set lo up && export N=" + connections, CLIENT_AND_SERVER);
        String[] lines = out.split("\n");
        assertEquals(3, lines.length, out);
        assertEquals("exit 0", lines[0], out);
        return lines;
    }
}
