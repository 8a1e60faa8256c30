package dev.bpfhook.it;

import static dev.bpfhook.testing.Http.bodyOrEmpty;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.testing.Await;
import dev.bpfhook.testing.ChildJvm;
import dev.bpfhook.testing.Http;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.LoopbackTraffic;
import dev.bpfhook.testing.ReportFile;
import dev.bpfhook.testing.PrometheusServer;
import dev.bpfhook.testing.TestCgroup;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;
import org.jolokia.json.parser.JSONParser;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-destination series of /metrics (bpfhook_destination_*), as Prometheus sees them: exact
 * counts per destination from real loopback connections of a child JVM, histograms that promtool
 * accepts and that a real Prometheus server computes quantiles over, and a bounded number of
 * destination label values.
 */
class DestinationMetricsIT {
    private static final long TIMEOUT_MS = 30_000;
    private static final String DURATION = "bpfhook_destination_connect_duration_seconds";
    private static final Path ALERTS = Paths.get("..", "jmx-config", "bpfhook-alerts.yml").toAbsolutePath();
    private static final Path DASHBOARD = Paths.get("..", "jmx-config", "bpfhook-dashboard.json").toAbsolutePath();

    @TempDir
    Path dir;

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void eachDestinationHasExactCountersAndAHistogramWhosePlusInfBucketIsItsCount() throws Exception {
        int port = Http.freePort();
        try (TestCgroup cgroup = TestCgroup.create("destprom");
             ChildJvm child = start(cgroup, "prometheus=" + port)) {
            String metrics = "http://127.0.0.1:" + port + "/metrics";
            List<Integer> servers = servers(child, 2);
            String a = "127.0.0.1:" + servers.get(0);
            String b = "127.0.0.1:" + servers.get(1);
            tcp(child, 0, 5);
            tcp(child, 1, 3);
            String refused = "127.0.0.1:" + refused(child, 2);
            String cgroupName = "/" + cgroup.directory().getFileName();
            // the last figures to arrive: the closes of b's connections and the failures
            Await.until(() -> value(bodyOrEmpty(metrics), "bpfhook_destination_lifetime_seconds_count", out(b)) == 3
                    && value(bodyOrEmpty(metrics), "bpfhook_destination_connect_failures_total", out(refused)
                            .with("reason", "refused")) == 2, "b's 3 closes and 2 refused connects in /metrics");
            String text = bodyOrEmpty(metrics);

            for (String destination : List.of(a, b)) {
                long n = destination.equals(a) ? 5 : 3;
                Labels out = out(destination).with("cgroup", cgroupName);
                assertEquals(n, value(text, "bpfhook_destination_connections_total", out), destination + "\n" + text);
                assertEquals(n, value(text, DURATION + "_count", out), text);
                assertEquals(n, value(text, DURATION + "_bucket", out.with("le", "+Inf")), text);
                assertTrue(value(text, DURATION + "_sum", out) > 0, text);
                assertEquals(n, value(text, "bpfhook_destination_lifetime_seconds_count", out), text);
                assertEquals(0, value(text, "bpfhook_destination_connect_failures_total", out.with("reason", "refused")),
                        text);
                assertEquals(0, value(text, "bpfhook_destination_connections_active", out), text);
                // each exchange: 50 bytes from the client, 25 back (LoopbackTraffic.exchange)
                assertEquals(50 * n, value(text, "bpfhook_destination_bytes_sent_total", out), text);
                assertEquals(25 * n, value(text, "bpfhook_destination_bytes_received_total", out), text);
                Labels in = new Labels().with("direction", "inbound").with("cgroup", cgroupName)
                        .with("destination", "*:" + destination.substring(destination.indexOf(':') + 1));
                assertEquals(n, value(text, "bpfhook_destination_connections_total", in), text);
                assertEquals(n, value(text, "bpfhook_destination_accept_wait_seconds_count", in), text);
                assertEquals(n, value(text, "bpfhook_destination_accept_wait_seconds_bucket", in.with("le", "+Inf")),
                        text);
                assertEquals(-1, value(text, DURATION + "_count", in), "no connect() inbound\n" + text);
            }
            Labels failed = out(refused).with("cgroup", cgroupName);
            assertEquals(2, value(text, "bpfhook_destination_connect_failures_total", failed.with("reason", "refused")),
                    text);
            assertEquals(0, value(text, "bpfhook_destination_connect_failures_total", failed.with("reason", "timed out")),
                    text);
            assertEquals(0, value(text, "bpfhook_destination_connections_total", failed), text);
            assertEquals(0, value(text, DURATION + "_count", failed), text);
            assertTrue(text.contains("# TYPE " + DURATION + " histogram"), text);
            assertTrue(text.contains("# TYPE bpfhook_destination_connections_total counter"), text);

            assertEveryHistogramIsWhole(text);
            PrometheusServer.assertPromtoolAccepts(text, dir);
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
        }
    }

