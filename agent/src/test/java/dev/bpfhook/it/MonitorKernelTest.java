package dev.bpfhook.it;

import static dev.bpfhook.testing.Events.select;
import static dev.bpfhook.testing.KernelTests.assertCount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.container.CgroupScope;
import dev.bpfhook.event.ConnectFailure;
import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.Direction;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.EventListener;
import dev.bpfhook.event.EventRecord;
import dev.bpfhook.event.KernelCounters;
import dev.bpfhook.event.Protocol;
import dev.bpfhook.event.TcpState;
import dev.bpfhook.kernel.Hook;
import dev.bpfhook.kernel.HookSettings;
import dev.bpfhook.kernel.HookStatus;
import dev.bpfhook.kernel.KernelHooks;
import dev.bpfhook.pipeline.Monitor;
import dev.bpfhook.apps.LoadTestApp;
import dev.bpfhook.testing.AttachedPrograms;
import dev.bpfhook.testing.Await;
import dev.bpfhook.testing.ChildJvm;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.LoopbackTraffic;
import dev.bpfhook.testing.TestCgroup;
import dev.bpfhook.testing.TestNetworkNamespace;
import dev.bpfhook.track.ConnectionTable;
import dev.bpfhook.track.MonitorSnapshot;
import java.net.InetAddress;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real BPF object in the real kernel, scoped to a cgroup this test makes:
 * known loopback traffic inside it must be reported exactly, traffic outside
 * it not at all, and nothing may stay attached afterwards.
 */
class MonitorKernelTest {
    private static final int REQUEST = 100;
    private static final int RESPONSE = 37;
    private static final int IPV4_EXCHANGES = 5;
    private static final int IPV6_EXCHANGES = 3;
    private static final int REFUSED = 2;
    private static final int UDP = 2;
    private static final int OUTSIDE = 3;
    private static final int PID = (int) ProcessHandle.current().pid();

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void reportsExactlyTheConnectionsMadeInsideTheCgroup() throws Exception {
        runScenario(TestCgroup.create("core"), Collections.emptySet(), "tp_btf/inet_sock_set_state");
    }

    @Test
    void classicTracepointTierReportsTheSameNumbers() throws Exception {
        runScenario(TestCgroup.create("classic"), Set.of("tp_btf/inet_sock_set_state"),
                "tracepoint/sock/inet_sock_set_state");
    }

    @Test
    void recordsStraightToTheRingReportTheSameNumbers() throws Exception {
        // as on kernels that cannot run the flush program on a chosen CPU (before 5.10)
        runScenario(TestCgroup.create("unstaged"), Set.of(KernelHooks.NO_STAGING), "tp_btf/inet_sock_set_state");
    }

    @Test
    void acceptSyscallTierReportsTheSameNumbers() throws Exception {
        // the trampoline and kprobe tiers come first where a kernel has them: out, so that the syscalls' is chosen
        runScenario(TestCgroup.create("syscalls"), Set.of("cgroup/getpeername4+getpeername6", "fexit/inet_csk_accept",
                "kretprobe/inet_csk_accept"), "tp_btf/inet_sock_set_state");
    }

    @Test
    void watchingACgroupIncludesItsSubtree() throws Exception {
        // the JVM sits one level below the watched cgroup: the kernel's scope check walks up to it
        runScenario(TestCgroup.nested("subtree"), Collections.emptySet(), "tp_btf/inet_sock_set_state");
    }

    @Test
    void connectionsOpenBeforeTheStartAreListedCountedAndTracked() throws Exception {
        Set<Long> programsBefore = AttachedPrograms.ours();
        List<ConnectionEvent> events = Collections.synchronizedList(new ArrayList<>());
        try (TestCgroup cgroup = TestCgroup.create("existing")) {
            long cgroupId = cgroup.id();
            cgroup.enter();
            try (java.nio.channels.ServerSocketChannel listener = java.nio.channels.ServerSocketChannel.open(
                         java.net.StandardProtocolFamily.INET)) {
                listener.bind(new java.net.InetSocketAddress(LoopbackTraffic.IPV4, 0));
                SocketChannel client = SocketChannel.open(new java.net.InetSocketAddress(LoopbackTraffic.IPV4,
                        ((java.net.InetSocketAddress) listener.getLocalAddress()).getPort()));
                SocketChannel server = listener.accept();
                int clientPort = ((java.net.InetSocketAddress) client.getLocalAddress()).getPort();
                HookSettings settings = settings(cgroup, true);
                try (Monitor monitor = Monitor.start(settings, new ConnectionTable(4096, 1024), List.of(events::add))) {
                    MonitorSnapshot atStart = Await.counters(monitor, cgroupId, c -> c.preexisting() == 2);
                    KernelCounters c = atStart.byCgroup().get(cgroupId);
                    assertCount(2, c.preexisting(), "both ends of the open connection");
                    assertCount(2, c.activeConnections(), "active right from the start");
                    assertCount(2, atStart.open().size(), "listed in the table");
                    assertTrue(atStart.open().stream().allMatch(x -> x.preexisting()), "marked pre-existing");
                    List<ConnectionEvent> existing = select(events, e -> e.kind() == EventKind.EXISTING);
                    assertCount(2, existing.size(), "EXISTING events");
                    assertTrue(existing.stream().anyMatch(e -> e.local().getPort() == clientPort
                            && e.newState() == TcpState.ESTABLISHED), "the client end: " + existing);

                    client.close();
                    server.close();
                    MonitorSnapshot after = Await.counters(monitor, cgroupId, x -> x.closed() == 2);
                    KernelCounters end = after.byCgroup().get(cgroupId);
                    assertCount(2, end.closed(), "their close is counted");
                    assertCount(0, end.activeConnections(), "active after close");
                    assertCount(0, after.kernelStats().closedUntracked(), "tracked, not untracked");
                }
            } finally {
                cgroup.leave();
            }
        }
        assertEquals(Set.of(), AttachedPrograms.leftOver(programsBefore), "bpfhook programs left in the kernel");
    }

