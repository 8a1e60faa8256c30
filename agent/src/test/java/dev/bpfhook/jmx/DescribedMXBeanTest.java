package dev.bpfhook.jmx;

import static dev.bpfhook.jmx.TestCounters.active;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.container.HostIdentity;
import dev.bpfhook.report.Attribution;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.management.Descriptor;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import javax.management.openmbean.ArrayType;
import javax.management.openmbean.CompositeType;
import javax.management.openmbean.OpenType;
import javax.management.openmbean.SimpleType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What JConsole and VisualVM show of the three MBeans: their MBeanInfo as a
 * client gets it from the server (not the interfaces), with the descriptions,
 * units, metric types and parameter names written on the interfaces.
 */
class DescribedMXBeanTest {
    /** What the JDK says when an MBean does not describe itself. */
    private static final Set<String> JDK_DEFAULTS = new HashSet<>(Arrays.asList("Attribute exposed for management",
            "Operation exposed for management", "Information on the management interface of the MBean"));
    private static final ObjectName MONITOR = JmxExporter.monitorName();
    private static final ObjectName CGROUP = JmxExporter.cgroupName("/app.slice/worker.scope", "host");
    private static final ObjectName NAMESPACE = JmxExporter.namespaceName(4026531840L);
    private static final ObjectName DESTINATION = JmxExporter.destinationName("outbound", "10.0.0.5:5432",
            "/app.slice/worker.scope");
    /** Numbers that name something (ids, cookies) or are settings, rather than count or measure it. */
    private static final Set<String> IDENTIFIERS = new HashSet<>(Arrays.asList("ScopeCgroupId", "CgroupId", "Cookie",
            "DestinationTop", "SlowConnectThresholdMillis"));

    private final MBeanServer server = MBeanServerFactory.newMBeanServer();
    private JmxExporter exporter;

    static Stream<Arguments> mbeans() {
        return Stream.of(Arguments.of(MONITOR, ConnectionMonitorMXBean.class),
                Arguments.of(CGROUP, CgroupMXBean.class),
                Arguments.of(NAMESPACE, NetworkNamespaceMXBean.class),
                Arguments.of(DESTINATION, DestinationMXBean.class));
    }

    @BeforeEach
    void register() throws Exception {
        FakeMonitorState state = new FakeMonitorState().cgroup(101, active(1)).namespace(4026531840L, active(1));
        state.destinationEvent(dev.bpfhook.event.ConnectionEvent.builder(dev.bpfhook.event.EventKind.CONNECT)
                .socketCookie(7).cgroupId(101).remote(new java.net.InetSocketAddress("10.0.0.5", 5432)).build());
        Attribution attribution = new Attribution(new HostIdentity(4026531840L), id -> "/app.slice/worker.scope");
        exporter = new JmxExporter(server, state, attribution, id -> true, 4026531840L, 256, null);
        exporter.start();
        exporter.sweep();
    }

    @AfterEach
    void close() {
        exporter.close();
    }

    @ParameterizedTest
    @MethodSource("mbeans")
    void mbeanIsDescribedByItsInterface(ObjectName name, Class<?> type) throws Exception {
        MBeanInfo info = server.getMBeanInfo(name);

        assertEquals(type.getAnnotation(Description.class).value(), info.getDescription());
        assertTrue(info.getDescription().contains("bpfhook"), info.getDescription());
    }

    @ParameterizedTest
    @MethodSource("mbeans")
    void everyAttributeHasItsOwnDescription(ObjectName name, Class<?> type) throws Exception {
        MBeanAttributeInfo[] attributes = server.getMBeanInfo(name).getAttributes();
        assertTrue(attributes.length >= 7, "attributes of " + name);

        for (MBeanAttributeInfo a : attributes) {
            String d = a.getDescription();
            assertNotNull(d, a.getName());
            assertFalse(d.trim().isEmpty(), a.getName());
            assertFalse(JDK_DEFAULTS.contains(d), a.getName() + " has the JDK's default description");
            assertEquals(described(type, a), d, a.getName());
        }
    }

