package dev.bpfhook.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.cli.MainAccess;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.LoopbackTraffic;
import dev.bpfhook.testing.TestCgroup;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The standalone monitor as a user runs it: options in, report and event lines out. */
class StandaloneMonitorTest {
    private static final int EXCHANGES = 3;
    private static final int PID = (int) ProcessHandle.current().pid();

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void jsonReportCountsExactlyTheTrafficOfTheWatchedCgroup() throws Exception {
        try (TestCgroup cgroup = TestCgroup.create("cli-json")) {
            Run run = Run.start("-c", cgroup.directory().toString(), "--duration", "3", "--json", "-e");
            run.awaitOutput("\"type\":\"start\"");
            cgroup.enter();
            makeTraffic();
            cgroup.leave();
            run.awaitExit(0);

            List<String> lines = run.stdoutLines();
            String report = lines.stream().filter(l -> l.contains("\"type\":\"report\"")).reduce((a, b) -> b)
                    .orElseThrow(() -> new AssertionError("no report line in " + lines));
            assertEquals(2L * EXCHANGES, number(report, "total_connections"), report);
            assertEquals(EXCHANGES, number(report, "outbound_established"), report);
            assertEquals(EXCHANGES, number(report, "inbound_accepted"), report);
            assertEquals(0, number(report, "active_connections"), report);
            assertEquals(EXCHANGES * (10L + 20L), number(report, "bytes_sent"), "client sends 10, server 20, per exchange");
            assertEquals(0, number(report, "events_lost"), report);
            assertEquals(number(report, "events_received"),
                    lines.stream().filter(l -> l.contains("\"type\":\"event\"")).count(), "one line per event");
            long connects = lines.stream().filter(l -> l.contains("\"kind\":\"CONNECT\"")).count();
            assertEquals(EXCHANGES, connects);
            assertTrue(lines.stream().filter(l -> l.contains("\"kind\":\"CONNECT\""))
                    .allMatch(l -> l.contains("\"pid\":" + PID + ",")), "connect events carry the test's pid");
            assertEquals("", run.stderr(), "nothing on stderr");
        }
    }

    @Test
    void textReportHasTheOriginalFormat() throws Exception {
        try (TestCgroup cgroup = TestCgroup.create("cli-text")) {
            Run run = Run.start("--cgroup=" + cgroup.directory(), "--duration", "2", "--show-containers");
            run.awaitOutput("bpfhook: watching cgroup");
            cgroup.enter();
            makeTraffic();
            cgroup.leave();
            run.awaitExit(0);

            String out = run.stdout();
            assertTrue(out.contains("bpfhook: watching cgroup " + "/" + cgroup.directory().getFileName()), out);
            assertTrue(out.contains("CONNECTION METRICS REPORT"), out);
            assertTrue(out.contains("    Total Connections:  " + 2 * EXCHANGES + "\n"), out);
            assertTrue(out.contains("    Active Connections: 0\n"), out);
            assertTrue(out.contains("    Inbound:  " + EXCHANGES + " accepted\n"), out);
            assertTrue(out.contains("  Per Cgroup:\n    /" + cgroup.directory().getFileName() + " (id " + cgroup.id()), out);
            Matcher recent = Pattern.compile("PID:" + PID + " +127\\.0\\.0\\.1:\\d+ -> 127\\.0\\.0\\.1:\\d+ \\(CLOSE\\)")
                    .matcher(out);
            assertTrue(recent.find(), "a recent connection line with the test's pid:\n" + out);
            assertTrue(out.contains("Events: "), out);
            assertTrue(out.contains(" received, 0 lost"), out);
        }
    }