    /**
     * Listeners share one event object per event, made only when one wants it: a listener that says
     * it wants none gets none, while the others still get every event; a listener that takes records
     * gets the same events as records, with what the table knew of their connection.
     */
    @Test
    void listenersThatWantNoEventsGetNoneAndTheOthersShareOneObjectPerEvent() throws Exception {
        List<ConnectionEvent> first = Collections.synchronizedList(new ArrayList<>());
        List<ConnectionEvent> second = Collections.synchronizedList(new ArrayList<>());
        List<String> records = Collections.synchronizedList(new ArrayList<>());
        List<long[]> closes = Collections.synchronizedList(new ArrayList<>()); // {pid, connection start, timestamp}
        EventListener takingRecords = new EventListener() {
            @Override
            public void onEvent(ConnectionEvent event) {
                throw new AssertionError("a listener that takes records gets no event object");
            }

            @Override
            public boolean takesRecords() {
                return true;
            }

            @Override
            public void onRecord(EventRecord r) {
                records.add(r.toEvent().toString()); // read during the call: the record is reused
                if (r.kind() == EventKind.STATE && r.newState() == TcpState.CLOSE) {
                    closes.add(new long[] {r.pid(), r.connectionStartNs(), r.timestampNs()});
                }
            }
        };
        java.util.concurrent.atomic.AtomicInteger unwanted = new java.util.concurrent.atomic.AtomicInteger();
        EventListener refusing = new EventListener() {
            @Override
            public void onEvent(ConnectionEvent event) {
                unwanted.incrementAndGet();
            }

            @Override
            public boolean wantsEvents() {
                return false;
            }
        };
        try (TestCgroup cgroup = TestCgroup.create("optout")) {
            long cgroupId = cgroup.id();
            HookSettings settings = settings(cgroup, true);
            cgroup.enter();
            try (Monitor monitor = Monitor.start(settings, new ConnectionTable(4096, 1024),
                    List.of(first::add, refusing, takingRecords, second::add));
                 LoopbackTraffic.Server server = new LoopbackTraffic.Server(LoopbackTraffic.IPV4)) {
                LoopbackTraffic.exchange(server, LoopbackTraffic.IPV4, new byte[10], 10);
                Await.counters(monitor, cgroupId, c -> c.closed() == 2);
                // states=all: connect, accept, and five transitions of each end
                assertCount(12, first.size(), "events of one loopback connection: " + first);
                assertCount(12, second.size(), "the same events for the second listener");
                for (int i = 0; i < first.size(); i++) {
                    assertTrue(first.get(i) == second.get(i), "one object per event, shared: " + first.get(i));
                }
                assertCount(0, unwanted.get(), "events handed to the listener that wants none");
                assertEquals(first.stream().map(ConnectionEvent::toString).collect(Collectors.toList()), records,
                        "the record-taking listener saw the same events");
                assertCount(2, closes.size(), "closes of both ends");
                for (long[] close : closes) {
                    assertEquals(ProcessHandle.current().pid(), close[0], "the close completed with the process");
                    assertTrue(close[1] > 0 && close[1] < close[2], "the connection's start, before its close: "
                            + close[1] + " < " + close[2]);
                }
            } finally {
                cgroup.leave();
            }
        }
    }

    /**
     * A listener that throws costs only its own delivery: each event it failed on is counted once as
     * not fully delivered, and the table, the listeners after it and the received count still have
     * every event (the ring thread hands them over a batch at a time, after the table joined it).
     */
    @Test
    void aListenerThatThrowsIsCountedOncePerEventAndTheOthersStillGetEveryEvent() throws Exception {
        List<ConnectionEvent> after = Collections.synchronizedList(new ArrayList<>());
        EventListener throwing = event -> {
            throw new IllegalStateException("a broken listener");
        };
        try (TestCgroup cgroup = TestCgroup.create("throwing")) {
            long cgroupId = cgroup.id();
            HookSettings settings = settings(cgroup, true);
            cgroup.enter();
            try (Monitor monitor = Monitor.start(settings, new ConnectionTable(4096, 1024),
                    List.of(throwing, after::add));
                 LoopbackTraffic.Server server = new LoopbackTraffic.Server(LoopbackTraffic.IPV4)) {
                for (int i = 0; i < 3; i++) {
                    LoopbackTraffic.exchange(server, LoopbackTraffic.IPV4, new byte[10], 10);
                }
                Await.counters(monitor, cgroupId, c -> c.closed() == 6);
                Await.until(() -> after.size() >= 36, "the events of three loopback connections");
                // states=all: connect, accept, and five transitions of each end
                assertCount(36, after.size(), "events the listener after the broken one got");
                assertCount(36, monitor.eventCounters().receivedCount(), "events received");
                assertCount(36, monitor.eventCounters().listenerErrorCount(), "events not fully delivered");
                assertCount(0, monitor.eventCounters().decodeErrorCount(), "decode errors");
                assertCount(6, monitor.table().recent(100).size(), "both ends of each connection in the table");
                assertCount(0, monitor.table().openCount(), "open connections");
            } finally {
                cgroup.leave();
            }
        }
    }

    /**
     * With nothing to read, the ring thread backs off to a wait of 50 ms, and after a few empty ones sleeps
     * long (a short wait, then a second), to be woken by the kernel for the next record: 2 s of idling take
     * two waits a second at most (at 50 ms each it would be 40). A wait ends early only when the kernel wakes
     * it, and nothing in this empty cgroup makes a record, so a slow machine can only make fewer.
     */
    @Test
    void anIdleMonitorSleepsLongAndWakesAboutOnceASecond() throws Exception {
        try (TestCgroup cgroup = TestCgroup.create("idle")) {
            HookSettings settings = settings(cgroup, false);
            try (Monitor monitor = Monitor.start(settings, new ConnectionTable(4096, 64), List.of())) {
                Await.until(monitor::sleepingLong, "the ring thread asleep, nothing having come");
                long before = monitor.ringBuffer().waits();
                long startNs = System.nanoTime();
                Thread.sleep(2_000);
                long waits = monitor.ringBuffer().waits() - before;
                // bounds per time slept, as measured: a loaded machine may sleep longer than asked
                double seconds = (System.nanoTime() - startNs) / 1e9;
                assertTrue(waits <= 2 * seconds + 2, "waits in " + seconds + " s of idling: " + waits);
                assertTrue(waits >= 1, "the long sleep ends at its timeout: " + waits);
            }
        }
    }

