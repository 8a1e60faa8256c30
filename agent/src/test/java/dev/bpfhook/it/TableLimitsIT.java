package dev.bpfhook.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.apps.LoadTestApp;
import dev.bpfhook.testing.ChildJvm;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.TestCgroup;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * More than the agent's tables hold: more connections open at once than {@code connections=} (the
 * agent's table; the kernel keeps no table of connections past the start), more cgroups with connections
 * than {@code cgroups=} (the kernel's counters, one entry per cgroup and network namespace; here all in
 * one namespace), more cgroups and network namespaces than {@code jmx.cgroups=}
 * (MBeans). What does not fit is counted exactly where it can be (TableEvictions, CgroupsWithoutMBean,
 * NetworkNamespacesWithoutMBean) and shown where it cannot (CounterUpdatesLost: how many updates a
 * cgroup without counters loses depends on the kernel programs), the counters that fit stay exact, and
 * filling the tables again and again grows neither the heap nor the descriptors.
 */
class TableLimitsIT {
    private static final long TIMEOUT_MS = 30_000;
    private static final int TABLE = 1024;             // connections=, its minimum
    private static final int HELD = 3_000;            // connections held open at once: 6,000 sockets in scope
    private static final int ROUNDS = 3;
    /**
     * How much the heap after GC may grow from the first round to the last, each of which fills the table
     * and evicts 4,976 connections: a leak of anything per evicted connection keeps at least 16 bytes for
     * each (no Java object is smaller), 159 KB over the two rounds compared, and a leak of the evicted
     * Connection objects themselves (about 100 bytes each) several times that. The heap stayed within
     * 50 KB from round to round here, and flat over ten rounds.
     */
    private static final long HEAP_SLACK = 128 * 1024;
    private static final int COUNTER_LIMIT = 16;       // cgroups=, its minimum
    private static final int MBEAN_LIMIT = 4;          // jmx.cgroups=
    private static final int CGROUPS = 24;             // cgroups that make a connection: 8 more than the counters hold
    private static final int NAMESPACES = 6;           // network namespaces that make a connection: 2 more than MBeans

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void moreOpenConnectionsThanTheTableAreEvictedCountedAndLeaveTheHeapFlat() throws Exception {
        try (TestCgroup cgroup = TestCgroup.create("limits");
             ChildJvm child = ChildJvm.builder(LoadTestApp.class.getName())
                     .agent(ChildJvm.agentJar(), "connections=" + TABLE).inCgroup(cgroup.directory()).start()) {
            LoadTestApp.Driver app = new LoadTestApp.Driver(child);
            assertEquals("agent RUNNING", app.ask("agent", "agent ", TIMEOUT_MS), child.describe());
            // MissedHookRuns: shown with every failure, as a run the kernel skipped (BPF already running on that
            // CPU) loses its event and counter updates, and is the one loss that could explain a missing close
            String[] counters = {"TableEvictions", "ConnectionsByState", "OutboundConnections", "InboundConnections",
                "ClosedConnections", "ClosedUntracked", "ActiveConnections", "DroppedEvents", "MissedHookRuns",
                "Destinations.active"};
            List<Map<String, Long>> stats = new ArrayList<>();
            Map<String, Long> before = app.mbean(counters); // nothing in the cgroup has made a socket yet
            for (int round = 1; round <= ROUNDS; round++) {
                Map<String, Long> start = before;
                String port = app.ask("hold " + HELD, "held", TIMEOUT_MS).replaceAll(".* port ", "");
                // the kernel's counters are read when the MBeans' snapshot is taken, the table has the events
                // the ring thread took by then: wait for the table
                Map<String, Long> held = app.mbeanWhen(m -> m.get("TableEvictions") - start.get("TableEvictions")
                        >= 2L * HELD - TABLE, counters);
                Map<String, Long> hold = minus(held, start);
                String what = "round " + round + ", " + HELD + " connections held: " + hold;
                assertEquals(0, hold.get("DroppedEvents"), "every event reached the table; " + what);
                assertEquals(TABLE, held.get("ConnectionsByState"), "the table is full, not more; " + what);
                // both ends of each connection are in scope: 2 * HELD sockets into an empty table of TABLE
                assertEquals(2L * HELD - TABLE, hold.get("TableEvictions"), "each one beyond the table counted; "
                        + what);
                assertEquals(HELD, hold.get("OutboundConnections"), "the kernel's counts stay exact; " + what);
                assertEquals(HELD, hold.get("InboundConnections"), "the kernel's counts stay exact; " + what);
                assertEquals(0, closes(held) - closes(start), "nothing closed while held; " + what);

                app.ask("release", "released", TIMEOUT_MS);
                before = app.mbeanWhen(m -> m.get("ConnectionsByState") == 0 && m.get("ActiveConnections") == 0
                        && m.get("Destinations.active") == 0 && closes(m) - closes(start) == 2L * HELD, counters);
                Map<String, Long> release = minus(before, held);
                what = "round " + round + ", released: " + release;
                assertEquals(0, before.get("ConnectionsByState"), "all closed, none left in the table; " + what);
                if (closes(before) - closes(held) != 2L * HELD) {
                    // a close the kernel has not counted 30 s after the release: is a socket still open?
                    what += "; sockets on port " + port + " now: " + tcpStates(port);
                }
                assertEquals(2L * HELD, closes(before) - closes(held), "every close counted; " + what);
                assertEquals(0, before.get("ActiveConnections"), "none active in the kernel's count; " + what);
                // the evicted connections' closes come as closes of unknown connections, which no destination
                // counts: each left its destination's open connections when it was evicted
                assertEquals(0, before.get("Destinations.active"), "none active in the destinations; " + what);
                stats.add(app.askNumbers("stats", "stats", TIMEOUT_MS));
            }
            System.out.println("TableLimitsIT: connections " + before + ", after each round " + stats);
            for (int round = 1; round < ROUNDS; round++) {
                long grown = stats.get(round).get("heap") - stats.get(0).get("heap");
                assertTrue(grown < HEAP_SLACK, "heap after GC grew by " + grown + " bytes by round " + (round + 1)
                        + ": " + stats);
                assertEquals(stats.get(0).get("fds"), stats.get(round).get("fds"), "file descriptors " + stats);
                assertEquals(stats.get(0).get("agent_threads"), stats.get(round).get("agent_threads"),
                        "the agent's threads " + stats);
            }
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
        }
    }

