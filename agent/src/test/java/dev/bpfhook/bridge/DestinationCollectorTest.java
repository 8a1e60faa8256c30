package dev.bpfhook.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.jmx.DestinationMXBean;
import dev.bpfhook.jmx.HistogramInfo;
import dev.bpfhook.jmx.JmxExporter;
import io.prometheus.jmx.JmxCollector;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import org.junit.jupiter.api.Test;

class DestinationCollectorTest {
    private static final long[] US_BOUNDS = {1, 2, 4, 8, 16, 32, 64};

    @Test
    void cumulativeMicrosecondBucketsBecomeSecondsBucketsWithTheRestInPlusInf() throws Exception {
        MBeanServer server = MBeanServerFactory.newMBeanServer();
        FakeDestination db = new FakeDestination("outbound", "127.0.0.1:5432", "/svc", "host");
        // 2 connects of 20-32 us, 2 of 33-64 us, 1 above the largest bound (only in count)
        db.connectLatency = new HistogramInfo("us", 5, 300, 90, 0, 0, 0, US_BOUNDS, new long[] {0, 0, 0, 0, 0, 2, 4});
        register(server, db);

        String text = text(new DestinationCollector(() -> server).collect());

        String labels = "cgroup=\"/svc\",container=\"host\",destination=\"127.0.0.1:5432\",direction=\"outbound\"";
        List<String> duration = lines(text, "bpfhook_destination_connect_duration_seconds");
        assertTrue(duration.contains("# TYPE bpfhook_destination_connect_duration_seconds histogram"), text);
        assertTrue(duration.contains("bpfhook_destination_connect_duration_seconds_bucket{" + labels
                + ",le=\"1.6E-5\"} 0"), text);
        assertTrue(duration.contains("bpfhook_destination_connect_duration_seconds_bucket{" + labels
                + ",le=\"3.2E-5\"} 2"), text);
        assertTrue(duration.contains("bpfhook_destination_connect_duration_seconds_bucket{" + labels
                + ",le=\"6.4E-5\"} 4"), text);
        assertTrue(duration.contains("bpfhook_destination_connect_duration_seconds_bucket{" + labels
                + ",le=\"+Inf\"} 5"), text);
        assertTrue(duration.contains("bpfhook_destination_connect_duration_seconds_count{" + labels + "} 5"), text);
        assertTrue(duration.contains("bpfhook_destination_connect_duration_seconds_sum{" + labels + "} 3.0E-4"), text);
        assertEquals(US_BOUNDS.length + 1, duration.stream().filter(l -> l.contains("_bucket{")).count(), text);
    }

    @Test
    void countersGaugesAndFailureReasonsCarryTheDestinationLabels() throws Exception {
        MBeanServer server = MBeanServerFactory.newMBeanServer();
        FakeDestination db = new FakeDestination("outbound", "[::1]:443", "/svc", "docker:0123456789ab");
        db.established = 7;
        db.failed.put("refused", 3L);
        db.failed.put("timed out", 1L);
        db.bytesSent = 1000;
        db.active = 2;
        db.churning = true;
        register(server, db);
        FakeDestination port = new FakeDestination("inbound", "*:8080", "/svc", "docker:0123456789ab");
        port.established = 4;
        port.acceptWait = new HistogramInfo("us", 4, 40, 12, 0, 0, 0, US_BOUNDS, new long[] {0, 0, 0, 3, 4, 4, 4});
        register(server, port);

        String text = text(new DestinationCollector(() -> server).collect());

        String out = "cgroup=\"/svc\",container=\"docker:0123456789ab\",destination=\"[::1]:443\",direction=\"outbound\"";
        String in = "cgroup=\"/svc\",container=\"docker:0123456789ab\",destination=\"*:8080\",direction=\"inbound\"";
        assertTrue(text.contains("\nbpfhook_destination_connections_total{" + out + "} 7.0\n"), text);
        assertTrue(text.contains("\nbpfhook_destination_connections_total{" + in + "} 4.0\n"), text);
        assertTrue(text.contains("\nbpfhook_destination_connect_failures_total{" + out + ",reason=\"refused\"} 3.0\n"),
                text);
        assertTrue(text.contains("\nbpfhook_destination_connect_failures_total{" + out + ",reason=\"timed out\"} 1.0\n"),
                text);
        assertTrue(text.contains("\nbpfhook_destination_bytes_sent_total{" + out + "} 1000.0\n"), text);
        assertTrue(text.contains("\nbpfhook_destination_connections_active{" + out + "} 2.0\n"), text);
        assertTrue(text.contains("\nbpfhook_destination_connections_evicted_total{" + out + "} 5.0\n"), text);
        assertTrue(text.contains("\nbpfhook_destination_churning{" + out + "} 1.0\n"), text);
        assertTrue(text.contains("\nbpfhook_destination_churning{" + in + "} 0.0\n"), text);
        assertTrue(text.contains("\nbpfhook_destination_accept_wait_seconds_count{" + in + "} 4\n"), text);
        assertTrue(text.contains("\nbpfhook_destination_accept_wait_seconds_bucket{" + in + ",le=\"8.0E-6\"} 3\n"),
                text);
        // inbound has no connect() to time and no connect to fail; outbound waits in no accept queue
        assertFalse(text.contains("bpfhook_destination_connect_duration_seconds_count{" + in), text);
        assertFalse(text.contains("bpfhook_destination_connect_failures_total{" + in), text);
        assertFalse(text.contains("bpfhook_destination_accept_wait_seconds_count{" + out), text);
        assertTrue(text.contains("# HELP bpfhook_destination_connections_total ")
                && text.contains("DestinationTop"), "the help says what bounds the series");
    }