    @Test
    void theWatchedCgroupRemovedWhileRunningLeavesNothingAttached() throws Exception {
        Set<Long> programsBefore = AttachedPrograms.ours();
        TestCgroup cgroup = TestCgroup.create("removed");
        long id = cgroup.id();
        HookSettings settings = settings(cgroup, true);
        try (Monitor monitor = Monitor.start(settings, new ConnectionTable(4096, 64), List.of())) {
            cgroup.enter();
            try (LoopbackTraffic.Server server = new LoopbackTraffic.Server(LoopbackTraffic.IPV4)) {
                LoopbackTraffic.exchange(server, LoopbackTraffic.IPV4, LoopbackTraffic.payload(4), 4);
            }
            cgroup.close(); // the JVM leaves and the directory goes, under the attached programs
            MonitorSnapshot after = Await.counters(monitor, id, c -> c.closed() == 2);
            assertCount(2, after.byCgroup().get(id).closed(), "counted before the cgroup went");
            assertCount(0, after.eventsLost(), "events lost");
        }
        assertEquals(Set.of(), AttachedPrograms.leftOver(programsBefore), "bpfhook programs left in the kernel");
    }

    /**
     * The watched cgroup in this process's namespace is the hot pair, which the kernel counts in an
     * array of its own (hot_counters); a cgroup below it counts in the table (counters). Both read as
     * one: each pair's counts exact, the namespace's their sum; and the hot pair is never retired.
     */
    @Test
    void theWatchedCgroupCountsApartFromTheCgroupsBelowItAndBothReadExact() throws Exception {
        final int inWatched = 3;
        final int below = 2;
        try (TestCgroup cgroup = TestCgroup.nested("hot");
                LoopbackTraffic.Server server = new LoopbackTraffic.Server(LoopbackTraffic.IPV4)) {
            // the server stays outside the watched cgroup: only the client ends are counted
            long watchedId = dev.bpfhook.container.CgroupV2.id(cgroup.top());
            long belowId = cgroup.id();
            try (Monitor monitor = Monitor.start(topSettings(cgroup), new ConnectionTable(4096, 64), List.of())) {
                java.nio.file.Files.writeString(cgroup.top().resolve("cgroup.procs"), Integer.toString(PID));
                for (int i = 0; i < inWatched; i++) {
                    LoopbackTraffic.exchange(server, LoopbackTraffic.IPV4, LoopbackTraffic.payload(4), 4);
                }
                cgroup.enter();
                for (int i = 0; i < below; i++) {
                    LoopbackTraffic.exchange(server, LoopbackTraffic.IPV4, LoopbackTraffic.payload(4), 4);
                }
                cgroup.leave();
                Await.counters(monitor, watchedId, c -> c.closed() == inWatched);
                MonitorSnapshot s = Await.counters(monitor, belowId, c -> c.closed() == below);
                KernelCounters watched = s.byCgroup().get(watchedId);
                assertCount(inWatched, watched.connectAttempts(), "connects in the watched cgroup");
                assertCount(inWatched, watched.outboundEstablished(), "established in the watched cgroup");
                assertCount(inWatched, watched.closed(), "closed in the watched cgroup");
                assertCount(below, s.byCgroup().get(belowId).connectAttempts(), "connects below it");
                assertCount(below, s.byCgroup().get(belowId).closed(), "closed below it");
                assertCount(1, s.byNetns().size(), "namespaces counted in");
                KernelCounters namespace = s.byNetns().values().iterator().next();
                assertCount(inWatched + below, namespace.closed(), "closed in the namespace");
                assertCount(inWatched + below, s.total().connectAttempts(), "connects in all");

                assertFalse(monitor.retireCgroup(watchedId), "the watched cgroup is never retired");
                assertCount(inWatched, monitor.snapshot(100).byCgroup().get(watchedId).closed(), "still counted");
            } finally {
                cgroup.leave();
            }
        }
    }

