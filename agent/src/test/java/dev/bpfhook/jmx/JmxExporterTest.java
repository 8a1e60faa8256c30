package dev.bpfhook.jmx;

import static dev.bpfhook.jmx.ConnectionFilterTest.at;
import static dev.bpfhook.jmx.TestCounters.active;
import static dev.bpfhook.jmx.TestCounters.counters;
import static dev.bpfhook.jmx.TestCounters.idle;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.container.ContainerResolver;
import dev.bpfhook.container.HostIdentity;
import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.Direction;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.KernelCounters;
import dev.bpfhook.event.Protocol;
import dev.bpfhook.event.TcpState;
import dev.bpfhook.report.Attribution;
import dev.bpfhook.track.ConnectionTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import javax.management.JMException;
import javax.management.JMX;
import javax.management.MBeanNotificationInfo;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.Notification;
import javax.management.ObjectName;
import javax.management.RuntimeMBeanException;
import javax.management.StandardMBean;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The exporter in a private MBeanServer, over a fake agent state: which MBeans
 * it registers under which names, and what a JMX client reads from them. Every
 * attribute is read through the server, so the MXBean mapping is what is tested.
 */
class JmxExporterTest {
    private static final long TIMEOUT_MS = 10_000;
    private static final long OWN_CGROUP = 42;
    private static final long OWN_NETNS = 4026531840L;
    private static final long OTHER_NETNS = 4026532337L;
    private static final String OWN_PATH = "/app.slice/service.scope";
    /** A comma, quotes, an equals sign, wildcards and a backslash: all special in an ObjectName. */
    private static final String ODD_PATH = "/app.slice/worker,1 \"blue\"=*?\\.scope";
    private static final String PLAIN_PATH = "/app.slice/plain.scope";
    private static final String DOCKER_ID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private static final String DOCKER_PATH = "/system.slice/docker-" + DOCKER_ID + ".scope";
    private static final String POD_UID = "8c5f3e2a-1b4d-4e6f-9a7b-0c1d2e3f4a5b";
    private static final String POD_PATH = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
            + POD_UID.replace('-', '_') + ".slice";
    private static final String SERVICE_PATH = "/system.slice/nginx.service";
    private static final ObjectName MONITOR = name("bpfhook:type=ConnectionMonitor");

    private final MBeanServer server = MBeanServerFactory.newMBeanServer();
    private final Map<Long, String> paths = new ConcurrentHashMap<>();
    private final Set<Long> gone = ConcurrentHashMap.newKeySet();
    private FakeMonitorState state = new FakeMonitorState();
    private JmxExporter exporter;

    JmxExporterTest() {
        paths.put(OWN_CGROUP, OWN_PATH);
        paths.put(101L, ODD_PATH);
        paths.put(102L, PLAIN_PATH);
        paths.put(103L, DOCKER_PATH);
        paths.put(104L, POD_PATH);
        paths.put(105L, SERVICE_PATH);
    }

    @AfterEach
    void close() {
        if (exporter != null) {
            exporter.close();
        }
    }

    // ---- destinations ----

    @Test
    void eachKeptDestinationHasAnMBeanAndTheMonitorListsThemSorted() throws Exception {
        connectTo(OWN_CGROUP, "10.0.0.5", 5432, 3);
        connectTo(OWN_CGROUP, "10.0.0.6", 6379, 1);
        start(256, null);

        exporter.sweep();

        ObjectName db = JmxExporter.destinationName("outbound", "10.0.0.5:5432", OWN_PATH);
        assertTrue(server.isRegistered(db), String.valueOf(server.queryNames(name("bpfhook:type=Destination,*"), null)));
        assertEquals("10.0.0.5:5432", server.getAttribute(db, "Destination"));
        assertEquals(OWN_PATH, server.getAttribute(db, "CgroupPath"));
        assertEquals(3L, server.getAttribute(db, "Established"));
        assertEquals(3L, server.getAttribute(db, "ConnectLatency") instanceof CompositeData
                ? ((CompositeData) server.getAttribute(db, "ConnectLatency")).get("count") : null);
        CompositeData[] rows = (CompositeData[]) server.getAttribute(MONITOR, "Destinations");
        assertEquals(2, rows.length);
        assertEquals("10.0.0.5:5432", rows[0].get("destination"), "most connections first");
        assertEquals("10.0.0.6:6379", rows[1].get("destination"));
    }

    @Test
    void operationsChangeTheTrackerAndAResetRemovesTheDestinationMBeans() throws Exception {
        connectTo(OWN_CGROUP, "10.0.0.5", 5432, 1);
        start(256, null);
        exporter.sweep();
        assertEquals(1, server.queryNames(name("bpfhook:type=Destination,*"), null).size());

        server.invoke(MONITOR, "setDestinationTop", new Object[] {7}, new String[] {"int"});
        server.invoke(MONITOR, "setSlowConnectThreshold", new Object[] {250L}, new String[] {"long"});
        server.invoke(MONITOR, "pauseEvents", new Object[0], new String[0]);
        assertEquals(7, server.getAttribute(MONITOR, "DestinationTop"));
        assertEquals(250L, server.getAttribute(MONITOR, "SlowConnectThresholdMillis"));
        assertEquals(false, server.getAttribute(MONITOR, "EventEmission"));
        server.invoke(MONITOR, "resumeEvents", new Object[0], new String[0]);
        server.invoke(MONITOR, "resetDestinationStatistics", new Object[0], new String[0]);
        exporter.sweep();
        server.invoke(MONITOR, "detach", new Object[0], new String[0]);

        assertEquals(Arrays.asList("top 7", "slow 250", "paused", "resumed", "reset", "detached"), state.changes);
        assertEquals(true, server.getAttribute(MONITOR, "EventEmission"));
        assertTrue(server.queryNames(name("bpfhook:type=Destination,*"), null).isEmpty(), "reset: no destinations");
    }

