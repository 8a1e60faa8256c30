package dev.bpfhook.it;

import static dev.bpfhook.testing.Http.bodyOrEmpty;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.apps.AgentTestApp;
import dev.bpfhook.testing.Await;
import dev.bpfhook.testing.ChildJvm;
import dev.bpfhook.testing.Http;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.ReportFile;
import dev.bpfhook.testing.PrometheusServer;
import dev.bpfhook.testing.SelfSignedTls;
import dev.bpfhook.testing.TestCgroup;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jolokia and Prometheus as operators use them: over HTTP on loopback, with
 * the bundled policy and rules, and with a real promtool and Prometheus server.
 */
class BridgeIT {
    private static final long TIMEOUT_MS = 30_000;
    private static final String APP = AgentTestApp.class.getName();
    private static final Path RULES = Paths.get("..", "jmx-config", "bpfhook-exporter.yaml").toAbsolutePath();

    @TempDir
    Path dir;

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void jolokiaReadsExactCountsAndRefusesWhatCouldChangeTheJvm() throws Exception {
        int port = Http.freePort();
        try (TestCgroup cgroup = TestCgroup.create("jolokia");
             ChildJvm child = start(cgroup, "jolokia=" + port)) {
            String base = "http://127.0.0.1:" + port + "/jolokia/";
            Await.until(() -> ok(base + "version"), "jolokia up");
            child.send("tcp 3");
            child.awaitStdout(l -> l.equals("done tcp 3"), TIMEOUT_MS);
            // Jolokia's own HTTP connections (the first one made above) are inbound to the child: the outbound
            // count is exact. Read from a snapshot that has every connection so far, as one that has a refused
            // connect made after them has (a counter Jolokia's connections do not touch)
            awaitRefusedConnect(child, () -> bodyOrEmpty(base + "read/bpfhook:type=ConnectionMonitor/FailedConnections")
                    .contains("\"value\":1,"));
            String read = bodyOrEmpty(base + "read/bpfhook:type=ConnectionMonitor/OutboundConnections");
            assertTrue(read.contains("\"value\":3,"), read);

            assertEquals(200, status(base + "exec/bpfhook:type=ConnectionMonitor/findConnections/8080"), "own exec");
            assertEquals(403, status(base + "exec/com.sun.management:type=DiagnosticCommand/vmVersion"));
            assertEquals(403, status(base + "exec/com.sun.management:type=HotSpotDiagnostic/dumpHeap/x.hprof/true"));
            assertEquals(403, status(base + "write/java.lang:type=Memory/Verbose/true"), "no writes");
            assertEquals(403, status(base + "exec/java.lang:type=Memory/gc"), "no exec of the JVM's operations");
            // Java listens on an IPv6 socket bound to the IPv4-mapped loopback address
            assertTrue(listening("127.0.0.1:" + port) || listening("[::ffff:127.0.0.1]:" + port), "bound to loopback");
            assertFalse(listening("0.0.0.0:" + port) || listening("*:" + port) || listening("[::]:" + port),
                    "not on every address");
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
            assertEquals("", child.stderr());
        }
    }

    @Test
    void withCredentialsJolokiaRefusesAnonymousRequests() throws Exception {
        int port = Http.freePort();
        try (TestCgroup cgroup = TestCgroup.create("jolokiaauth");
             ChildJvm child = start(cgroup, "jolokia=" + port + ",jolokia.user=ops,jolokia.password=s3cret")) {
            String version = "http://127.0.0.1:" + port + "/jolokia/version";
            Await.until(() -> {
                try {
                    return Http.get(version, "ops:s3cret").statusCode() == 200;
                } catch (Exception e) {
                    return false;
                }
            }, "jolokia up with credentials");
            assertEquals(401, Http.get(version, null).statusCode());
            assertEquals(401, Http.get(version, "ops:wrong").statusCode());
        }
    }

