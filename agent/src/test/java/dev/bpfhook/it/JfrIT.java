package dev.bpfhook.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.apps.AgentTestApp;
import dev.bpfhook.testing.Await;
import dev.bpfhook.testing.ChildJvm;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.ReportFile;
import dev.bpfhook.testing.TestCgroup;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmc.common.item.IItemCollection;
import org.openjdk.jmc.common.item.ItemFilters;
import org.openjdk.jmc.flightrecorder.JfrLoaderToolkit;

/**
 * Flight Recorder events from the agent in a child JVM whose recording uses
 * jmx-config/bpfhook.jfc: read back with the JDK's parser, with JDK Mission
 * Control's parser, and with the jfr tool.
 */
class JfrIT {
    private static final long TIMEOUT_MS = 30_000;
    private static final int EXCHANGES = 4;
    private static final int REFUSED = 3;

    @TempDir
    Path dir;

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    /**
     * The standalone monitor's --jfr FILE, ended by a signal (Ctrl-C, or SIGTERM as here): JFR's own shutdown
     * hook stops every recording, and the file was never written ("Can't stop an already stopped recording").
     */
    @Test
    void theMonitorsSessionRecordingIsWrittenWhenASignalEndsIt() throws Exception {
        Path file = dir.resolve("session.jfr");
        try (TestCgroup cgroup = TestCgroup.create("jfr-session")) {
            Process monitor = new ProcessBuilder(ChildJvm.java().toString(), "-jar", ChildJvm.agentJar().toString(),
                    "-c", cgroup.directory().toString(), "--jfr", file.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("monitor.out").toFile()).start();
            try {
                Await.until(() -> {
                    try {
                        return Files.readString(dir.resolve("monitor.out")).contains("bpfhook: watching cgroup");
                    } catch (java.io.IOException e) {
                        return false;
                    }
                }, "the monitor running");
                monitor.destroy(); // SIGTERM: the shutdown hooks run, as on Ctrl-C
                assertTrue(monitor.waitFor(TIMEOUT_MS, TimeUnit.MILLISECONDS), "the monitor ended");
            } finally {
                monitor.destroyForcibly();
                monitor.waitFor(10, TimeUnit.SECONDS); // gone, and its programs with it, before the cgroup goes
            }
            String out = Files.readString(dir.resolve("monitor.out"));
            assertTrue(out.contains("bpfhook: Flight Recorder recording written to " + file), out);
            assertTrue(Files.size(file) > 0, out);
            RecordingFile.readAllEvents(file); // a whole recording: it parses
        }
    }