    private void connectTo(long cgroup, String host, int port, int times) {
        for (int i = 0; i < times; i++) {
            long cookie = 1000 + port * 10L + i;
            java.net.InetSocketAddress to = new java.net.InetSocketAddress(host, port);
            state.destinationEvent(ConnectionEvent.builder(EventKind.CONNECT).socketCookie(cookie)
                    .cgroupId(cgroup).timestampNs(1_000_000L).remote(to).direction(Direction.OUTBOUND).build());
            state.destinationEvent(ConnectionEvent.builder(EventKind.STATE).socketCookie(cookie)
                    .cgroupId(cgroup).timestampNs(2_000_000L).remote(to).direction(Direction.OUTBOUND)
                    .states(TcpState.SYN_SENT, TcpState.ESTABLISHED).build());
        }
    }

    // ---- names ----

    @Test
    void startRegistersTheConnectionMonitorUnderItsFixedName() throws Exception {
        assertFalse(server.isRegistered(MONITOR));

        start(256, null);

        assertTrue(server.isRegistered(MONITOR));
        assertEquals(MONITOR, JmxExporter.monitorName());
        assertEquals("bpfhook:type=ConnectionMonitor", ConnectionMonitorMXBean.OBJECT_NAME);
        assertEquals(Collections.singleton(MONITOR), server.queryNames(name("bpfhook:*"), null),
                "nothing else before a snapshot has cgroups");
    }

    @Test
    void cgroupNameQuotesThePathAndTheContainer() throws Exception {
        ObjectName n = JmxExporter.cgroupName(ODD_PATH, "host");

        assertEquals("bpfhook", n.getDomain());
        assertEquals("Cgroup", n.getKeyProperty("type"));
        assertEquals(ObjectName.quote(ODD_PATH), n.getKeyProperty("path"));
        assertEquals(ODD_PATH, ObjectName.unquote(n.getKeyProperty("path")));
        assertEquals("\"host\"", n.getKeyProperty("container"));
        assertFalse(n.isPattern(), "* and ? in a path are quoted, not wildcards");
        assertEquals(name("bpfhook:type=Cgroup,path=\"/a\",container=\"docker:0123456789ab\""),
                JmxExporter.cgroupName("/a", "docker:0123456789ab"));
        assertEquals(name("bpfhook:type=NetworkNamespace,cookie=4026531840"), JmxExporter.namespaceName(OWN_NETNS));
    }

    @Test
    void cgroupObjectNameCarriesTheContainerLabel() throws Exception {
        state.cgroup(101, active(1)).cgroup(103, active(1)).cgroup(104, active(1)).cgroup(105, active(1));
        start(256, null);

        exporter.sweep();

        assertEquals(set(name("bpfhook:type=Cgroup,path=" + ObjectName.quote(ODD_PATH) + ",container=\"host\""),
                name("bpfhook:type=Cgroup,path=\"" + DOCKER_PATH + "\",container=\"docker:0123456789ab\""),
                name("bpfhook:type=Cgroup,path=\"" + POD_PATH + "\",container=\"pod:" + POD_UID + "\""),
                name("bpfhook:type=Cgroup,path=\"" + SERVICE_PATH + "\",container=\"service:nginx\"")),
                cgroupBeans());
        assertEquals(set(name("bpfhook:type=Cgroup,path=\"" + DOCKER_PATH + "\",container=\"docker:0123456789ab\"")),
                server.queryNames(name("bpfhook:type=Cgroup,container=\"docker:*\",*"), null),
                "a client can select the containers' MBeans by the key");
    }

    // ---- cgroup MBeans ----

    @Test
    void sweepRegistersOneCgroupMBeanPerCgroupUnderItsQuotedPath() throws Exception {
        state.cgroup(OWN_CGROUP, active(1)).cgroup(101, active(2)).cgroup(102, idle(3));
        start(256, null);

        exporter.sweep();

        assertEquals(set(cgroupBean(OWN_PATH), cgroupBean(ODD_PATH), cgroupBean(PLAIN_PATH)), cgroupBeans());
        assertEquals(ODD_PATH, attribute(cgroupBean(ODD_PATH), "Path"));
        assertEquals(101L, attribute(cgroupBean(ODD_PATH), "CgroupId"));
        assertEquals(OWN_PATH, attribute(cgroupBean(OWN_PATH), "Path"));
        assertEquals(3, attribute(MONITOR, "CgroupMBeans"));
        assertEquals(0, attribute(MONITOR, "CgroupsWithoutMBean"));
    }

    @Test
    void sweepRunsOnItsOwnAfterStart() throws Exception {
        state.cgroup(101, active(1));

        start(256, null);

        await(() -> server.isRegistered(cgroupBean(ODD_PATH)), "the sweeper registers the cgroup's MBean");
    }

    @Test
    void sweepTwiceRegistersEachCgroupOnce() throws Exception {
        state.cgroup(OWN_CGROUP, active(1)).cgroup(101, active(2));
        start(256, null);

        exporter.sweep();
        exporter.sweep();

        assertEquals(2, cgroupBeans().size());
        assertEquals(2, attribute(MONITOR, "CgroupMBeans"));
    }

    @Test
    void cgroupAttributesAreThatCgroupsKernelCounters() throws Exception {
        state.cgroup(OWN_CGROUP, active(9)).cgroup(101, counters().connectAttempts(20).udpConnects(4).outbound(15)
                .inbound(6).failed(5, 2, 1, 1, 0).closed(12).bytes(300, 400).retransmits(7).build());
        start(256, null);
        exporter.sweep();

        ObjectName bean = cgroupBean(ODD_PATH);
        assertEquals(25L, attribute(bean, "TotalConnections"), "15 out + 6 in + 4 UDP");
        assertEquals(9L, attribute(bean, "ActiveConnections"), "21 TCP - 12 closed");
        assertEquals(15L, attribute(bean, "OutboundConnections"));
        assertEquals(6L, attribute(bean, "InboundConnections"));
        assertEquals(4L, attribute(bean, "UdpConnects"));
        assertEquals(5L, attribute(bean, "FailedConnections"));
        assertEquals(12L, attribute(bean, "ClosedConnections"));
        assertEquals(300L, attribute(bean, "BytesSent"));
        assertEquals(400L, attribute(bean, "BytesReceived"));
        assertEquals(7L, attribute(bean, "Retransmits"));
        assertEquals(false, attribute(bean, "Container"), "a plain cgroup is the host's");
        assertEquals("", attribute(bean, "ContainerId"));
        assertEquals("", attribute(bean, "Runtime"));
        assertEquals("", attribute(bean, "PodUid"));
        assertEquals("", attribute(bean, "Service"));
    }

