package dev.bpfhook.it;

import static dev.bpfhook.testing.ReportFile.number;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.apps.AgentTestApp;
import dev.bpfhook.apps.JnaTestApp;
import dev.bpfhook.apps.LoadTestApp;
import dev.bpfhook.container.CgroupV2;
import dev.bpfhook.testing.Await;
import dev.bpfhook.testing.AttachedPrograms;
import dev.bpfhook.testing.ChildJvm;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.LoopbackTraffic;
import dev.bpfhook.testing.ReportFile;
import dev.bpfhook.testing.TestCgroup;
import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent in a real JVM: started with -javaagent inside a cgroup this test
 * made, it must report exactly that JVM's connections and none of a process
 * next to it; and whatever goes wrong, the application must run as if the
 * agent were not there.
 */
class AgentIT {
    private static final long TIMEOUT_MS = 30_000;
    private static final String APP = AgentTestApp.class.getName();

    @TempDir
    Path dir;

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void reportsExactlyTheConnectionsOfItsOwnCgroup() throws Exception {
        Set<Long> before = AttachedPrograms.ours();
        ReportFile report = new ReportFile(dir.resolve("report.jsonl"));
        long childCgroup;
        try (TestCgroup cgroup = TestCgroup.create("agent");
             TestCgroup neighbour = TestCgroup.create("neighbour");
             ChildJvm child = ChildJvm.builder(APP)
                     .agent(ChildJvm.agentJar(), "report=" + report.path() + ",report.interval=3600")
                     .inCgroup(cgroup.directory()).start()) {
            childCgroup = cgroup.id();
            child.awaitStdout(l -> l.startsWith("ready"), TIMEOUT_MS);
            String start = report.awaitStart(TIMEOUT_MS, child);
            assertTrue(start.contains("\"scope_cgroup_id\":" + childCgroup), start);

            // a process in another cgroup makes connections at the same time
            neighbour.enter();
            CompletableFuture<Void> noise = CompletableFuture.runAsync(() -> exchanges(7));
            child.send("tcp 5");
            child.awaitStdout(l -> l.equals("done tcp 5"), TIMEOUT_MS);
            noise.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            neighbour.leave();

            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
            assertEquals("", child.stderr(), "the agent is silent when all is well");
        }
        String last = report.lastReport();
        assertEquals(10, number(last, "total_connections"), last);
        assertEquals(5, number(last, "outbound_established"), last);
        assertEquals(5, number(last, "inbound_accepted"), last);
        assertEquals(10, number(last, "closed"), last);
        assertEquals(0, number(last, "active_connections"), last);
        assertEquals(5 * (50 + 25), number(last, "bytes_sent"), "payload, both ends: " + last);
        assertEquals(0, number(last, "events_lost"), last);
        assertTrue(last.contains("\"cgroups\":[{\"cgroup_id\":" + childCgroup + ","), "only the child's cgroup: " + last);
        assertFalse(last.contains("},{\"cgroup_id\""), "no other cgroup: " + last);
        assertEquals(Set.of(), AttachedPrograms.leftOver(before), "programs left after the JVM exited");
    }

    /**
     * The report file as log rotation treats it. Moved away (logrotate's default), the agent opens the path anew
     * within a second and its next report lands there, the moved file keeping the lines before; emptied after a
     * copy (copytruncate), the next line starts the file. Rotation is no news: nothing on stderr.
     */
    @Test
    void theReportFileFollowsLogRotation() throws Exception {
        ReportFile report = new ReportFile(dir.resolve("rotated.jsonl"));
        Path moved = dir.resolve("rotated.jsonl.1");
        try (TestCgroup cgroup = TestCgroup.create("rotate");
             ChildJvm child = ChildJvm.builder(APP)
                     .agent(ChildJvm.agentJar(), "report=" + report.path() + ",report.interval=1")
                     .inCgroup(cgroup.directory()).start()) {
            child.awaitStdout(l -> l.startsWith("ready"), TIMEOUT_MS);
            report.awaitStart(TIMEOUT_MS, child);
            Files.move(report.path(), moved);
            child.send("tcp 3");
            child.awaitStdout(l -> l.equals("done tcp 3"), TIMEOUT_MS);
            Await.until(() -> lastOutbound(report) == 3, "a report with the 3 connections in a new file at the path");
            String before = Files.readString(moved);
            assertTrue(before.startsWith("{\"type\":\"start\""), before);
            assertTrue(before.endsWith("\n"), "whole lines only: " + before);

            try (FileChannel file = FileChannel.open(report.path(), StandardOpenOption.WRITE)) {
                file.truncate(0);
            }
            Await.until(() -> !reportsIn(report).isEmpty() && contentOf(report.path()).startsWith("{\"type\":"),
                    "a report at the start of the emptied file");
            assertFalse(Files.readString(report.path()).contains("\0"), "no hole of zeros before it");

            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
            assertEquals("", child.stderr(), "a rotation is no news");
        }
    }

