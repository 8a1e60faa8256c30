package dev.bpfhook.it;

import static dev.bpfhook.testing.Events.select;
import static dev.bpfhook.testing.KernelTests.assertCount;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bpfhook.destination.Destination;
import dev.bpfhook.destination.Destinations;
import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.Direction;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.KernelCounters;
import dev.bpfhook.event.TcpState;
import dev.bpfhook.kernel.HookSettings;
import dev.bpfhook.pipeline.Monitor;
import dev.bpfhook.testing.Await;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.TestCgroup;
import dev.bpfhook.testing.TestNetworkNamespace;
import dev.bpfhook.track.ConnectionTable;
import dev.bpfhook.track.MonitorSnapshot;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A simultaneous open goes SYN_SENT -> SYN_RECV -> ESTABLISHED, with no listener and no accept. The
 * common case is a socket connected to itself: a connect to a local port nothing listens on, made from that
 * same port (which happens by chance to connects into the ephemeral port range). It is one outbound
 * connection, whose SYN_RECV is its connect's, not an accepted one: before, it counted an attempt and an
 * accepted inbound connection, and the attempt never had an outcome.
 */
class SimultaneousOpenKernelTest {
    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void aSocketConnectedToItselfIsOneOutboundConnection() throws Exception {
        String selfConnect = "import os, socket\n"
                + "print('pid', os.getpid())\n"
                + "s = socket.socket()\n"
                + "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                + "s.bind(('127.0.0.1', 0))\n"
                + "port = s.getsockname()[1]\n"
                + "s.connect(('127.0.0.1', port))\n"
                + "assert s.getpeername() == s.getsockname()\n"
                + "print('port', port)\n"
                + "s.close()\n";
        List<ConnectionEvent> events = Collections.synchronizedList(new ArrayList<>());
        try (TestNetworkNamespace netns = TestNetworkNamespace.create("self-connect");
             TestCgroup cgroup = TestCgroup.create("self-connect");
             Monitor monitor = Monitor.start(new HookSettings(cgroup.directory(), cgroup.id(), cgroup.level(), 1 << 20,
                     4096, false), new ConnectionTable(4096, 1024), List.of(events::add))) {
            String out = netns.python(cgroup, "ip link set lo up", selfConnect);
            String[] lines = out.split("\n");
            assertEquals(3, lines.length, out);
            assertEquals("exit 0", lines[0], out);
            int pid = Integer.parseInt(lines[1].substring("pid ".length()));
            int port = Integer.parseInt(lines[2].substring("port ".length()));

            MonitorSnapshot snapshot = Await.counters(monitor, cgroup.id(), c -> c.closed() == 1);
            KernelCounters c = snapshot.byCgroup().get(cgroup.id());
            assertCount(1, c.connectAttempts(), "attempts");
            assertCount(1, c.outboundEstablished(), "outbound established: the connect's outcome");
            assertCount(0, c.inboundAccepted(), "accepted: there was no listener");
            assertCount(0, c.failedConnects(), "failed connects");
            assertCount(1, c.closed(), "closed");
            assertCount(0, c.activeConnections(), "active connections");
            assertCount(0, snapshot.open().size(), "connections left open in the table");

            List<ConnectionEvent> connected = select(events, ConnectionEvent::isConnected);
            assertEquals(1, connected.size(), "connected events: " + events);
            ConnectionEvent handshake = connected.get(0);
            assertEquals(TcpState.SYN_RECV, handshake.oldState(), "a simultaneous open's handshake");
            assertEquals(Direction.OUTBOUND, handshake.direction());
            assertEquals(port, handshake.remote().getPort());
            List<ConnectionEvent> connects = select(events, e -> e.kind() == EventKind.CONNECT);
            assertEquals(1, connects.size(), "connect events: " + events);
            assertEquals(pid, connects.get(0).pid(), "the connecting process");
            assertEquals(connects.get(0).socketCookie(), handshake.socketCookie(), "the same socket");

            Destinations destinations = monitor.destinations().snapshot();
            assertEquals(List.of(), destinations.inbound(), "no inbound destination");
            assertEquals(1, destinations.outbound().size(), "outbound: " + destinations.outbound());
            Destination self = destinations.outbound().get(0);
            assertEquals("127.0.0.1:" + port, self.key().label());
            assertEquals(1, self.attempts());
            assertEquals(1, self.established());
            assertEquals(1, self.closed());
            assertEquals(0, self.active());
        }
    }
}