    /**
     * cgroups=16 and jmx.cgroups=4, and 24 cgroups that each make one connection: the first 16 get
     * counters (exact), the other 8 lose their updates (counted), and 4 of the 16 get an MBean.
     */
    @Test
    void moreCgroupsThanTheCountersAndTheMBeansHoldAreCountedAndShown() throws Exception {
        try (TestCgroup cgroup = TestCgroup.create("cglimits");
             ServerSocket outside = new ServerSocket(0, CGROUPS, InetAddress.getLoopbackAddress());
             ChildJvm child = ChildJvm.builder(LoadTestApp.class.getName())
                     .agent(ChildJvm.agentJar(), "cgroups=" + COUNTER_LIMIT + ",jmx.cgroups=" + MBEAN_LIMIT)
                     .inCgroup(cgroup.directory()).start()) {
            LoadTestApp.Driver app = new LoadTestApp.Driver(child);
            assertEquals("agent RUNNING", app.ask("agent", "agent ", TIMEOUT_MS), child.describe());
            acceptAndClose(outside);
            String[] counters = {"OutboundConnections", "ConnectAttempts", "CounterUpdatesLost", "CgroupMBeans",
                "CgroupsWithoutMBean"};
            // the child moves itself into each cgroup below its own and connects out of scope from there:
            // one outbound connection per cgroup, the listener's end not watched
            for (int i = 0; i < CGROUPS; i++) {
                Path sub = Files.createDirectory(cgroup.directory().resolve("c" + i));
                app.ask("move " + sub, "moved", TIMEOUT_MS);
                app.ask("connect " + outside.getLocalPort(), "connected", TIMEOUT_MS);
            }
            app.ask("move " + cgroup.directory(), "moved", TIMEOUT_MS);
            // the MBeans follow every 2 seconds
            Map<String, Long> c = app.mbeanWhen(m -> m.get("CgroupMBeans") + m.get("CgroupsWithoutMBean")
                    >= COUNTER_LIMIT, counters);
            System.out.println("TableLimitsIT: cgroups " + c);

            assertEquals(COUNTER_LIMIT, c.get("OutboundConnections"),
                    "the connections of the cgroups that got counters, exactly: " + c);
            assertEquals(COUNTER_LIMIT, c.get("ConnectAttempts"), "connect attempts likewise: " + c);
            assertTrue(c.get("CounterUpdatesLost") >= CGROUPS - COUNTER_LIMIT,
                    "each cgroup beyond the limit lost at least its connect: " + c);
            assertEquals(MBEAN_LIMIT, c.get("CgroupMBeans"), "MBeans up to jmx.cgroups: " + c);
            assertEquals(COUNTER_LIMIT - MBEAN_LIMIT, c.get("CgroupsWithoutMBean"),
                    "the cgroups with counters but no MBean: " + c);
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
        }
    }