    @Test
    void topListsTheDestinationsOfTheWatchedCgroupWithExactCounts() throws Exception {
        try (TestCgroup cgroup = TestCgroup.create("cli-top")) {
            Run run = Run.start("-c", cgroup.directory().toString(), "--duration", "3", "--json", "--top", "5");
            run.awaitOutput("\"type\":\"start\"");
            int serverPort;
            int refusingPort;
            cgroup.enter();
            try (LoopbackTraffic.Server server = new LoopbackTraffic.Server(LoopbackTraffic.IPV4);
                 SocketChannel refusing = LoopbackTraffic.closedPort(LoopbackTraffic.IPV4)) {
                serverPort = server.port();
                refusingPort = ((InetSocketAddress) refusing.getLocalAddress()).getPort();
                for (int i = 0; i < EXCHANGES; i++) {
                    LoopbackTraffic.exchange(server, LoopbackTraffic.IPV4, LoopbackTraffic.payload(10), 20);
                }
                LoopbackTraffic.refusedConnect(LoopbackTraffic.IPV4, refusingPort);
                LoopbackTraffic.refusedConnect(LoopbackTraffic.IPV4, refusingPort);
            } finally {
                cgroup.leave();
            }
            run.awaitExit(0);

            List<String> lines = run.stdoutLines();
            String report = lines.stream().filter(l -> l.contains("\"type\":\"report\"")).reduce((a, b) -> b)
                    .orElseThrow(() -> new AssertionError("no report line in " + lines));
            assertEquals(5, number(report, "top"), report);
            String server = destination(report, "127.0.0.1:" + serverPort);
            assertEquals(EXCHANGES, number(server, "established"), server);
            assertEquals(EXCHANGES, number(server, "closed"), server);
            assertEquals(EXCHANGES, number(server, "connect_count"), "a latency per connect: " + server);
            assertEquals(EXCHANGES * 10L, number(server, "bytes_sent"), server);
            assertEquals(0, number(server, "failed"), server);
            String accepted = destination(report, "*:" + serverPort);
            assertEquals(EXCHANGES, number(accepted, "established"), accepted);
            assertEquals(EXCHANGES, number(accepted, "accept_wait_count"), accepted);
            String refused = destination(report, "127.0.0.1:" + refusingPort);
            assertEquals(2, number(refused, "failed_refused"), refused);
            assertEquals(0, number(refused, "established"), refused);
            assertFalse(report.contains("\"destination\":\"other\""), "nothing folded: " + report);
            assertEquals("", run.stderr(), "nothing on stderr");
        }
    }

    /** The flat JSON object of one destination in a report line. */
    private static String destination(String report, String label) {
        Matcher m = Pattern.compile("\\{\"destination\":\"" + Pattern.quote(label) + "\"[^{}]*\\}").matcher(report);
        assertTrue(m.find(), label + " in " + report);
        return m.group();
    }

    @Test
    void missingCgroupIsOneLineAndExitCode2() throws Exception {
        Run run = Run.start("--cgroup", "/sys/fs/cgroup/no-such-cgroup-bpfhook", "--duration", "1");
        run.awaitExit(2);
        String err = run.stderr();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("bpfhook: cgroup /sys/fs/cgroup/no-such-cgroup-bpfhook does not exist; pass a directory under "), err);
        assertFalse(err.contains("Exception"), err);
    }

    @Test
    void aDirectoryThatIsNoCgroupIsRejected() throws Exception {
        Run run = Run.start("--cgroup", System.getProperty("java.io.tmpdir"), "--duration", "1");
        run.awaitExit(2);
        assertTrue(run.stderr().contains("is not a cgroup v2 directory; cgroup v2 is mounted at "), run.stderr());
    }

    private static void makeTraffic() throws Exception {
        try (LoopbackTraffic.Server server = new LoopbackTraffic.Server(LoopbackTraffic.IPV4)) {
            for (int i = 0; i < EXCHANGES; i++) {
                LoopbackTraffic.exchange(server, LoopbackTraffic.IPV4, LoopbackTraffic.payload(10), 20);
            }
        }
    }

    private static long number(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":(-?\\d+)").matcher(json);
        assertTrue(m.find(), field + " in " + json);
        return Long.parseLong(m.group(1));
    }

    /** Main.run on a background thread with captured output. */
    private static final class Run {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteArrayOutputStream err = new ByteArrayOutputStream();
        private CompletableFuture<Integer> exit;

        static Run start(String... args) {
            Run run = new Run();
            PrintStream stdout = new PrintStream(run.out, true, StandardCharsets.UTF_8);
            PrintStream stderr = new PrintStream(run.err, true, StandardCharsets.UTF_8);
            run.exit = CompletableFuture.supplyAsync(() -> MainAccess.run(args, stdout, stderr));
            return run;
        }

        void awaitOutput(String text) throws InterruptedException {
            for (int i = 0; i < 400 && !stdout().contains(text); i++) {
                if (exit.isDone()) {
                    break;
                }
                Thread.sleep(25);
            }
            assertTrue(stdout().contains(text), "expected '" + text + "' in:\n" + stdout() + "\nstderr:\n" + stderr());
        }

        void awaitExit(int expected) throws Exception {
            assertEquals(expected, exit.get(30, TimeUnit.SECONDS), "exit code; stderr:\n" + stderr());
        }

        synchronized String stdout() {
            return out.toString(StandardCharsets.UTF_8);
        }

        String stderr() {
            return err.toString(StandardCharsets.UTF_8);
        }

        List<String> stdoutLines() {
            return Arrays.stream(stdout().split("\n")).collect(Collectors.toList());
        }
    }
}
