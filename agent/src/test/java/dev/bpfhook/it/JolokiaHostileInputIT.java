package dev.bpfhook.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.apps.AgentTestApp;
import dev.bpfhook.testing.Await;
import dev.bpfhook.testing.ChildJvm;
import dev.bpfhook.testing.Http;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.ReportFile;
import dev.bpfhook.testing.SelfSignedTls;
import dev.bpfhook.testing.TestCgroup;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jolokia (and /metrics) against requests nobody should send: denied MBeans and operations, writes, bodies too
 * big or too deep or not JSON, other web sites, broken credentials, non-loopback binds without credentials.
 * Each is refused with a status code or Jolokia's error JSON, never a stack trace; afterwards a normal read
 * still works and the application still runs. BridgeIT covers the ordinary use and the plain 401 and 403s.
 */
class JolokiaHostileInputIT {
    private static final long TIMEOUT_MS = 30_000;
    private static final String APP = AgentTestApp.class.getName();
    private static final int TEN_MB = 10 << 20;

    @TempDir
    Path dir;

    @Test
    void deniedMBeansOperationsWritesAndNotificationsAreRefused() throws Exception {
        KernelTests.requireRoot();
        try (TestCgroup cgroup = TestCgroup.create("hostile-denied"); Agent agent = Agent.start(cgroup, dir, "")) {
            Path heapDump = dir.resolve("heap.hprof");
            String[] denied = {
                "{\"type\":\"exec\",\"mbean\":\"com.sun.management:type=DiagnosticCommand\",\"operation\":"
                        + "\"jvmtiAgentLoad\",\"arguments\":[[\"" + dir.resolve("evil.so") + "\"]]}",
                "{\"type\":\"exec\",\"mbean\":\"com.sun.management:type=DiagnosticCommand\",\"operation\":"
                        + "\"vmSystemProperties\"}",
                "{\"type\":\"exec\",\"mbean\":\"com.sun.management:type=HotSpotDiagnostic\",\"operation\":"
                        + "\"dumpHeap\",\"arguments\":[\"" + heapDump + "\",true]}",
                "{\"type\":\"exec\",\"mbean\":\"com.sun.management:type=HotSpotDiagnostic\",\"operation\":"
                        + "\"setVMOption\",\"arguments\":[\"HeapDumpOnOutOfMemoryError\",\"true\"]}",
                "{\"type\":\"read\",\"mbean\":\"com.sun.management:type=HotSpotDiagnostic\",\"attribute\":"
                        + "\"DiagnosticOptions\"}",
                "{\"type\":\"exec\",\"mbean\":\"jdk.management.jfr:type=FlightRecorder\",\"operation\":\"newRecording\"}",
                "{\"type\":\"read\",\"mbean\":\"jdk.management.jfr:type=FlightRecorder\",\"attribute\":\"Recordings\"}",
                "{\"type\":\"write\",\"mbean\":\"java.lang:type=Memory\",\"attribute\":\"Verbose\",\"value\":true}",
                "{\"type\":\"write\",\"mbean\":\"java.lang:type=ClassLoading\",\"attribute\":\"Verbose\",\"value\":true}",
                "{\"type\":\"write\",\"mbean\":\"bpfhook:type=ConnectionMonitor\",\"attribute\":\"Status\",\"value\":\"x\"}",
                // bpfhook's own operations that change what it does: JMX only, not through the read-only policy
                "{\"type\":\"exec\",\"mbean\":\"bpfhook:type=ConnectionMonitor\",\"operation\":\"pauseEvents\"}",
                "{\"type\":\"exec\",\"mbean\":\"bpfhook:type=ConnectionMonitor\",\"operation\":"
                        + "\"resetDestinationStatistics\"}",
                "{\"type\":\"exec\",\"mbean\":\"bpfhook:type=ConnectionMonitor\",\"operation\":\"detach\"}",
                "{\"type\":\"exec\",\"mbean\":\"java.lang:type=Threading\",\"operation\":\"dumpAllThreads\","
                        + "\"arguments\":[true,true]}",
                "{\"type\":\"exec\",\"mbean\":\"java.util.logging:type=Logging\",\"operation\":\"setLoggerLevel\","
                        + "\"arguments\":[\"\",\"ALL\"]}",
                // the attributes that carry the command line (this agent's options and passwords among them)
                "{\"type\":\"read\",\"mbean\":\"java.lang:type=Runtime\",\"attribute\":\"InputArguments\"}",
                "{\"type\":\"read\",\"mbean\":\"java.lang:type=Runtime\",\"attribute\":\"SystemProperties\"}",
                // MBeans outside bpfhook's and the JVM's java.lang ones: the application's own, e.g.
                "{\"type\":\"read\",\"mbean\":\"java.util.logging:type=Logging\",\"attribute\":\"LoggerNames\"}",
                "{\"type\":\"read\",\"mbean\":\"JMImplementation:type=MBeanServerDelegate\",\"attribute\":\"MBeanServerId\"}",
            };
            for (String request : denied) {
                Answer a = agent.post("", request);
                assertEquals(200, a.status, request + "\n" + a);
                assertEquals(List.of(403), a.jolokiaStatuses(), request + "\n" + a);
            }
            assertFalse(Files.exists(heapDump), "no heap dump written");

            // Jolokia's notification command ignores the access policy: its handler is not in the agent
            Answer notification = agent.post("", "{\"type\":\"notification\",\"command\":\"register\"}");
            assertFalse(notification.body.contains("\"id\""), notification.toString());
            assertTrue(notification.jolokiaStatuses().get(0) >= 400, notification.toString());

            // a bulk request: each part judged on its own
            Answer bulk = agent.post("", "[{\"type\":\"read\",\"mbean\":\"bpfhook:type=ConnectionMonitor\","
                    + "\"attribute\":\"Status\"},{\"type\":\"exec\",\"mbean\":\"com.sun.management:type="
                    + "DiagnosticCommand\",\"operation\":\"vmVersion\"}]");
            assertEquals(List.of(200, 403), bulk.jolokiaStatuses(), bulk.toString());

            agent.assertUnharmed();
        }
    }