    @Test
    void cgroupAttributesNameTheContainerPodOrService() throws Exception {
        state.cgroup(103, active(1)).cgroup(104, active(1)).cgroup(105, active(1));
        start(256, null);
        exporter.sweep();

        ObjectName docker = cgroupBean(DOCKER_PATH);
        assertEquals(true, attribute(docker, "Container"));
        assertEquals(DOCKER_ID, attribute(docker, "ContainerId"), "the full id");
        assertEquals("docker", attribute(docker, "Runtime"));
        assertEquals("", attribute(docker, "PodUid"));
        assertEquals("", attribute(docker, "Service"));
        ObjectName pod = cgroupBean(POD_PATH);
        assertEquals(true, attribute(pod, "Container"));
        assertEquals("", attribute(pod, "ContainerId"));
        assertEquals("kubernetes", attribute(pod, "Runtime"));
        assertEquals(POD_UID, attribute(pod, "PodUid"));
        ObjectName service = cgroupBean(SERVICE_PATH);
        assertEquals(false, attribute(service, "Container"));
        assertEquals("", attribute(service, "Runtime"));
        assertEquals("nginx", attribute(service, "Service"));
    }

    @Test
    void cgroupMBeansStopAtMaxCgroupsAndTheRestAreCounted() throws Exception {
        state.cgroup(OWN_CGROUP, active(1)).cgroup(101, active(2)).cgroup(102, active(3));
        start(2, null);

        exporter.sweep();

        assertEquals(set(cgroupBean(OWN_PATH), cgroupBean(ODD_PATH)), cgroupBeans(), "the first two, in snapshot order");
        assertEquals(2, attribute(MONITOR, "CgroupMBeans"));
        assertEquals(1, attribute(MONITOR, "CgroupsWithoutMBean"));
        assertEquals(6L, attribute(MONITOR, "TotalConnections"), "the totals still count every cgroup");
    }

    @Test
    void aCgroupRetiredUnderTheLimitFreesItsPlaceForAWaitingOne() throws Exception {
        state.cgroup(OWN_CGROUP, active(1)).cgroup(101, idle(2)).cgroup(102, active(3));
        start(2, null);
        exporter.sweep();
        assertEquals(1, attribute(MONITOR, "CgroupsWithoutMBean"));

        gone.add(101L);
        exporter.sweep(); // 101 retired
        exporter.sweep(); // 102 takes its place

        assertEquals(set(cgroupBean(OWN_PATH), cgroupBean(PLAIN_PATH)), cgroupBeans());
        assertEquals(2, attribute(MONITOR, "CgroupMBeans"));
        assertEquals(0, attribute(MONITOR, "CgroupsWithoutMBean"));
    }

    @Test
    void goneAndIdleCgroupIsUnregisteredAndRetiredWithItsCountsKeptInTheTotals() throws Exception {
        state.cgroup(OWN_CGROUP, active(1)).cgroup(101, counters().outbound(4).inbound(2).udpConnects(1).closed(6)
                .bytes(10, 20).build());
        start(256, null);
        exporter.sweep();
        assertTrue(server.isRegistered(cgroupBean(ODD_PATH)));
        assertEquals(8L, attribute(MONITOR, "TotalConnections"));

        gone.add(101L);
        exporter.sweep();

        assertFalse(server.isRegistered(cgroupBean(ODD_PATH)));
        assertEquals(Collections.singletonList(101L), state.retireCalls());
        assertEquals(1, attribute(MONITOR, "CgroupMBeans"));
        assertEquals(8L, attribute(MONITOR, "TotalConnections"), "retired counts stay in the totals");
        assertEquals(10L, attribute(MONITOR, "BytesSent"));
        assertEquals(1L, attribute(MONITOR, "ActiveConnections"));
    }

    @Test
    void goneButStillActiveCgroupKeepsItsMBean() throws Exception {
        state.cgroup(101, counters().outbound(3).closed(2).build()); // one still open
        start(256, null);
        exporter.sweep();

        gone.add(101L);
        exporter.sweep();

        assertTrue(server.isRegistered(cgroupBean(ODD_PATH)));
        assertEquals(1L, attribute(cgroupBean(ODD_PATH), "ActiveConnections"));
        assertEquals(Collections.emptyList(), state.retireCalls());
    }

    @Test
    void idleCgroupThatStillExistsKeepsItsMBean() throws Exception {
        state.cgroup(101, idle(5));
        start(256, null);

        exporter.sweep();
        exporter.sweep();

        assertTrue(server.isRegistered(cgroupBean(ODD_PATH)));
        assertEquals(Collections.emptyList(), state.retireCalls());
    }

    @Test
    void goneAndIdleCgroupOverTheLimitIsRetiredWithoutAnMBean() throws Exception {
        state.cgroup(OWN_CGROUP, active(1)).cgroup(102, idle(2));
        gone.add(102L);
        start(1, null);

        exporter.sweep();

        assertEquals(set(cgroupBean(OWN_PATH)), cgroupBeans());
        assertEquals(Collections.singletonList(102L), state.retireCalls());
        assertEquals(0, attribute(MONITOR, "CgroupsWithoutMBean"), "retired, so not waiting for an MBean");
    }

    /**
     * A systemd service restart removes its cgroup and makes a new one with the
     * same path (a new id). While the old one is still registered (it is gone but
     * counted active, e.g. a close the kernel never saw), the new one cannot take
     * its name; the sweep goes on (it once threw InstanceAlreadyExistsException, and
     * every cgroup after it in the snapshot and every namespace got no MBean).
     */
    @Test
    void aCgroupWhosePathIsTakenDoesNotStopTheSweep() throws Exception {
        paths.put(201L, "/system.slice/restarted.service");
        paths.put(202L, "/system.slice/restarted.service"); // the same service, restarted: a new cgroup
        paths.put(203L, "/system.slice/other.service");
        state.cgroup(201, active(1));
        start(256, null);
        exporter.sweep();
        gone.add(201L);
        state.cgroup(202, active(1)).cgroup(203, active(1)).namespace(OWN_NETNS, active(3));

        assertDoesNotThrow(() -> exporter.sweep());

        assertTrue(server.isRegistered(cgroupBean("/system.slice/other.service")), "a cgroup after it in order");
        assertTrue(server.isRegistered(JmxExporter.namespaceName(OWN_NETNS)), "namespaces after the cgroups");
    }

