package dev.bpfhook.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.apps.AgentTestApp;
import dev.bpfhook.testing.Await;
import dev.bpfhook.testing.ChildJvm;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.TestCgroup;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanServerConnection;
import javax.management.Notification;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent's MBeans as a JMX client sees them: a child JVM with the agent and
 * remote JMX on loopback, read over RMI like JConsole or VisualVM read it.
 */
class JmxIT {
    private static final long TIMEOUT_MS = 30_000;
    private static final ObjectName MONITOR = name("bpfhook:type=ConnectionMonitor");
    /** The type of a connection event's notification, without its kind. */
    private static final String NOTIFICATION = "bpfhook.connection.";

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void attributesShowExactlyTheConnectionsTheChildMade() throws Exception {
        try (TestCgroup cgroup = TestCgroup.create("jmx");
             Child child = Child.start(cgroup, "jmx.notifications=on,jmx.notifications.rate=1000")) {
            MBeanServerConnection jmx = child.connection();
            assertEquals("RUNNING", jmx.getAttribute(MONITOR, "Status"));
            assertEquals("/" + cgroup.directory().getFileName(), jmx.getAttribute(MONITOR, "Scope"));
            assertEquals(cgroup.id(), jmx.getAttribute(MONITOR, "ScopeCgroupId"));
            CompositeData state = Arrays.stream((CompositeData[]) jmx.getAttribute(MONITOR, "Hooks"))
                    .filter(h -> h.get("hook").equals("tcp-state")).findFirst().orElseThrow();
            assertEquals("records staged per CPU", state.get("notes"), "how the lifecycle hook's records go");

            List<Notification> notifications = new ArrayList<>();
            jmx.addNotificationListener(MONITOR, (n, handback) -> {
                synchronized (notifications) {
                    notifications.add(n);
                }
            }, null, null);
            long outboundBefore = longAttribute(jmx, "OutboundConnections");
            long failedBefore = longAttribute(jmx, "FailedConnections");
            child.jvm.send("tcp 5");
            child.jvm.awaitStdout(l -> l.equals("done tcp 5"), TIMEOUT_MS);
            int port = Integer.parseInt(child.jvm.awaitStdout(l -> l.startsWith("port "), TIMEOUT_MS).substring(5));
            // each connection's close is its last event: once both ends of all 5 are closed in the table, every
            // event of the exchanges is in the ring before anything the child does from now on
            Await.until(() -> closedRows(jmx, port, "OUTBOUND") >= 5 && closedRows(jmx, port, "INBOUND") >= 5,
                    "both ends of the 5 exchanges closed in RecentConnections");

            // the barrier: a connect refused after all that. The kernel counts its failure before connect()
            // returns, and the MBeans' snapshot only gets newer; the ring thread hands events to the notifier
            // in order, which sends them in order: its close's notification comes after every earlier one
            String refused = "127.0.0.1:" + refusedConnect(child.jvm);
            Await.until(() -> longAttribute(jmx, "FailedConnections") - failedBefore == 1,
                    "the refused connect counted");
            Await.until(() -> notified(notifications, "state", refused, "CLOSE"), "the refused connect's close "
                    + "notified");

            // the JMX connection itself is inbound to the child, so the outbound count is the exact one
            assertEquals(5, longAttribute(jmx, "OutboundConnections") - outboundBefore,
                    "outbound connections made by the child");

            CompositeData[] recent = (CompositeData[]) jmx.getAttribute(MONITOR, "RecentConnections");
            List<CompositeData> out = rows(recent, port, "OUTBOUND");
            List<CompositeData> in = rows(recent, port, "INBOUND");
            assertEquals(5, out.size(), "outbound rows to the app's port");
            assertEquals(5, in.size(), "inbound rows on the app's port");
            for (CompositeData c : out) {
                assertEquals((int) child.jvm.pid(), c.get("pid"));
                assertEquals("CLOSE", c.get("state"));
                assertEquals(50L, c.get("bytesSent"));
                assertEquals(25L, c.get("bytesReceived"));
                assertEquals("127.0.0.1:" + port, c.get("remote"));
            }

            ObjectName cgroupBean = name("bpfhook:type=Cgroup,path=" + ObjectName.quote("/" + cgroup.directory()
                    .getFileName()) + ",container=" + ObjectName.quote("host"));
            ObjectName namespaces = name("bpfhook:type=NetworkNamespace,*");
            // one sweep registers both, the cgroup's first
            Await.until(() -> registered(jmx, cgroupBean) && registered(jmx, namespaces),
                    "the cgroup's MBean and a network namespace's");
            assertEquals(jmx.getAttribute(MONITOR, "OutboundConnections"), jmx.getAttribute(cgroupBean,
                    "OutboundConnections"));

            assertEquals(5, connectNotifications(notifications, "127.0.0.1:" + port),
                    "one connect notification per outbound connect");
            assertEquals(6, connectNotifications(notifications, null), "and the refused one's, no other");

            CompositeData[] found = (CompositeData[]) jmx.invoke(MONITOR, "findConnections",
                    new Object[] {Integer.toString(port)}, new String[] {String.class.getName()});
            assertEquals(0, found.length, "the app's connections are all closed");
            Exception bad = assertThrows(Exception.class, () -> jmx.invoke(MONITOR, "findConnections",
                    new Object[] {"no-such-host"}, new String[] {String.class.getName()}));
            assertTrue(String.valueOf(rootMessage(bad)).contains("is not a port"), String.valueOf(rootMessage(bad)));
        }
    }

