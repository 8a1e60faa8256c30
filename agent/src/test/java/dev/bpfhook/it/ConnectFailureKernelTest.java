package dev.bpfhook.it;

import static dev.bpfhook.testing.Events.select;
import static dev.bpfhook.testing.KernelTests.assertCount;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bpfhook.event.ConnectFailure;
import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.KernelCounters;
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
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A connect that fails after its SYN went out, for each reason the kernel can give it, made for real in a
 * network namespace of the test's own: the failure is counted once, under its reason and no other, and its
 * event carries the socket's errno as the connection closed. (MonitorKernelTest covers refused and closed locally.)
 *
 * <p>Reset: no connect on Linux goes from SYN_SENT to CLOSE with ECONNRESET. A reset that answers the SYN gives
 * ECONNREFUSED, and no ICMP error gives ECONNRESET; only a simultaneous open reset in SYN_RECV does, which a
 * test here makes with a socket connected to itself. A connect(AF_UNSPEC) while the SYN waits does give the
 * application ECONNRESET, but the kernel sets it after the change to CLOSE: closed locally, as it should be
 * (this host ended the attempt), which a test here shows.
 */
class ConnectFailureKernelTest {
    /** An address routed to the namespace's loopback that is not its own: a SYN to it gets no answer. */
    private static final String SILENT = "10.99.0.1";
    /** On a veth of the namespace, whose other end has no address: nobody answers its ARP requests. */
    private static final String NO_NEIGHBOUR = "10.99.1.2";
    private static final int PORT = 80;

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    /**
     * Nothing answers the SYN, and the kernel gives up after its retransmission: ETIMEDOUT. The socket
     * allows one retransmission and a user timeout of 0.3 s, so that this takes about 1 s, not 2 minutes.
     */
    @Test
    void aConnectWhoseSynsAreNeverAnsweredTimesOut() throws Exception {
        String connect = "import errno, os, socket\n"
                + "print('pid', os.getpid())\n"
                + "s = socket.socket()\n"
                + "s.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, 1)\n"
                + "s.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, 300)\n"
                + "try:\n"
                + "    s.connect(('" + SILENT + "', " + PORT + "))\n"
                + "except OSError as e:\n"
                + "    print(errno.errorcode[e.errno])\n"
                + "s.close()\n";
        assertOneFailure("timed-out", "ip link set lo up && ip route add " + SILENT + " dev lo", connect,
                "ETIMEDOUT", SILENT, ConnectFailure.TIMED_OUT);
    }

    /**
     * The next hop never answers ARP: the kernel drops the waiting SYN and reports EHOSTUNREACH to the
     * connect (an ICMP host unreachable to itself). The veth gives up after one ARP request and 0.1 s, where
     * the default is three requests, 1 s apart.
     */
    @Test
    void aConnectWhoseNextHopNeverAnswersIsUnreachable() throws Exception {
        String connect = "import errno, os, socket\n"
                + "print('pid', os.getpid())\n"
                + "s = socket.socket()\n"
                + "s.settimeout(20)\n"
                + "try:\n"
                + "    s.connect(('" + NO_NEIGHBOUR + "', " + PORT + "))\n"
                + "except OSError as e:\n"
                + "    print(errno.errorcode.get(e.errno, e))\n"
                + "s.close()\n";
        String veth = "ip link set lo up && ip link add bh0 type veth peer name bh1 && ip link set bh0 up"
                + " && ip link set bh1 up && ip addr add 10.99.1.1/24 dev bh0"
                + " && sysctl -qw net.ipv4.neigh.bh0.mcast_solicit=1 net.ipv4.neigh.bh0.retrans_time_ms=100";
        assertOneFailure("unreachable", veth, connect, "EHOSTUNREACH", NO_NEIGHBOUR, ConnectFailure.UNREACHABLE);
    }