    @Test
    void aBadPolicyFileOrABusyPortIsOneWarningAndEverythingElseRuns() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             TestCgroup cgroup = TestCgroup.create("badbridge")) {
            ReportFile report = new ReportFile(dir.resolve("bad.jsonl"));
            String stderr;
            try (ChildJvm child = ChildJvm.builder(APP).inCgroup(cgroup.directory()).agent(ChildJvm.agentJar(),
                    "report=" + report.path() + ",report.interval=3600,jolokia=" + Http.freePort()
                            + ",jolokia.policy=" + dir.resolve("missing.xml") + ",prometheus=" + busy.getLocalPort())
                    .start()) {
                report.awaitStart(TIMEOUT_MS, child);
                child.awaitStderr(l -> l.startsWith("bpfhook: prometheus output disabled"), TIMEOUT_MS);
                child.send("tcp 2");
                child.awaitStdout(l -> l.equals("done tcp 2"), TIMEOUT_MS);
                child.send("exit 0");
                assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
                stderr = child.stderr();
            }
            String[] lines = stderr.split("\n");
            assertEquals(2, lines.length, stderr);
            assertTrue(lines[0].startsWith("bpfhook: jolokia output disabled: jolokia policy file "), lines[0]);
            assertTrue(lines[0].endsWith("cannot be read; fix jolokia.policy"), lines[0]);
            assertTrue(lines[1].startsWith("bpfhook: prometheus output disabled: prometheus cannot listen on "
                    + "127.0.0.1:" + busy.getLocalPort()), lines[1]);
            assertEquals(4, ReportFile.number(report.lastReport(), "total_connections"), "the agent ran on");
        }
    }

    @Test
    void metricsParseWithPromtoolAndCountExactlyTheConnectionsMade() throws Exception {
        int port = Http.freePort();
        int applicationsPort = Http.freePort();
        // the application's own client_java settings (its metrics server's port, a name filter) are not ours
        try (TestCgroup cgroup = TestCgroup.create("prom");
             ChildJvm child = start(cgroup, "prometheus=" + port, "-Dio.prometheus.exporter.httpServer.port="
                     + applicationsPort, "-Dio.prometheus.exporter.filter.metricNameMustStartWith=myapp_")) {
            assertFalse(listening("127.0.0.1:" + applicationsPort), "the application's port is left to it");
            String metrics = "http://127.0.0.1:" + port + "/metrics";
            Await.until(() -> !bodyOrEmpty(metrics).isEmpty(), "/metrics answers"); // a scrape's connection is open
            child.send("tcp 4");
            child.awaitStdout(l -> l.equals("done tcp 4"), TIMEOUT_MS);
            String cgroupName = "/" + cgroup.directory().getFileName();
            // the scrapes themselves are inbound connections of the child: the outbound count is the exact one,
            // read once a scrape had a refused connect made after the exchanges and the first scrape's connection
            awaitRefusedConnect(child,
                    () -> value(bodyOrEmpty(metrics), "bpfhook_failed_connections_total", cgroupName, null) == 1);
            String text = bodyOrEmpty(metrics);
            assertEquals(4, value(text, "bpfhook_connections_total", cgroupName, "outbound"), text);
            assertEquals(1, value(text, "bpfhook_failed_connections_total", cgroupName, null),
                    "the refused one: " + text);
            assertEquals(0, value(text, "bpfhook_dropped_events_total", null, null), text);
            // exported, not necessarily 0: the programs run for every socket of the host, and so may be skipped
            assertTrue(value(text, "bpfhook_missed_hook_runs_total", null, null) >= 0, text);
            assertTrue(text.contains("# TYPE bpfhook_connections_total counter"), text);

            PrometheusServer.assertPromtoolAccepts(text, dir);
        }
    }

    @Test
    void theOfficialExporterAgentReadsTheSameRules() throws Exception {
        Path exporter = ChildJvm.itDependency("jmx_prometheus_javaagent-");
        int port = Http.freePort();
        try (TestCgroup cgroup = TestCgroup.create("official");
             ChildJvm child = ChildJvm.builder(APP).inCgroup(cgroup.directory())
                     .agent(ChildJvm.agentJar(), "jolokia=off")
                     .jvmArg("-javaagent:" + exporter + "=127.0.0.1:" + port + ":" + RULES).start()) {
            child.awaitStdout(l -> l.startsWith("ready"), TIMEOUT_MS);
            String metrics = "http://127.0.0.1:" + port + "/metrics";
            Await.until(() -> bodyOrEmpty(metrics).contains("bpfhook_events_received_total"),
                    "the agent's MBeans exported");
            child.send("tcp 3");
            child.awaitStdout(l -> l.equals("done tcp 3"), TIMEOUT_MS);
            String cgroupName = "/" + cgroup.directory().getFileName();
            Await.until(() -> value(bodyOrEmpty(metrics), "bpfhook_connections_total", cgroupName, "outbound") == 3,
                    "the official exporter shows 3 outbound");
        }
    }

    @Test
    void aRealPrometheusServerScrapesTheAgent() throws Exception {
        int agentPort = Http.freePort();
        try (TestCgroup cgroup = TestCgroup.create("promserver");
             ChildJvm child = start(cgroup, "prometheus=" + agentPort);
             PrometheusServer server = PrometheusServer.scraping(agentPort, dir)) {
            child.send("tcp 5");
            child.awaitStdout(l -> l.equals("done tcp 5"), TIMEOUT_MS);
            String query = server.query("bpfhook_connections_total{direction=\"outbound\",cgroup=\"/"
                    + cgroup.directory().getFileName() + "\"}");
            Await.until(() -> bodyOrEmpty(query).matches("(?s).*\"value\":\\[[0-9.]+,\"5\"\\].*"),
                    "Prometheus answers 5 outbound connections");
        }
    }

    /**
     * /metrics over HTTPS with the operator's keystore and credentials: a real Prometheus server scrapes it with
     * {@code scheme: https} and {@code basic_auth}; a scrape without credentials is refused, and plain HTTP gets
     * no metrics.
     */
    @Test
    void aRealPrometheusServerScrapesTheAgentOverHttps() throws Exception {
        int agentPort = Http.freePort();
        Path keystore = SelfSignedTls.keystore(dir.resolve("metrics.p12"));
        try (TestCgroup cgroup = TestCgroup.create("promtls");
             ChildJvm child = start(cgroup, "prometheus=" + agentPort + ",prometheus.user=scraper,"
                     + "prometheus.password=s3cret,prometheus.tls.keystore=" + keystore + ",prometheus.tls.password="
                     + SelfSignedTls.PASSWORD + ",log=info");
             PrometheusServer server = PrometheusServer.scrapingHttps(agentPort, dir, "scraper", "s3cret")) {
            String metrics = "https://127.0.0.1:" + agentPort + "/metrics";
            assertTrue(child.stderr().contains("bpfhook: prometheus metrics at " + metrics + "\n"), child.describe());
            assertEquals(401, SelfSignedTls.status(metrics, null));
            assertEquals(401, SelfSignedTls.status(metrics, "scraper:wrong"));
            assertEquals("", bodyOrEmpty("http://127.0.0.1:" + agentPort + "/metrics"), "no metrics over plain HTTP");
            child.send("tcp 5");
            child.awaitStdout(l -> l.equals("done tcp 5"), TIMEOUT_MS);
            String cgroupName = "/" + cgroup.directory().getFileName();
            PrometheusServer.assertPromtoolAccepts(SelfSignedTls.body(metrics, "scraper:s3cret"), dir);
            String query = server.query("bpfhook_connections_total{direction=\"outbound\",cgroup=\"" + cgroupName
                    + "\"}");
            Await.until(() -> bodyOrEmpty(query).matches("(?s).*\"value\":\\[[0-9.]+,\"5\"\\].*"),
                    "Prometheus answers 5 outbound connections, scraped over HTTPS");
        }
    }

    /** A keystore the agent cannot open (a wrong password) costs /metrics only: one line that names the fix. */
    @Test
    void aKeystoreThatCannotBeOpenedIsOneWarningAndEverythingElseRuns() throws Exception {
        Path keystore = SelfSignedTls.keystore(dir.resolve("metrics.p12"));
        int port = Http.freePort();
        try (TestCgroup cgroup = TestCgroup.create("badkeystore");
             ChildJvm child = start(cgroup, "jolokia=off,prometheus=" + port + ",prometheus.tls.keystore=" + keystore
                     + ",prometheus.tls.password=wrong")) {
            child.send("tcp 1");
            child.awaitStdout(l -> l.equals("done tcp 1"), TIMEOUT_MS);
            assertFalse(listening("127.0.0.1:" + port), "nothing listens on the port of /metrics");
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
            assertEquals("bpfhook: prometheus output disabled: prometheus keystore " + keystore + " cannot be used: "
                    + "keystore password was incorrect; check prometheus.tls.keystore and prometheus.tls.password\n",
                    child.stderr());
        }
    }

    /** A child with the agent, once its hooks are attached (its report's start line is written). */
    private ChildJvm start(TestCgroup cgroup, String options, String... jvmArgs) throws Exception {
        ReportFile report = new ReportFile(dir.resolve(cgroup.directory().getFileName() + ".jsonl"));
        ChildJvm.Builder builder = ChildJvm.builder(APP).inCgroup(cgroup.directory()).agent(ChildJvm.agentJar(),
                options + ",report=" + report.path() + ",report.interval=3600");
        for (String arg : jvmArgs) {
            builder.jvmArg(arg);
        }
        return builder.start().ready(child -> {
            child.awaitStdout(l -> l.startsWith("ready"), TIMEOUT_MS);
            report.awaitStart(TIMEOUT_MS, child);
        });
    }

    /**
     * A connect the child makes to a port that refuses it, and the wait until {@code counted} sees it: a
     * barrier after everything the child did before. Its failure is counted in the kernel before connect()
     * returns, and the MBeans' snapshot (at most a second old) only gets newer, so a read after this one has
     * every connection made before the refused one.
     */
    private static void awaitRefusedConnect(ChildJvm child, java.util.function.BooleanSupplier counted)
            throws Exception {
        child.send("refused 1");
        child.awaitStdout(l -> l.equals("done refused 1"), TIMEOUT_MS);
        Await.until(counted, "the refused connect counted");
    }

    /** A sample's value in Prometheus text format; labels matched when given; -1 when absent. */
    private static double value(String text, String metric, String cgroup, String direction) {
        for (String line : text.split("\n")) {
            if (!line.startsWith(metric + "{") && !line.startsWith(metric + " ")) {
                continue;
            }
            if (cgroup != null && !line.contains("cgroup=\"" + cgroup + "\"")) {
                continue;
            }
            if (direction != null && !line.contains("direction=\"" + direction + "\"")) {
                continue;
            }
            Matcher m = Pattern.compile(" ([-+0-9.eE]+)$").matcher(line);
            if (m.find()) {
                return Double.parseDouble(m.group(1));
            }
        }
        return -1;
    }

    private static boolean listening(String address) throws Exception {
        Process ss = new ProcessBuilder("ss", "-ltnH").start();
        String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        ss.waitFor(10, TimeUnit.SECONDS);
        return Stream.of(out.split("\n")).anyMatch(l -> l.split("\\s+").length > 3 && l.split("\\s+")[3].equals(address));
    }


    /** Jolokia's status of a request: it may answer HTTP 200 with the real status in the JSON body. */
    private static int status(String url) throws Exception {
        HttpResponse<String> r = Http.get(url, null);
        Matcher m = Pattern.compile("\"status\":(\\d+)").matcher(r.body());
        return m.find() ? Integer.parseInt(m.group(1)) : r.statusCode();
    }

    private static boolean ok(String url) {
        try {
            return Http.get(url, null).statusCode() == 200;
        } catch (Exception e) {
            return false;
        }
    }

}
