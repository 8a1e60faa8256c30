package dev.bpfhook.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.apps.AgentTestApp;
import dev.bpfhook.testing.Await;
import dev.bpfhook.testing.ChildJvm;
import dev.bpfhook.testing.Http;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.ReportFile;
import dev.bpfhook.testing.TestCgroup;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP clients that hold the agent's endpoints up: one that trickles its request head and never ends it, one
 * that announces a body and never sends it, one that asks for answers and never reads them. A few of them
 * leave Jolokia and /metrics answering everyone else at once; more than the endpoint has threads are cut off
 * after the agent's exchange timeout (30 s), and then the others are answered. Nothing reaches the
 * application's output, and the application exits as told.
 */
class SlowHttpClientIT {
    private static final long TIMEOUT_MS = 30_000;
    /**
     * How long a slow client may hold its connection before the agent must have closed it: the agent's exchange
     * timeout (30 s) for the clients its four threads took, once more for those that waited for a thread,
     * and a margin for a loaded machine.
     */
    private static final long CUT_OFF_MS = 90_000;
    private static final String APP = AgentTestApp.class.getName();
    private static final String JOLOKIA_CREDENTIALS = "ops:s3cret";
    private static final String PROMETHEUS_CREDENTIALS = "scraper:pw";

    @TempDir
    Path dir;

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void aFewSlowClientsLeaveJolokiaAnsweringOthersAtOnce() throws Exception {
        int port = Http.freePort();
        try (TestCgroup cgroup = TestCgroup.create("slow-jolokia");
             ChildJvm child = start(cgroup, "jolokia=" + port + ",jolokia.user=ops,jolokia.password=s3cret");
             SlowClients slow = new SlowClients(port)) {
            holdJolokia(slow, port, false);

            // Http gives up after 20 s: with the endpoint's one thread held, this would wait for ever
            assertJolokiaAnswersRunning(port);
            assertEquals(401, Http.get(jolokiaStatus(port), null).statusCode(), "the guard still asks everyone else");
            assertExitsCleanly(child);
        }
    }

    @Test
    void jolokiaCutsOffSlowClientsThatHoldEveryThread() throws Exception {
        int port = Http.freePort();
        try (TestCgroup cgroup = TestCgroup.create("slow-jolokia-all");
             ChildJvm child = start(cgroup, "jolokia=" + port + ",jolokia.user=ops,jolokia.password=s3cret");
             SlowClients slow = new SlowClients(port)) {
            holdJolokia(slow, port, true);
            Await.until(() -> workerThreads(child, "bpfhook-jolokia").size() == 4,
                    "four Jolokia threads, each held by a slow client");
            assertEquals(Set.of("bpfhook-jolokia-1", "bpfhook-jolokia-2", "bpfhook-jolokia-3", "bpfhook-jolokia-4"),
                    workerThreads(child, "bpfhook-jolokia"));

            slow.awaitEachClosedByTheAgent(CUT_OFF_MS);
            assertJolokiaAnswersRunning(port);
            assertExitsCleanly(child);
        }
    }

    @Test
    void prometheusCutsOffSlowScrapersAndAnswersTheRealOne() throws Exception {
        int port = Http.freePort();
        try (TestCgroup cgroup = TestCgroup.create("slow-prometheus");
             ChildJvm child = start(cgroup, "prometheus=" + port + ",prometheus.user=scraper,prometheus.password=pw");
             SlowClients slow = new SlowClients(port)) {
            String metrics = "http://127.0.0.1:" + port + "/metrics";
            Await.until(() -> answers(metrics), "/metrics up");
            int metricsBytes = Http.get(metrics, PROMETHEUS_CREDENTIALS).body().length();
            // more than the ten threads of the Prometheus library's own server, which then stopped accepting
            for (int i = 0; i < 4; i++) {
                slow.trickledHead("GET /metrics HTTP/1.1");
                slow.unsentBody("POST /metrics HTTP/1.1", PROMETHEUS_CREDENTIALS);
                slow.unreadAnswers("GET /metrics HTTP/1.1", PROMETHEUS_CREDENTIALS, unreadBytes() / metricsBytes + 1);
            }
            Await.until(() -> workerThreads(child, "bpfhook-prometheus").size() == 4,
                    "four Prometheus threads, each held by a slow client");
            assertEquals(Set.of("bpfhook-prometheus-1", "bpfhook-prometheus-2", "bpfhook-prometheus-3",
                    "bpfhook-prometheus-4"), workerThreads(child, "bpfhook-prometheus"));

            slow.awaitEachClosedByTheAgent(CUT_OFF_MS);
            HttpResponse<String> answer = Http.get(metrics, PROMETHEUS_CREDENTIALS);
            assertEquals(200, answer.statusCode(), answer.body());
            assertTrue(answer.body().contains("bpfhook_events_received_total"), answer.body());
            assertExitsCleanly(child);
        }
    }

