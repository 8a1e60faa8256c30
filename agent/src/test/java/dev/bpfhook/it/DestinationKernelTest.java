package dev.bpfhook.it;

import static dev.bpfhook.testing.KernelTests.assertCount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.destination.Destination;
import dev.bpfhook.destination.DestinationSettings;
import dev.bpfhook.destination.Destinations;
import dev.bpfhook.destination.HistogramSnapshot;
import dev.bpfhook.event.ConnectFailure;
import dev.bpfhook.kernel.HookSettings;
import dev.bpfhook.pipeline.Monitor;
import dev.bpfhook.testing.Await;
import dev.bpfhook.testing.AttachedPrograms;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.LoopbackTraffic;
import dev.bpfhook.testing.TestCgroup;
import dev.bpfhook.track.ConnectionTable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Destinations from real connections in a test cgroup: latencies the test controls land in the
 * right histogram buckets with exact counts, failures by reason, lifetimes, the pooling rule, and
 * the bound on destinations.
 */
class DestinationKernelTest {
    private static final int FAST = 20;
    private static final int REFUSED = 3;
    /** 2^19 us: far above a loopback handshake, far below the ~1 s of a SYN the kernel retransmits. */
    private static final long HALF_SECOND_US = 1L << 19;

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void latenciesFailuresAndLifetimesAreExactPerDestination() throws Exception {
        DestinationSettings settings = new DestinationSettings(50, HALF_SECOND_US, 1000, 1000);
        inCgroup("dest-latency", settings, monitor -> {
            int fastPort;
            int slowPort;
            int refusedPort;
            // the fast server and the refusing port held until the slow server is gone: a listener opened after
            // another closed can get its port (listeners reuse addresses), and two would be one destination
            try (LoopbackTraffic.Server fast = new LoopbackTraffic.Server(LoopbackTraffic.IPV4);
                 SocketChannel closed = LoopbackTraffic.closedPort(LoopbackTraffic.IPV4)) {
                fastPort = fast.port();
                refusedPort = ((InetSocketAddress) closed.getLocalAddress()).getPort();
                for (int i = 0; i < FAST; i++) {
                    LoopbackTraffic.exchange(fast, LoopbackTraffic.IPV4, new byte[10], 20);
                }
                slowPort = LoopbackTraffic.slowConnect(LoopbackTraffic.IPV4); // 3 connects, 1 waits for its resent SYN
                for (int i = 0; i < REFUSED; i++) {
                    LoopbackTraffic.refusedConnect(LoopbackTraffic.IPV4, refusedPort);
                }
            }

            Destinations all = await(monitor, d -> outbound(d, fastPort).closed() == FAST
                    && outbound(d, slowPort).closed() == 3 && outbound(d, refusedPort).failedTotal() == REFUSED);

            Destination fast = outbound(all, fastPort);
            assertCount(FAST, fast.attempts(), "connect() calls");
            assertCount(FAST, fast.established(), "established");
            assertCount(FAST, fast.closed(), "closed");
            assertCount(0, fast.active(), "active");
            assertCount(10L * FAST, fast.bytesSent(), "payload sent");
            assertCount(20L * FAST, fast.bytesReceived(), "payload received");
            assertCount(FAST, fast.connectLatencyUs().count(), "latencies");
            assertCount(0, above(fast.connectLatencyUs(), HALF_SECOND_US), "loopback handshakes under 0.5 s");
            assertCount(FAST, fast.lifetimeMs().count(), "lifetimes");
            assertCount(0, fast.slowConnects(), "slow connects");

            Destination slow = outbound(all, slowPort);
            assertCount(3, slow.established(), "two fillers and the slow one");
            HistogramSnapshot latency = slow.connectLatencyUs();
            assertCount(3, latency.count(), "latencies");
            // the kernel retransmits a dropped SYN after its initial RTO of 1 s: between 2^19 and 2^21 us
            assertCount(1, above(latency, HALF_SECOND_US), "the connect whose first SYN was dropped");
            assertCount(0, above(latency, 1L << 21), "retried once, after about a second");
            assertCount(1, slow.slowConnects(), "over the 0.5 s threshold");

            Destination refused = outbound(all, refusedPort);
            assertCount(REFUSED, refused.failedTotal(), "failed");
            assertCount(REFUSED, refused.failed().get(ConnectFailure.REFUSED), "refused");
            assertCount(0, refused.established(), "established");

            Destination inbound = inbound(all, fastPort);
            assertCount(FAST, inbound.established(), "accepted by the kernel");
            assertCount(FAST, inbound.closed(), "closed");
            assertCount(FAST, inbound.acceptWaitUs().count(), "accept() calls timed");
        });
    }

    @Test
    void aNewConnectionPerRequestIsFlaggedAPooledConnectionIsNot() throws Exception {
        int requests = 40;
        DestinationSettings settings = new DestinationSettings(50, HALF_SECOND_US, 30, 1000);
        inCgroup("dest-churn", settings, monitor -> {
            int perRequestPort;
            int pooledPort;
            // held until the pooled server is gone, which could otherwise get its port
            try (LoopbackTraffic.Server perRequest = new LoopbackTraffic.Server(LoopbackTraffic.IPV4)) {
                perRequestPort = perRequest.port();
                for (int i = 0; i < requests; i++) {
                    LoopbackTraffic.exchange(perRequest, LoopbackTraffic.IPV4, new byte[10], 10);
                }
                pooledPort = pooledRequests(requests);
            }

            Destinations all = await(monitor, d -> outbound(d, perRequestPort).closed() == requests
                    && outbound(d, pooledPort).closed() == 1);
            assertTrue(outbound(all, perRequestPort).churning(), "40 new connections, each short-lived");
            assertFalse(outbound(all, pooledPort).churning(), "one connection for all 40 requests");
            assertCount(requests, outbound(all, perRequestPort).newLastMinute(), "new in the last minute");
        });
    }