    @Test
    void aRecordingWithOurSettingsHoldsExactlyTheChildsConnections() throws Exception {
        Path settings = Paths.get("..", "jmx-config", "bpfhook.jfc").toAbsolutePath();
        Path recording = dir.resolve("child.jfr");
        int pid;
        int port;
        try (TestCgroup cgroup = TestCgroup.create("jfr");
             ChildJvm child = startChild(cgroup, "settings=" + settings)) {
            pid = (int) child.pid();
            port = exchanges(child, EXCHANGES);
            dumpOnceClosed(child, recording, ofType("bpfhook.ConnectionClosed"), 2 * EXCHANGES);
            exit(child);
        }

        List<RecordedEvent> events = RecordingFile.readAllEvents(recording);
        List<RecordedEvent> connects = ofType(events, "bpfhook.Connect");
        assertEquals(EXCHANGES, connects.size(), "Connect events");
        for (RecordedEvent e : connects) {
            assertEquals(pid, e.getInt("pid"));
            assertEquals("TCP", e.getString("protocol"));
            assertEquals("OUTBOUND", e.getString("direction"));
            assertEquals("127.0.0.1", e.getString("remoteAddress"));
            assertEquals(port, e.getInt("remotePort"));
            assertEquals("main", e.getString("javaThread"), "the Java thread that connected");
            assertTrue(e.getLong("kernelTimestamp") > 0);
            assertTrue(e.getLong("socketCookie") != 0);
        }
        List<RecordedEvent> accepts = ofType(events, "bpfhook.Accept");
        assertEquals(EXCHANGES, accepts.size(), "Accept events");
        assertTrue(accepts.stream().allMatch(e -> e.getInt("localPort") == port && e.getInt("pid") == pid));
        assertTrue(accepts.stream().allMatch(e -> !e.getString("javaThread").isEmpty()), "accepting Java thread named");

        List<RecordedEvent> closed = ofType(events, "bpfhook.ConnectionClosed");
        assertEquals(2 * EXCHANGES, closed.size(), "both ends of each connection closed");
        for (RecordedEvent e : closed) {
            boolean client = e.getString("direction").equals("OUTBOUND");
            assertEquals(client ? 50 : 25, e.getLong("bytesSent"), "payload bytes sent");
            assertEquals(client ? 25 : 50, e.getLong("bytesReceived"), "payload bytes received");
            assertTrue(e.getDuration("lifetime").toNanos() > 0, "lifetime");
            assertTrue(e.getDuration("rtt").toNanos() > 0, "RTT");
            assertEquals(pid, e.getInt("pid"));
            if (client) {
                assertTrue(e.getDuration("connectLatency").toNanos() > 0, "connect() to ESTABLISHED");
            } else {
                assertEquals(0, e.getDuration("connectLatency").toNanos(), "this side did not connect");
            }
        }
        assertEquals(List.of(), ofType(events, "bpfhook.StateChange"), "off in bpfhook.jfc");
        assertTrue(events.stream().filter(e -> e.getEventType().getName().startsWith("bpfhook."))
                .allMatch(e -> e.getStackTrace() == null), "no stack traces");
        assertEquals("Connections", connects.get(0).getEventType().getCategoryNames().get(1));

        // JDK Mission Control reads the file with its own parser
        IItemCollection items = JfrLoaderToolkit.loadEvents(recording.toFile());
        assertEquals(EXCHANGES, items.apply(ItemFilters.type("bpfhook.Connect")).stream()
                .mapToLong(i -> i.getItemCount()).sum(), "JMC sees the Connect events");
        assertEquals(2L * EXCHANGES, items.apply(ItemFilters.type("bpfhook.ConnectionClosed")).stream()
                .mapToLong(i -> i.getItemCount()).sum(), "JMC sees the ConnectionClosed events");

        // and so does the jfr tool
        String summary = jfrTool("summary", recording.toString());
        assertTrue(summary.matches("(?s).*\\bbpfhook\\.Connect\\s+" + EXCHANGES + "\\s.*"), summary);
        String printed = jfrTool("print", "--events", "bpfhook.Connect", recording.toString());
        assertEquals(EXCHANGES, printed.split("bpfhook\\.Connect \\{", -1).length - 1, printed);
        assertTrue(printed.contains("remotePort = " + port), printed);
    }