    /**
     * close() unregisters under the exporter's lock while the sweeper thread may be
     * waiting for that lock; the sweep that then runs must register nothing (it
     * once registered the cgroup and namespace MBeans again, after close). Forced
     * here: the test holds the lock (inside a sweep) until the sweeper waits for
     * it, then closes.
     */
    @Test
    void aSweepWaitingDuringCloseRegistersNothingAfterIt() throws Exception {
        BlockingState blocking = new BlockingState();
        blocking.cgroup(101, active(1)).namespace(OWN_NETNS, active(1));
        state = blocking;
        start(256, null);
        await(() -> server.isRegistered(cgroupBean(ODD_PATH)), "the first scheduled sweep");

        blocking.onNextSnapshotInThisThread = () -> {
            await(() -> sweeperState() == Thread.State.BLOCKED, "the sweeper waiting for the exporter's lock");
            exporter.close(); // reentrant: this thread holds the lock
        };
        exporter.sweep();
        await(() -> sweeperState() == null || sweeperState() != Thread.State.BLOCKED, "the waiting sweep ran");
        await(() -> blocking.snapshotsAfterClose > 0 || sweeperState() == null, "the waiting sweep read a snapshot");
        Thread.sleep(200); // let it finish registering, if it does

        assertEquals(Collections.emptySet(), server.queryNames(name("bpfhook:*"), null));
    }

    // ---- Java clients with the interfaces ----

    @Test
    void cgroupAndNamespaceMXBeanProxiesReadTheAttributes() throws Exception {
        state.cgroup(103, counters().outbound(4).inbound(1).closed(2).build()).namespace(OTHER_NETNS, active(2));
        start(256, null);
        exporter.sweep();

        CgroupMXBean cgroup = JMX.newMXBeanProxy(server, cgroupBean(DOCKER_PATH), CgroupMXBean.class);
        assertEquals(DOCKER_PATH, cgroup.getPath());
        assertEquals(5, cgroup.getTotalConnections());
        assertEquals(3, cgroup.getActiveConnections());
        assertEquals("docker", cgroup.getRuntime());
        NetworkNamespaceMXBean namespace = JMX.newMXBeanProxy(server, JmxExporter.namespaceName(OTHER_NETNS),
                NetworkNamespaceMXBean.class);
        assertEquals(OTHER_NETNS, namespace.getCookie());
        assertEquals(2, namespace.getActiveConnections());
        assertFalse(namespace.isOwnNamespace());
    }

    /**
     * The public interface works as an MXBean proxy (JMX.newMXBeanProxy): the proxy
     * checks every attribute's type first, so HookInfo, ProgramInfo and
     * ConnectionInfo must be constructible from a CompositeData (they once were not,
     * and no proxy could be made, not even to read a number).
     */
    @Test
    void connectionMonitorMXBeanProxyReadsTheAttributes() throws Exception {
        someConnections();
        state.hooks(Collections.singletonList(new HookInfo("outbound", "cgroup/connect4+connect6", "", "")))
                .programs(true, Collections.singletonList(new ProgramInfo("bh_connect4", 10, 25_000, 4)))
                .cgroup(OWN_CGROUP, active(3));
        start(256, null);

        ConnectionMonitorMXBean monitor = JMX.newMXBeanProxy(server, MONITOR, ConnectionMonitorMXBean.class);

        assertEquals(3, monitor.getTotalConnections());
        assertEquals("outbound", monitor.getHooks()[0].getHook());
        assertEquals(2_500, monitor.getProgramStats()[0].getAverageNanos());
        assertEquals(4, monitor.getProgramStats()[0].getMissedRuns());
        assertEquals("10.0.0.4:443", monitor.getRecentConnections()[0].getRemote());
        assertEquals("[::1]:8080", monitor.findConnections("[::1]")[0].getLocal());
    }

    // ---- network namespace MBeans ----

    @Test
    void sweepRegistersOneNetworkNamespaceMBeanPerCookie() throws Exception {
        state.cgroup(OWN_CGROUP, active(1))
                .namespace(OWN_NETNS, counters().outbound(5).inbound(3).udpConnects(2).closed(6).failed(1, 1, 0, 0, 0)
                        .bytes(111, 222).build())
                .namespace(OTHER_NETNS, active(4));
        start(256, null);

        exporter.sweep();

        ObjectName own = name("bpfhook:type=NetworkNamespace,cookie=" + OWN_NETNS);
        ObjectName other = name("bpfhook:type=NetworkNamespace,cookie=" + OTHER_NETNS);
        assertEquals(set(own, other), server.queryNames(name("bpfhook:type=NetworkNamespace,*"), null));
        assertEquals(OWN_NETNS, attribute(own, "Cookie"));
        assertEquals(true, attribute(own, "OwnNamespace"));
        assertEquals(false, attribute(other, "OwnNamespace"));
        assertEquals(10L, attribute(own, "TotalConnections"));
        assertEquals(2L, attribute(own, "ActiveConnections"));
        assertEquals(5L, attribute(own, "OutboundConnections"));
        assertEquals(3L, attribute(own, "InboundConnections"));
        assertEquals(1L, attribute(own, "FailedConnections"));
        assertEquals(111L, attribute(own, "BytesSent"));
        assertEquals(222L, attribute(own, "BytesReceived"));
        assertEquals(4L, attribute(other, "ActiveConnections"));
    }