    /**
     * A connect the administrator aborts while its SYN waits for an answer ({@code ss -K}, a socket destroy):
     * ECONNABORTED, a reason of its own, counted as other.
     */
    @Test
    void aConnectAbortedBySocketDestroyIsOther() throws Exception {
        String connect = "import errno, os, select, socket, subprocess\n"
                + "print('pid', os.getpid())\n"
                + "s = socket.socket()\n"
                + "s.setblocking(False)\n"
                + "assert s.connect_ex(('" + SILENT + "', " + PORT + ")) == errno.EINPROGRESS\n"
                + "subprocess.run(['ss', '-K', '-t', 'state', 'syn-sent', 'dst', '" + SILENT + "'],"
                + " stdout=subprocess.DEVNULL, check=True)\n"
                + "select.select([], [s], [], 20)\n"
                + "print(errno.errorcode.get(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))\n"
                + "s.close()\n";
        assertOneFailure("aborted", "ip link set lo up && ip route add " + SILENT + " dev lo", connect,
                "ECONNABORTED", SILENT, ConnectFailure.OTHER);
    }

    /**
     * The application disconnects (connect with AF_UNSPEC) while its SYN waits for an answer: it gets
     * ECONNRESET, but no peer reset anything, and the kernel side sees no errno at the change to CLOSE.
     */
    @Test
    void aConnectTheApplicationDisconnectsIsClosedLocallyThoughItSeesReset() throws Exception {
        String connect = "import ctypes, errno, os, socket\n"
                + "print('pid', os.getpid())\n"
                + "s = socket.socket()\n"
                + "s.setblocking(False)\n"
                + "assert s.connect_ex(('" + SILENT + "', " + PORT + ")) == errno.EINPROGRESS\n"
                + "unspecified = (ctypes.c_ubyte * 16)()\n" // a struct sockaddr of family 0, AF_UNSPEC
                + "assert ctypes.CDLL(None, use_errno=True).connect(s.fileno(), unspecified, 16) == 0\n"
                + "print(errno.errorcode.get(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))\n"
                + "s.close()\n";
        assertOneFailure("disconnected", "ip link set lo up && ip route add " + SILENT + " dev lo", connect,
                "ECONNRESET", SILENT, ConnectFailure.CLOSED_LOCALLY);
    }

    /**
     * A simultaneous open reset in SYN_RECV: the one connect the kernel fails with ECONNRESET. A socket
     * connected to itself answers its own SYN (SYN_SENT to SYN_RECV, as in a simultaneous open), and a socket
     * filter drops the SYN-ACK it then sends itself, so that it stays in SYN_RECV. A reset made by hand on a raw
     * socket, at the sequence number the socket expects next (an exact one: RFC 5961), ends it. The script
     * learns that number from its SYN, captured on the namespace's loopback.
     */
    @Test
    void aSimultaneousOpenResetInSynRecvIsReset() throws Exception {
        String connect = SocketFilters.PYTHON_ATTACH
                + "import errno, os, select, time\n"
                + "print('pid', os.getpid())\n"
                + "capture = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))\n"
                + "capture.bind(('lo', 0))\n"
                + "capture.settimeout(10)\n"
                + "s = socket.socket()\n"
                // ldb [13] (the TCP flags); and #0x12 (SYN|ACK); jeq #0x12: drop, else keep
                + "attach(s, [(0x30, 0, 0, 13), (0x54, 0, 0, 0x12), (0x15, 0, 1, 0x12), (0x06, 0, 0, 0),"
                + " (0x06, 0, 0, 0xffffffff)])\n"
                + "s.bind(('127.0.0.1', " + PORT + "))\n"
                + "s.setblocking(False)\n"
                + "assert s.connect_ex(('127.0.0.1', " + PORT + ")) == errno.EINPROGRESS\n"
                + "isn = None\n"
                + "while isn is None:\n"
                + "    ip = capture.recv(65535)\n"
                + "    tcp = (ip[0] & 15) * 4\n"
                + "    sport, dport, seq = struct.unpack_from('!HHI', ip, tcp)\n"
                + "    if ip[9] == 6 and sport == dport == " + PORT + " and ip[tcp + 13] == 0x02:\n"
                + "        isn = seq\n"
                + "deadline = time.monotonic() + 10\n"
                + "while s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] != 3:\n" // tcpi_state SYN_RECV
                + "    assert time.monotonic() < deadline, 'the socket never reached SYN_RECV'\n"
                + "    time.sleep(0.01)\n"
                + "def checksum(data):\n"
                + "    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))\n"
                + "    total = (total >> 16) + (total & 0xffff)\n"
                + "    return ~(total + (total >> 16)) & 0xffff\n"
                + "rst = struct.pack('!HHIIBBHHH', " + PORT + ", " + PORT + ", (isn + 1) & 0xffffffff, 0, 5 << 4,"
                + " 0x04, 0, 0, 0)\n"
                + "local = socket.inet_aton('127.0.0.1')\n"
                + "pseudo = local + local + struct.pack('!BBH', 0, socket.IPPROTO_TCP, len(rst))\n"
                + "rst = rst[:16] + struct.pack('!H', checksum(pseudo + rst)) + rst[18:]\n"
                + "raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)\n"
                + "raw.sendto(rst, ('127.0.0.1', 0))\n"
                + "select.select([], [s], [], 10)\n"
                + "print(errno.errorcode.get(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))\n"
                + "s.close()\n";
        assertOneFailure("reset", "ip link set lo up", connect, "ECONNRESET", "127.0.0.1", ConnectFailure.RESET);
    }