    @ParameterizedTest
    @MethodSource("mbeans")
    void everyOperationAndItsParametersAreDescribed(ObjectName name, Class<?> type) throws Exception {
        for (MBeanOperationInfo op : server.getMBeanInfo(name).getOperations()) {
            assertFalse(op.getDescription().trim().isEmpty(), op.getName());
            assertFalse(JDK_DEFAULTS.contains(op.getDescription()), op.getName());
            for (MBeanParameterInfo p : op.getSignature()) {
                assertFalse(p.getDescription().trim().isEmpty(), op.getName() + "(" + p.getName() + ")");
                assertFalse(p.getName().matches("p\\d+"), "a real parameter name, not " + p.getName());
            }
        }
    }

    @Test
    void theMonitorsOperationsAreFindingAndRunTimeControl() throws Exception {
        Set<String> names = new HashSet<>();
        for (MBeanOperationInfo op : server.getMBeanInfo(MONITOR).getOperations()) {
            names.add(op.getName());
        }

        assertEquals(new HashSet<>(Arrays.asList("findConnections", "setDestinationTop", "setSlowConnectThreshold",
                "resetDestinationStatistics", "pauseEvents", "resumeEvents", "detach")), names);
    }

    @Test
    void findConnectionsTakesOneStringNamedFilter() throws Exception {
        MBeanOperationInfo find = Arrays.stream(server.getMBeanInfo(MONITOR).getOperations())
                .filter(op -> op.getName().equals("findConnections")).findFirst().orElseThrow(AssertionError::new);
        assertEquals("findConnections", find.getName());
        assertEquals("Open connections matching a filter, most recently active first (at most 1000)",
                find.getDescription());
        assertEquals(1, find.getSignature().length);
        MBeanParameterInfo filter = find.getSignature()[0];
        assertEquals("filter", filter.getName(), "needs javac -parameters");
        assertEquals(String.class.getName(), filter.getType());
        assertTrue(filter.getDescription().startsWith("Empty for all; a port (8080)"), filter.getDescription());
        OpenType<?> returned = (OpenType<?>) find.getDescriptor().getFieldValue("openType");
        assertTrue(returned instanceof ArrayType, String.valueOf(returned));
        assertTrue(((ArrayType<?>) returned).getElementOpenType() instanceof CompositeType, String.valueOf(returned));
    }

    @Test
    void cgroupNamespaceAndDestinationMBeansHaveNoOperations() throws Exception {
        assertEquals(0, server.getMBeanInfo(CGROUP).getOperations().length);
        assertEquals(0, server.getMBeanInfo(NAMESPACE).getOperations().length);
        assertEquals(0, server.getMBeanInfo(DESTINATION).getOperations().length);
    }

    @ParameterizedTest
    @MethodSource("mbeans")
    void bytesTimesAndRatesHaveUnits(ObjectName name, Class<?> type) throws Exception {
        Map<String, Object> units = new TreeMap<>();
        for (MBeanAttributeInfo a : server.getMBeanInfo(name).getAttributes()) {
            Object unit = a.getDescriptor().getFieldValue("units");
            if (unit != null) {
                units.put(a.getName(), unit);
            }
        }

        Map<String, Object> expected = new TreeMap<>();
        expected.put("BytesSent", "bytes");
        expected.put("BytesReceived", "bytes");
        if (name.equals(MONITOR)) {
            expected.put("SlowConnectThresholdMillis", "ms");
        }
        if (name.equals(DESTINATION)) {
            for (String ms : Arrays.asList("ConnectLatencyP50Millis", "ConnectLatencyP99Millis",
                    "ConnectLatencyMaxMillis", "LifetimeP50Millis")) {
                expected.put(ms, "ms");
            }
            expected.put("NewConnectionsPerMinute", "connections/min");
        }
        assertEquals(expected, units);
    }