    @Test
    void networkNamespaceMBeansStopAtTheSameLimit() throws Exception {
        state.namespace(OWN_NETNS, active(1)).namespace(OTHER_NETNS, active(1));
        start(1, null);

        exporter.sweep();

        assertEquals(set(JmxExporter.namespaceName(OWN_NETNS)),
                server.queryNames(name("bpfhook:type=NetworkNamespace,*"), null));
        assertEquals(1, attribute(MONITOR, "NetworkNamespacesWithoutMBean"));
    }

    /**
     * A namespace whose counters are gone (the monitor retired every cgroup counted in it) gives its MBean
     * up, and a namespace that waited for room gets one.
     */
    @Test
    void aNamespaceWhoseCountersAreGoneGivesItsMBeanToOneThatWaited() throws Exception {
        state.namespace(OWN_NETNS, active(1)).namespace(OTHER_NETNS, active(1));
        start(1, null);
        exporter.sweep();
        assertEquals(set(JmxExporter.namespaceName(OWN_NETNS)),
                server.queryNames(name("bpfhook:type=NetworkNamespace,*"), null));

        state.withoutNamespace(OWN_NETNS);
        exporter.sweep();

        assertEquals(set(JmxExporter.namespaceName(OTHER_NETNS)),
                server.queryNames(name("bpfhook:type=NetworkNamespace,*"), null));
        assertEquals(0, attribute(MONITOR, "NetworkNamespacesWithoutMBean"));
    }

    // ---- close ----

    @Test
    void closeUnregistersEverythingItRegisteredAndNothingElse() throws Exception {
        ObjectName foreign = name("app:type=Other");
        server.registerMBean(new StandardMBean(new Other(), OtherMBean.class), foreign);
        state.cgroup(OWN_CGROUP, active(1)).cgroup(101, active(1)).namespace(OWN_NETNS, active(2));
        start(256, null);
        exporter.sweep();
        assertEquals(4, server.queryNames(name("bpfhook:*"), null).size());

        exporter.close();

        assertEquals(Collections.emptySet(), server.queryNames(name("bpfhook:*"), null));
        assertTrue(server.isRegistered(foreign));
        assertDoesNotThrow(exporter::close, "a second close does nothing");
    }

    @Test
    void closeAfterAnMBeanWasUnregisteredByOthersStillUnregistersTheRest() throws Exception {
        state.cgroup(101, active(1));
        start(256, null);
        exporter.sweep();
        server.unregisterMBean(cgroupBean(ODD_PATH));

        exporter.close();

        assertEquals(Collections.emptySet(), server.queryNames(name("bpfhook:*"), null));
    }

    // ---- ConnectionMonitor attributes ----

    @Test
    void monitorCountersAreTheSumOfAllCgroupsAndRetiredOnes() throws Exception {
        state.cgroup(OWN_CGROUP, counters().connectAttempts(10).udpConnects(3).outbound(8).inbound(5)
                        .failed(2, 1, 1, 0, 0).closed(9).bytes(1000, 2000).retransmits(4).preexisting(2).build())
                .cgroup(101, counters().connectAttempts(20).outbound(15).failed(5, 2, 0, 1, 1).closed(12)
                        .bytes(300, 400).retransmits(1).build())
                .retired(counters().connectAttempts(100).udpConnects(7).outbound(90).inbound(30)
                        .failed(10, 10, 0, 0, 0).closed(120).bytes(50000, 60000).retransmits(9).build());
        start(256, null);

        assertEquals(158L, attribute(MONITOR, "TotalConnections"), "113 out + 35 in + 10 UDP");
        assertEquals(9L, attribute(MONITOR, "ActiveConnections"), "148 TCP + 2 preexisting - 141 closed");
        assertEquals(113L, attribute(MONITOR, "OutboundConnections"));
        assertEquals(35L, attribute(MONITOR, "InboundConnections"));
        assertEquals(130L, attribute(MONITOR, "ConnectAttempts"));
        assertEquals(10L, attribute(MONITOR, "UdpConnects"));
        assertEquals(17L, attribute(MONITOR, "FailedConnections"));
        assertEquals(2L, attribute(MONITOR, "PreexistingConnections"));
        assertEquals(141L, attribute(MONITOR, "ClosedConnections"));
        assertEquals(51300L, attribute(MONITOR, "BytesSent"));
        assertEquals(62400L, attribute(MONITOR, "BytesReceived"));
        assertEquals(14L, attribute(MONITOR, "Retransmits"));
    }

    @Test
    void failedConnectionsByReasonIsTabularDataWithEveryReason() throws Exception {
        state.cgroup(OWN_CGROUP, counters().failed(12, 5, 3, 2, 1).build())
                .retired(counters().failed(4, 4, 0, 0, 0).build());
        start(256, null);

        TabularData table = (TabularData) attribute(MONITOR, "FailedConnectionsByReason");

        Map<String, Long> expected = new TreeMap<>();
        expected.put("refused", 9L);
        expected.put("timed out", 3L);
        expected.put("unreachable", 2L);
        expected.put("reset", 1L);
        expected.put("closed locally", 0L);
        expected.put("other", 1L); // 16 - 9 - 3 - 2 - 1
        assertEquals(expected, rows(table));
        assertEquals(16L, attribute(MONITOR, "FailedConnections"));
    }

    @Test
    void lossCountersComeFromTheKernelStatsAndTheEventCounters() throws Exception {
        state = new FakeMonitorState(new ConnectionTable(2, 10));
        state.stats(TestCounters.stats(500, 7, 3, 2)).missedHookRuns(5);
        for (int i = 0; i < 493; i++) {
            state.events.received();
        }
        state.events.decodeError();
        state.events.listenerError();
        state.events.listenerError();
        for (int cookie = 1; cookie <= 3; cookie++) {
            state.table.join(connect(cookie, cookie).build());
        }
        start(256, null);

        assertEquals(493L, attribute(MONITOR, "EventsReceived"));
        assertEquals(7L, attribute(MONITOR, "DroppedEvents"));
        assertEquals(10L, attribute(MONITOR, "LostEvents"), "7 dropped + 1 undecodable + 2 refused by a listener");
        assertEquals(3L, attribute(MONITOR, "CounterUpdatesLost"));
        assertEquals(5L, attribute(MONITOR, "MissedHookRuns"), "not in LostEvents: a skipped run may have had no event");
        assertEquals(2L, attribute(MONITOR, "ClosedUntracked"));
        assertEquals(1L, attribute(MONITOR, "TableEvictions"), "3 open connections in a table of 2");
    }