    /**
     * Two cgroups count in one network namespace; when one is gone and retired (its counters leave
     * the kernel's table), the namespace's counts and the totals stay as they were: a counter never
     * goes backwards. Once no cgroup counts in the namespace any more, the namespace is gone too.
     */
    @Test
    void aRetiredCgroupsCountsStayInItsNamespaceAndTheTotals() throws Exception {
        final int first = 3;
        final int second = 2;
        try (TestCgroup cgroup = TestCgroup.nested("retire");
                LoopbackTraffic.Server server = new LoopbackTraffic.Server(LoopbackTraffic.IPV4)) {
            // the server stays outside the watched cgroup: only the client ends are counted
            java.nio.file.Path sibling = java.nio.file.Files.createDirectory(cgroup.top().resolve("sibling"));
            long firstId = cgroup.id();
            long secondId = dev.bpfhook.container.CgroupV2.id(sibling);
            try (Monitor monitor = Monitor.start(topSettings(cgroup), new ConnectionTable(4096, 64), List.of())) {
                cgroup.enter();
                for (int i = 0; i < first; i++) {
                    LoopbackTraffic.exchange(server, LoopbackTraffic.IPV4, LoopbackTraffic.payload(4), 4);
                }
                java.nio.file.Files.writeString(sibling.resolve("cgroup.procs"), Integer.toString(PID));
                for (int i = 0; i < second; i++) {
                    LoopbackTraffic.exchange(server, LoopbackTraffic.IPV4, LoopbackTraffic.payload(4), 4);
                }
                cgroup.leave();
                Await.counters(monitor, firstId, c -> c.closed() == first);
                MonitorSnapshot before = Await.counters(monitor, secondId, c -> c.closed() == second);
                assertCount(1, before.byNetns().size(), "namespaces counted in");
                long netns = before.byNetns().keySet().iterator().next();
                assertCount(first + second, before.byNetns().get(netns).closed(), "closed in the namespace");

                TestCgroup.removeWhenEmpty(cgroup.directory());
                assertTrue(monitor.retireCgroup(firstId), "the first cgroup had counters");
                MonitorSnapshot afterOne = monitor.snapshot(100);
                assertFalse(afterOne.byCgroup().containsKey(firstId), "the retired cgroup is gone from the view");
                assertCount(first + second, afterOne.byNetns().get(netns).closed(), "closed in the namespace");
                assertCount(first + second, afterOne.byNetns().get(netns).outboundEstablished(), "established there");
                assertCount(first + second, afterOne.total().closed(), "closed in all");

                TestCgroup.removeWhenEmpty(sibling);
                assertTrue(monitor.retireCgroup(secondId), "the second cgroup had counters");
                MonitorSnapshot afterBoth = monitor.snapshot(100);
                assertEquals(Collections.emptyMap(), afterBoth.byNetns(), "no cgroup counts in the namespace");
                assertCount(first + second, afterBoth.total().closed(), "closed in all");
            } finally {
                cgroup.leave();
            }
        }
    }

    /**
     * In a cgroup namespace (a container's) the agent cannot see how deep its cgroup is on the host, and leaves
     * the programs to find it: from the first cgroup they meet at or below the watched one. Here the JVM sits one
     * level below it, and a sibling cgroup's connections come after, which must not be taken for it.
     */
    @Test
    void aCgroupWhoseDepthTheAgentCannotSeeIsFoundByThePrograms() throws Exception {
        runScenario(TestCgroup.nested("depth"), Collections.emptySet(), "tp_btf/inet_sock_set_state", false);
    }

    /** The same where the accept hook checks the accepting task's cgroup (bpf_get_current_ancestor_cgroup_id). */
    @Test
    void aCgroupWhoseDepthTheAgentCannotSeeIsFoundByTheTaskChecksToo() throws Exception {
        runScenario(TestCgroup.nested("depth-task"), Set.of("cgroup/getpeername4+getpeername6", "fexit/inet_csk_accept",
                "kretprobe/inet_csk_accept"), "tp_btf/inet_sock_set_state", false);
    }

    private void runScenario(TestCgroup testCgroup, Set<String> disabledTiers, String expectedStateTier)
            throws Exception {
        runScenario(testCgroup, disabledTiers, expectedStateTier, true);
    }

    private void runScenario(TestCgroup testCgroup, Set<String> disabledTiers, String expectedStateTier,
            boolean depthKnown) throws Exception {
        Set<Long> programsBefore = AttachedPrograms.ours();
        List<ConnectionEvent> events = Collections.synchronizedList(new ArrayList<>());
        Scenario made = new Scenario();
        long cgroupId;
        try (TestCgroup cgroup = testCgroup) {
            cgroupId = cgroup.id();
            long scopeId = dev.bpfhook.container.CgroupV2.id(cgroup.top());
            int level = depthKnown ? cgroup.hierarchy().level(cgroup.top()) : CgroupScope.LEVEL_UNKNOWN;
            HookSettings settings = new HookSettings(cgroup.top(), scopeId, level, 1 << 20, 4096, true)
                    .withoutTiers(disabledTiers);
            try (Monitor monitor = Monitor.start(settings, new ConnectionTable(4096, 1024), List.of(events::add))) {
                assertHooks(monitor.hooks(), expectedStateTier, disabledTiers);
                Set<Long> loaded = AttachedPrograms.ours();
                loaded.removeAll(programsBefore);
                assertFalse(loaded.isEmpty(), "the leftover check must see our programs while they run");

                cgroup.enter();
                made.inside();
                cgroup.leave();
                // outside: a sibling cgroup at the same depth, so the kernel's ancestor check must tell them apart
                try (TestCgroup sibling = TestCgroup.create("outside")) {
                    sibling.enter();
                    made.outside();
                }

                MonitorSnapshot snapshot = awaitQuiet(monitor, cgroupId);
                assertCounters(snapshot, cgroupId);
                assertEquals(Set.of(cgroupId), snapshot.byCgroup().keySet(), "only the test cgroup has counters");
                assertCount(snapshot.kernelStats().eventsSubmitted(), snapshot.eventsReceived(),
                        "events received = events the kernel submitted");
                assertCount(0, snapshot.eventsLost(), "events lost");
                assertCount(0, snapshot.open().size(), "connections still open in the table");
            }
        }
        assertEvents(events, made, cgroupId);
        assertEquals(Set.of(), AttachedPrograms.leftOver(programsBefore), "bpfhook programs left in the kernel");
    }