    @ParameterizedTest
    @MethodSource("mbeans")
    void everyNumberThatIsNotAnIdentifierIsACounterOrAGauge(ObjectName name, Class<?> type) throws Exception {
        for (MBeanAttributeInfo a : server.getMBeanInfo(name).getAttributes()) {
            Descriptor d = a.getDescriptor();
            OpenType<?> openType = (OpenType<?>) d.getFieldValue("openType");
            boolean number = openType == SimpleType.LONG || openType == SimpleType.INTEGER
                    || openType == SimpleType.DOUBLE;
            Object metricType = d.getFieldValue("metricType");
            if (number && !IDENTIFIERS.contains(a.getName())) {
                assertTrue("counter".equals(metricType) || "gauge".equals(metricType), a.getName() + ": " + metricType);
            } else {
                assertNull(metricType, a.getName() + " is not a metric");
            }
        }
    }

    @Test
    void gaugesAreTheCurrentValuesAndEverythingElseCounts() throws Exception {
        assertEquals(new HashSet<>(Arrays.asList("ActiveConnections", "CgroupMBeans", "CgroupsWithoutMBean",
                "NetworkNamespacesWithoutMBean")),
                withMetricType(MONITOR, "gauge"));
        assertEquals(new HashSet<>(Arrays.asList("TotalConnections", "OutboundConnections", "InboundConnections",
                "ConnectAttempts", "UdpConnects", "FailedConnections", "PreexistingConnections", "ClosedConnections",
                "BytesSent", "BytesReceived", "Retransmits", "EventsReceived", "DroppedEvents", "LostEvents",
                "CounterUpdatesLost", "MissedHookRuns", "ClosedUntracked", "TableEvictions", "NotificationsSent",
                "NotificationsDropped", "DestinationsFolded", "EventsNotEmitted")), withMetricType(MONITOR, "counter"));
        assertEquals(new HashSet<>(Arrays.asList("Active", "NewConnectionsPerMinute", "ConnectLatencyP50Millis",
                "ConnectLatencyP99Millis", "ConnectLatencyMaxMillis", "LifetimeP50Millis")),
                withMetricType(DESTINATION, "gauge"));
        assertEquals(new HashSet<>(Arrays.asList("ActiveConnections")), withMetricType(CGROUP, "gauge"));
        assertEquals(new HashSet<>(Arrays.asList("ActiveConnections")), withMetricType(NAMESPACE, "gauge"));
    }

    @ParameterizedTest
    @MethodSource("mbeans")
    void attributesAreReadOnly(ObjectName name, Class<?> type) throws Exception {
        for (MBeanAttributeInfo a : server.getMBeanInfo(name).getAttributes()) {
            assertTrue(a.isReadable(), a.getName());
            assertFalse(a.isWritable(), a.getName());
        }
    }

    @Test
    void mbeansAreMXBeans() throws Exception {
        for (ObjectName name : Arrays.asList(MONITOR, CGROUP, NAMESPACE, DESTINATION)) {
            assertEquals("true", server.getMBeanInfo(name).getDescriptor().getFieldValue("mxbean"), name.toString());
        }
    }

    private Set<String> withMetricType(ObjectName name, String metricType) throws Exception {
        Set<String> names = new HashSet<>();
        for (MBeanAttributeInfo a : server.getMBeanInfo(name).getAttributes()) {
            if (metricType.equals(a.getDescriptor().getFieldValue("metricType"))) {
                names.add(a.getName());
            }
        }
        return names;
    }

    /** The @Description of the getter behind an attribute (getX or isX). */
    private static String described(Class<?> type, MBeanAttributeInfo a) throws NoSuchMethodException {
        Method getter;
        try {
            getter = type.getMethod("get" + a.getName());
        } catch (NoSuchMethodException e) {
            getter = type.getMethod("is" + a.getName());
        }
        Description d = getter.getAnnotation(Description.class);
        return d == null ? null : d.value();
    }
}