    /**
     * A connect that takes about a second because the kernel dropped its first SYN (see
     * LoopbackTraffic.slowConnect) is the one SlowConnect event at bpfhook.jfc's threshold of
     * 100 ms; refused connects are ConnectFailed events with their reason; and the periodic
     * DestinationStatistics events (every second here, by a second settings file) carry each
     * destination's figures.
     */
    @Test
    void slowAndRefusedConnectsAndTheStatisticsOfTheirDestinations() throws Exception {
        Path settings = Paths.get("..", "jmx-config", "bpfhook.jfc").toAbsolutePath();
        Path everySecond = dir.resolve("every-second.jfc");
        Files.write(everySecond, Arrays.asList("<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                "<configuration version=\"2.0\">",
                "  <event name=\"bpfhook.DestinationStatistics\"><setting name=\"period\">1 s</setting></event>",
                "</configuration>"));
        Path recording = dir.resolve("destinations.jfr");
        int pid;
        String cgroupName;
        int slowPort;
        int refusingPort;
        List<RecordedEvent> events;
        try (TestCgroup cgroup = TestCgroup.create("jfrdest");
             ChildJvm child = startChild(cgroup, "settings=" + settings + ",settings=" + everySecond)) {
            pid = (int) child.pid();
            cgroupName = "/" + cgroup.directory().getFileName();
            child.send("slow");
            child.awaitStdout(l -> l.equals("done slow"), TIMEOUT_MS);
            slowPort = Integer.parseInt(child.awaitStdout(l -> l.startsWith("slow port "), TIMEOUT_MS).substring(10));
            child.send("refused " + REFUSED);
            child.awaitStdout(l -> l.equals("done refused " + REFUSED), TIMEOUT_MS);
            refusingPort = Integer.parseInt(
                    child.awaitStdout(l -> l.startsWith("refusing port "), TIMEOUT_MS).substring(14));
            String slowDestination = "127.0.0.1:" + slowPort;
            List<List<RecordedEvent>> dumped = new ArrayList<>();
            Await.until(() -> {
                // the statistics come every second: dump until one has seen every connection close. The
                // statistics count a batch of events before the outputs get them: wait for each connection's
                // last event of its own too (ConnectionClosed, ConnectFailed), and every earlier one is in
                List<RecordedEvent> all = dumpAndRead(child, recording);
                dumped.add(all);
                return latest(all, "OUTBOUND", slowDestination).map(e -> e.getLong("closed") == 3).orElse(false)
                        && latest(all, "INBOUND", "*:" + slowPort).map(e -> e.getLong("closed") == 3).orElse(false)
                        && latest(all, "OUTBOUND", "127.0.0.1:" + refusingPort)
                                .map(e -> e.getLong("failed") == REFUSED).orElse(false)
                        && ofType(all, "bpfhook.ConnectionClosed").size() >= 6
                        && ofType(all, "bpfhook.ConnectFailed").size() >= REFUSED;
            }, "DestinationStatistics and events with every connection of the test closed");
            events = dumped.get(dumped.size() - 1);
            exit(child);
        }

        List<RecordedEvent> slow = ofType(events, "bpfhook.SlowConnect");
        assertEquals(1, slow.size(), "one of the three connects was slow: " + slow);
        RecordedEvent s = slow.get(0);
        assertEquals("127.0.0.1:" + slowPort, s.getString("destination"));
        assertEquals(slowPort, s.getInt("remotePort"));
        assertEquals(pid, s.getInt("pid"));
        assertEquals("main", s.getString("javaThread"), "the Java thread that connected");
        assertTrue(s.getString("cgroup").endsWith(cgroupName), s.getString("cgroup"));
        // the kernel resends the dropped SYN after its initial retransmission timeout of one second
        assertTrue(s.getDuration("latency").toMillis() >= 500, "latency " + s.getDuration("latency"));

        List<RecordedEvent> failed = ofType(events, "bpfhook.ConnectFailed");
        assertEquals(REFUSED, failed.size(), "ConnectFailed events");
        for (RecordedEvent e : failed) {
            assertEquals("refused", e.getString("reason"));
            assertEquals(111, e.getInt("errno"), "ECONNREFUSED");
            assertEquals(refusingPort, e.getInt("remotePort"));
            assertEquals(pid, e.getInt("pid"), "the process that connected");
        }

        RecordedEvent out = latest(events, "OUTBOUND", "127.0.0.1:" + slowPort).get();
        assertEquals(3, out.getLong("attempts"));
        assertEquals(3, out.getLong("established"));
        assertEquals(3, out.getLong("connections"));
        assertEquals(0, out.getLong("failed"));
        assertEquals(0, out.getLong("active"));
        assertEquals(1, out.getLong("slowConnects"), "the agent's own slow-connect threshold is 100 ms too");
        assertEquals(s.getDuration("latency").toNanos() / 1000, out.getDuration("connectLatencyMax").toNanos() / 1000,
                "the slowest connect of the statistics is the SlowConnect event's, to the microsecond");
        assertTrue(out.getDuration("connectLatencyP99").toMillis() >= 500, "p99 of three is the slow one");
        assertEquals(3, out.getLong("newLastMinute"));
        assertFalse(out.getBoolean("churning"));
        assertEquals(3, latest(events, "INBOUND", "*:" + slowPort).get().getLong("established"));

        RecordedEvent refusing = latest(events, "OUTBOUND", "127.0.0.1:" + refusingPort).get();
        assertEquals(REFUSED, refusing.getLong("attempts"));
        assertEquals(REFUSED, refusing.getLong("failedRefused"));
        assertEquals(0, refusing.getLong("established"));
        assertEquals(REFUSED, refusing.getLong("connections"));
        assertTrue(events.stream().filter(e -> e.getEventType().getName().equals("bpfhook.DestinationStatistics"))
                .noneMatch(e -> e.getString("destination").equals("other")), "nothing folded: few destinations");
    }

