package dev.bpfhook.bridge;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;

/**
 * The bpfhook:type=Destination MBeans as Prometheus series, with real histograms (_bucket, _sum,
 * _count): the exporter's rules can only make gauges and counters, and a gauge named *_bucket is
 * not a histogram to Prometheus. It reads the MBeans by name and attribute, like any JMX client,
 * at every scrape, so it shows exactly the destinations that have an MBean: the agent keeps the
 * top ones of each direction (ConnectionMonitor DestinationTop) and sums the rest in
 * destination="other", which bounds the number of series.
 */
final class DestinationCollector implements MultiCollector {
    static final String CONNECT_DURATION = "bpfhook_destination_connect_duration_seconds";
    static final String ACCEPT_WAIT = "bpfhook_destination_accept_wait_seconds";
    static final String LIFETIME = "bpfhook_destination_lifetime_seconds";
    // counters are named without _total here; the exposition formats add it
    static final String CONNECTIONS = "bpfhook_destination_connections";
    static final String FAILURES = "bpfhook_destination_connect_failures";
    static final String BYTES_SENT = "bpfhook_destination_bytes_sent";
    static final String BYTES_RECEIVED = "bpfhook_destination_bytes_received";
    static final String RETRANSMITS = "bpfhook_destination_retransmits";
    static final String SLOW_CONNECTS = "bpfhook_destination_slow_connects";
    static final String ACTIVE = "bpfhook_destination_connections_active";
    static final String EVICTED = "bpfhook_destination_connections_evicted";
    static final String NEW_PER_MINUTE = "bpfhook_destination_new_connections_per_minute";
    static final String CHURNING = "bpfhook_destination_churning";

    static final List<String> NAMES = Collections.unmodifiableList(Arrays.asList(CONNECT_DURATION, ACCEPT_WAIT,
            LIFETIME, CONNECTIONS, FAILURES, BYTES_SENT, BYTES_RECEIVED, RETRANSMITS, SLOW_CONNECTS, ACTIVE,
            EVICTED, NEW_PER_MINUTE, CHURNING));

    private static final String BOUND = "; series for each destination the agent keeps (ConnectionMonitor "
            + "DestinationTop per direction) plus destination=\"other\" for the rest";
    private static final String[] ATTRIBUTES = {"Direction", "Destination", "CgroupPath", "Container", "Established",
        "FailedByReason", "Active", "Evicted", "BytesSent", "BytesReceived", "Retransmits", "SlowConnects",
        "NewConnectionsPerMinute", "Churning", "ConnectLatency", "AcceptWait", "Lifetime"};
    private static final ObjectName PATTERN = pattern();

    private final Supplier<MBeanServer> server;

    /** @param server where the Destination MBeans are: asked at each scrape, not before */
    DestinationCollector(Supplier<MBeanServer> server) {
        this.server = server;
    }

    /**
     * Adds the destination series to {@code registry}, beside {@code rules}, the exporter's collector
     * already registered there. An operator's own rules may make a series of one of these names (a
     * catch-all rule over bpfhook:* with lowercaseOutputName does); a registry that meets a name twice
     * fails the whole scrape, so the rules' series of these names are left out.
     */
    static void registerBeside(MultiCollector rules, PrometheusRegistry registry) {
        registry.unregister(rules);
        registry.register(new Without(rules, new HashSet<>(NAMES)));
        registry.register(new DestinationCollector(ManagementFactory::getPlatformMBeanServer));
    }

    @Override
    public List<String> getPrometheusNames() {
        return NAMES;
    }

    @Override
    public MetricSnapshots collect() {
        MBeanServer mbeans = server.get();
        List<ObjectName> names = new ArrayList<>(mbeans.queryNames(PATTERN, null));
        names.sort(Comparator.comparing(ObjectName::getCanonicalName));
        Series series = new Series();
        Set<Labels> seen = new HashSet<>();
        for (ObjectName name : names) {
            Map<String, Object> values = read(mbeans, name);
            Labels labels = labels(values);
            if (labels != null && seen.add(labels)) {
                series.add(values, labels);
            }
        }
        return series.snapshots();
    }

    /** The attributes that could be read; none when the MBean went away since the query. */
    private static Map<String, Object> read(MBeanServer mbeans, ObjectName name) {
        Map<String, Object> values = new HashMap<>();
        try {
            AttributeList list = mbeans.getAttributes(name, ATTRIBUTES);
            for (Attribute a : list.asList()) {
                values.put(a.getName(), a.getValue());
            }
        } catch (JMException | RuntimeException gone) {
            // unregistered between the query and now (no longer among the top destinations)
        }
        return values;
    }