    @Test
    void everyAttributeHasADescriptionAndBytesHaveUnits() throws Exception {
        try (TestCgroup cgroup = TestCgroup.create("jmxinfo"); Child child = Child.start(cgroup, "")) {
            MBeanServerConnection jmx = child.connection();
            MBeanInfo info = jmx.getMBeanInfo(MONITOR);
            assertTrue(info.getDescription().contains("bpfhook"), info.getDescription());
            for (MBeanAttributeInfo a : info.getAttributes()) {
                assertFalse(a.getDescription() == null || a.getDescription().isEmpty()
                        || a.getDescription().equals(a.getName()), "description of " + a.getName());
            }
            MBeanAttributeInfo bytes = attribute(info, "BytesSent");
            assertEquals("bytes", bytes.getDescriptor().getFieldValue("units"));
            assertEquals("counter", bytes.getDescriptor().getFieldValue("metricType"));
            assertEquals("gauge", attribute(info, "ActiveConnections").getDescriptor().getFieldValue("metricType"));
            javax.management.MBeanOperationInfo find = java.util.Arrays.stream(info.getOperations())
                    .filter(op -> op.getName().equals("findConnections")).findFirst()
                    .orElseThrow(() -> new AssertionError("no findConnections"));
            assertEquals("filter", find.getSignature()[0].getName());
        }
    }