    @Test
    void aRealPrometheusServerComputesTheConnectLatencyQuantilesOfADestination() throws Exception {
        int agentPort = Http.freePort();
        try (TestCgroup cgroup = TestCgroup.create("destpromserver");
             ChildJvm child = start(cgroup, "prometheus=" + agentPort)) {
            String metrics = "http://127.0.0.1:" + agentPort + "/metrics";
            String destination = "127.0.0.1:" + servers(child, 1).get(0);
            Labels series = out(destination).with("cgroup", "/" + cgroup.directory().getFileName());
            tcp(child, 0, 5);
            String selector = "{direction=\"outbound\",destination=\"" + destination + "\",cgroup=\"/"
                    + cgroup.directory().getFileName() + "\"}";
            String count = DURATION + "_count" + selector;
            try (PrometheusServer server = PrometheusServer.scraping(agentPort, dir)) {
                Await.until(() -> "5".equals(scalar(bodyOrEmpty(server.query(count)))),
                        "Prometheus has the 5 connects of " + destination);
                // over the raw cumulative buckets, as scraped
                String p99 = "histogram_quantile(0.99, " + DURATION + "_bucket" + selector + ")";
                assertWithin(occupiedBuckets(bodyOrEmpty(metrics), series, 5), scalar(bodyOrEmpty(server.query(p99))),
                        p99);

                // over a rate, as dashboards do: needs new connects between two scrapes. Read once Prometheus
                // has scraped all 10: before, it is a number as soon as one scrape has some of the new ones
                tcp(child, 0, 5);
                Await.until(() -> "10".equals(scalar(bodyOrEmpty(server.query(count)))),
                        "Prometheus has all 10 connects of " + destination);
                // the minute's rate spans a scrape of 5 (the last one at most the wait's 30 s ago) and one of 10
                String p50 = "histogram_quantile(0.5, sum by (le) (rate(" + DURATION + "_bucket" + selector + "[1m])))";
                assertWithin(occupiedBuckets(bodyOrEmpty(metrics), series, 10), scalar(bodyOrEmpty(server.query(p50))),
                        p50);
            }
        }
    }

    /**
     * The bundled alerting rules (jmx-config/bpfhook-alerts.yml) in a real Prometheus server, over a real agent's
     * series: connects to a port that refuses them make BpfhookConnectFailures pending for that destination (it
     * would fire after 5 minutes of it), not for one whose connects succeed; no alert about the agent's own
     * losses is active; and every series the rules name is one the agent serves.
     */
    @Test
    void theBundledAlertRulesSeeTheDestinationWhoseConnectsFail() throws Exception {
        int agentPort = Http.freePort();
        try (TestCgroup cgroup = TestCgroup.create("destalerts");
             ChildJvm child = start(cgroup, "prometheus=" + agentPort);
             PrometheusServer server = PrometheusServer.scrapingWithRules(agentPort, dir, ALERTS)) {
            String good = "127.0.0.1:" + servers(child, 1).get(0);
            tcp(child, 0, 12);
            int refusing = refused(child, 1);
            String failing = "127.0.0.1:" + refusing;
            // increase() counts from the first sample Prometheus has of a series: the failures that count come after
            String failures = "bpfhook_destination_connect_failures_total{destination=\"" + failing + "\",reason=\"refused\"}";
            Await.until(() -> "1".equals(scalar(bodyOrEmpty(server.query(failures)))), "Prometheus has the first failure");
            refusedAgain(child, 12, refusing);

            String pending = server.query("ALERTS{alertname=\"BpfhookConnectFailures\",alertstate=\"pending\"}");
            Await.until(() -> bodyOrEmpty(pending).contains("\"destination\":\"" + failing + "\""),
                    "BpfhookConnectFailures pending for " + failing);
            String active = bodyOrEmpty(server.query("ALERTS"));
            assertFalse(active.contains("\"destination\":\"" + good + "\""), "no alert for " + good + ":\n" + active);
            for (String quiet : List.of("BpfhookMetricsDown", "BpfhookEventsDropped", "BpfhookEventsLostOtherwise",
                    "BpfhookCounterUpdatesLost", "BpfhookConnectionsEvicted")) {
                assertFalse(active.contains("\"alertname\":\"" + quiet + "\""), quiet + " is active:\n" + active);
            }

            String text = bodyOrEmpty("http://127.0.0.1:" + agentPort + "/metrics");
            Matcher series = Pattern.compile("\\bbpfhook_\\w+").matcher(Files.readString(ALERTS));
            int named = 0;
            while (series.find()) {
                named++;
                assertFalse(samples(text, series.group()).isEmpty(), series.group() + " is not served:\n" + text);
            }
            assertTrue(named >= 10, "the rules name the agent's series: " + named);
        }
    }