    /**
     * Connections open before the start in another network namespace than the monitor's (a container's):
     * the kernel's iterator lists only the namespace it was made in, so the listing runs inside each one.
     * Before, they were not listed, and their closes made the cgroup's active connections negative.
     */
    @Test
    void connectionsOpenBeforeTheStartInAnotherNetworkNamespaceAreListedThere() throws Exception {
        long timeoutMs = 30_000;
        try (TestNetworkNamespace netns = TestNetworkNamespace.create("listing");
             TestCgroup cgroup = TestCgroup.create("netns-listing");
             ChildJvm worker = ChildJvm.command(List.of("sh", "-c", "echo $$ > \"$0\" && exec \"$@\"",
                     cgroup.directory().resolve("cgroup.procs").toString(), "ip", "netns", "exec", netns.name(),
                     "sh", "-c", "ip link set lo up && exec \"$@\"", "sh", ChildJvm.java().toString(), "-cp",
                     ChildJvm.testClasses().toString(), LoadTestApp.class.getName()))) {
            worker.awaitStdout(l -> l.startsWith("ready"), timeoutMs);
            worker.send("hold 2");
            worker.awaitStdout(l -> l.startsWith("held 2"), timeoutMs);
            try (Monitor monitor = Monitor.start(settings(cgroup, false), new ConnectionTable(4096, 1024), List.of())) {
                HookStatus existing = monitor.hooks().stream().filter(h -> h.hook() == Hook.EXISTING_CONNECTIONS)
                        .findFirst().orElseThrow();
                assertEquals("existing=iter/tcp", existing.toString());
                worker.send("release");
                worker.awaitStdout(l -> l.startsWith("released"), timeoutMs);
                MonitorSnapshot snapshot = Await.counters(monitor, cgroup.id(), c -> c.closed() == 4);
                KernelCounters c = snapshot.byCgroup().get(cgroup.id());
                assertCount(4, c.preexisting(), "both ends of the 2 connections open before the start, listed");
                assertCount(0, c.activeConnections(), "active connections");
            }
            worker.send("exit 0");
            assertEquals(0, worker.waitFor(timeoutMs), worker.describe());
        }
    }

    /**
     * A connect the application gives up on (a timeout: the socket is closed while its SYN waits) fails with
     * no error of the socket's own: "closed locally", not "other". The SYN goes to an address routed to the
     * loopback of a network namespace of the test's own, which is not its, so nothing answers.
     */
    @Test
    void aConnectTheApplicationGaveUpOnFailedClosedLocally() throws Exception {
        try (TestNetworkNamespace netns = TestNetworkNamespace.create("giveup");
             TestCgroup cgroup = TestCgroup.create("give-up");
             Monitor monitor = Monitor.start(settings(cgroup, false), new ConnectionTable(4096, 1024), List.of())) {
            String connect = "import socket\n"
                    + "s = socket.socket()\n"
                    + "s.settimeout(0.3)\n"
                    + "try:\n"
                    + "    s.connect(('10.99.0.1', 80))\n"
                    + "except socket.timeout:\n"
                    + "    print('gave up')\n"
                    + "s.close()\n";
            String out = netns.python(cgroup, "ip link set lo up && ip route add 10.99.0.1 dev lo", connect);
            assertEquals("exit 0\ngave up\n", out);

            MonitorSnapshot snapshot = Await.counters(monitor, cgroup.id(), c -> c.failedConnects() == 1);
            KernelCounters c = snapshot.byCgroup().get(cgroup.id());
            assertCount(1, c.connectAttempts(), "attempts");
            assertCount(1, c.failed(ConnectFailure.CLOSED_LOCALLY), "closed locally");
            assertCount(0, c.failed(ConnectFailure.OTHER), "other");
        }
    }

    /**
     * A TCP Fast Open server accepts a connection while it is still in SYN_RECV (its SYN carried data) and
     * closes it before the handshake's last ACK: the connection never passes ESTABLISHED, and its opening
     * (SYN_RECV to FIN_WAIT1) must count as accepted so that its close has a start. In a network namespace of
     * the test's own, with Fast Open on and its loopback slowed down (tbf) so that the ACK waits.
     */
    @Test
    void aFastOpenConnectionClosedBeforeItsHandshakeEndedHasItsStartCounted() throws Exception {
        try (TestNetworkNamespace netns = TestNetworkNamespace.create("tfo");
             TestCgroup cgroup = TestCgroup.create("fast-open");
             Monitor monitor = Monitor.start(settings(cgroup, false), new ConnectionTable(4096, 1024), List.of())) {
            String exchange = "import socket\n"
                    + "srv = socket.socket()\n"
                    + "srv.setsockopt(socket.IPPROTO_TCP, 23, 16)\n" // TCP_FASTOPEN
                    + "srv.bind(('127.0.0.1', 0))\n"
                    + "srv.listen(16)\n"
                    + "cli = socket.socket()\n"
                    + "cli.sendto(b'hello', 0x20000000, srv.getsockname())\n" // MSG_FASTOPEN
                    + "conn, _ = srv.accept()\n"
                    + "state = conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]\n"
                    + "conn.recv(5)\n"
                    + "conn.sendall(b'world')\n"
                    + "conn.close()\n"
                    + "cli.settimeout(20)\n"
                    + "got = b''\n"
                    + "while len(got) < 5:\n"
                    + "    got += cli.recv(5 - len(got))\n"
                    + "cli.close()\n"
                    + "print('accepted in state %d, got %s' % (state, got.decode()))\n";
            // client and server without cookies; the loopback lets about two small packets through at once
            String out = netns.python(cgroup, "ip link set lo up && sysctl -qw net.ipv4.tcp_fastopen=0x207 && "
                    + "tc qdisc add dev lo root tbf rate 800bit burst 150 latency 30s", exchange);
            assertEquals("exit 0\naccepted in state 3, got world\n", out, "accepted in SYN_RECV (3), as the test needs");

            MonitorSnapshot snapshot = Await.counters(monitor, cgroup.id(), c -> c.closed() == 2);
            KernelCounters c = snapshot.byCgroup().get(cgroup.id());
            assertCount(1, c.outboundEstablished(), "the client's connection");
            assertCount(1, c.inboundAccepted(), "the server's, opened by SYN_RECV -> FIN_WAIT1");
            assertCount(0, c.activeConnections(), "active connections");
        }
    }