    @Test
    void oversizedDeepAndMalformedBodiesAreRefused() throws Exception {
        KernelTests.requireRoot();
        try (TestCgroup cgroup = TestCgroup.create("hostile-bodies"); Agent agent = Agent.start(cgroup, dir, "")) {
            byte[] tenMegabytes = ("{\"type\":\"read\",\"mbean\":\"java.lang:type=Runtime\",\"attribute\":\"Uptime\","
                    + "\"pad\":\"" + "x".repeat(TEN_MB) + "\"}").getBytes(StandardCharsets.UTF_8);
            Answer declared = agent.raw("POST /jolokia/ HTTP/1.1", List.of("Content-Length: " + tenMegabytes.length),
                    tenMegabytes, false);
            assertEquals(413, declared.status, "refused by its Content-Length, unread: " + declared);

            Answer chunked = agent.raw("POST /jolokia/ HTTP/1.1", List.of("Transfer-Encoding: chunked"), tenMegabytes,
                    true);
            assertTrue(chunked.body.contains("request body larger than 1 MiB"), chunked.toString());
            assertTrue(chunked.jolokiaStatuses().get(0) >= 400, chunked.toString());

            String deep = "[".repeat(100_000) + "]".repeat(100_000);
            Answer nested = agent.post("", deep);
            assertTrue(nested.body.contains("request JSON nested deeper than 64 levels"), nested.toString());
            assertFalse(nested.body.contains("StackOverflowError"), nested.toString());

            for (String malformed : new String[] {"{\"type\":\"read\",", "not json", "{\"type\":42}", "[1,2,3]",
                    "{\"type\":\"read\",\"mbean\":\"no such name\"}", "\u0000\u00ff\ufffe", ""}) {
                Answer a = agent.post("", malformed);
                List<Integer> statuses = a.jolokiaStatuses();
                assertTrue(a.status == 400 || !statuses.isEmpty() && statuses.stream().allMatch(s -> s >= 400),
                        "'" + malformed + "' refused: " + a);
                assertFalse(a.body.contains("\tat ") || a.body.contains("stacktrace"), "no stack trace: " + a);
            }

            // a client may ask for stack traces and serialized exceptions; it gets neither
            Answer details = agent.get("read/java.lang:type=NoSuchMBean/Foo?includeStackTrace=true&serializeException=true");
            assertEquals(List.of(404), details.jolokiaStatuses(), details.toString());
            assertFalse(details.body.contains("stacktrace") || details.body.contains("error_value"), details.toString());

            Answer longPath = agent.get("read/" + "a".repeat(200_000));
            assertFalse(longPath.body.contains("\"value\""), "a 200 kB path reads nothing: " + longPath);

            agent.assertUnharmed();
        }
    }

