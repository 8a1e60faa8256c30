package dev.bpfhook.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real Prometheus server (Debian's package) scraping one target every second, with its data in a
 * directory of the test's; closing it stops it. Missing: the test is skipped, or fails with CI=true.
 */
public final class PrometheusServer implements AutoCloseable {
    private static final Path BINARY = Paths.get("/usr/bin/prometheus");
    private static final Path PROMTOOL = Paths.get("/usr/bin/promtool");

    private final Process process;
    private final int port;

    private PrometheusServer(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts a server that scrapes 127.0.0.1:{@code targetPort}, keeping its files in {@code dir}. */
    public static PrometheusServer scraping(int targetPort, Path dir) throws IOException {
        return scraping(targetPort, dir, "", "");
    }

    /** As {@link #scraping(int, Path)}, evaluating the alerting rules of {@code rules} every second. */
    public static PrometheusServer scrapingWithRules(int targetPort, Path dir, Path rules) throws IOException {
        return scraping(targetPort, dir, "", "rule_files: ['" + rules.toAbsolutePath() + "']\n");
    }

    /**
     * As {@link #scraping(int, Path)}, over HTTPS with basic authentication as {@code user:password}; the
     * target's certificate (the test's own, self-signed) is not verified.
     */
    public static PrometheusServer scrapingHttps(int targetPort, Path dir, String user, String password)
            throws IOException {
        return scraping(targetPort, dir, "    scheme: https\n    tls_config:\n      insecure_skip_verify: true\n"
                + "    basic_auth:\n      username: " + user + "\n      password: " + password + "\n", "");
    }

    private static PrometheusServer scraping(int targetPort, Path dir, String jobSettings, String topLevel)
            throws IOException {
        requireInstalled(BINARY, "prometheus server");
        int port = Http.freePort();
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n" + topLevel
                + "scrape_configs:\n"
                + "  - job_name: bpfhook\n" + jobSettings + "    static_configs:\n      - targets: ['127.0.0.1:"
                + targetPort + "']\n");
        Process process = new ProcessBuilder(BINARY.toString(), "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        return new PrometheusServer(process, port);
    }

    /** Asserts that {@code promtool check metrics} accepts {@code text}; the file it checks goes to {@code dir}. */
    public static void assertPromtoolAccepts(String text, Path dir) throws IOException, InterruptedException {
        Path file = Files.createTempFile(dir, "metrics-", ".txt");
        Files.writeString(file, text);
        promtool(new ProcessBuilder("promtool", "check", "metrics").redirectInput(file.toFile()));
    }

    /**
     * promtool's output for {@code args}, run in {@code dir}; fails the test when it exits other than 0. Skips the
     * test where promtool is not installed, but with CI=true.
     */
    public static String promtool(Path dir, String... args) throws IOException, InterruptedException {
        requireInstalled(PROMTOOL, "promtool");
        List<String> command = new ArrayList<>(List.of("promtool"));
        command.addAll(List.of(args));
        return promtool(new ProcessBuilder(command).directory(dir.toFile()));
    }

    private static String promtool(ProcessBuilder builder) throws IOException, InterruptedException {
        String command = String.join(" ", builder.command());
        Process promtool = builder.redirectErrorStream(true).start();
        String out = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(promtool.waitFor(30, TimeUnit.SECONDS), command + " did not finish");
        assertEquals(0, promtool.exitValue(), command + ":\n" + out);
        return out;
    }

    /** Skips the test where {@code binary} (of Debian's prometheus package) is missing; with CI=true, fails it. */
    private static void requireInstalled(Path binary, String what) {
        if (!Files.isExecutable(binary)) {
            if (KernelTests.inCi()) {
                throw new AssertionError("CI=true: install Debian's prometheus package (.ci/run does), for " + what);
            }
            Assumptions.assumeTrue(false, "no " + what + " installed");
        }
    }

    /** The URL of an instant query of {@code promql} on its HTTP API. */
    public String query(String promql) {
        return "http://127.0.0.1:" + port + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor(10, TimeUnit.SECONDS);
    }
}