    /**
     * Network namespaces share the bound of jmx.cgroups: those beyond it are counted, and a namespace
     * whose counters are gone (its cgroups removed and retired) gives its MBean up, so that namespaces
     * that came and went do not hold the bound for good. Each namespace here is a new one, made with
     * {@code ip netns add}, whose process brings its loopback up and makes one connect attempt there, refused
     * (a connect on a loopback still down would fail before its SYN: no attempt, nothing counted).
     */
    @Test
    void namespacesBeyondTheMBeanLimitAreCountedAndThoseGoneGiveUpTheirMBeans() throws Exception {
        try (TestCgroup cgroup = TestCgroup.create("nslimits");
             ChildJvm child = ChildJvm.builder(LoadTestApp.class.getName())
                     .agent(ChildJvm.agentJar(), "jmx.cgroups=" + MBEAN_LIMIT).inCgroup(cgroup.directory()).start()) {
            LoadTestApp.Driver app = new LoadTestApp.Driver(child);
            assertEquals("agent RUNNING", app.ask("agent", "agent ", TIMEOUT_MS), child.describe());
            Path sub = Files.createDirectory(cgroup.directory().resolve("ns"));
            List<String> namespaces = new ArrayList<>();
            try {
                for (int i = 0; i < NAMESPACES; i++) {
                    String ns = "bpfhook-test-" + ProcessHandle.current().pid() + "-" + i;
                    run("ip", "netns", "add", ns);
                    namespaces.add(ns);
                    connectAttemptIn(ns, sub);
                }
                Map<String, Long> c = app.mbeanWhen(m -> m.get("NetworkNamespacesWithoutMBean")
                        == NAMESPACES - MBEAN_LIMIT, "ConnectAttempts", "NetworkNamespacesWithoutMBean");
                System.out.println("TableLimitsIT: namespaces " + c);
                assertEquals(NAMESPACES, c.get("ConnectAttempts"), "one in each namespace: " + c);
                assertEquals(NAMESPACES - MBEAN_LIMIT, c.get("NetworkNamespacesWithoutMBean"), c.toString());
                assertEquals("mbeans " + MBEAN_LIMIT, app.ask("count-mbeans bpfhook:type=NetworkNamespace,*",
                        "mbeans", TIMEOUT_MS), "MBeans up to jmx.cgroups");
            } finally {
                for (String ns : namespaces) {
                    new ProcessBuilder("ip", "netns", "del", ns).inheritIO().start().waitFor();
                }
                Files.delete(sub); // its processes have exited
            }
            // gone and idle: the cgroup is retired, and with it the namespaces' counters and then their MBeans,
            // which leaves room for the namespaces that come next
            awaitAnswer(app, "count-mbeans bpfhook:type=NetworkNamespace,*", "mbeans 0");
            assertEquals(0, app.mbean("NetworkNamespacesWithoutMBean").get("NetworkNamespacesWithoutMBean"));
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
        }
    }

    /** A process in the network namespace and the cgroup tries one TCP connect, refused on its loopback. */
    private static void connectAttemptIn(String namespace, Path cgroup) throws Exception {
        // into the cgroup first: ip netns exec mounts a /sys of the namespace's own, without the cgroups
        Process p = new ProcessBuilder("sh", "-c", "echo $$ > \"$0\"/cgroup.procs && exec ip netns exec \"$1\" "
                + "bash -c 'ip link set lo up && exec 3<>/dev/tcp/127.0.0.1/9' 2>/dev/null", cgroup.toString(),
                namespace).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(TIMEOUT_MS, TimeUnit.MILLISECONDS), "connect attempt in " + namespace);
        assertEquals(1, p.exitValue(), "the connect is refused, nothing listens in a new namespace: " + out);
    }

    private static void awaitAnswer(LoadTestApp.Driver app, String command, String answer) throws Exception {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        String last = app.ask(command, answer.split(" ")[0], TIMEOUT_MS);
        while (!last.equals(answer) && System.nanoTime() < end) {
            Thread.sleep(200);
            last = app.ask(command, answer.split(" ")[0], TIMEOUT_MS);
        }
        assertEquals(answer, last, command);
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(TIMEOUT_MS, TimeUnit.MILLISECONDS), String.join(" ", command));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
        return out;
    }

    /** The TCP sockets of either end of {@code port} by state, as ss(8) lists them. */
    private static Map<String, Integer> tcpStates(String port) throws Exception {
        String out = run("ss", "-tanH", "( sport = :" + port + " or dport = :" + port + " )");
        Map<String, Integer> states = new TreeMap<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                states.merge(line.trim().split("\\s+")[0], 1, Integer::sum);
            }
        }
        return states;
    }

    /** Closes of established connections, counted as closed or, when the kernel had lost track, as untracked. */
    private static long closes(Map<String, Long> counters) {
        return counters.get("ClosedConnections") + counters.get("ClosedUntracked");
    }

    /** Accepts and closes connections until the server socket is closed. */
    private static void acceptAndClose(ServerSocket server) {
        Thread t = new Thread(() -> {
            while (true) {
                try (Socket s = server.accept()) {
                    s.getInputStream().read();
                } catch (Exception closed) {
                    return;
                }
            }
        }, "outside-acceptor");
        t.setDaemon(true);
        t.start();
    }

    private static Map<String, Long> minus(Map<String, Long> later, Map<String, Long> earlier) {
        Map<String, Long> delta = new TreeMap<>();
        later.forEach((k, v) -> delta.put(k, v - earlier.get(k)));
        return delta;
    }
}