    /**
     * The bundled Grafana dashboard (jmx-config/bpfhook-dashboard.json) against a real Prometheus server scraping a
     * real agent: every panel's query is valid PromQL and answers with data (but the table of churning
     * destinations, which lists none here), its template variables find the job and instance, and its layout fits
     * Grafana's 24 columns with one id per panel. Grafana itself is not here to draw it.
     */
    @Test
    void theBundledDashboardsQueriesAnswerOverARealAgent() throws Exception {
        Map<?, ?> dashboard = (Map<?, ?>) new JSONParser().parse(Files.readString(DASHBOARD));
        List<Map<?, ?>> panels = maps(dashboard.get("panels"));
        Set<Object> ids = new HashSet<>();
        for (Map<?, ?> panel : panels) {
            assertTrue(ids.add(panel.get("id")), "one id per panel: " + panel.get("title"));
            Map<?, ?> grid = (Map<?, ?>) panel.get("gridPos");
            assertTrue(((Number) grid.get("x")).intValue() + ((Number) grid.get("w")).intValue() <= 24,
                    panel.get("title") + " fits 24 columns");
        }

        int agentPort = Http.freePort();
        try (TestCgroup cgroup = TestCgroup.create("destdashboard");
             ChildJvm child = start(cgroup, "prometheus=" + agentPort);
             PrometheusServer server = PrometheusServer.scraping(agentPort, dir)) {
            String destination = "127.0.0.1:" + servers(child, 1).get(0);
            String connects = "bpfhook_destination_connections_total{direction=\"outbound\",destination=\""
                    + destination + "\"}";
            // rates need two scrapes with connections between them
            tcp(child, 0, 5);
            int refusing = refused(child, 1);
            Await.until(() -> "5".equals(scalar(bodyOrEmpty(server.query(connects)))), "Prometheus has 5 connects");
            tcp(child, 0, 5);
            refusedAgain(child, 1, refusing);
            Await.until(() -> "10".equals(scalar(bodyOrEmpty(server.query(connects)))), "Prometheus has 10 connects");

            for (Map<?, ?> variable : maps(((Map<?, ?>) dashboard.get("templating")).get("list"))) {
                Matcher labelValues = Pattern.compile("label_values\\((.*), (\\w+)\\)").matcher(
                        String.valueOf(variable.get("definition")));
                if (labelValues.matches()) {
                    String answer = bodyOrEmpty(server.query(grafana(labelValues.group(1))));
                    assertTrue(answer.contains("\"" + labelValues.group(2) + "\":"),
                            "variable " + variable.get("name") + " finds values: " + answer);
                }
            }
            int queries = 0;
            for (Map<?, ?> panel : panels) {
                for (Map<?, ?> target : maps(panel.get("targets"))) {
                    String promql = grafana((String) target.get("expr"));
                    String answer = bodyOrEmpty(server.query(promql));
                    assertTrue(answer.contains("\"status\":\"success\""), panel.get("title") + ": " + promql + "\n" + answer);
                    if (!panel.get("title").equals("Churning destinations")) {
                        assertFalse(answer.contains("\"result\":[]"), panel.get("title") + " has data: " + promql);
                    }
                    queries++;
                }
            }
            assertEquals(17, queries, "the dashboard's queries");
        }
    }