    @Test
    void otherWebSitesGetNeitherCorsNorAnAnswer() throws Exception {
        KernelTests.requireRoot();
        try (TestCgroup cgroup = TestCgroup.create("hostile-cors"); Agent agent = Agent.start(cgroup, dir, "")) {
            String read = "read/bpfhook:type=ConnectionMonitor/TotalConnections";
            for (String origin : new String[] {"http://evil.example", "https://evil.example:8778",
                    "http://127.0.0.1.evil.example", "null"}) {
                Answer a = agent.get(read, "Origin: " + origin);
                assertEquals(403, a.status, origin + ": " + a);
                assertFalse(a.head.toLowerCase().contains("access-control-allow-origin"), origin + ": " + a);
                Answer preflight = agent.raw("OPTIONS /jolokia/" + read + " HTTP/1.1", List.of("Origin: " + origin,
                        "Access-Control-Request-Method: POST"), new byte[0], false);
                assertEquals(403, preflight.status, "preflight from " + origin + ": " + preflight);
                assertFalse(preflight.head.toLowerCase().contains("access-control-allow-origin"), preflight.toString());
            }

            // a page of the machine itself, e.g. a local console: CORS names it, and only it
            Answer local = agent.get(read, "Origin: http://localhost:3000");
            assertEquals(200, local.status, local.toString());
            assertTrue(local.head.contains("ccess-control-allow-origin: http://localhost:3000"), local.toString());

            // DNS rebinding: a page of evil.example whose name now points at 127.0.0.1 sends its own Host
            Answer rebound = agent.raw("GET /jolokia/" + read + " HTTP/1.1", List.of("Host: evil.example:"
                    + agent.jolokiaPort), new byte[0], false);
            assertEquals(403, rebound.status, rebound.toString());

            // JSONP would hand the answer to any page's script, past CORS
            Answer jsonp = agent.get(read + "?callback=steal");
            assertEquals(403, jsonp.status, jsonp.toString());
            assertFalse(jsonp.body.contains("steal("), jsonp.toString());

            agent.assertUnharmed();
        }
    }

    @Test
    void malformedCredentialsAreRefusedLikeWrongOnes() throws Exception {
        KernelTests.requireRoot();
        try (TestCgroup cgroup = TestCgroup.create("hostile-auth");
             Agent agent = Agent.start(cgroup, dir, "jolokia.user=ops,jolokia.password=s3cret")) {
            String[] headers = {"Basic !!!not-base64!!!", "Basic " + base64("no colon"), "Bearer " + base64("ops:s3cret"),
                "Basic", "Basic " + "A".repeat(8000), "Basic " + base64("ops:s3cret\u0000"),
                "Basic " + base64("OPS:s3cret"), "basic " + base64(":"), "Basic " + base64("ops:s3cret") + "==="};
            for (String header : headers) {
                Answer a = agent.get("version", "Authorization: " + header);
                assertEquals(401, a.status, header + ": " + a);
                assertTrue(a.head.contains("uthenticate: Basic realm=\"jolokia\""), a.toString());
            }
            // an other site's page is refused before its credentials are even looked at
            Answer origin = agent.get("version", "Authorization: Basic " + base64("ops:s3cret"),
                    "Origin: http://evil.example");
            assertEquals(403, origin.status, origin.toString());
            assertEquals(200, agent.get("version", "Authorization: Basic " + base64("ops:s3cret")).status);
            assertEveryPathAsksForCredentials(agent);
            agent.credentials = "ops:s3cret";
            agent.assertUnharmed();
        }
    }

