package dev.bpfhook.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.bpfhook.testing.Await;
import dev.bpfhook.testing.Http;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * /metrics on a real loopback server with the agent's threads: a scraper that never reads its answers is cut off
 * without a word logged (the Prometheus library's own adapter logged it, with a stack trace, through
 * java.util.logging onto the application's stderr), and a failed scrape is one line, not a stack trace.
 */
class MetricsHttpServerTest {
    private static final int SERIES = 20_000;

    @Test
    void aScraperThatNeverReadsIsCutOffAndNothingIsLogged() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register((Collector) MetricsHttpServerTest::manySeries);
        HttpWorkers workers = new HttpWorkers("test-metrics", 500);
        HttpServer server = MetricsHttpServer.start("127.0.0.1", 0, null, registry,
                new HttpGuard("test", null, null, true), workers);
        Recorded logged = new Recorded();
        Logger.getLogger("").addHandler(logged);
        try (Socket scraper = new Socket()) {
            String metrics = "http://127.0.0.1:" + server.getAddress().getPort() + "/metrics";
            int answerBytes = Http.get(metrics, null).body().length();
            scraper.setReceiveBufferSize(4096);
            scraper.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getAddress().getPort()));
            // enough answers to fill the server's send buffer twice over: its writes block, and are cut off
            String[] wmem = Files.readAllLines(Paths.get("/proc/sys/net/ipv4/tcp_wmem")).get(0).trim().split("\\s+");
            int requests = 2 * Integer.parseInt(wmem[2]) / answerBytes + 1;
            OutputStream out = scraper.getOutputStream();
            out.write("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".repeat(requests)
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();

            assertClosedByTheServer(scraper);
            assertEquals(200, Http.get(metrics, null).statusCode(), "the next scrape is answered");
            assertEquals(List.of(), logged.messages(), "nothing logged");
        } finally {
            Logger.getLogger("").removeHandler(logged);
            server.stop(0);
            workers.shutdownNow();
        }
    }

    @Test
    void aScrapeThatFailsIsAnsweredWithOneLine() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        Collector broken = () -> {
            throw new IllegalStateException("no such MBean");
        };
        registry.register(broken);
        HttpWorkers workers = new HttpWorkers("test-failed-scrape");
        HttpServer server = MetricsHttpServer.start("127.0.0.1", 0, null, registry,
                new HttpGuard("test", null, null, true), workers);
        try {
            HttpResponse<String> answer = Http.get("http://127.0.0.1:" + server.getAddress().getPort() + "/metrics",
                    null);
            assertEquals(500, answer.statusCode());
            assertEquals("the scrape failed: java.lang.IllegalStateException: no such MBean\n", answer.body());
        } finally {
            server.stop(0);
            workers.shutdownNow();
        }
    }

    private static GaugeSnapshot manySeries() {
        GaugeSnapshot.Builder gauge = GaugeSnapshot.builder().name("test_series").help("one of many");
        for (int i = 0; i < SERIES; i++) {
            gauge.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(Labels.of("n", Integer.toString(i)))
                    .value(i).build());
        }
        return gauge.build();
    }

    /**
     * The server closes the connection, with requests it had not read, so it resets it and one more byte written
     * fails. Not one byte is read: that would let its blocked writes go on, and the answers end in the ordinary
     * way (the bytes written only let the kernel grow the server's send buffer, up to its limit).
     */
    private static void assertClosedByTheServer(Socket socket) throws InterruptedException {
        Await.until(() -> {
            try {
                socket.getOutputStream().write('\n');
                socket.getOutputStream().flush();
                return false;
            } catch (IOException reset) {
                return true;
            }
        }, "the server cuts off the scraper that never reads");
    }

    /** What java.util.logging was given while the test ran. */
    private static final class Recorded extends Handler {
        private final List<String> messages = new ArrayList<>();

        @Override
        public synchronized void publish(LogRecord record) {
            messages.add(record.getLoggerName() + ": " + record.getMessage());
        }

        synchronized List<String> messages() {
            return new ArrayList<>(messages);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