    @Test
    void statusStateScopeHooksAndProgramStats() throws Exception {
        state.hooks(Arrays.asList(new HookInfo("outbound", "cgroup/connect4+connect6", "", ""),
                new HookInfo("accept", "kretprobe/inet_csk_accept", "fexit/inet_csk_accept: load failed: 1", ""),
                new HookInfo("tcp-state", "tp_btf/inet_sock_set_state", "", "records staged per CPU")))
                .programs(true, Collections.singletonList(new ProgramInfo("bh_connect4", 10, 25_000, 4)));
        start(256, null);

        assertEquals("RUNNING", attribute(MONITOR, "Status"));
        assertEquals("RUNNING", attribute(MONITOR, "State"));
        assertEquals("/app.slice/service.scope", attribute(MONITOR, "Scope"));
        assertEquals(42L, attribute(MONITOR, "ScopeCgroupId"));
        CompositeData[] hooks = (CompositeData[]) attribute(MONITOR, "Hooks");
        assertEquals(3, hooks.length);
        assertEquals(set("hook", "tier", "skipped", "notes"), hooks[0].getCompositeType().keySet());
        assertEquals("records staged per CPU", hooks[2].get("notes"));
        assertEquals("accept", hooks[1].get("hook"));
        assertEquals("kretprobe/inet_csk_accept", hooks[1].get("tier"));
        assertEquals("fexit/inet_csk_accept: load failed: 1", hooks[1].get("skipped"));
        assertEquals(true, attribute(MONITOR, "KernelStatsEnabled"));
        CompositeData[] programs = (CompositeData[]) attribute(MONITOR, "ProgramStats");
        assertEquals(1, programs.length);
        assertEquals(set("program", "runCount", "runTimeNanos", "averageNanos", "missedRuns"),
                programs[0].getCompositeType().keySet());
        assertEquals("bh_connect4", programs[0].get("program"));
        assertEquals(10L, programs[0].get("runCount"));
        assertEquals(25_000L, programs[0].get("runTimeNanos"));
        assertEquals(2_500L, programs[0].get("averageNanos"));
        assertEquals(4L, programs[0].get("missedRuns"));
    }

    @Test
    void connectionsByStateCountsTheOpenConnectionsInTheTable() throws Exception {
        someConnections();
        start(256, null);

        TabularData byState = (TabularData) attribute(MONITOR, "ConnectionsByState");

        Map<String, Integer> expected = new TreeMap<>();
        expected.put("ESTABLISHED", 2);
        expected.put("SYN_SENT", 1);
        assertEquals(expected, rows(byState));
    }

    @Test
    void recentConnectionsAreCompositeDataWithTheFieldsOfConnectionInfo() throws Exception {
        someConnections();
        start(256, null);

        CompositeData[] recent = (CompositeData[]) attribute(MONITOR, "RecentConnections");

        assertEquals(set("socketCookie", "pid", "tid", "command", "cgroupId", "cgroup", "netnsCookie", "container",
                "containerLabel", "protocol", "direction", "local", "remote", "localPort", "remotePort", "state", "failure",
                "preexisting", "durationMillis", "bytesSent", "bytesReceived", "srttMicros", "retransmits"),
                recent[0].getCompositeType().keySet());
        assertArrayEquals(new Object[] {5L, 4L, 3L, 2L, 1L}, column(recent, "socketCookie"), "most recent first");

        CompositeData connecting = recent[0];
        assertEquals("SYN_SENT", connecting.get("state"));
        assertEquals("10.0.0.4:443", connecting.get("remote"));
        assertEquals("", connecting.get("failure"));

        CompositeData udp = recent[1];
        assertEquals("UDP", udp.get("protocol"));
        assertEquals("UDP", udp.get("state"));
        assertEquals("10.0.0.53:53", udp.get("remote"));
        assertEquals(0L, udp.get("durationMillis"));

        CompositeData refused = recent[2];
        assertEquals(1234, refused.get("pid"));
        assertEquals(1236, refused.get("tid"));
        assertEquals("java", refused.get("command"));
        assertEquals("TCP", refused.get("protocol"));
        assertEquals("OUTBOUND", refused.get("direction"));
        assertEquals("10.0.0.1:41000", refused.get("local"));
        assertEquals("10.0.0.3:9", refused.get("remote"));
        assertEquals(41000, refused.get("localPort"));
        assertEquals(9, refused.get("remotePort"));
        assertEquals("CLOSE", refused.get("state"));
        assertEquals("refused", refused.get("failure"));
        assertEquals(250L, refused.get("durationMillis"), "3.0 s to 3.25 s, kernel time");
        assertEquals(false, refused.get("preexisting"));

        CompositeData inbound = recent[3];
        assertEquals("INBOUND", inbound.get("direction"));
        assertEquals("[::1]:8080", inbound.get("local"));
        assertEquals("[::1]:50000", inbound.get("remote"));
        assertEquals("ESTABLISHED", inbound.get("state"));
        assertEquals(103L, inbound.get("cgroupId"));
        assertEquals(DOCKER_PATH, inbound.get("cgroup"));
        assertEquals(OTHER_NETNS, inbound.get("netnsCookie"));
        assertEquals(true, inbound.get("container"));
        assertEquals("docker:0123456789ab", inbound.get("containerLabel"));
        assertEquals("http-worker", inbound.get("command"));

        CompositeData outbound = recent[4];
        assertEquals("10.0.0.1:45678", outbound.get("local"));
        assertEquals("10.0.0.2:8080", outbound.get("remote"));
        assertEquals(OWN_PATH, outbound.get("cgroup"));
        assertEquals(false, outbound.get("container"));
        assertEquals("host", outbound.get("containerLabel"));
        assertEquals(1235, outbound.get("tid"));
    }