    /**
     * Runs {@code connect} (a Python script that prints its pid, makes one connect to {@code address} and
     * prints the errno's name) in a namespace of its own after {@code setup}, and checks that the application
     * saw {@code errno} and the monitor counted and reported one failed connect for {@code reason}.
     */
    private static void assertOneFailure(String label, String setup, String connect, String errno, String address,
            ConnectFailure reason) throws Exception {
        List<ConnectionEvent> events = Collections.synchronizedList(new ArrayList<>());
        try (TestNetworkNamespace netns = TestNetworkNamespace.create(label);
             TestCgroup cgroup = TestCgroup.create(label);
             Monitor monitor = Monitor.start(settings(cgroup), new ConnectionTable(4096, 1024), List.of(events::add))) {
            String out = netns.python(cgroup, setup, connect);
            String[] lines = out.split("\n");
            assertEquals(3, lines.length, out);
            assertEquals("exit 0", lines[0], out);
            assertEquals(errno, lines[2], "what the application got: " + out);
            int pid = Integer.parseInt(lines[1].substring("pid ".length()));

            MonitorSnapshot snapshot = Await.counters(monitor, cgroup.id(), c -> c.failedConnects() == 1);
            KernelCounters c = snapshot.byCgroup().get(cgroup.id());
            assertCount(1, c.connectAttempts(), "attempts");
            assertCount(1, c.failedConnects(), "failed connects");
            for (ConnectFailure r : ConnectFailure.values()) {
                assertCount(r == reason ? 1 : 0, c.failed(r), "failed connects " + r.text());
            }
            assertCount(0, c.outboundEstablished(), "established");
            assertCount(0, c.closed(), "closed after established");
            assertCount(0, c.activeConnections(), "active connections");
            assertCount(0, snapshot.open().size(), "connections left open in the table");

            InetSocketAddress remote = new InetSocketAddress(address, PORT);
            List<ConnectionEvent> connects = select(events, e -> e.kind() == EventKind.CONNECT);
            assertEquals(1, connects.size(), "connect events: " + events);
            assertEquals(remote, connects.get(0).remote());
            assertEquals(pid, connects.get(0).pid(), "the connecting process");
            List<ConnectionEvent> failed = select(events, ConnectionEvent::isFailedConnect);
            assertEquals(1, failed.size(), "failed-connect events: " + events);
            assertEquals(remote, failed.get(0).remote());
            assertEquals(reason, ConnectFailure.ofErrno(failed.get(0).error()), "errno " + failed.get(0).error());
            assertEquals(connects.get(0).socketCookie(), failed.get(0).socketCookie(), "the same socket");
        }
    }

    private static HookSettings settings(TestCgroup cgroup) throws IOException {
        return new HookSettings(cgroup.directory(), cgroup.id(), cgroup.level(), 1 << 20, 4096, false);
    }
}