    /**
     * Jolokia's own server served its handler a second time under /jolokia/config with no authenticator: a
     * read there needed no credentials (and passed no Host, Origin or body check). Every path is guarded now.
     */
    private static void assertEveryPathAsksForCredentials(Agent agent) throws IOException {
        String read = "{\"type\":\"read\",\"mbean\":\"bpfhook:type=ConnectionMonitor\",\"attribute\":\"Status\"}";
        for (String path : new String[] {"config", "config/", "config/version", "configx", "version/../config",
            "config/read/bpfhook:type=ConnectionMonitor/Status"}) {
            Answer get = agent.get(path);
            assertEquals(401, get.status, path + ": " + get);
            assertFalse(get.body.contains("RUNNING"), get.toString());
            Answer post = agent.post(path, read);
            assertEquals(401, post.status, path + ": " + post);
            assertFalse(post.body.contains("RUNNING"), post.toString());
        }
        Answer foreign = agent.get("config/version", "Authorization: Basic " + base64("ops:s3cret"),
                "Origin: http://evil.example");
        assertEquals(403, foreign.status, foreign.toString());
    }

    @Test
    void httpsWithTheOperatorsKeystoreGuardsEveryPath() throws Exception {
        KernelTests.requireRoot();
        Path keystore = SelfSignedTls.keystore(dir.resolve("jolokia.p12"));
        try (TestCgroup cgroup = TestCgroup.create("hostile-tls");
             Agent agent = Agent.start(cgroup, dir, "jolokia.user=ops,jolokia.password=s3cret,jolokia.tls.keystore="
                     + keystore + ",jolokia.tls.password=" + SelfSignedTls.PASSWORD)) {
            String base = "https://127.0.0.1:" + agent.jolokiaPort + "/jolokia/";
            assertEquals(200, SelfSignedTls.status(base + "read/bpfhook:type=ConnectionMonitor/Status", "ops:s3cret"));
            assertEquals(401, SelfSignedTls.status(base + "read/bpfhook:type=ConnectionMonitor/Status", null));
            assertEquals(401, SelfSignedTls.status(base + "config/read/bpfhook:type=ConnectionMonitor/Status", null));
            assertEquals(401, SelfSignedTls.status(base + "version", "ops:wrong"));
            Answer plain = agent.get("version");
            assertTrue(plain.status != 200, "no answer over plain HTTP: " + plain);
            agent.child.send("exit 0");
            assertEquals(0, agent.child.waitFor(TIMEOUT_MS), agent.child.describe());
            assertEquals("", agent.child.stderr(), "nothing on the application's stderr");
        }
    }

    @Test
    void nonLoopbackEndpointsWithoutCredentialsAreRefusedInOneLineEach() throws Exception {
        KernelTests.requireRoot();
        int jolokia = Http.freePort();
        int prometheus = Http.freePort();
        ReportFile report = new ReportFile(dir.resolve("public.jsonl"));
        try (TestCgroup cgroup = TestCgroup.create("hostile-public");
             ChildJvm child = ChildJvm.builder(APP).inCgroup(cgroup.directory()).agent(ChildJvm.agentJar(),
                     "jolokia=0.0.0.0:" + jolokia + ",prometheus=0.0.0.0:" + prometheus + ",report=" + report.path()
                             + ",report.interval=3600").start()) {
            report.awaitStart(TIMEOUT_MS, child);
            assertFalse(listening(jolokia) || listening(prometheus), "neither port is open");
            child.send("tcp 2");
            child.awaitStdout(l -> l.equals("done tcp 2"), TIMEOUT_MS);
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
            assertEquals("bpfhook: jolokia output disabled: jolokia on 0.0.0.0 (not loopback) needs credentials: set "
                    + "jolokia.user and jolokia.password, or bind to 127.0.0.1\n"
                    + "bpfhook: prometheus output disabled: prometheus on 0.0.0.0 (not loopback) needs credentials: set "
                    + "prometheus.user and prometheus.password (basic_auth in the scrape config), or bind to 127.0.0.1\n",
                    child.stderr());
            assertEquals(4, ReportFile.number(report.lastReport(), "total_connections"), "the agent ran on");
        }

        int scraped = Http.freePort();
        try (TestCgroup cgroup = TestCgroup.create("hostile-prom");
             ChildJvm child = ChildJvm.builder(APP).inCgroup(cgroup.directory()).agent(ChildJvm.agentJar(),
                     "prometheus=0.0.0.0:" + scraped + ",prometheus.user=scraper,prometheus.password=pw").start()) {
            child.awaitStdout(l -> l.startsWith("ready"), TIMEOUT_MS);
            String metrics = "http://127.0.0.1:" + scraped + "/metrics";
            Await.until(() -> {
                try {
                    return Http.get(metrics, "scraper:pw").body().contains("bpfhook_events_received_total");
                } catch (Exception e) {
                    return false;
                }
            }, "/metrics with credentials");
            for (String path : new String[] {"/metrics", "/", "/-/healthy"}) {
                assertEquals(401, Http.get("http://127.0.0.1:" + scraped + path, null).statusCode(), path);
                assertEquals(401, Http.get("http://127.0.0.1:" + scraped + path, "scraper:wrong").statusCode(), path);
            }
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
            assertEquals("bpfhook: prometheus on 0.0.0.0 sends its credentials and metrics in clear text; set "
                    + "prometheus.tls.keystore=FILE for HTTPS, or bind to 127.0.0.1\n", child.stderr(),
                    "the one warning line of a public bind with credentials");
        }
    }