    @Test
    void moreDestinationsThanTheTopAreFoldedIntoOtherWithNothingLost() throws Exception {
        DestinationSettings settings = new DestinationSettings(50, HALF_SECOND_US, 1000, 1000);
        inCgroup("dest-top", settings, monitor -> {
            int[] perServer = {4, 1, 3, 2};
            List<Integer> ports = new ArrayList<>();
            // all open until the last is done: a server opened after another closed could get its port
            List<LoopbackTraffic.Server> servers = new ArrayList<>();
            try {
                for (int connections : perServer) {
                    LoopbackTraffic.Server server = new LoopbackTraffic.Server(LoopbackTraffic.IPV4);
                    servers.add(server);
                    ports.add(server.port());
                    for (int i = 0; i < connections; i++) {
                        LoopbackTraffic.exchange(server, LoopbackTraffic.IPV4, new byte[1], 1);
                    }
                }
            } finally {
                for (LoopbackTraffic.Server server : servers) {
                    try {
                        server.close();
                    } catch (IOException e) {
                        // the others still close; the test's subject is the destinations
                    }
                }
            }
            await(monitor, d -> d.outbound().stream().mapToLong(Destination::closed).sum() == 10);
            // folded now, all at once: while traffic runs, the once-a-second ranking may fold a destination
            // that is still growing, and which ones stay would depend on timing
            monitor.destinations().setTop(2);
            Destinations all = monitor.destinations().snapshot();

            assertEquals(3, all.outbound().size(), "two kept and other: " + labels(all));
            assertEquals(ports.get(0), all.outbound().get(0).key().port(), "most connections first");
            assertEquals(ports.get(2), all.outbound().get(1).key().port());
            assertTrue(all.outbound().get(2).key().isOther());
            assertCount(1 + 2, all.outbound().get(2).established(), "the rest, in other");
            assertCount(2 + 2, all.folded(), "destinations folded: two outbound, and their two inbound ports");
            assertEquals(3, all.inbound().size(), "inbound is bounded the same way: " + all.inbound());
        });
    }

    // ------------------------------------------------------------------ scenarios

    /** {@code requests} request/response pairs over one connection; returns the server's port. */
    private static int pooledRequests(int requests) throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 10, LoopbackTraffic.IPV4)) {
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<?> server = pool.submit(() -> {
                    try (Socket s = listener.accept(); InputStream in = s.getInputStream();
                         OutputStream out = s.getOutputStream()) {
                        int b;
                        while ((b = in.read()) >= 0) {
                            out.write(b);
                        }
                    }
                    return null;
                });
                try (Socket client = new Socket(LoopbackTraffic.IPV4, listener.getLocalPort())) {
                    for (int i = 0; i < requests; i++) {
                        client.getOutputStream().write(i);
                        if (client.getInputStream().read() != (i & 0xff)) {
                            throw new IllegalStateException("echo");
                        }
                    }
                }
                server.get(10, TimeUnit.SECONDS);
            } finally {
                pool.shutdownNow();
            }
            return listener.getLocalPort();
        }
    }

    // ------------------------------------------------------------------ helpers

    private interface Scenario {
        void run(Monitor monitor) throws Exception;
    }

    private static void inCgroup(String label, DestinationSettings settings, Scenario scenario) throws Exception {
        Set<Long> programsBefore = AttachedPrograms.ours();
        try (TestCgroup cgroup = TestCgroup.create(label)) {
            cgroup.enter();
            try {
                HookSettings hooks = new HookSettings(cgroup.directory(), cgroup.id(), cgroup.level(), 1 << 20, 4096,
                        true);
                try (Monitor monitor = Monitor.start(hooks, new ConnectionTable(4096, 1024), settings,
                        Collections.emptyList())) {
                    scenario.run(monitor);
                }
            } finally {
                cgroup.leave();
            }
        }
        assertEquals(Set.of(), AttachedPrograms.leftOver(programsBefore), "bpfhook programs left in the kernel");
    }

    private static Destinations await(Monitor monitor, java.util.function.Predicate<Destinations> done)
            throws InterruptedException {
        Destinations[] last = new Destinations[1];
        Await.until(() -> {
            last[0] = monitor.destinations().snapshot();
            try {
                return done.test(last[0]);
            } catch (AssertionError notYet) {
                return false;
            }
        }, "destinations complete");
        return last[0];
    }

    private static Destination outbound(Destinations all, int port) {
        return all.outbound().stream().filter(d -> !d.key().isOther() && d.key().port() == port).findFirst()
                .orElseThrow(() -> new AssertionError("no outbound destination :" + port + " in " + labels(all)));
    }

    private static Destination inbound(Destinations all, int port) {
        return all.inbound().stream().filter(d -> !d.key().isOther() && d.key().port() == port).findFirst()
                .orElseThrow(() -> new AssertionError("no inbound destination *:" + port));
    }

    private static long above(HistogramSnapshot h, long boundUs) {
        int bucket = 0;
        while (h.upperBound(bucket) < boundUs) {
            bucket++;
        }
        return h.count() - h.cumulative(bucket);
    }

    private static List<String> labels(Destinations all) {
        List<String> labels = new ArrayList<>();
        all.outbound().forEach(d -> labels.add(d.key().label()));
        return labels;
    }
}