    /**
     * A connect the kernel refuses before it sends anything (a broadcast destination: no SYN, no state change)
     * is no attempt: nothing is counted for it and nothing is left open, while a refused one still counts.
     */
    @Test
    void aConnectRefusedBeforeItsSynIsNoAttempt() throws Exception {
        try (TestCgroup cgroup = TestCgroup.create("no-syn");
             SocketChannel closed = LoopbackTraffic.closedPort(LoopbackTraffic.IPV4)) {
            int refusedPort = ((java.net.InetSocketAddress) closed.getLocalAddress()).getPort();
            List<ConnectionEvent> events = Collections.synchronizedList(new ArrayList<>());
            try (Monitor monitor = Monitor.start(settings(cgroup, false), new ConnectionTable(4096, 1024),
                    List.of(events::add))) {
                cgroup.enter();
                try (SocketChannel broadcast = SocketChannel.open()) {
                    java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                            () -> broadcast.connect(new java.net.InetSocketAddress("255.255.255.255", 80)));
                    assertTrue(e.getMessage().contains("unreachable"), "the kernel's answer: " + e);
                }
                LoopbackTraffic.refusedConnect(LoopbackTraffic.IPV4, refusedPort);
                cgroup.leave();
                MonitorSnapshot snapshot = Await.counters(monitor, cgroup.id(), c -> c.failedConnects() == 1);
                KernelCounters c = snapshot.byCgroup().get(cgroup.id());
                assertCount(1, c.connectAttempts(), "TCP connect attempts: the refused one");
                assertCount(0, c.activeConnections(), "active connections");
                assertCount(0, snapshot.open().size(), "connections left open in the table");
                List<ConnectionEvent> connects = events.stream().filter(e -> e.kind() == EventKind.CONNECT)
                        .collect(Collectors.toList());
                assertEquals(1, connects.size(), "one connect reported: " + events);
                assertEquals(refusedPort, connects.get(0).remote().getPort());
                assertEquals(PID, connects.get(0).pid());
            }
        }
    }

    /**
     * A connection reset by its peer while it waited in the accept queue: accept() still hands it out, after
     * its close was reported. The accept must not leave it open in the table.
     */
    @Test
    void anAcceptOfAConnectionResetInTheQueueLeavesNothingOpen() throws Exception {
        try (TestCgroup cgroup = TestCgroup.create("reset-in-queue")) {
            List<ConnectionEvent> events = Collections.synchronizedList(new ArrayList<>());
            try (Monitor monitor = Monitor.start(settings(cgroup, false), new ConnectionTable(4096, 1024),
                    List.of(events::add))) {
                cgroup.enter();
                try (java.nio.channels.ServerSocketChannel server = java.nio.channels.ServerSocketChannel.open()) {
                    server.bind(new java.net.InetSocketAddress(LoopbackTraffic.IPV4, 0));
                    try (SocketChannel client = SocketChannel.open(server.getLocalAddress())) {
                        client.setOption(java.net.StandardSocketOptions.SO_LINGER, 0); // close() resets
                    }
                    Await.counters(monitor, cgroup.id(), c -> c.closed() == 2);
                    try (SocketChannel accepted = server.accept()) {
                        assertTrue(accepted != null, "accept() handed out the reset connection");
                    }
                } finally {
                    cgroup.leave();
                }
                Await.until(() -> events.stream().anyMatch(e -> e.kind() == EventKind.ACCEPT), "the accept event");
                monitor.flush();
                MonitorSnapshot snapshot = monitor.snapshot(10);
                assertCount(0, snapshot.open().size(), "connections left open in the table: " + snapshot.open());
                ConnectionEvent accept = events.stream().filter(e -> e.kind() == EventKind.ACCEPT).findFirst().get();
                assertEquals(TcpState.CLOSE, accept.newState(), "the socket's state when accepted");
                assertEquals(PID, accept.pid());
            }
        }
    }

    /**
     * Closed while its cgroup connects as fast as it can: the last snapshot still accounts for every record
     * the programs wrote (they are detached before the last drain and the last reading of the counters).
     */
    @Test
    void theLastSnapshotAccountsForEveryRecordWhenClosedUnderLoad() throws Exception {
        Set<Long> programsBefore = AttachedPrograms.ours();
        try (TestCgroup cgroup = TestCgroup.create("close-under-load");
             SocketChannel closed = LoopbackTraffic.closedPort(LoopbackTraffic.IPV4)) {
            int port = ((java.net.InetSocketAddress) closed.getLocalAddress()).getPort();
            Monitor monitor = Monitor.start(settings(cgroup, false), new ConnectionTable(4096, 1024), List.of());
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicInteger made = new java.util.concurrent.atomic.AtomicInteger();
            Thread client = new Thread(() -> {
                while (!stop.get()) {
                    try {
                        LoopbackTraffic.refusedConnect(LoopbackTraffic.IPV4, port);
                        made.incrementAndGet();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            }, "refused-connects");
            try {
                cgroup.enter();
                client.start();
                Await.until(() -> made.get() >= 2000, "connects under way");
                monitor.close(); // while the client connects: what this test is about
            } finally {
                stop.set(true);
                if (client.isAlive()) {
                    client.join();
                }
                cgroup.leave();
                monitor.close(); // a no-op after the one above; detaches everything if the test failed before it
            }
            MonitorSnapshot last = monitor.snapshot(0);
            assertTrue(last.eventsReceived() > 0, "events received");
            assertCount(last.kernelStats().eventsSubmitted(), last.eventsReceived() + last.kernelStats().eventsDropped(),
                    "events received + dropped = produced, in the last snapshot");
        }
        assertEquals(Set.of(), AttachedPrograms.leftOver(programsBefore), "bpfhook programs left in the kernel");
    }

    /** What the test made, to compare with what the kernel reported. */
    private static final class Scenario {
        final List<Integer> ipv4ClientPorts = new ArrayList<>();
        final List<Integer> ipv6ClientPorts = new ArrayList<>();
        int ipv4ServerPort;
        int ipv6ServerPort;
        int refusedPort;
        int udpPort = 9; // discard: nothing needs to listen for a UDP connect
        int outsideServerPort;

        void inside() throws Exception {
            byte[] request = LoopbackTraffic.payload(REQUEST);
            try (LoopbackTraffic.Server v4 = new LoopbackTraffic.Server(LoopbackTraffic.IPV4);
                 LoopbackTraffic.Server v6 = new LoopbackTraffic.Server(LoopbackTraffic.IPV6);
                 SocketChannel closed = LoopbackTraffic.closedPort(LoopbackTraffic.IPV4)) {
                ipv4ServerPort = v4.port();
                ipv6ServerPort = v6.port();
                refusedPort = ((java.net.InetSocketAddress) closed.getLocalAddress()).getPort();
                for (int i = 0; i < IPV4_EXCHANGES; i++) {
                    ipv4ClientPorts.add(LoopbackTraffic.exchange(v4, LoopbackTraffic.IPV4, request, RESPONSE));
                }
                for (int i = 0; i < IPV6_EXCHANGES; i++) {
                    ipv6ClientPorts.add(LoopbackTraffic.exchange(v6, LoopbackTraffic.IPV6, request, RESPONSE));
                }
                for (int i = 0; i < REFUSED; i++) {
                    LoopbackTraffic.refusedConnect(LoopbackTraffic.IPV4, refusedPort);
                }
            }
            for (int i = 0; i < UDP; i++) {
                LoopbackTraffic.udpConnect(LoopbackTraffic.IPV4, udpPort);
            }
        }

        void outside() throws Exception {
            byte[] request = LoopbackTraffic.payload(REQUEST);
            try (LoopbackTraffic.Server server = serverOnAPortNotUsedInside()) {
                outsideServerPort = server.port();
                for (int i = 0; i < OUTSIDE; i++) {
                    LoopbackTraffic.exchange(server, LoopbackTraffic.IPV4, request, RESPONSE);
                }
            }
        }

        /**
         * The outside server, on a port none of the inside's servers and clients had: the inside's are
         * closed by now, and the kernel may hand one of their numbers out again, which would make an
         * inside event look like an outside one to the port checks.
         */
        private LoopbackTraffic.Server serverOnAPortNotUsedInside() throws Exception {
            Set<Integer> inside = new java.util.HashSet<>(ipv4ClientPorts);
            inside.addAll(ipv6ClientPorts);
            inside.addAll(List.of(ipv4ServerPort, ipv6ServerPort, refusedPort, udpPort));
            List<LoopbackTraffic.Server> taken = new ArrayList<>(); // kept open: the next bind gets another port
            try {
                while (true) {
                    LoopbackTraffic.Server server = new LoopbackTraffic.Server(LoopbackTraffic.IPV4);
                    if (!inside.contains(server.port())) {
                        return server;
                    }
                    taken.add(server);
                }
            } finally {
                for (LoopbackTraffic.Server server : taken) {
                    server.close();
                }
            }
        }
    }

    /** The settings of these tests: the test's cgroup, a 1 MiB ring, a connection table of 4096. */
    private static HookSettings settings(TestCgroup cgroup, boolean allStates) throws java.io.IOException {
        return new HookSettings(cgroup.directory(), cgroup.id(), cgroup.level(), 1 << 20, 4096, allStates);
    }

    /** Watching the top of a nested test cgroup, whose leaf is below it. */
    private static HookSettings topSettings(TestCgroup cgroup) throws java.io.IOException {
        return new HookSettings(cgroup.top(), dev.bpfhook.container.CgroupV2.id(cgroup.top()),
                cgroup.hierarchy().level(cgroup.top()), 1 << 20, 4096, false);
    }

    private static void assertHooks(List<HookStatus> hooks, String expectedStateTier, Set<String> disabledTiers) {
        for (HookStatus status : hooks) {
            if (status.hook() == Hook.PASSIVE_COOKIES) {
                assertEquals(expectedStateTier.startsWith("tracepoint/"), status.active(),
                        "sockops is attached with the classic tracepoint only: " + status);
                assertFalse(status.missing(), status.toString());
                continue;
            }
            assertTrue(status.active(), "hook not attached: " + status);
            Hook.Tier firstNotSkipped = status.hook().tiers(false).get(status.skipped().size());
            assertEquals(firstNotSkipped, status.tier(), "the chosen tier is the best one that worked: " + status);
            if (status.hook() == Hook.TCP_STATE) {
                assertEquals(expectedStateTier, status.tier().name());
                String staging = disabledTiers.contains(KernelHooks.NO_STAGING)
                        ? "records not staged: disabled by configuration" : "records staged per CPU";
                assertEquals(List.of(staging), status.notes(), "how its records go: " + status);
            }
        }
    }

    /** Waits until the kernel's counters show the whole scenario and every submitted event has arrived. */
    private static MonitorSnapshot awaitQuiet(Monitor monitor, long cgroupId) throws InterruptedException {
        return Await.counters(monitor, cgroupId, c -> c.closed() == 2L * (IPV4_EXCHANGES + IPV6_EXCHANGES));
    }

    private static void assertCounters(MonitorSnapshot snapshot, long cgroupId) {
        KernelCounters c = snapshot.byCgroup().get(cgroupId);
        int tcp = IPV4_EXCHANGES + IPV6_EXCHANGES;
        assertCount(tcp + REFUSED, c.connectAttempts(), "TCP connect attempts");
        assertCount(UDP, c.udpConnects(), "UDP connects");
        assertCount(tcp, c.outboundEstablished(), "outbound established");
        assertCount(tcp, c.inboundAccepted(), "inbound accepted");
        assertCount(REFUSED, c.failedConnects(), "failed connects");
        assertCount(REFUSED, c.failed(ConnectFailure.REFUSED), "refused connects");
        assertCount(2L * tcp, c.closed(), "closed (both ends of each connection)");
        assertCount(0, c.activeConnections(), "active connections");
        assertCount((long) tcp * (REQUEST + RESPONSE), c.bytesSent(), "payload bytes sent, both ends");
        assertCount((long) tcp * (REQUEST + RESPONSE), c.bytesReceived(), "payload bytes received, both ends");
        assertCount(tcp * 2L + UDP, c.totalConnections(), "total connections");
    }

    private static void assertEvents(List<ConnectionEvent> all, Scenario made, long cgroupId) {
        List<ConnectionEvent> events = new ArrayList<>(all);
        for (ConnectionEvent e : events) {
            assertEquals(cgroupId, e.cgroupId(), "every event belongs to the test cgroup: " + e);
            assertNotEquals(made.outsideServerPort, e.remote().getPort(), "outside connection reported: " + e);
            assertNotEquals(made.outsideServerPort, e.local().getPort(), "outside connection reported: " + e);
        }
        for (int port : made.ipv4ClientPorts) {
            assertClientAndServer(events, port, made.ipv4ServerPort, LoopbackTraffic.IPV4);
        }
        for (int port : made.ipv6ClientPorts) {
            assertClientAndServer(events, port, made.ipv6ServerPort, LoopbackTraffic.IPV6);
        }

        List<ConnectionEvent> refused = select(events, e -> e.isFailedConnect());
        assertCount(REFUSED, refused.size(), "failed-connect events");
        for (ConnectionEvent e : refused) {
            assertEquals(made.refusedPort, e.remote().getPort());
            assertEquals(ConnectFailure.REFUSED, ConnectFailure.ofErrno(e.error()));
            assertEquals(PID, e.pid());
        }

        List<ConnectionEvent> udp = select(events, e -> e.protocol() == Protocol.UDP);
        assertCount(UDP, udp.size(), "UDP connect events");
        for (ConnectionEvent e : udp) {
            assertEquals(EventKind.CONNECT, e.kind());
            assertEquals(made.udpPort, e.remote().getPort());
            assertEquals(LoopbackTraffic.IPV4, e.remote().getAddress());
            assertEquals(PID, e.pid());
        }

        List<ConnectionEvent> connects = select(events, e -> e.kind() == EventKind.CONNECT && e.protocol() == Protocol.TCP);
        assertCount(IPV4_EXCHANGES + IPV6_EXCHANGES + REFUSED, connects.size(), "TCP connect events");
        List<ConnectionEvent> accepts = select(events, e -> e.kind() == EventKind.ACCEPT);
        assertCount(IPV4_EXCHANGES + IPV6_EXCHANGES, accepts.size(), "accept events");
    }

    /** One exchange: the client's and the server's socket, each with its full, continuous state history. */
    private static void assertClientAndServer(List<ConnectionEvent> events, int clientPort, int serverPort,
            InetAddress address) {
        List<ConnectionEvent> client = select(events, e -> e.kind() == EventKind.STATE && e.direction() == Direction.OUTBOUND
                && e.remote().getPort() == serverPort && e.local().getPort() == clientPort);
        // the CLOSE -> SYN_SENT event comes before the port is bound: join it by cookie
        long clientCookie = client.get(0).socketCookie();
        client = select(events, e -> e.socketCookie() == clientCookie);
        assertEquals(EventKind.CONNECT, client.get(0).kind(), "first client event");
        assertEquals(new java.net.InetSocketAddress(address, serverPort), client.get(0).remote());
        List<ConnectionEvent> clientStates = select(client, e -> e.kind() == EventKind.STATE);
        assertStates(clientStates, TcpState.CLOSE, TcpState.SYN_SENT, TcpState.ESTABLISHED);
        for (ConnectionEvent e : client) {
            assertEquals(PID, e.pid(), "client events carry the connecting pid: " + e);
            assertEquals(address, e.remote().getAddress());
        }
        ConnectionEvent clientClose = last(clientStates);
        assertEquals(REQUEST, clientClose.bytesSent(), "client bytes sent");
        assertEquals(RESPONSE, clientClose.bytesReceived(), "client bytes received");
        assertTrue(clientClose.srttUs() > 0, "client RTT measured");

        List<ConnectionEvent> server = select(events, e -> e.direction() == Direction.INBOUND
                && e.local().getPort() == serverPort && e.remote().getPort() == clientPort);
        List<ConnectionEvent> serverStates = select(server, e -> e.kind() == EventKind.STATE);
        assertStates(serverStates, TcpState.LISTEN, TcpState.SYN_RECV, TcpState.ESTABLISHED);
        ConnectionEvent accept = single(select(server, e -> e.kind() == EventKind.ACCEPT));
        assertEquals(PID, accept.pid(), "accepting pid");
        // (the classic tracepoint tier sees the first transition before the socket has a cookie)
        assertEquals(last(serverStates).socketCookie(), accept.socketCookie(), "accept joins the server socket");
        ConnectionEvent serverClose = last(serverStates);
        assertEquals(RESPONSE, serverClose.bytesSent(), "server bytes sent");
        assertEquals(REQUEST, serverClose.bytesReceived(), "server bytes received");
        assertEquals(PID, serverClose.pid(), "after accept, server events carry the accepting pid");
    }

    /** The history starts with the given states, is continuous, and ends in CLOSE. */
    private static void assertStates(List<ConnectionEvent> states, TcpState... start) {
        String history = states.stream().map(e -> e.oldState() + "->" + e.newState()).collect(Collectors.joining(", "));
        assertTrue(states.size() >= start.length, "state history too short: " + history);
        for (int i = 0; i + 1 < start.length; i++) {
            assertEquals(start[i], states.get(i).oldState(), history);
            assertEquals(start[i + 1], states.get(i).newState(), history);
        }
        for (int i = 1; i < states.size(); i++) {
            assertEquals(states.get(i - 1).newState(), states.get(i).oldState(), "continuous history: " + history);
        }
        assertEquals(TcpState.CLOSE, last(states).newState(), history);
        assertFalse(states.stream().limit(states.size() - 1L).anyMatch(e -> e.newState() == TcpState.CLOSE), history);
    }

    private static ConnectionEvent single(List<ConnectionEvent> list) {
        assertEquals(1, list.size(), "exactly one: " + list);
        return list.get(0);
    }

    private static ConnectionEvent last(List<ConnectionEvent> list) {
        return list.get(list.size() - 1);
    }
}
