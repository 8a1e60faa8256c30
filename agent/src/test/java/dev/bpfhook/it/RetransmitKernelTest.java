package dev.bpfhook.it;

import static dev.bpfhook.testing.KernelTests.assertCount;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.KernelCounters;
import dev.bpfhook.event.TcpState;
import dev.bpfhook.kernel.HookSettings;
import dev.bpfhook.pipeline.Monitor;
import dev.bpfhook.testing.Await;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.SocketFilters;
import dev.bpfhook.testing.TestCgroup;
import dev.bpfhook.testing.TestNetworkNamespace;
import dev.bpfhook.track.ConnectionTable;
import dev.bpfhook.track.MonitorSnapshot;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Retransmissions, as the kernel counted them in the socket, in the close of each end and in the cgroup's
 * counters: one exchange (a request of 100 bytes, a response of 37) in a network namespace of the test's
 * own, where a socket filter on the server drops the first transmission of one segment of the client's and
 * lets its retransmission through, whatever the timing: the client retransmits exactly once.
 *
 * <p>The filters tell the segment from its retransmission by ECN (on in the namespace): a SYN that asks for
 * ECN carries ECE, and the kernel sends its retransmission without (ECN fallback, for paths that drop such
 * SYNs); new data goes out ECN-capable (ECT in the IP header), a retransmission never does (RFC 3168).
 */
class RetransmitKernelTest {
    private static final int REQUEST = 100;
    private static final int RESPONSE = 37;
    private static final int SERVER_PORT = 8080;
    private static final int CLIENT_PORT = 40000;

    /*
     * Classic BPF socket filters, as Python tuples of struct sock_filter (code, jt, jf, k), set on the listener
     * and inherited by the connection it accepts. A TCP socket's filter sees the segment from its TCP header;
     * it returns 0 to drop it, 0xffffffff to keep it whole.
     */
    /** ldb [13] (the TCP flags); and #0x42 (SYN|ECE); jeq #0x42: drop, else keep. */
    private static final String DROP_SYN_ASKING_FOR_ECN = "[(0x30, 0, 0, 13), (0x54, 0, 0, 0x42),"
            + " (0x15, 0, 1, 0x42), (0x06, 0, 0, 0), (0x06, 0, 0, 0xffffffff)]";
    /** ldb [SKF_NET_OFF + 1] (the IP header's TOS byte); and #3 (its ECN field); jeq #0: keep, else drop. */
    private static final String DROP_ECN_CAPABLE = "[(0x30, 0, 0, 0xfff00001), (0x54, 0, 0, 3),"
            + " (0x15, 1, 0, 0), (0x06, 0, 0, 0), (0x06, 0, 0, 0xffffffff)]";

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    /** The SYN is lost once: the client retransmits it after 1 s; no payload is sent twice. */
    @Test
    void aSynLostOnceIsOneRetransmitOfTheClient() throws Exception {
        exchange("syn-lost", DROP_SYN_ASKING_FOR_ECN, "client: 1 retransmitted, 100 bytes sent, 0 of them again\n"
                + "server: 0 retransmitted, 37 bytes sent, 0 of them again\n");
    }

    /**
     * The request is lost once: the client sends its 100 bytes twice (the kernel's bytes_sent is 200), and the
     * close reports them once, as the payload the connection carried.
     */
    @Test
    void aRequestLostOnceIsOneRetransmitAndItsBytesCountOnce() throws Exception {
        exchange("data-lost", DROP_ECN_CAPABLE, "client: 1 retransmitted, 200 bytes sent, 100 of them again\n"
                + "server: 0 retransmitted, 37 bytes sent, 0 of them again\n");
    }