    /** A report file on a full disk (/dev/full) is one warning; the agent and the application run on. */
    @Test
    void aReportFileOnAFullDiskIsOneWarningAndTheApplicationRuns() throws Exception {
        try (TestCgroup cgroup = TestCgroup.create("fulldisk");
             ChildJvm child = ChildJvm.builder(APP)
                     .agent(ChildJvm.agentJar(), "report=/dev/full,report.interval=1")
                     .inCgroup(cgroup.directory()).start()) {
            child.awaitStdout(l -> l.startsWith("ready"), TIMEOUT_MS);
            child.awaitStderr(l -> l.contains("/dev/full"), TIMEOUT_MS);
            child.send("tcp 2");
            child.awaitStdout(l -> l.equals("done tcp 2"), TIMEOUT_MS);
            Thread.sleep(2_500); // two more reports refused
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
            assertEquals("bpfhook: report: cannot write to /dev/full (No space left on device): its lines are lost, "
                    + "and counted (lines_not_written), until it takes them again\n", child.stderr());
        }
    }

    @Test
    void withoutPrivilegesTheApplicationRunsUnchangedWithOneWarning() throws Exception {
        Path jar = readableCopy(ChildJvm.agentJar());
        Path classes = readableCopy(ChildJvm.testClasses());
        ChildJvm plain = ChildJvm.builder(APP, "--once").classPath(classes.toString()).asUser(65534).start();
        int plainExit = plain.waitFor(TIMEOUT_MS);
        ChildJvm withAgent = ChildJvm.builder(APP, "--once").classPath(classes.toString()).asUser(65534)
                .agent(jar, "").start();
        int agentExit = withAgent.waitFor(TIMEOUT_MS);

        assertEquals(AgentTestApp.ONCE_EXIT_CODE, plainExit, plain.describe());
        assertEquals(plainExit, agentExit, withAgent.describe());
        assertEquals(withoutPid(plain.stdout()), withoutPid(withAgent.stdout()), "same output");
        assertEquals("", plain.stderr());
        String[] warning = withAgent.stderr().split("\n");
        assertEquals(1, warning.length, withAgent.stderr());
        assertTrue(warning[0].startsWith("bpfhook: agent disabled: needs root to load eBPF programs (missing "),
                warning[0]);
        assertTrue(warning[0].endsWith("; the application runs without it"), warning[0]);
    }

    @Test
    void badOptionsAreOneLineAndTheApplicationRuns() throws Exception {
        ChildJvm child = ChildJvm.builder(APP, "--once").agent(ChildJvm.agentJar(), "ring=3M,scope=self").start();
        assertEquals(AgentTestApp.ONCE_EXIT_CODE, child.waitFor(TIMEOUT_MS), child.describe());
        assertEquals("bpfhook: agent disabled: agent option ring: '3M' must be a power of two from 64K to 512M, "
                + "e.g. 2M; the application runs without it\n", child.stderr());
        assertTrue(child.stdout().startsWith("the application ran"), child.describe());
    }

    @Test
    void anApplicationWithItsOwnJnaKeepsItAndTheAgentStillWorks() throws Exception {
        Path otherJna = ChildJvm.itDependency("jna-");
        ReportFile report = new ReportFile(dir.resolve("jna.jsonl"));
        try (TestCgroup cgroup = TestCgroup.create("jna");
             ChildJvm child = ChildJvm.builder(JnaTestApp.class.getName())
                     .classPath(ChildJvm.testClasses() + File.pathSeparator + otherJna)
                     .agent(ChildJvm.agentJar(), "report=" + report.path() + ",report.interval=3600")
                     .inCgroup(cgroup.directory()).start()) {
            String jnaLine = child.awaitStdout(l -> l.startsWith("app jna "), TIMEOUT_MS);
            assertTrue(jnaLine.startsWith("app jna getpid " + child.pid()), jnaLine);
            assertTrue(jnaLine.endsWith(otherJna.getFileName().toString()), "the app's JNA class is its own: " + jnaLine);
            report.awaitStart(TIMEOUT_MS, child);
            child.send("tcp 3");
            child.awaitStdout(l -> l.equals("done tcp 3"), TIMEOUT_MS);
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
        }
        assertEquals(6, number(report.lastReport(), "total_connections"), report.lastReport());
    }