    // ---- helpers ----

    /**
     * Slow clients of Jolokia, one of each kind: a head sent a byte at a time, a body announced and never sent
     * (and, with {@code unauthenticatedToo}, one without credentials, refused with 401 once its body came), and
     * answers never read.
     */
    private static void holdJolokia(SlowClients slow, int port, boolean unauthenticatedToo) throws Exception {
        int listBytes = Http.get("http://127.0.0.1:" + port + "/jolokia/list", JOLOKIA_CREDENTIALS).body().length();
        slow.trickledHead("GET /jolokia/version HTTP/1.1");
        slow.unsentBody("POST /jolokia/ HTTP/1.1", JOLOKIA_CREDENTIALS);
        if (unauthenticatedToo) {
            slow.unsentBody("POST /jolokia/ HTTP/1.1", null); // refused with 401, which waits for the body first
        }
        slow.unreadAnswers("GET /jolokia/list HTTP/1.1", JOLOKIA_CREDENTIALS, unreadBytes() / listBytes + 1);
    }

    private static String jolokiaStatus(int port) {
        return "http://127.0.0.1:" + port + "/jolokia/read/bpfhook:type=ConnectionMonitor/Status";
    }

    private static void assertJolokiaAnswersRunning(int port) throws Exception {
        HttpResponse<String> answer = Http.get(jolokiaStatus(port), JOLOKIA_CREDENTIALS);
        assertEquals(200, answer.statusCode(), answer.body());
        assertTrue(answer.body().contains("\"value\":\"RUNNING\""), answer.body());
    }

    /** A child with the agent, once its hooks are attached and its outputs listen (the report's start line). */
    private ChildJvm start(TestCgroup cgroup, String options) throws Exception {
        ReportFile report = new ReportFile(dir.resolve(cgroup.directory().getFileName() + ".jsonl"));
        ChildJvm child = ChildJvm.builder(APP).inCgroup(cgroup.directory()).agent(ChildJvm.agentJar(),
                options + ",report=" + report.path() + ",report.interval=3600").start();
        child.awaitStdout(l -> l.startsWith("ready"), TIMEOUT_MS);
        report.awaitStart(TIMEOUT_MS, child);
        return child;
    }