    @Test
    void theJarHasNoJsr160ProxyAndNoPolicyFreeNotificationHandler() throws Exception {
        try (JarFile jar = new JarFile(ChildJvm.agentJar().toFile())) {
            List<String> names = new ArrayList<>();
            jar.stream().map(ZipEntry::getName).forEach(names::add);
            assertTrue(names.stream().anyMatch(n -> n.startsWith("bpfhook-inst/org/jolokia/jvmagent/")), "Jolokia is in");
            assertFalse(names.stream().anyMatch(n -> n.contains("org/jolokia/service/jsr160/")), "no JSR-160 proxy");
            assertFalse(names.stream().anyMatch(n -> n.contains("org/jolokia/service/notif/")), "no notification backends");
            String handlers = text(jar, "bpfhook-inst/META-INF/jolokia/command-handlers").replaceAll("(?m)^#.*$", "");
            assertTrue(handlers.contains("org.jolokia.service.jmx.handler.ReadHandler"), handlers);
            assertFalse(handlers.contains("NotificationHandler"), handlers);
            String services = text(jar, "bpfhook-inst/META-INF/jolokia/services-default").replaceAll("(?m)^#.*$", "");
            assertFalse(services.contains("jsr160") || services.contains("notif"), services);
        }
    }

    // ---- helpers ----