    @Test
    void killMinus9LeavesNothingAttached() throws Exception {
        Set<Long> before = AttachedPrograms.ours();
        ReportFile report = new ReportFile(dir.resolve("kill.jsonl"));
        try (TestCgroup cgroup = TestCgroup.create("kill9");
             ChildJvm child = ChildJvm.builder(APP)
                     .agent(ChildJvm.agentJar(), "report=" + report.path())
                     .inCgroup(cgroup.directory()).start()) {
            report.awaitStart(TIMEOUT_MS, child);
            Set<Long> running = AttachedPrograms.ours();
            running.removeAll(before);
            assertFalse(running.isEmpty(), "the agent's programs are loaded while it runs");
            child.kill9();
        }
        assertEquals(Set.of(), AttachedPrograms.leftOver(before), "programs left after kill -9");
    }

    @Test
    void loadedTwiceTheSecondIsANoOpWithAWarning() throws Exception {
        ReportFile report = new ReportFile(dir.resolve("twice.jsonl"));
        try (TestCgroup cgroup = TestCgroup.create("twice");
             ChildJvm child = ChildJvm.builder(APP)
                     .agent(ChildJvm.agentJar(), "report=" + report.path() + ",report.interval=3600")
                     .agent(ChildJvm.agentJar(), "log=info")
                     .inCgroup(cgroup.directory()).start()) {
            report.awaitStart(TIMEOUT_MS, child);
            child.send("tcp 2");
            child.awaitStdout(l -> l.equals("done tcp 2"), TIMEOUT_MS);
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
            assertEquals("bpfhook: already loaded in this JVM (premain); ignoring this premain; load the agent once\n",
                    child.stderr());
        }
        assertEquals(4, number(report.lastReport(), "total_connections"), "counted once, not twice");
        assertEquals(1, report.lines("start").size());
    }

    @Test
    void twoAgentsInOneCgroupBothWorkAndStoppingOneLeavesTheOther() throws Exception {
        ReportFile reportA = new ReportFile(dir.resolve("a.jsonl"));
        ReportFile reportB = new ReportFile(dir.resolve("b.jsonl"));
        try (TestCgroup cgroup = TestCgroup.create("twoagents");
             ChildJvm a = ChildJvm.builder(APP).inCgroup(cgroup.directory())
                     .agent(ChildJvm.agentJar(), "report=" + reportA.path() + ",report.interval=3600").start();
             ChildJvm b = ChildJvm.builder(APP).inCgroup(cgroup.directory())
                     .agent(ChildJvm.agentJar(), "report=" + reportB.path() + ",report.interval=3600").start()) {
            reportA.awaitStart(TIMEOUT_MS, a);
            reportB.awaitStart(TIMEOUT_MS, b);
            a.send("tcp 2");
            a.awaitStdout(l -> l.equals("done tcp 2"), TIMEOUT_MS);
            a.send("exit 0"); // A's hooks go; B's must stay
            assertEquals(0, a.waitFor(TIMEOUT_MS), a.describe());
            b.send("tcp 3");
            b.awaitStdout(l -> l.equals("done tcp 3"), TIMEOUT_MS);
            b.send("exit 0");
            assertEquals(0, b.waitFor(TIMEOUT_MS), b.describe());
        }
        // both watch the same cgroup: A saw its own 2 exchanges, B saw A's 2 and its own 3
        assertEquals(4, number(reportA.lastReport(), "total_connections"), reportA.lastReport());
        assertEquals(10, number(reportB.lastReport(), "total_connections"), reportB.lastReport());
    }

    @Test
    void attachLoadsTheAgentIntoARunningJvm() throws Exception {
        ReportFile report = new ReportFile(dir.resolve("attach.jsonl"));
        try (TestCgroup cgroup = TestCgroup.create("attach");
             ChildJvm child = ChildJvm.builder(APP).inCgroup(cgroup.directory()).start()) {
            child.awaitStdout(l -> l.startsWith("ready"), TIMEOUT_MS);
            child.send("tcp 1"); // before the agent: not counted
            child.awaitStdout(l -> l.equals("done tcp 1"), TIMEOUT_MS);

            ChildJvm attach = ChildJvm.command(List.of(ChildJvm.java().toString(), "-jar",
                    ChildJvm.agentJar().toString(), "attach", Long.toString(child.pid()),
                    "report=" + report.path() + ",report.interval=3600"));
            assertEquals(0, attach.waitFor(TIMEOUT_MS), attach.describe());
            assertTrue(attach.stdout().startsWith("bpfhook: agent loaded into process " + child.pid()), attach.describe());
            assertEquals(Runtime.version().feature() >= 21, attach.stdout().contains("JEP 451"),
                    "a note of the JDK's warning of attached agents exactly from JDK 21 on:\n" + attach.describe());

            report.awaitStart(TIMEOUT_MS, child);
            child.send("tcp 4");
            child.awaitStdout(l -> l.equals("done tcp 4"), TIMEOUT_MS);
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
        }
        assertEquals(8, number(report.lastReport(), "total_connections"), report.lastReport());
    }