    private static boolean answers(String url) {
        try {
            return Http.get(url, PROMETHEUS_CREDENTIALS).statusCode() == 200;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static void assertExitsCleanly(ChildJvm child) throws Exception {
        child.send("exit 0");
        assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
        assertEquals("", child.stderr(), "nothing on the application's stderr");
    }

    /** The names of the child's threads called {@code prefix-N}, from a thread dump (jcmd). */
    private Set<String> workerThreads(ChildJvm child, String prefix) {
        Path jcmd = ChildJvm.java().resolveSibling("jcmd");
        Path out = dir.resolve("threads.txt");
        try {
            Process dump = new ProcessBuilder(jcmd.toString(), Long.toString(child.pid()), "Thread.print")
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!dump.waitFor(TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                dump.destroyForcibly();
                throw new AssertionError("jcmd took no thread dump of the child in " + TIMEOUT_MS + " ms");
            }
            Set<String> names = new TreeSet<>();
            Pattern name = Pattern.compile("(?m)^\"(" + Pattern.quote(prefix) + "-[0-9]+)\"");
            Matcher m = name.matcher(Files.readString(out));
            while (m.find()) {
                names.add(m.group(1));
            }
            return names;
        } catch (IOException e) {
            throw new AssertionError("no thread dump of the child: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /**
     * Answers enough to fill the agent's socket send buffer twice over (the kernel grows it up to tcp_wmem's
     * largest size), so that its writes block; their requests still fit in its receive buffer at once.
     */
    private static int unreadBytes() throws IOException {
        String[] wmem = Files.readAllLines(Paths.get("/proc/sys/net/ipv4/tcp_wmem")).get(0).trim().split("\\s+");
        return 2 * Integer.parseInt(wmem[2]);
    }

    private static String base64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Raw connections to one port that each hold a request up; all closed at the end, also on failure. */
    private static final class SlowClients implements AutoCloseable {
        private final int port;
        private final List<Socket> sockets = new ArrayList<>();
        /** Those that never read what the agent sends. */
        private final Set<Socket> unread = new HashSet<>();
        /** Writes one more header byte to each trickling client now and then: it never looks idle. */
        private final ScheduledExecutorService trickler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "slow-client-trickle");
            t.setDaemon(true);
            return t;
        });

        SlowClients(int port) {
            this.port = port;
        }

        /** A request head sent a byte at a time, and never ended. */
        void trickledHead(String requestLine) throws IOException {
            Socket socket = connect(0);
            OutputStream out = socket.getOutputStream();
            send(socket, (requestLine + "\r\n" + headers(null) + "X-Slow: ").getBytes(StandardCharsets.ISO_8859_1));
            trickler.scheduleWithFixedDelay(() -> {
                try {
                    out.write('x');
                    out.flush();
                } catch (IOException closed) {
                    throw new IllegalStateException("closed: no more bytes", closed); // ends this trickle
                }
            }, 1, 1, TimeUnit.SECONDS);
        }

        /** A complete head announcing a 1000-byte JSON body, of which only the first byte comes. */
        void unsentBody(String requestLine, String credentials) throws IOException {
            Socket socket = connect(0);
            send(socket, (requestLine + "\r\n" + headers(credentials)
                    + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
                    .getBytes(StandardCharsets.ISO_8859_1));
        }

        /**
         * {@code count} requests at once on one connection (HTTP/1.1 pipelining), with a small receive buffer,
         * and not one byte of their answers read.
         */
        void unreadAnswers(String requestLine, String credentials, int count) throws IOException {
            Socket socket = connect(4096);
            unread.add(socket);
            String request = requestLine + "\r\n" + headers(credentials) + "\r\n";
            send(socket, request.repeat(count).getBytes(StandardCharsets.ISO_8859_1));
        }

        /**
         * Writes what a client sends; a connection the agent closed first (it had more waiting than it takes)
         * is one fewer to hold, and {@link #awaitEachClosedByTheAgent} finds it closed.
         */
        private static void send(Socket socket, byte[] bytes) {
            try {
                socket.getOutputStream().write(bytes);
                socket.getOutputStream().flush();
            } catch (IOException closedByTheAgent) {
                // see above
            }
        }

        /**
         * Every connection is closed from the agent's side within {@code timeoutMs} of now: its end of each is no
         * longer established. Watched from outside (ss), not through the sockets: a byte a client reads, or even
         * writes, lets the kernel take more of the agent's blocked answer, and the connection would go on.
         */
        void awaitEachClosedByTheAgent(long timeoutMs) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            Set<Integer> open = stillEstablished();
            while (!open.isEmpty() && System.nanoTime() < end) {
                Thread.sleep(100); // polling, as Await does
                open = stillEstablished();
            }
            if (!open.isEmpty()) {
                throw new AssertionError(open.size() + " of " + sockets.size() + " slow clients (ports " + open
                        + ") still connected " + timeoutMs + " ms on: the agent never cut them off");
            }
        }

        /** The local ports of those clients whose connection the agent still holds established. */
        private Set<Integer> stillEstablished() {
            Set<Integer> ours = new TreeSet<>();
            sockets.forEach(s -> ours.add(s.getLocalPort()));
            Set<Integer> established = new TreeSet<>();
            try {
                Process ss = new ProcessBuilder("ss", "-tnH", "state", "established", "( sport = :" + port + " )")
                        .redirectErrorStream(true).start();
                String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!ss.waitFor(TIMEOUT_MS, TimeUnit.MILLISECONDS) || ss.exitValue() != 0) {
                    throw new AssertionError("ss failed: " + out);
                }
                for (String line : out.split("\n")) {
                    String[] columns = line.trim().split("\\s+");
                    if (columns.length >= 4) { // Recv-Q Send-Q Local Peer: the peer is a slow client
                        String peer = columns[3];
                        established.add(Integer.parseInt(peer.substring(peer.lastIndexOf(':') + 1)));
                    }
                }
            } catch (IOException e) {
                throw new AssertionError("no ss: " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
            established.retainAll(ours);
            return established;
        }

        private Socket connect(int receiveBuffer) throws IOException {
            Socket socket = new Socket();
            sockets.add(socket);
            if (receiveBuffer > 0) {
                socket.setReceiveBufferSize(receiveBuffer); // before connect: it sets the window offered
            }
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), (int) TIMEOUT_MS);
            return socket;
        }

        private String headers(String credentials) {
            return "Host: 127.0.0.1:" + port + "\r\n"
                    + (credentials == null ? "" : "Authorization: Basic " + base64(credentials) + "\r\n");
        }

        @Override
        public void close() {
            trickler.shutdownNow();
            for (Socket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException e) {
                    // closing is all that is left to do
                }
            }
        }
    }
}