    private static Labels labels(Map<String, Object> values) {
        String direction = text(values, "Direction");
        String destination = text(values, "Destination");
        String cgroup = text(values, "CgroupPath");
        String container = text(values, "Container");
        if (direction == null || destination == null || cgroup == null || container == null) {
            return null;
        }
        return Labels.of("direction", direction, "destination", destination, "cgroup", cgroup,
                "container", container);
    }

    /** The data points of every family, filled one destination at a time. */
    private static final class Series {
        private final List<HistogramSnapshot.HistogramDataPointSnapshot> connectDuration = new ArrayList<>();
        private final List<HistogramSnapshot.HistogramDataPointSnapshot> acceptWait = new ArrayList<>();
        private final List<HistogramSnapshot.HistogramDataPointSnapshot> lifetime = new ArrayList<>();
        private final Map<String, List<CounterSnapshot.CounterDataPointSnapshot>> counters = new HashMap<>();
        private final Map<String, List<GaugeSnapshot.GaugeDataPointSnapshot>> gauges = new HashMap<>();

        void add(Map<String, Object> values, Labels labels) {
            boolean outbound = "outbound".equals(labels.get("direction"));
            if (outbound) {
                histogram(connectDuration, values.get("ConnectLatency"), labels);
            } else {
                histogram(acceptWait, values.get("AcceptWait"), labels);
            }
            histogram(lifetime, values.get("Lifetime"), labels);
            counter(CONNECTIONS, values.get("Established"), labels);
            counter(BYTES_SENT, values.get("BytesSent"), labels);
            counter(BYTES_RECEIVED, values.get("BytesReceived"), labels);
            counter(RETRANSMITS, values.get("Retransmits"), labels);
            gauge(ACTIVE, values.get("Active"), labels);
            counter(EVICTED, values.get("Evicted"), labels);
            gauge(NEW_PER_MINUTE, values.get("NewConnectionsPerMinute"), labels);
            Object churning = values.get("Churning");
            if (churning instanceof Boolean) {
                gauge(CHURNING, (Boolean) churning ? 1 : 0, labels);
            }
            if (outbound) {
                counter(SLOW_CONNECTS, values.get("SlowConnects"), labels);
                Object byReason = values.get("FailedByReason");
                if (byReason instanceof TabularData) {
                    for (Object row : ((TabularData) byReason).values()) {
                        CompositeData r = (CompositeData) row;
                        counter(FAILURES, r.get("value"), labels.add("reason", String.valueOf(r.get("key"))));
                    }
                }
            }
        }

        private void counter(String name, Object value, Labels labels) {
            if (value instanceof Number) {
                counters.computeIfAbsent(name, n -> new ArrayList<>()).add(CounterSnapshot.CounterDataPointSnapshot
                        .builder().value(((Number) value).doubleValue()).labels(labels).build());
            }
        }

        private void gauge(String name, Object value, Labels labels) {
            if (value instanceof Number) {
                gauges.computeIfAbsent(name, n -> new ArrayList<>()).add(GaugeSnapshot.GaugeDataPointSnapshot
                        .builder().value(((Number) value).doubleValue()).labels(labels).build());
            }
        }

        MetricSnapshots snapshots() {
            List<MetricSnapshot> all = new ArrayList<>();
            histogramFamily(all, CONNECT_DURATION, connectDuration, "Outbound TCP connect latency, connect() to "
                    + "ESTABLISHED from the kernel's timestamps, by destination host:port");
            histogramFamily(all, ACCEPT_WAIT, acceptWait, "Inbound TCP connections' time in the accept queue, "
                    + "handshake done to accept(), by local port");
            histogramFamily(all, LIFETIME, lifetime, "Lifetime of closed TCP connections, ESTABLISHED to CLOSE, "
                    + "by destination");
            counterFamily(all, CONNECTIONS, "TCP handshakes completed, to the destination (outbound) or at the "
                    + "local port (inbound)");
            counterFamily(all, FAILURES, "Outbound TCP connects that failed, by reason: refused, timed out, "
                    + "unreachable, reset, closed locally, other");
            counterFamily(all, BYTES_SENT, "Payload bytes sent (each once), summed when connections close");
            counterFamily(all, BYTES_RECEIVED, "Payload bytes received, summed when connections close");
            counterFamily(all, RETRANSMITS, "TCP segments retransmitted, summed when connections close");
            counterFamily(all, SLOW_CONNECTS, "Outbound connects that took at least ConnectionMonitor "
                    + "SlowConnectThresholdMillis");
            gaugeFamily(all, ACTIVE, "TCP connections established and not yet closed, those evicted not counted");
            counterFamily(all, EVICTED, "Open TCP connections evicted from the agent's full connection table "
                    + "(option connections): their closes, bytes and lifetimes are not counted");
            gaugeFamily(all, NEW_PER_MINUTE, "TCP connections established in the last 60 seconds");
            gaugeFamily(all, CHURNING, "1 when the destination looks like a pool that is not pooling (many new "
                    + "connections a minute, short median lifetime), else 0");
            return new MetricSnapshots(all);
        }