    @Test
    void aRemovedCgroupLosesItsMBeanAndTheTotalsKeepItsCounts() throws Exception {
        try (TestCgroup cgroup = TestCgroup.create("jmxgone");
             Child child = Child.start(cgroup, "jmx.cgroups=2");
             ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            MBeanServerConnection jmx = child.connection();
            List<Path> subs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Path sub = Files.createDirectory(cgroup.directory().resolve("sub" + i));
                subs.add(sub);
                connectFrom(sub, listener);
            }
            // four cgroups have connections: the three sub-cgroups (outbound) and the child's own (this
            // test's JMX connection, inbound); the bound is two
            Await.until(() -> intAttribute(jmx, "CgroupMBeans") == 2 && intAttribute(jmx, "CgroupsWithoutMBean") == 2,
                    "two MBeans (the bound) and two cgroups without");
            assertEquals(2, jmx.queryNames(name("bpfhook:type=Cgroup,*"), null).size());
            // the sweep that saw the last sub-cgroup may have read the kernel between its connect's SYN and the
            // end of its handshake (its counters are made at the SYN): the snapshot attributes read for up to a
            // second then had the cgroup, not yet its outbound connection
            Await.until(() -> longAttribute(jmx, "OutboundConnections") == 3, "one outbound connection per "
                    + "sub-cgroup");
            long total = (Long) jmx.getAttribute(MONITOR, "TotalConnections");

            for (Path sub : subs) {
                Files.delete(sub);
            }
            String own = "/" + cgroup.directory().getFileName();
            Await.until(() -> intAttribute(jmx, "CgroupsWithoutMBean") == 0 && intAttribute(jmx, "CgroupMBeans") == 1,
                    "the removed cgroups' MBeans gone, the child's own registered");
            assertEquals(Set.of(name("bpfhook:type=Cgroup,path=" + ObjectName.quote(own) + ",container=\"host\"")),
                    jmx.queryNames(name("bpfhook:type=Cgroup,*"), null));
            assertEquals(3L, jmx.getAttribute(MONITOR, "OutboundConnections"), "removed cgroups still count");
            assertTrue((Long) jmx.getAttribute(MONITOR, "TotalConnections") >= total, "totals never go backwards");
        }
    }

    /** A short-lived process in {@code cgroup} that connects to the listener and exits. */
    private static void connectFrom(Path cgroup, ServerSocket listener) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "echo $$ > \"$0\"/cgroup.procs && exec bash -c "
                + "'exec 3<>/dev/tcp/127.0.0.1/" + listener.getLocalPort() + "'", cgroup.toString()).start();
        try (Socket accepted = listener.accept()) {
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), new String(p.getErrorStream().readAllBytes()));
        }
    }

    /**
     * A connect the child makes to a loopback port that refuses it, after everything it did before; returns
     * that port.
     */
    private static int refusedConnect(ChildJvm child) throws Exception {
        child.send("refused 1");
        child.awaitStdout(l -> l.equals("done refused 1"), TIMEOUT_MS);
        return Integer.parseInt(child.awaitStdout(l -> l.startsWith("refusing port "), TIMEOUT_MS)
                .substring("refusing port ".length()));
    }

    private static long longAttribute(MBeanServerConnection jmx, String attribute) {
        try {
            return (Long) jmx.getAttribute(MONITOR, attribute);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** RecentConnections' rows in {@code direction} on the app's {@code port}: its remote port, or its local one. */
    private static List<CompositeData> rows(CompositeData[] recent, int port, String direction) {
        String portItem = direction.equals("OUTBOUND") ? "remotePort" : "localPort";
        List<CompositeData> rows = new ArrayList<>();
        for (CompositeData c : recent) {
            if ((Integer) c.get(portItem) == port && c.get("direction").equals(direction)) {
                rows.add(c);
            }
        }
        return rows;
    }

    private static long closedRows(MBeanServerConnection jmx, int port, String direction) {
        try {
            return rows((CompositeData[]) jmx.getAttribute(MONITOR, "RecentConnections"), port, direction).stream()
                    .filter(c -> c.get("state").equals("CLOSE")).count();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static int intAttribute(MBeanServerConnection jmx, String attribute) {
        try {
            return (Integer) jmx.getAttribute(MONITOR, attribute);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Connect notifications received, to {@code remote} ("host:port"), or all when null. */
    private static long connectNotifications(List<Notification> notifications, String remote) {
        synchronized (notifications) {
            return notifications.stream().filter(n -> n.getType().equals(NOTIFICATION + "connect")
                    && (remote == null || remote.equals(data(n).get("remote")))).count();
        }
    }

    /** Whether a notification of {@code kind} for a connection to {@code remote} into {@code newState} came. */
    private static boolean notified(List<Notification> notifications, String kind, String remote, String newState) {
        synchronized (notifications) {
            return notifications.stream().anyMatch(n -> n.getType().equals(NOTIFICATION + kind)
                    && remote.equals(data(n).get("remote")) && newState.equals(data(n).get("newState")));
        }
    }

    private static CompositeData data(Notification n) {
        return (CompositeData) n.getUserData();
    }

    /** Whether an MBean of this name, or of this pattern, is registered. */
    private static boolean registered(MBeanServerConnection jmx, ObjectName name) {
        try {
            return !jmx.queryNames(name, null).isEmpty();
        } catch (Exception e) {
            return false;
        }
    }

    private static MBeanAttributeInfo attribute(MBeanInfo info, String name) {
        for (MBeanAttributeInfo a : info.getAttributes()) {
            if (a.getName().equals(name)) {
                return a;
            }
        }
        throw new AssertionError("no attribute " + name);
    }

    private static Throwable rootMessage(Throwable t) {
        Throwable cause = t;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getMessage() == null ? cause : new Throwable(cause.getMessage());
    }

    private static ObjectName name(String text) {
        try {
            return new ObjectName(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** The child JVM with the agent and an RMI connector on loopback, and a client connected to it. */
    private static final class Child implements AutoCloseable {
        final ChildJvm jvm;
        private final JMXConnector connector;

        private Child(ChildJvm jvm, JMXConnector connector) {
            this.jvm = jvm;
            this.connector = connector;
        }

        /**
         * The child once its agent runs. When it does not, the child is closed (and the client with it) before
         * the failure goes on.
         */
        static Child start(TestCgroup cgroup, String options) throws Exception {
            int port;
            try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = free.getLocalPort();
            }
            JMXServiceURL url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + port + "/jmxrmi");
            JMXConnector[] connector = new JMXConnector[1];
            ChildJvm jvm = ChildJvm.builder(AgentTestApp.class.getName())
                    .agent(ChildJvm.agentJar(), options)
                    .jvmArg("-Dcom.sun.management.jmxremote.port=" + port)
                    .jvmArg("-Dcom.sun.management.jmxremote.rmi.port=" + port)
                    .jvmArg("-Dcom.sun.management.jmxremote.host=127.0.0.1")
                    .jvmArg("-Djava.rmi.server.hostname=127.0.0.1")
                    .jvmArg("-Dcom.sun.management.jmxremote.authenticate=false")
                    .jvmArg("-Dcom.sun.management.jmxremote.ssl=false")
                    .inCgroup(cgroup.directory()).start()
                    .ready(started -> {
                        started.awaitStdout(l -> l.startsWith("ready"), TIMEOUT_MS);
                        connector[0] = JMXConnectorFactory.connect(url);
                        try {
                            awaitAgent(connector[0].getMBeanServerConnection(), started);
                        } catch (Exception | Error e) {
                            try {
                                connector[0].close();
                            } catch (IOException closing) {
                                e.addSuppressed(closing);
                            }
                            throw e;
                        }
                    });
            return new Child(jvm, connector[0]);
        }

        /** Until the agent's MBean is there and past STARTING; fails if the agent is DISABLED. */
        private static void awaitAgent(MBeanServerConnection jmx, ChildJvm jvm) throws Exception {
            Await.until(() -> {
                try {
                    return jmx.isRegistered(MONITOR) && !"STARTING".equals(jmx.getAttribute(MONITOR, "State"));
                } catch (Exception e) {
                    return false;
                }
            }, "the agent's MBean");
            assertNotEquals("DISABLED", jmx.getAttribute(MONITOR, "State"), jvm.describe());
        }

        MBeanServerConnection connection() throws Exception {
            return connector.getMBeanServerConnection();
        }

        @Override
        public void close() throws Exception {
            try {
                connector.close();
            } finally {
                jvm.send("exit 0");
                jvm.waitFor(TIMEOUT_MS);
                jvm.close();
            }
        }
    }
}