    @Test
    void closedConnectionCarriesItsBytesRttAndRetransmits() throws Exception {
        state.table.join(connect(7, 1_000_000_000L).build());
        state.table.join(ConnectionEvent.builder(EventKind.STATE).socketCookie(7).timestampNs(1_100_000_000L)
                .local(at("10.0.0.1", 45000)).remote(at("10.0.0.2", 80))
                .states(TcpState.SYN_SENT, TcpState.ESTABLISHED).build());
        state.table.join(ConnectionEvent.builder(EventKind.STATE).socketCookie(7).timestampNs(3_100_000_000L)
                .local(at("10.0.0.1", 45000)).remote(at("10.0.0.2", 80)).states(TcpState.FIN_WAIT2, TcpState.CLOSE)
                .closeStats(5000, 7000, 250, 3).build());
        start(256, null);

        CompositeData c = ((CompositeData[]) attribute(MONITOR, "RecentConnections"))[0];

        assertEquals("CLOSE", c.get("state"));
        assertEquals("", c.get("failure"), "a normal close is no failure");
        assertEquals(5000L, c.get("bytesSent"));
        assertEquals(7000L, c.get("bytesReceived"));
        assertEquals(250, c.get("srttMicros"));
        assertEquals(3, c.get("retransmits"));
        assertEquals(2100L, c.get("durationMillis"));
    }

    @Test
    void findConnectionsReturnsTheOpenConnectionsMatchingTheFilter() throws Exception {
        someConnections();
        start(256, null);

        assertArrayEquals(new Object[] {2L, 1L}, column(find("8080"), "socketCookie"), "local or remote port");
        assertArrayEquals(new Object[] {2L}, column(find("[::1]:8080"), "socketCookie"));
        assertArrayEquals(new Object[] {1L}, column(find("10.0.0.2"), "socketCookie"));
        assertArrayEquals(new Object[] {5L, 2L, 1L}, column(find(""), "socketCookie"), "every open one");
        assertEquals(0, find("9").length, "the refused connect to port 9 is not open");
        assertEquals(0, find("53").length, "UDP connects are not open connections");
        assertEquals("10.0.0.1:45678", find("45678")[0].get("local"));
    }

    @Test
    void findConnectionsWithAHostNameFailsAndExplainsTheFilter() throws Exception {
        someConnections();
        start(256, null);

        RuntimeMBeanException e = assertThrows(RuntimeMBeanException.class, () -> find("localhost"));

        assertInstanceOf(IllegalArgumentException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("is not a port"), e.getCause().getMessage());
    }

    // ---- disabled ----

    @Test
    void disabledAgentWithoutSnapshotReadsZerosAndSaysWhy() throws Exception {
        state.disabled("not root (run as root or grant CAP_BPF)");
        start(256, null);
        exporter.sweep();

        assertEquals("DISABLED: not root (run as root or grant CAP_BPF)", attribute(MONITOR, "Status"));
        assertEquals("DISABLED", attribute(MONITOR, "State"));
        assertEquals("", attribute(MONITOR, "Scope"));
        assertEquals(0L, attribute(MONITOR, "ScopeCgroupId"));
        for (String counter : Arrays.asList("TotalConnections", "ActiveConnections", "OutboundConnections",
                "InboundConnections", "ConnectAttempts", "UdpConnects", "FailedConnections", "PreexistingConnections",
                "ClosedConnections", "BytesSent", "BytesReceived", "Retransmits", "EventsReceived", "DroppedEvents",
                "LostEvents", "CounterUpdatesLost", "MissedHookRuns", "ClosedUntracked", "TableEvictions",
                "NotificationsSent", "NotificationsDropped")) {
            assertEquals(0L, attribute(MONITOR, counter), counter);
        }
        Map<String, Long> noFailures = new TreeMap<>();
        for (String reason : Arrays.asList("refused", "timed out", "unreachable", "reset", "closed locally", "other")) {
            noFailures.put(reason, 0L);
        }
        assertEquals(noFailures, rows((TabularData) attribute(MONITOR, "FailedConnectionsByReason")));
        assertTrue(((TabularData) attribute(MONITOR, "ConnectionsByState")).isEmpty());
        assertEquals(0, ((CompositeData[]) attribute(MONITOR, "RecentConnections")).length);
        assertEquals(0, ((CompositeData[]) attribute(MONITOR, "Hooks")).length);
        assertEquals(0, find("").length);
        assertEquals(0, attribute(MONITOR, "CgroupMBeans"));
        assertEquals(0, attribute(MONITOR, "CgroupsWithoutMBean"));
        assertEquals(Collections.singleton(MONITOR), server.queryNames(name("bpfhook:*"), null));
    }

    @Test
    void runningStatusWithAReasonSaysBoth() throws Exception {
        state.status("DEGRADED", "no accept hook");
        start(256, null);

        assertEquals("DEGRADED: no accept hook", attribute(MONITOR, "Status"));
        assertEquals("DEGRADED", attribute(MONITOR, "State"));
    }

    // ---- notifications ----

    @Test
    void withoutNotifierTheMonitorDeclaresNoNotificationsAndCountsNone() throws Exception {
        start(256, null);

        assertEquals(0, server.getMBeanInfo(MONITOR).getNotifications().length);
        assertEquals(0L, attribute(MONITOR, "NotificationsSent"));
        assertEquals(0L, attribute(MONITOR, "NotificationsDropped"));
    }

    @Test
    void notificationsReachListenersOfTheConnectionMonitor() throws Exception {
        ConnectionNotifier notifier = new ConnectionNotifier(JmxExporter.monitorName(), 100);
        start(256, notifier);
        List<Notification> received = Collections.synchronizedList(new ArrayList<>());
        server.addNotificationListener(MONITOR, (n, handback) -> received.add(n), null, null);

        notifier.onEvent(connect(7, 1).process(1234, 1234, "java").build());

        await(() -> received.size() == 1, "one notification");
        assertEquals("bpfhook.connection.connect", received.get(0).getType());
        assertEquals(MONITOR, received.get(0).getSource());
        await(() -> notifier.sent() == 1, "counted as sent");
        assertEquals(1L, attribute(MONITOR, "NotificationsSent"));
        assertEquals(0L, attribute(MONITOR, "NotificationsDropped"));
        MBeanNotificationInfo[] infos = server.getMBeanInfo(MONITOR).getNotifications();
        assertEquals(1, infos.length);
        assertEquals(set("bpfhook.connection.connect", "bpfhook.connection.accept", "bpfhook.connection.state",
                "bpfhook.connection.existing"), new HashSet<>(Arrays.asList(infos[0].getNotifTypes())));
    }