        private static void histogramFamily(List<MetricSnapshot> all, String name,
                List<HistogramSnapshot.HistogramDataPointSnapshot> points, String help) {
            if (!points.isEmpty()) {
                HistogramSnapshot.Builder family = HistogramSnapshot.builder().name(name).help(help + BOUND)
                        .unit(Unit.SECONDS);
                points.forEach(family::dataPoint);
                all.add(family.build());
            }
        }

        private void counterFamily(List<MetricSnapshot> all, String name, String help) {
            Collection<CounterSnapshot.CounterDataPointSnapshot> points = counters.get(name);
            if (points != null) {
                CounterSnapshot.Builder family = CounterSnapshot.builder().name(name).help(help + BOUND);
                points.forEach(family::dataPoint);
                all.add(family.build());
            }
        }

        private void gaugeFamily(List<MetricSnapshot> all, String name, String help) {
            Collection<GaugeSnapshot.GaugeDataPointSnapshot> points = gauges.get(name);
            if (points != null) {
                GaugeSnapshot.Builder family = GaugeSnapshot.builder().name(name).help(help + BOUND);
                points.forEach(family::dataPoint);
                all.add(family.build());
            }
        }
    }

    /**
     * A histogram attribute (HistogramInfo: unit, count, sum, upperBounds, cumulativeCounts) as a
     * classic histogram in seconds. The attribute's buckets are cumulative and end at the largest
     * finite bound; the model wants each bucket's own count, and +Inf holds what lies above.
     */
    private static void histogram(List<HistogramSnapshot.HistogramDataPointSnapshot> into, Object attribute,
            Labels labels) {
        if (!(attribute instanceof CompositeData)) {
            return;
        }
        CompositeData h = (CompositeData) attribute;
        double perSecond = unitsPerSecond(String.valueOf(h.get("unit")));
        long[] bounds = (long[]) h.get("upperBounds");
        long[] cumulative = (long[]) h.get("cumulativeCounts");
        if (perSecond <= 0 || bounds == null || cumulative == null || bounds.length != cumulative.length) {
            return;
        }
        double[] upper = new double[bounds.length + 1];
        long[] counts = new long[bounds.length + 1];
        long below = 0;
        for (int i = 0; i < bounds.length; i++) {
            upper[i] = bounds[i] / perSecond;
            counts[i] = Math.max(0, cumulative[i] - below);
            below = Math.max(below, cumulative[i]);
        }
        upper[bounds.length] = Double.POSITIVE_INFINITY;
        counts[bounds.length] = Math.max(0, ((Number) h.get("count")).longValue() - below);
        into.add(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                .classicHistogramBuckets(ClassicHistogramBuckets.of(upper, counts))
                .sum(((Number) h.get("sum")).longValue() / perSecond).labels(labels).build());
    }

    /** 0 for a unit this bridge does not know: that histogram is left out rather than shown wrong. */
    private static double unitsPerSecond(String unit) {
        switch (unit) {
            case "us":
                return 1e6;
            case "ms":
                return 1e3;
            default:
                return 0;
        }
    }

    private static String text(Map<String, Object> values, String attribute) {
        Object v = values.get(attribute);
        return v instanceof String ? (String) v : null;
    }

    private static ObjectName pattern() {
        try {
            return new ObjectName("bpfhook:type=Destination,*");
        } catch (MalformedObjectNameException e) {
            throw new AssertionError(e);
        }
    }

    /** Another collector's series, except those of the given names. */
    private static final class Without implements MultiCollector {
        private final MultiCollector collector;
        private final Set<String> excluded;

        Without(MultiCollector collector, Set<String> excluded) {
            this.collector = collector;
            this.excluded = excluded;
        }

        @Override
        public MetricSnapshots collect() {
            List<MetricSnapshot> kept = new ArrayList<>();
            for (MetricSnapshot s : collector.collect()) {
                if (!excluded.contains(s.getMetadata().getPrometheusName())) {
                    kept.add(s);
                }
            }
            return new MetricSnapshots(kept);
        }

        @Override
        public List<String> getPrometheusNames() {
            return collector.getPrometheusNames();
        }
    }
}