    /**
     * The agent leaves Flight Recorder alone until something starts a recording (starting it costs a
     * second of CPU and JIT compilation); a recording started later, by jcmd, still holds every event.
     */
    @Test
    void aRecordingStartedLaterByJcmdHoldsTheEventsAndUntilThenFlightRecorderIsNotStarted() throws Exception {
        Path settings = Paths.get("..", "jmx-config", "bpfhook.jfc").toAbsolutePath();
        Path recording = dir.resolve("later.jfr");
        ReportFile report = new ReportFile(dir.resolve("later.jsonl"));
        try (TestCgroup cgroup = TestCgroup.create("jfrlater");
             ChildJvm child = ChildJvm.builder(AgentTestApp.class.getName())
                     .agent(ChildJvm.agentJar(), "report=" + report.path() + ",report.interval=3600")
                     .inCgroup(cgroup.directory()).start()) {
            child.awaitStdout(l -> l.startsWith("ready"), TIMEOUT_MS);
            report.awaitStart(TIMEOUT_MS, child); // every output started, JFR's included
            child.send("jfr-initialized");
            assertEquals("jfr-initialized false", child.awaitStdout(l -> l.startsWith("jfr-initialized"), TIMEOUT_MS),
                    "the agent did not start Flight Recorder");

            run(jcmd(), Long.toString(child.pid()), "JFR.start", "name=test", "settings=" + settings);
            exchanges(child, EXCHANGES);
            dumpOnceClosed(child, recording, ofType("bpfhook.ConnectionClosed"), 2 * EXCHANGES);
            exit(child);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(recording);
        assertEquals(EXCHANGES, ofType(events, "bpfhook.Connect").size(), "Connect events");
        assertEquals(EXCHANGES, ofType(events, "bpfhook.Accept").size(), "Accept events");
        assertEquals(2 * EXCHANGES, ofType(events, "bpfhook.ConnectionClosed").size(), "ConnectionClosed events");
    }

    /** StateChange, off in bpfhook.jfc, turned on by its setting on the command line as README says. */
    @Test
    void stateChangeTurnedOnRecordsTheLifecycleTransitions() throws Exception {
        Path settings = Paths.get("..", "jmx-config", "bpfhook.jfc").toAbsolutePath();
        Path recording = dir.resolve("states.jfr");
        try (TestCgroup cgroup = TestCgroup.create("jfrstates");
             ChildJvm child = startChild(cgroup, "settings=" + settings + ",+bpfhook.StateChange#enabled=true")) {
            exchanges(child, EXCHANGES);
            // ConnectionClosed is off here: the closing StateChange is each connection's last event
            dumpOnceClosed(child, recording,
                    ofType("bpfhook.StateChange").and(e -> e.getString("newState").equals("CLOSE")), 2 * EXCHANGES);
            exit(child);
        }
        List<RecordedEvent> states = ofType(RecordingFile.readAllEvents(recording), "bpfhook.StateChange");
        assertEquals(EXCHANGES, states.stream().filter(e -> e.getString("oldState").equals("SYN_SENT")
                && e.getString("newState").equals("ESTABLISHED")).count(), "client handshakes");
        assertEquals(EXCHANGES, states.stream().filter(e -> e.getString("oldState").equals("SYN_RECV")
                && e.getString("newState").equals("ESTABLISHED")).count(), "server handshakes");
        assertEquals(2 * EXCHANGES, states.stream().filter(e -> e.getString("newState").equals("CLOSE")).count(),
                "both ends closed");
        assertEquals(4 * EXCHANGES, states.size(), "nothing else with states=lifecycle: " + states);
    }

    /**
     * That no event is recorded means something only once the agent has handled every event of the
     * connections: its event lines (events=on) show when it has. Each connection's close is its last event,
     * and the ring thread hands each event to every output before the next; a refused connect made after
     * the closes are in, whose line comes last, is the barrier that does not depend on the order of outputs.
     */
    @Test
    void withOurEventsDisabledTheAgentRecordsNone() throws Exception {
        Path recording = dir.resolve("default.jfr");
        try (TestCgroup cgroup = TestCgroup.create("jfroff");
             ChildJvm child = startChild(cgroup, "settings=default", "events=on")) {
            ReportFile report = report(cgroup);
            exchanges(child, 2);
            Await.until(() -> eventLines(report, "\"new_state\":\"CLOSE\"") == 4, "both ends of the 2 connections "
                    + "closed, in the event lines");
            child.send("refused 1");
            child.awaitStdout(l -> l.equals("done refused 1"), TIMEOUT_MS);
            Await.until(() -> eventLines(report, "\"failure\":\"REFUSED\"") == 1, "the refused connect's line");
            dump(child, recording);
            exit(child);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(recording);
        assertFalse(events.isEmpty(), "the JDK's own events are there");
        assertEquals(List.of(), events.stream().map(e -> e.getEventType().getName())
                .filter(n -> n.startsWith("bpfhook.")).collect(Collectors.toList()));
    }

    private ChildJvm startChild(TestCgroup cgroup, String jfrSettings) throws Exception {
        return startChild(cgroup, jfrSettings, "");
    }

    /** A child recording with {@code jfrSettings}, its agent with {@code agentOptions} too, once the agent runs. */
    private ChildJvm startChild(TestCgroup cgroup, String jfrSettings, String agentOptions) throws Exception {
        ReportFile report = report(cgroup);
        return ChildJvm.builder(AgentTestApp.class.getName())
                .agent(ChildJvm.agentJar(), "report=" + report.path() + ",report.interval=3600"
                        + (agentOptions.isEmpty() ? "" : "," + agentOptions))
                .jvmArg("-XX:StartFlightRecording:name=test," + jfrSettings)
                .inCgroup(cgroup.directory()).start()
                .ready(child -> {
                    child.awaitStdout(l -> l.startsWith("ready"), TIMEOUT_MS);
                    report.awaitStart(TIMEOUT_MS, child);
                });
    }

    private ReportFile report(TestCgroup cgroup) {
        return new ReportFile(dir.resolve(cgroup.directory().getFileName() + ".jsonl"));
    }

    /** The agent's event lines that contain {@code text}. */
    private static long eventLines(ReportFile report, String text) {
        try {
            return report.lines("event").stream().filter(l -> l.contains(text)).count();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** {@code n} loopback exchanges in the child; returns the port of the server it made for them. */
    private static int exchanges(ChildJvm child, int n) throws Exception {
        child.send("tcp " + n);
        child.awaitStdout(l -> l.equals("done tcp " + n), TIMEOUT_MS);
        return Integer.parseInt(child.awaitStdout(l -> l.startsWith("port "), TIMEOUT_MS).substring(5));
    }

    /**
     * The recording dumped into {@code file} once it holds {@code closes} events that {@code closing} matches:
     * the event of each connection's close, its last. The ring thread commits a connection's events in order,
     * and each one in full before the next, so every earlier event of those connections is in the file too.
     */
    private static void dumpOnceClosed(ChildJvm child, Path file, Predicate<RecordedEvent> closing, int closes)
            throws InterruptedException {
        Await.until(() -> dumpAndRead(child, file).stream().filter(closing).count() >= closes,
                closes + " events of closes in the recording");
    }

    private static Predicate<RecordedEvent> ofType(String type) {
        return e -> e.getEventType().getName().equals(type);
    }

    private static void exit(ChildJvm child) throws Exception {
        child.send("exit 0");
        assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
    }

    private static List<RecordedEvent> dumpAndRead(ChildJvm child, Path file) {
        try {
            Files.deleteIfExists(file);
            dump(child, file);
            return RecordingFile.readAllEvents(file);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The DestinationStatistics of a destination from the last period in the recording. */
    private static Optional<RecordedEvent> latest(List<RecordedEvent> events, String direction, String destination) {
        return events.stream().filter(e -> e.getEventType().getName().equals("bpfhook.DestinationStatistics"))
                .filter(e -> e.getString("direction").equals(direction) && e.getString("destination").equals(destination))
                .max(Comparator.comparing(RecordedEvent::getStartTime));
    }

    private static String jcmd() {
        return Paths.get(System.getProperty("java.home"), "bin", "jcmd").toString();
    }

    private static void dump(ChildJvm child, Path file) throws Exception {
        String out = run(jcmd(), Long.toString(child.pid()), "JFR.dump", "name=test", "filename=" + file);
        assertTrue(file.toFile().isFile(), "jcmd JFR.dump wrote no file: " + out);
    }

    private static String jfrTool(String... args) throws Exception {
        String[] command = new String[args.length + 1];
        command[0] = Paths.get(System.getProperty("java.home"), "bin", "jfr").toString();
        System.arraycopy(args, 0, command, 1, args.length);
        return run(command);
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + String.join(" ", command));
        assertEquals(0, p.exitValue(), String.join(" ", command) + "\n" + out);
        return out;
    }

    private static List<RecordedEvent> ofType(List<RecordedEvent> events, String type) {
        return events.stream().filter(ofType(type)).collect(Collectors.toList());
    }
}