    /**
     * An agent that gave up before anything of it ran (here: a mistyped option in -javaagent) leaves the JVM
     * free for a later attach, once the operator fixed the cause; before, that attach found the agent "already
     * loaded" until the service restarted. The DISABLED MBean that said why gives way to the running agent's.
     */
    @Test
    void anAgentThatGaveUpCanBeAttachedAgainOnceFixed() throws Exception {
        try (TestCgroup cgroup = TestCgroup.create("retry");
             ChildJvm child = ChildJvm.builder(LoadTestApp.class.getName())
                     .agent(ChildJvm.agentJar(), "rnig=2M").inCgroup(cgroup.directory()).start()) {
            LoadTestApp.Driver app = new LoadTestApp.Driver(child);
            assertEquals("agent DISABLED", app.ask("agent", "agent ", TIMEOUT_MS), "its MBean says why: "
                    + child.describe());

            ChildJvm attach = ChildJvm.command(List.of(ChildJvm.java().toString(), "-jar",
                    ChildJvm.agentJar().toString(), "attach", Long.toString(child.pid()), "ring=2M"));
            assertEquals(0, attach.waitFor(TIMEOUT_MS), attach.describe());
            String state = app.ask("agent", "agent ", TIMEOUT_MS);
            for (long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
                 state.equals("agent DISABLED") && System.nanoTime() < end; ) {
                Thread.sleep(100); // the old MBean until the attached agent replaced it
                state = app.ask("agent", "agent ", TIMEOUT_MS);
            }
            assertEquals("agent RUNNING", state, child.describe());

            app.ask("exchanges 3", "done exchanges 3", TIMEOUT_MS);
            Map<String, Long> counted = app.mbeanWhen(m -> m.get("OutboundConnections") == 3
                    && m.get("InboundConnections") == 3, "OutboundConnections", "InboundConnections");
            assertEquals(3, counted.get("OutboundConnections"), child.describe());
            assertEquals(3, counted.get("InboundConnections"), child.describe());
            assertEquals(1, child.stderr().lines().filter(l -> l.startsWith("bpfhook: agent disabled: ")).count(),
                    child.describe());
            assertFalse(child.stderr().contains("already loaded"), child.describe());
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
        }
    }

    /**
     * JNA, as it comes, runs /sbin/ldconfig from the JVM it is loaded in, and then sets jna.platform.library.path:
     * the agent starts no process in the application, and leaves that property unset.
     */
    @Test
    void theAgentStartsNoProcessInTheApplication() throws Exception {
        try (TestCgroup cgroup = TestCgroup.create("noprocess");
             ChildJvm child = ChildJvm.builder(LoadTestApp.class.getName())
                     .agent(ChildJvm.agentJar(), "").inCgroup(cgroup.directory()).start()) {
            LoadTestApp.Driver app = new LoadTestApp.Driver(child);
            assertEquals("agent RUNNING", app.ask("agent", "agent ", TIMEOUT_MS), child.describe());
            app.ask("exchanges 1", "done exchanges 1", TIMEOUT_MS);
            app.mbeanWhen(m -> m.get("ClosedConnections") == 2, "ClosedConnections"); // the ring thread read them
            assertEquals("spawned false jna.platform.library.path=null", app.ask("spawned", "spawned ", TIMEOUT_MS),
                    "no child process (the JDK's reaper thread of child processes would be running), no property set");
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
        }
    }