    private static String text(JarFile jar, String entry) throws IOException {
        ZipEntry e = jar.getEntry(entry);
        assertTrue(e != null, "no " + entry + " in the jar");
        try (InputStream in = jar.getInputStream(e)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String base64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (ConnectException refused) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** An HTTP answer as it came: status, head and body (chunked bodies left as they are: tests look inside). */
    private static final class Answer {
        final int status;
        final String head;
        final String body;

        Answer(int status, String head, String body) {
            this.status = status;
            this.head = head;
            this.body = body;
        }

        /** Jolokia answers HTTP 200 with each request's own status in the JSON: all of them, in order. */
        List<Integer> jolokiaStatuses() {
            List<Integer> statuses = new ArrayList<>();
            Matcher m = Pattern.compile("\"status\":(\\d+)").matcher(body);
            while (m.find()) {
                statuses.add(Integer.parseInt(m.group(1)));
            }
            return statuses;
        }

        @Override
        public String toString() {
            return status + "\n" + head + "\n" + (body.length() > 2000 ? body.substring(0, 2000) + "..." : body);
        }
    }

    /** The child with the agent and Jolokia on a loopback port, up and answering. */
    private static final class Agent implements AutoCloseable {
        final ChildJvm child;
        final int jolokiaPort;
        String credentials;

        private Agent(ChildJvm child, int jolokiaPort) {
            this.child = child;
            this.jolokiaPort = jolokiaPort;
        }

        static Agent start(TestCgroup cgroup, Path dir, String options) throws Exception {
            int port = Http.freePort();
            ReportFile report = new ReportFile(dir.resolve(cgroup.directory().getFileName() + ".jsonl"));
            ChildJvm child = ChildJvm.builder(APP).inCgroup(cgroup.directory()).agent(ChildJvm.agentJar(),
                    "jolokia=" + port + (options.isEmpty() ? "" : "," + options) + ",report=" + report.path()
                            + ",report.interval=3600").start();
            child.awaitStdout(l -> l.startsWith("ready"), TIMEOUT_MS);
            report.awaitStart(TIMEOUT_MS, child);
            return new Agent(child, port);
        }

        Answer get(String path, String... headers) throws IOException {
            return raw("GET /jolokia/" + path + " HTTP/1.1", List.of(headers), new byte[0], false);
        }

        Answer post(String path, String json) throws IOException {
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            return raw("POST /jolokia/" + path + " HTTP/1.1", List.of("Content-Type: application/json",
                    "Content-Length: " + body.length), body, false);
        }

        /**
         * One request on a new connection, written byte for byte (the JDK's HTTP client would not send a foreign
         * Host or a malformed header), read to the end. The body is written from another thread: a server that
         * refuses early stops reading, and its answer must still be read.
         */
        Answer raw(String requestLine, List<String> headers, byte[] body, boolean chunked) throws IOException {
            StringBuilder head = new StringBuilder(requestLine).append("\r\n");
            if (headers.stream().noneMatch(h -> h.regionMatches(true, 0, "Host:", 0, 5))) {
                head.append("Host: 127.0.0.1:").append(jolokiaPort).append("\r\n");
            }
            if (credentials != null && headers.stream().noneMatch(h -> h.startsWith("Authorization:"))) {
                head.append("Authorization: Basic ").append(base64(credentials)).append("\r\n");
            }
            for (String h : headers) {
                head.append(h).append("\r\n");
            }
            head.append("Connection: close\r\n\r\n");
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), jolokiaPort)) {
                socket.setSoTimeout((int) TIMEOUT_MS);
                OutputStream out = socket.getOutputStream();
                out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                Thread writer = new Thread(() -> writeBody(out, body, chunked), "hostile-body");
                writer.start();
                ByteArrayOutputStream answer = new ByteArrayOutputStream();
                try {
                    socket.getInputStream().transferTo(answer);
                } catch (IOException reset) {
                    // the server closed on a body it would not read: what came before is the answer
                }
                try {
                    writer.join(TIMEOUT_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return parse(answer.toString(StandardCharsets.ISO_8859_1));
            }
        }

        private static void writeBody(OutputStream out, byte[] body, boolean chunked) {
            try {
                if (chunked) {
                    for (int at = 0; at < body.length; at += 65536) {
                        int n = Math.min(65536, body.length - at);
                        out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                        out.write(body, at, n);
                        out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    }
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                } else {
                    out.write(body);
                }
                out.flush();
            } catch (IOException closed) {
                // refused before the end: expected for bodies the server will not take
            }
        }

        /** Skips interim 1xx answers (the JDK's server sends 100 Continue unasked). */
        private static Answer parse(String text) {
            String rest = text;
            while (true) {
                int end = rest.indexOf("\r\n\r\n");
                if (!rest.startsWith("HTTP/1.") || end < 0) {
                    return new Answer(-1, "", rest);
                }
                String head = rest.substring(0, end);
                int status = Integer.parseInt(head.substring(9, 12));
                rest = rest.substring(end + 4);
                if (status >= 200) {
                    return new Answer(status, head, rest);
                }
            }
        }

        /** A normal read still answers, and the application still does what it is told. */
        void assertUnharmed() throws Exception {
            Answer status = get("read/bpfhook:type=ConnectionMonitor/Status");
            assertEquals(200, status.status, status.toString());
            assertTrue(status.body.contains("\"value\":\"RUNNING\""), status.toString());
            child.send("tcp 1");
            child.awaitStdout(l -> l.equals("done tcp 1"), TIMEOUT_MS);
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
            assertEquals("", child.stderr(), "nothing on the application's stderr");
            assertFalse(child.stdout().contains("Exception") || child.stdout().contains("\tat "), child.describe());
        }

        @Override
        public void close() {
            child.close();
        }
    }
}