    // ---- helpers ----

    private void start(int maxCgroups, ConnectionNotifier notifier) throws JMException {
        Attribution attribution = new Attribution(new HostIdentity(OWN_NETNS),
                id -> paths.getOrDefault(id, "cgroup:" + id));
        exporter = new JmxExporter(server, state, attribution, id -> !gone.contains(id), OWN_NETNS, maxCgroups,
                notifier);
        exporter.start();
    }

    /**
     * Five connections, most recent last: 1 outbound IPv4 established (own
     * cgroup), 2 inbound IPv6 established (a Docker container's cgroup and namespace),
     * 3 a refused connect, 4 a UDP connect, 5 a TCP connect still in SYN_SENT.
     */
    private void someConnections() {
        ConnectionTable t = state.table;
        t.join(connect(1, 1_000_000_000L).process(1234, 1235, "java").remote(at("10.0.0.2", 8080)).build());
        t.join(ConnectionEvent.builder(EventKind.STATE).socketCookie(1).timestampNs(1_000_500_000L)
                .direction(Direction.OUTBOUND).local(at("10.0.0.1", 45678)).remote(at("10.0.0.2", 8080))
                .states(TcpState.SYN_SENT, TcpState.ESTABLISHED).build());
        t.join(ConnectionEvent.builder(EventKind.ACCEPT).socketCookie(2).timestampNs(2_000_000_000L)
                .process(1234, 1240, "http-worker").cgroupId(103).netnsCookie(OTHER_NETNS)
                .direction(Direction.INBOUND).local(at("::1", 8080)).remote(at("::1", 50000))
                .states(TcpState.UNKNOWN, TcpState.ESTABLISHED).build());
        t.join(connect(3, 3_000_000_000L).process(1234, 1236, "java").remote(at("10.0.0.3", 9)).build());
        t.join(ConnectionEvent.builder(EventKind.STATE).socketCookie(3).timestampNs(3_250_000_000L)
                .local(at("10.0.0.1", 41000)).remote(at("10.0.0.3", 9)).states(TcpState.SYN_SENT, TcpState.CLOSE)
                .error(111).build());
        t.join(connect(4, 4_000_000_000L).protocol(Protocol.UDP).process(1234, 1237, "java")
                .local(at("10.0.0.1", 40000)).remote(at("10.0.0.53", 53)).build());
        t.join(connect(5, 5_000_000_000L).process(1234, 1238, "java").remote(at("10.0.0.4", 443)).build());
    }

    private static ConnectionEvent.Builder connect(long cookie, long timestampNs) {
        return ConnectionEvent.builder(EventKind.CONNECT).socketCookie(cookie).timestampNs(timestampNs)
                .cgroupId(OWN_CGROUP).netnsCookie(OWN_NETNS).direction(Direction.OUTBOUND);
    }

    private CompositeData[] find(String filter) throws JMException {
        return (CompositeData[]) server.invoke(MONITOR, "findConnections", new Object[] {filter},
                new String[] {String.class.getName()});
    }

    private Object attribute(ObjectName bean, String attribute) throws JMException {
        return server.getAttribute(bean, attribute);
    }

    private Set<ObjectName> cgroupBeans() {
        return server.queryNames(name("bpfhook:type=Cgroup,*"), null);
    }

    /** The Cgroup MBean of a path; its container key as the resolver labels the path ("host" for plain ones). */
    private static ObjectName cgroupBean(String path) {
        return name("bpfhook:type=Cgroup,path=" + ObjectName.quote(path) + ",container="
                + ObjectName.quote(ContainerResolver.resolve(path).label()));
    }

    /** A TabularData of Map<String, V> (rows of key and value) as a sorted map. */
    @SuppressWarnings("unchecked")
    private static <V> Map<String, V> rows(TabularData table) {
        assertEquals(set("key", "value"), table.getTabularType().getRowType().keySet());
        Map<String, V> map = new TreeMap<>();
        for (Object row : table.values()) {
            CompositeData r = (CompositeData) row;
            map.put((String) r.get("key"), (V) r.get("value"));
        }
        return map;
    }

    private static Object[] column(CompositeData[] rows, String key) {
        Object[] values = new Object[rows.length];
        for (int i = 0; i < rows.length; i++) {
            values[i] = rows[i].get(key);
        }
        return values;
    }

    @SafeVarargs
    private static <T> Set<T> set(T... items) {
        return new HashSet<>(Arrays.asList(items));
    }

    private static Thread.State sweeperState() {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("bpfhook-jmx") && t.isAlive()) {
                return t.getState();
            }
        }
        return null;
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TIMEOUT_MS * 1_000_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private static ObjectName name(String text) {
        try {
            return new ObjectName(text);
        } catch (JMException e) {
            throw new AssertionError(text, e);
        }
    }

    /** A state that runs a test's hook inside the next snapshot() of the thread that set it. */
    private static final class BlockingState extends FakeMonitorState {
        volatile Runnable onNextSnapshotInThisThread;
        volatile int snapshotsAfterClose;
        private volatile boolean closed;

        @Override
        public java.util.Optional<dev.bpfhook.track.MonitorSnapshot> snapshot() {
            Runnable hook = onNextSnapshotInThisThread;
            if (hook != null && !Thread.currentThread().getName().equals("bpfhook-jmx")) {
                onNextSnapshotInThisThread = null;
                hook.run();
                closed = true;
                return java.util.Optional.empty();
            }
            if (closed) {
                snapshotsAfterClose++;
            }
            return super.snapshot();
        }
    }

    public interface OtherMBean {
        int getValue();
    }

    public static final class Other implements OtherMBean {
        @Override
        public int getValue() {
            return 1;
        }
    }
}