    /**
     * A JVM in a cgroup namespace of its own, as in a container (the default on cgroup v2), sees its cgroup as
     * the root of the hierarchy mounted there, so the agent cannot tell that cgroup's depth on the host, which
     * the kernel's checks need: the programs find it. The JVM's own connections are counted exactly, and this
     * test's, made outside the child's cgroup, not at all. Before, the agent refused to run there.
     */
    @Test
    void inACgroupNamespaceTheAgentWatchesItsOwnCgroup() throws Exception {
        ReportFile report = new ReportFile(dir.resolve("cgroupns.jsonl"));
        try (TestCgroup cgroup = TestCgroup.create("cgroupns")) {
            try (ChildJvm child = inCgroupNamespace(cgroup, "report=" + report.path() + ",report.interval=3600")) {
                report.awaitStart(TIMEOUT_MS, child);
                exchanges(3); // this JVM's, in another cgroup
                child.send("tcp 2");
                child.awaitStdout(l -> l.equals("done tcp 2"), TIMEOUT_MS);
                child.send("exit 0");
                assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
                assertEquals("", child.stderr(), "no warning");
            }
        }
        assertEquals(4, number(report.lastReport(), "total_connections"), "both ends of its 2 exchanges, no more: "
                + report.lastReport());
    }

    /**
     * In such a container, scope=host counts every TCP connection of the host (the state tracepoint sees them
     * all), but the cgroup hooks can be attached only to the container's cgroup: the agent says so.
     */
    @Test
    void scopeHostInACgroupNamespaceSaysWhatItCannotSee() throws Exception {
        try (TestCgroup cgroup = TestCgroup.create("cgroupns-host");
             ChildJvm child = inCgroupNamespace(cgroup, "scope=host")) {
            String warning = child.awaitStderr(l -> l.startsWith("bpfhook: "), TIMEOUT_MS);
            assertEquals("bpfhook: scope=host in a cgroup namespace of its own (as in a container): every TCP "
                    + "connection of the host is counted, but UDP connects and who accepted a connection only within "
                    + "this namespace's cgroup, the only one whose hooks can be attached from here; run the JVM in the "
                    + "host's cgroup namespace (e.g. docker run --cgroupns=host) to see them all", warning);
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
            assertEquals(warning + "\n", child.stderr(), "that line alone");
        }
    }

    /**
     * The test app with the agent in {@code cgroup}, in new cgroup and mount namespaces with cgroup2 mounted
     * afresh, as a container runtime starts a container (whose JVM sees its cgroup as the hierarchy's root).
     * jmx=off: the JDK's own container metrics fail in this machine's mix of cgroup v1 controllers and a
     * cgroup2 mount, with an NPE in jdk.internal.platform as the platform MBeanServer starts.
     */
    private static ChildJvm inCgroupNamespace(TestCgroup cgroup, String agentOptions) throws Exception {
        Path mount = CgroupV2.find().orElseThrow().mount();
        return ChildJvm.command(List.of("sh", "-c", "echo $$ > \"$0\"/cgroup.procs && exec unshare --cgroup --mount "
                + "--propagation private sh -c 'umount -l \"$1\" && mount -t cgroup2 none \"$1\" && shift && exec \"$@\"' "
                + "sh \"$@\"", cgroup.directory().toString(), mount.toString(), ChildJvm.java().toString(),
                "-javaagent:" + ChildJvm.agentJar() + "=jolokia=off,jmx=off," + agentOptions,
                "-cp", ChildJvm.testClasses().toString(), APP));
    }

    /** The report lines of the file at the report's path now: none while there is no file. */
    private static List<String> reportsIn(ReportFile report) {
        try {
            return report.lines("report");
        } catch (IOException movedMeanwhile) {
            return List.of();
        }
    }

    /** outbound_established of the last report at the report's path; -1 while there is none, or it is half written. */
    private static long lastOutbound(ReportFile report) {
        List<String> reports = reportsIn(report);
        try {
            return reports.isEmpty() ? -1 : number(reports.get(reports.size() - 1), "outbound_established");
        } catch (RuntimeException | AssertionError halfWritten) {
            return -1;
        }
    }

    private static String contentOf(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException movedMeanwhile) {
            return "";
        }
    }

    private static void exchanges(int n) {
        try (LoopbackTraffic.Server server = new LoopbackTraffic.Server(LoopbackTraffic.IPV4)) {
            for (int i = 0; i < n; i++) {
                LoopbackTraffic.exchange(server, LoopbackTraffic.IPV4, LoopbackTraffic.payload(10), 10);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String withoutPid(String out) {
        return out.replaceAll("pid \\d+", "pid N");
    }

    /** A copy an unprivileged user can read, whatever the checkout's permissions. */
    private Path readableCopy(Path source) throws Exception {
        Path shared = Files.createDirectories(dir.resolve("shared"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path target = shared.resolve(source.getFileName());
        try (Stream<Path> tree = Files.walk(source)) {
            for (Path p : (Iterable<Path>) tree::iterator) {
                Path to = target.resolve(source.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
                }
                Files.setPosixFilePermissions(to, PosixFilePermissions.fromString(
                        Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        return target;
    }
}