    @Test
    void noDestinationMBeansNoDestinationSeries() {
        MBeanServer server = MBeanServerFactory.newMBeanServer();
        assertEquals(0, new DestinationCollector(() -> server).collect().size());
    }

    @Test
    void aCatchAllRuleOfTheOperatorCannotBreakTheScrapeWithASeriesOfTheSameName() throws Exception {
        // a catch-all rule names Destination's attribute "Connections" bpfhook_destination_connections,
        // the name of the destination counter: without care the registry would fail every scrape
        MBeanServer platform = ManagementFactory.getPlatformMBeanServer();
        FakeDestination db = new FakeDestination("outbound", "127.0.0.1:5432", "/unit-test", "host");
        db.established = 5;
        db.connections = 9;
        ObjectName name = register(platform, db);
        try {
            JmxCollector rules = new JmxCollector(new ByteArrayInputStream(("lowercaseOutputName: true\n"
                    + "includeObjectNames: [\"bpfhook:type=Destination,*\"]\nrules:\n  - pattern: \".*\"\n")
                    .getBytes(StandardCharsets.UTF_8)));
            PrometheusRegistry registry = new PrometheusRegistry();
            rules.register(registry);
            DestinationCollector.registerBeside(rules, registry);

            String text = text(registry.scrape());

            assertTrue(text.contains("# TYPE bpfhook_destination_connections_total counter"), text);
            assertTrue(text.contains("\nbpfhook_destination_connections_total{cgroup=\"/unit-test\",container=\"host\","
                    + "destination=\"127.0.0.1:5432\",direction=\"outbound\"} 5.0\n"), text);
            assertTrue(text.contains("bpfhook_destination_bytessent"), "the rules' other series stay:\n" + text);
        } finally {
            platform.unregisterMBean(name);
        }
    }

    @Test
    void theBundledRulesLeaveTheDestinationMBeansToTheCollector() throws Exception {
        MBeanServer platform = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = register(platform, new FakeDestination("outbound", "127.0.0.1:5432", "/unit-test", "host"));
        try (java.io.InputStream yaml = PrometheusBridge.class.getResourceAsStream(PrometheusBridge.DEFAULT_RULES)) {
            JmxCollector rules = new JmxCollector(yaml);
            PrometheusRegistry registry = new PrometheusRegistry();
            rules.register(registry);
            String text = text(registry.scrape());
            assertFalse(text.toLowerCase(java.util.Locale.ROOT).contains("destination"), text);
        } finally {
            platform.unregisterMBean(name);
        }
    }

    private static ObjectName register(MBeanServer server, FakeDestination d) throws Exception {
        ObjectName name = JmxExporter.destinationName(d.direction, d.destination, d.cgroup);
        server.registerMBean(new StandardMBean(d, DestinationMXBean.class, true), name);
        return name;
    }

    private static String text(MetricSnapshots snapshots) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, snapshots);
        return out.toString(StandardCharsets.UTF_8);
    }

    private static List<String> lines(String text, String family) {
        return Arrays.stream(text.split("\n")).filter(l -> l.contains(family)).collect(Collectors.toList());
    }

    /** A Destination MBean with the values a test sets. */
    public static final class FakeDestination implements DestinationMXBean {
        final String direction;
        final String destination;
        final String cgroup;
        final String container;
        long connections;
        long established;
        final Map<String, Long> failed = new LinkedHashMap<>();
        long active;
        long bytesSent;
        boolean churning;
        HistogramInfo connectLatency = empty("us");
        HistogramInfo acceptWait = empty("us");
        HistogramInfo lifetime = empty("ms");

        FakeDestination(String direction, String destination, String cgroup, String container) {
            this.direction = direction;
            this.destination = destination;
            this.cgroup = cgroup;
            this.container = container;
        }

        private static HistogramInfo empty(String unit) {
            return new HistogramInfo(unit, 0, 0, 0, 0, 0, 0, US_BOUNDS, new long[US_BOUNDS.length]);
        }

        @Override
        public String getDirection() {
            return direction;
        }

        @Override
        public String getDestination() {
            return destination;
        }

        @Override
        public String getCgroupPath() {
            return cgroup;
        }

        @Override
        public String getContainer() {
            return container;
        }

        @Override
        public long getConnections() {
            return connections;
        }

        @Override
        public long getConnectAttempts() {
            return 0;
        }

        @Override
        public long getEstablished() {
            return established;
        }

        @Override
        public long getFailed() {
            return failed.values().stream().mapToLong(Long::longValue).sum();
        }

        @Override
        public Map<String, Long> getFailedByReason() {
            return failed;
        }

        @Override
        public long getClosed() {
            return 0;
        }

        @Override
        public long getActive() {
            return active;
        }

        @Override
        public long getEvicted() {
            return 5;
        }

        @Override
        public long getBytesSent() {
            return bytesSent;
        }

        @Override
        public long getBytesReceived() {
            return 0;
        }

        @Override
        public long getRetransmits() {
            return 0;
        }

        @Override
        public long getSlowConnects() {
            return 0;
        }

        @Override
        public long getNewConnectionsPerMinute() {
            return 0;
        }

        @Override
        public boolean isChurning() {
            return churning;
        }

        @Override
        public double getConnectLatencyP50Millis() {
            return 0;
        }

        @Override
        public double getConnectLatencyP99Millis() {
            return 0;
        }

        @Override
        public double getConnectLatencyMaxMillis() {
            return 0;
        }

        @Override
        public double getLifetimeP50Millis() {
            return 0;
        }

        @Override
        public HistogramInfo getConnectLatency() {
            return connectLatency;
        }

        @Override
        public HistogramInfo getAcceptWait() {
            return acceptWait;
        }

        @Override
        public HistogramInfo getLifetime() {
            return lifetime;
        }
    }
}