    /** A dashboard query as Grafana sends it for job bpfhook, every instance, and a minute's rate interval. */
    private static String grafana(String expr) {
        return expr.replace("$job", "bpfhook").replace("$instance", ".+").replace("$__rate_interval", "1m");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<?, ?>> maps(Object jsonArray) {
        return jsonArray == null ? List.of() : (List<Map<?, ?>>) jsonArray;
    }

    @Test
    void pastTheTopDestinationsEveryConnectionIsCountedUnderOther() throws Exception {
        int port = Http.freePort();
        try (TestCgroup cgroup = TestCgroup.create("destpromtop");
             ChildJvm child = start(cgroup, "prometheus=" + port)) {
            String metrics = "http://127.0.0.1:" + port + "/metrics";
            child.send("top 2");
            child.awaitStdout(l -> l.equals("done top 2"), TIMEOUT_MS);
            List<Integer> servers = servers(child, 4);
            int[] connections = {4, 3, 2, 1};
            for (int i = 0; i < connections.length; i++) {
                tcp(child, i, connections[i]);
            }
            Labels other = out("other").with("cgroup", "");
            Await.until(() -> value(bodyOrEmpty(metrics), "bpfhook_destination_connections_total", other) == 3,
                    "the 2 + 1 connections of the two smallest destinations under other");
            String text = bodyOrEmpty(metrics);

            Set<String> outbound = new TreeSet<>();
            Set<String> inbound = new TreeSet<>();
            double sum = 0;
            for (Sample s : samples(text, "bpfhook_destination_connections_total")) {
                if (s.labels.get("direction").equals("outbound")) {
                    outbound.add(s.labels.get("destination"));
                    sum += s.value;
                } else {
                    inbound.add(s.labels.get("destination"));
                }
            }
            assertEquals(new TreeSet<>(List.of("127.0.0.1:" + servers.get(0), "127.0.0.1:" + servers.get(1), "other")),
                    outbound, text);
            assertEquals(10, sum, "every outbound connection counted once, kept or folded\n" + text);
            assertTrue(inbound.contains("other") && inbound.size() <= 3, "inbound: at most 2 ports and other: "
                    + inbound);
            assertEquals(3, value(text, DURATION + "_count", other), text);
            assertEquals(3, value(text, DURATION + "_bucket", other.with("le", "+Inf")), text);
            assertEveryHistogramIsWhole(text);
            PrometheusServer.assertPromtoolAccepts(text, dir);
        }
    }

    @Test
    void anOperatorsCatchAllRulesKeepTheirSeriesAndTheDestinationHistogramsStay() throws Exception {
        int port = Http.freePort();
        Path rules = dir.resolve("catch-all.yaml");
        Files.writeString(rules, "lowercaseOutputName: true\nincludeObjectNames: [\"bpfhook:*\"]\n"
                + "rules:\n  - pattern: \".*\"\n");
        try (TestCgroup cgroup = TestCgroup.create("destpromrules");
             ChildJvm child = start(cgroup, "prometheus=" + port + ",prometheus.config=" + rules)) {
            String metrics = "http://127.0.0.1:" + port + "/metrics";
            String destination = "127.0.0.1:" + servers(child, 1).get(0);
            tcp(child, 0, 2);
            Await.until(() -> value(bodyOrEmpty(metrics), DURATION + "_count", out(destination)) == 2,
                    "the destination histogram with the operator's rules");
            String text = bodyOrEmpty(metrics);
            assertEquals(2, value(text, "bpfhook_destination_connections_total", out(destination)), text);
            // the rules' own series of the Destination MBeans, where no name is taken by the histograms' collector
            assertFalse(samples(text, "bpfhook_destination_bytessent").isEmpty(), text);
            assertTrue(text.contains("bpfhook_connectionmonitor_totalconnections"), text);
        }
    }

    /** The child's commands (stdin) and answers (stdout): loopback servers, exchanges, refused connects, top. */
    public static final class App {
        private App() {
        }

        public static void main(String[] args) throws Exception {
            List<LoopbackTraffic.Server> servers = new ArrayList<>();
            List<SocketChannel> closedPorts = new ArrayList<>();
            System.out.println("ready " + ProcessHandle.current().pid());
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                String[] w = line.trim().split(" ");
                switch (w[0]) {
                    case "servers": // servers N: N listening loopback servers, their ports on one line
                        StringBuilder ports = new StringBuilder("ports");
                        for (int i = 0; i < Integer.parseInt(w[1]); i++) {
                            LoopbackTraffic.Server s = new LoopbackTraffic.Server(LoopbackTraffic.IPV4);
                            servers.add(s);
                            ports.append(' ').append(s.port());
                        }
                        System.out.println(ports);
                        break;
                    case "tcp": // tcp I N: N exchanges with server I
                        for (int i = 0; i < Integer.parseInt(w[2]); i++) {
                            LoopbackTraffic.exchange(servers.get(Integer.parseInt(w[1])), LoopbackTraffic.IPV4,
                                    LoopbackTraffic.payload(50), 25);
                        }
                        System.out.println("done " + line);
                        break;
                    case "refused": // refused N [PORT]: N connects to a port that is bound and not listening:
                        // a new one, or PORT, one of those before (they stay bound)
                        int port;
                        if (w.length > 2) {
                            port = Integer.parseInt(w[2]);
                        } else {
                            SocketChannel closed = LoopbackTraffic.closedPort(LoopbackTraffic.IPV4);
                            closedPorts.add(closed);
                            port = ((java.net.InetSocketAddress) closed.getLocalAddress()).getPort();
                        }
                        for (int i = 0; i < Integer.parseInt(w[1]); i++) {
                            LoopbackTraffic.refusedConnect(LoopbackTraffic.IPV4, port);
                        }
                        System.out.println("refused port " + port);
                        break;
                    case "top": // top N: the operator's JMX operation, by name, as any JMX client calls it
                        ObjectName monitor = new ObjectName("bpfhook:type=ConnectionMonitor");
                        javax.management.MBeanServer mbeans = ManagementFactory.getPlatformMBeanServer();
                        for (int wait = 0; wait < 300 && !mbeans.isRegistered(monitor); wait++) {
                            Thread.sleep(100); // the agent registers its MBeans from its own thread
                        }
                        mbeans.invoke(monitor, "setDestinationTop", new Object[] {Integer.parseInt(w[1])},
                                new String[] {"int"});
                        System.out.println("done " + line);
                        break;
                    case "exit":
                        for (LoopbackTraffic.Server s : servers) {
                            s.close();
                        }
                        for (SocketChannel c : closedPorts) {
                            c.close();
                        }
                        System.exit(Integer.parseInt(w[1]));
                        break;
                    default:
                        System.out.println("unknown command " + line);
                }
            }
        }
    }