    /**
     * One exchange through a listener with {@code filter}; {@code kernelSays} is what the kernel's TCP_INFO
     * shows for both ends before they close. The client's close must report one retransmit, the server's none,
     * and each the payload it carried once.
     */
    private static void exchange(String label, String filter, String kernelSays) throws Exception {
        List<ConnectionEvent> events = Collections.synchronizedList(new ArrayList<>());
        try (TestNetworkNamespace netns = TestNetworkNamespace.create(label);
             TestCgroup cgroup = TestCgroup.create(label);
             Monitor monitor = Monitor.start(settings(cgroup), new ConnectionTable(4096, 1024), List.of(events::add))) {
            String ecn = "sysctl -qw net.ipv4.tcp_ecn=1 net.ipv4.tcp_ecn_fallback=1";
            String out = netns.python(cgroup, "ip link set lo up && " + ecn, script(filter));
            assertEquals("exit 0\n" + kernelSays, out, "what the kernel counted in the sockets");

            MonitorSnapshot snapshot = Await.counters(monitor, cgroup.id(), c -> c.closed() == 2);
            KernelCounters c = snapshot.byCgroup().get(cgroup.id());
            assertCount(1, c.outboundEstablished(), "established");
            assertCount(1, c.inboundAccepted(), "accepted");
            assertCount(2, c.closed(), "closed");
            assertCount(1, c.retransmits(), "retransmits, both ends");
            assertCount(REQUEST + RESPONSE, c.bytesSent(), "payload bytes sent, both ends, each once");
            assertCount(REQUEST + RESPONSE, c.bytesReceived(), "payload bytes received, both ends");

            ConnectionEvent client = close(events, CLIENT_PORT, SERVER_PORT);
            assertEquals(1, client.retransmits(), "the client's retransmits: " + client);
            assertEquals(REQUEST, client.bytesSent(), "the client's payload, once: " + client);
            assertEquals(RESPONSE, client.bytesReceived(), "the client's payload received: " + client);
            ConnectionEvent server = close(events, SERVER_PORT, CLIENT_PORT);
            assertEquals(0, server.retransmits(), "the server's retransmits: " + server);
            assertEquals(RESPONSE, server.bytesSent(), "the server's payload: " + server);
            assertEquals(REQUEST, server.bytesReceived(), "the server's payload received: " + server);
        }
    }

    /**
     * The exchange, on fixed ports (the namespace is the test's own); then what TCP_INFO says of each end:
     * tcpi_total_retrans at byte 100, tcpi_bytes_sent and tcpi_bytes_retrans at 200 and 208.
     */
    private static String script(String filter) {
        return SocketFilters.PYTHON_ATTACH
                + "def receive(sock, n):\n"
                + "    got = b''\n"
                + "    while len(got) < n:\n"
                + "        got += sock.recv(n - len(got))\n"
                + "def kernel(sock):\n"
                + "    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 216)\n"
                + "    return struct.unpack_from('I', info, 100) + struct.unpack_from('QQ', info, 200)\n"
                + "srv = socket.socket()\n"
                + "srv.bind(('127.0.0.1', " + SERVER_PORT + "))\n"
                + "attach(srv, " + filter + ")\n"
                + "srv.listen(1)\n"
                + "cli = socket.socket()\n"
                + "cli.settimeout(20)\n"
                + "cli.bind(('127.0.0.1', " + CLIENT_PORT + "))\n"
                + "cli.connect(('127.0.0.1', " + SERVER_PORT + "))\n"
                + "conn, _ = srv.accept()\n"
                + "conn.settimeout(20)\n"
                + "cli.sendall(b'q' * " + REQUEST + ")\n"
                + "receive(conn, " + REQUEST + ")\n"
                + "conn.sendall(b'r' * " + RESPONSE + ")\n"
                + "receive(cli, " + RESPONSE + ")\n"
                + "print('client: %d retransmitted, %d bytes sent, %d of them again' % kernel(cli))\n"
                + "print('server: %d retransmitted, %d bytes sent, %d of them again' % kernel(conn))\n"
                + "cli.close()\n"
                + "conn.close()\n"
                + "srv.close()\n";
    }

    /** The one STATE event to CLOSE of the end at {@code localPort}. */
    private static ConnectionEvent close(List<ConnectionEvent> events, int localPort, int remotePort) {
        List<ConnectionEvent> closes;
        synchronized (events) {
            closes = events.stream().filter(e -> e.kind() == EventKind.STATE && e.newState() == TcpState.CLOSE
                    && e.local().getPort() == localPort && e.remote().getPort() == remotePort)
                    .collect(Collectors.toList());
        }
        assertEquals(1, closes.size(), "closes of the end at port " + localPort + ": " + events);
        return closes.get(0);
    }

    private static HookSettings settings(TestCgroup cgroup) throws IOException {
        return new HookSettings(cgroup.directory(), cgroup.id(), cgroup.level(), 1 << 20, 4096, false);
    }
}