    /** A child with the agent, once its hooks are attached and its ConnectionMonitor MBean is there. */
    private ChildJvm start(TestCgroup cgroup, String options) throws Exception {
        ReportFile report = new ReportFile(dir.resolve(cgroup.directory().getFileName() + ".jsonl"));
        return ChildJvm.builder(App.class.getName()).inCgroup(cgroup.directory())
                .agent(ChildJvm.agentJar(), options + ",report=" + report.path() + ",report.interval=3600").start()
                .ready(child -> {
                    child.awaitStdout(l -> l.startsWith("ready"), TIMEOUT_MS);
                    report.awaitStart(TIMEOUT_MS, child);
                });
    }

    private static List<Integer> servers(ChildJvm child, int n) throws Exception {
        child.send("servers " + n);
        String line = child.awaitStdout(l -> l.startsWith("ports "), TIMEOUT_MS);
        List<Integer> ports = new ArrayList<>();
        for (String p : line.substring("ports ".length()).split(" ")) {
            ports.add(Integer.parseInt(p));
        }
        assertEquals(n, ports.size(), line);
        return ports;
    }

    private static void tcp(ChildJvm child, int server, int n) throws Exception {
        String command = "tcp " + server + " " + n;
        child.send(command);
        child.awaitStdout(l -> l.equals("done " + command), TIMEOUT_MS);
    }

    private static int refused(ChildJvm child, int n) throws Exception {
        return refused(child, n, "");
    }

    /** As {@link #refused(ChildJvm, int)}, to the refusing port of an earlier call. */
    private static int refusedAgain(ChildJvm child, int n, int port) throws Exception {
        return refused(child, n, " " + port);
    }

    private static int refused(ChildJvm child, int n, String port) throws Exception {
        child.send("refused " + n + port);
        String line = child.awaitStdout(l -> l.startsWith("refused port "), TIMEOUT_MS);
        return Integer.parseInt(line.substring("refused port ".length()));
    }

    private static Labels out(String destination) {
        return new Labels().with("direction", "outbound").with("destination", destination);
    }

    /** Label values a sample must have (others it may have too). */
    private static final class Labels {
        private final Map<String, String> values = new HashMap<>();

        Labels with(String name, String value) {
            Labels l = new Labels();
            l.values.putAll(values);
            l.values.put(name, value);
            return l;
        }

        boolean matches(Map<String, String> labels) {
            return values.entrySet().stream().allMatch(e -> e.getValue().equals(labels.getOrDefault(e.getKey(), "")));
        }
    }

    private static final class Sample {
        final Map<String, String> labels;
        final double value;

        Sample(Map<String, String> labels, double value) {
            this.labels = labels;
            this.value = value;
        }
    }

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})? (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** The samples of one metric in Prometheus text format. */
    private static List<Sample> samples(String text, String metric) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (line.startsWith("#") || !m.matches() || !m.group(1).equals(metric)) {
                continue;
            }
            Map<String, String> labels = new HashMap<>();
            Matcher l = LABEL.matcher(m.group(2) == null ? "" : m.group(2));
            while (l.find()) {
                labels.put(l.group(1), l.group(2));
            }
            samples.add(new Sample(labels, Double.parseDouble(m.group(3).replace("+Inf", "Infinity"))));
        }
        return samples;
    }

    /** The one sample of {@code metric} with these labels; -1 when there is none; fails when there are more. */
    private static double value(String text, String metric, Labels labels) {
        List<Sample> found = new ArrayList<>();
        for (Sample s : samples(text, metric)) {
            if (labels.matches(s.labels)) {
                found.add(s);
            }
        }
        if (found.size() > 1) {
            throw new AssertionError(found.size() + " samples of " + metric + " match " + labels.values);
        }
        return found.isEmpty() ? -1 : found.get(0).value;
    }

    /** Every destination histogram: buckets never decrease, and its +Inf bucket is its count. */
    private static void assertEveryHistogramIsWhole(String text) {
        int histograms = 0;
        for (String family : List.of(DURATION, "bpfhook_destination_accept_wait_seconds",
                "bpfhook_destination_lifetime_seconds")) {
            for (Sample count : samples(text, family + "_count")) {
                histograms++;
                double previous = 0;
                int buckets = 0;
                for (Sample bucket : samples(text, family + "_bucket")) {
                    Map<String, String> series = new HashMap<>(bucket.labels);
                    String le = series.remove("le");
                    if (!series.equals(count.labels)) {
                        continue;
                    }
                    buckets++;
                    assertTrue(bucket.value >= previous, family + " buckets decrease at le=" + le + "\n" + text);
                    previous = bucket.value;
                    if (le.equals("+Inf")) {
                        assertEquals(count.value, bucket.value, family + count.labels + ": +Inf bucket is the count");
                    }
                }
                assertEquals(26, buckets, family + count.labels + ": 25 bounds and +Inf\n" + text);
                assertTrue(samples(text, family + "_sum").stream().anyMatch(s -> s.labels.equals(count.labels)),
                        family + count.labels + " has a _sum");
            }
        }
        assertTrue(histograms > 0, "no destination histogram at all\n" + text);
    }


    /** The value of a one-sample instant-vector answer of Prometheus's query API; "" when there is none. */
    private static String scalar(String json) {
        Matcher m = Pattern.compile("\"result\":\\[\\{\"metric\":\\{[^}]*\\},\"value\":\\[[0-9.]+,\"([^\"]+)\"\\]\\}\\]")
                .matcher(json);
        return m.find() ? m.group(1) : "";
    }

    /**
     * From the lower bound of the lowest bucket that holds a connect of {@code labels}' histogram to the
     * upper bound of the lowest that holds all {@code count} of them, from the agent's /metrics. A
     * quantile Prometheus computes over these buckets, or over their rates, lies in that span: below it
     * no bucket grew, and from its top up every bucket is the same series as +Inf.
     */
    private static double[] occupiedBuckets(String text, Labels labels, long count) {
        assertEquals(count, value(text, DURATION + "_count", labels), text);
        double lower = 0;
        for (Sample bucket : samples(text, DURATION + "_bucket")) {
            if (!labels.matches(bucket.labels)) {
                continue;
            }
            double le = Double.parseDouble(bucket.labels.get("le").replace("+Inf", "Infinity"));
            if (bucket.value == 0) {
                lower = le;
            } else if (bucket.value == count) {
                return new double[] {lower, le};
            }
        }
        throw new AssertionError("no bucket of " + labels.values + " holds all " + count + " connects\n" + text);
    }

    private static void assertWithin(double[] span, String value, String query) {
        double d;
        try {
            d = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new AssertionError(query + " = '" + value + "'", e);
        }
        double rounding = 1e-9; // an interpolation that ends on a bound may miss it by the last digit
        assertTrue(Double.isFinite(d) && d > 0 && d >= span[0] * (1 - rounding) && d <= span[1] * (1 + rounding),
                query + " = " + value + ", not within the buckets that hold the connects, " + span[0] + " to "
                        + span[1] + " s");
    }
}
