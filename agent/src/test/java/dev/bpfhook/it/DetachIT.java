package dev.bpfhook.it;

import static dev.bpfhook.testing.ReportFile.number;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.apps.LoadTestApp;
import dev.bpfhook.testing.AttachedPrograms;
import dev.bpfhook.testing.ChildJvm;
import dev.bpfhook.testing.Http;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.ReportFile;
import dev.bpfhook.testing.TestCgroup;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code detach PID} takes a running agent out of a JVM that goes on running: its programs leave the kernel,
 * its endpoint, threads and MBeans go, its report gets a last line; and a later attach watches anew.
 */
class DetachIT {
    private static final long TIMEOUT_MS = 30_000;
    private static final String COUNTS = "OutboundConnections";
    private static final String INBOUND = "InboundConnections";
    private static final Path JFC = Paths.get("..", "jmx-config", "bpfhook.jfc").toAbsolutePath();

    @TempDir
    Path dir;

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void detachTakesTheAgentOutAndAttachBringsItBack() throws Exception {
        Set<Long> before = AttachedPrograms.ours();
        ReportFile report = new ReportFile(dir.resolve("report.jsonl"));
        int jolokiaPort = Http.freePort();
        try (TestCgroup cgroup = TestCgroup.create("detach");
             ChildJvm child = ChildJvm.builder(LoadTestApp.class.getName())
                     .agent(ChildJvm.agentJar(), "jolokia=" + jolokiaPort + ",report=" + report.path()
                             + ",report.interval=3600")
                     .inCgroup(cgroup.directory()).start()) {
            LoadTestApp.Driver app = new LoadTestApp.Driver(child);
            assertEquals("agent RUNNING", app.ask("agent", "agent ", TIMEOUT_MS), child.describe());
            app.ask("exchanges 3", "done exchanges 3", TIMEOUT_MS);
            Map<String, Long> counted = app.mbeanWhen(m -> m.get(COUNTS) == 3 && m.get(INBOUND) == 3, COUNTS, INBOUND);
            assertEquals(Map.of(COUNTS, 3L, INBOUND, 3L), counted, child.describe());
            Set<Long> programs = AttachedPrograms.heldBy(child.pid());
            assertFalse(programs.isEmpty(), "the agent's programs, held by the child");

            ChildJvm detach = command("detach", child.pid());
            assertEquals(0, detach.waitFor(TIMEOUT_MS), detach.describe());
            assertEquals("bpfhook: process " + child.pid() + ": detached: hooks removed, outputs closed (jfr, jolokia, "
                    + "report), MBeans unregistered; attach again to watch anew\n", detach.stdout(), detach.describe());

            assertEquals(Set.of(), AttachedPrograms.stillLoaded(programs), "the kernel freed every program");
            assertEquals("mbeans 0", app.ask("count-mbeans bpfhook:*", "mbeans ", TIMEOUT_MS), child.describe());
            assertEquals(0, app.askNumbers("stats", "stats ", TIMEOUT_MS).get("agent_threads"), child.describe());
            assertThrows(ConnectException.class, () -> new Socket(InetAddress.getLoopbackAddress(), jolokiaPort).close(),
                    "Jolokia's port is closed");
            String last = report.lastReport();
            assertEquals(3, number(last, "outbound_established"), "a last report at the detach: " + last);
            assertEquals(1, child.stderr().lines().filter(l -> l.startsWith("bpfhook: detached: ")).count(),
                    child.describe());

            app.ask("exchanges 2", "done exchanges 2", TIMEOUT_MS); // the application runs on, unwatched
            ChildJvm again = command("detach", child.pid());
            assertEquals(2, again.waitFor(TIMEOUT_MS), again.describe());
            assertEquals("bpfhook: process " + child.pid() + " runs no bpfhook agent: nothing to detach\n",
                    again.stderr(), again.describe());

            ChildJvm attach = command("attach", child.pid());
            assertEquals(0, attach.waitFor(TIMEOUT_MS), attach.describe());
            assertEquals("agent RUNNING", app.ask("agent", "agent ", TIMEOUT_MS), child.describe());
            app.ask("exchanges 4", "done exchanges 4", TIMEOUT_MS);
            counted = app.mbeanWhen(m -> m.get(COUNTS) == 4 && m.get(INBOUND) == 4, COUNTS, INBOUND);
            assertEquals(Map.of(COUNTS, 4L, INBOUND, 4L), counted, "counted anew, none of the unwatched: "
                    + child.describe());
            assertFalse(child.stderr().contains("already loaded"), child.describe());

            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
        }
        assertEquals(Set.of(), AttachedPrograms.leftOver(before), "programs left after the JVM exited");
    }

    /**
     * Detach and attach again, four times, each time after the application made connections that Flight
     * Recorder records and the agent sends a notification for: every detach succeeds, leaves no program held and
     * no agent thread, and the process's descriptors are the same after each one.
     */
    @Test
    void detachAndAttachAgainWithTrafficLeaveNothingBehind() throws Exception {
        try (TestCgroup cgroup = TestCgroup.create("detachchurn");
             ChildJvm child = ChildJvm.builder(LoadTestApp.class.getName())
                     .jvmArg("-XX:StartFlightRecording=settings=" + JFC + ",filename=" + dir.resolve("churn.jfr"))
                     .agent(ChildJvm.agentJar(), "jolokia=off,jmx.notifications=on").inCgroup(cgroup.directory())
                     .start()) {
            LoadTestApp.Driver app = new LoadTestApp.Driver(child);
            assertEquals("agent RUNNING", app.ask("agent", "agent ", TIMEOUT_MS), child.describe());
            Map<String, Long> afterFirst = null;
            for (int cycle = 0; cycle < 4; cycle++) {
                app.ask("exchanges 100", "done exchanges 100", TIMEOUT_MS);
                ChildJvm detach = command("detach", child.pid());
                assertEquals(0, detach.waitFor(TIMEOUT_MS), detach.describe());
                assertEquals(Set.of(), AttachedPrograms.heldBy(child.pid()), "cycle " + cycle);
                Map<String, Long> stats = app.askNumbers("stats", "stats ", TIMEOUT_MS);
                assertEquals(0, stats.get("agent_threads"), "cycle " + cycle + ": " + child.describe());
                if (afterFirst == null) {
                    afterFirst = stats;
                } else {
                    // (not all threads: the JDK's RMI keeps idle connection threads of detach's JMX a minute)
                    assertEquals(afterFirst.get("fds"), stats.get("fds"), "descriptors, cycle " + cycle);
                }
                ChildJvm attach = command("attach", child.pid());
                assertEquals(0, attach.waitFor(TIMEOUT_MS), attach.describe());
                assertEquals("agent RUNNING", app.ask("agent", "agent ", TIMEOUT_MS), child.describe());
            }
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
            assertEquals(4, child.stderr().lines().filter(l -> l.startsWith("bpfhook: detached: ")).count(),
                    child.describe());
            // and nothing else (on JDK 21 and later, the JDK's own warnings of each attach)
            assertTrue(child.stderr().lines().allMatch(l -> l.startsWith("bpfhook: detached: ")
                    || l.startsWith("WARNING: ")), child.describe());
        }
    }

    /** An agent without MBeans (jmx=off) is asked through an agent load, and detaches all the same. */
    @Test
    void anAgentWithoutMBeansIsDetachedThroughAnAgentLoad() throws Exception {
        try (TestCgroup cgroup = TestCgroup.create("detachnojmx");
             ChildJvm child = ChildJvm.builder(LoadTestApp.class.getName())
                     .agent(ChildJvm.agentJar(), "jmx=off,jolokia=off,log=info").inCgroup(cgroup.directory()).start()) {
            child.awaitStdout(l -> l.startsWith("ready"), TIMEOUT_MS);
            child.awaitStderr(l -> l.startsWith("bpfhook: watching cgroup "), TIMEOUT_MS);
            Set<Long> programs = AttachedPrograms.heldBy(child.pid());
            assertFalse(programs.isEmpty(), child.describe());

            ChildJvm detach = command("detach", child.pid());
            assertEquals(0, detach.waitFor(TIMEOUT_MS), detach.describe());
            assertEquals("bpfhook: process " + child.pid() + ": detached: hooks removed, outputs closed (jfr); attach "
                    + "again to watch anew\n", detach.stdout(), detach.describe());
            assertEquals(Set.of(), AttachedPrograms.stillLoaded(programs), "the kernel freed every program");
            assertEquals(0, new LoadTestApp.Driver(child).askNumbers("stats", "stats ", TIMEOUT_MS)
                    .get("agent_threads"), child.describe());
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
        }
    }

    /**
     * A JVM in namespaces of its own, as in a container: its file system does not have the agent jar at this
     * jar's path (a file is mounted over it there), and its JMX connector listens on its own loopback. attach
     * copies the jar into the JVM's temporary directory and says so; detach asks through an agent load.
     */
    @Test
    void aJvmInContainerNamespacesIsAttachedAndDetachedFromOutside() throws Exception {
        Path hidden = Files.createFile(dir.resolve("not-the-agent.jar"));
        Path tmp = Files.createDirectory(dir.resolve("container-tmp"));
        try (TestCgroup cgroup = TestCgroup.create("detachns");
             ChildJvm container = ChildJvm.command(List.of("unshare", "--mount", "--pid", "--fork", "--net",
                     "--propagation", "private", "sh", "-c", "echo $$ > \"$0\" && ip link set lo up && mount --bind "
                             + hidden + " " + ChildJvm.agentJar() + " && exec \"$@\"",
                     cgroup.directory().resolve("cgroup.procs").toString(), ChildJvm.java().toString(),
                     "-Djava.io.tmpdir=" + tmp, "-cp", ChildJvm.testClasses().toString(),
                     LoadTestApp.class.getName()))) {
            container.awaitStdout(l -> l.startsWith("ready"), TIMEOUT_MS);
            long pid = ProcessHandle.of(container.pid()).orElseThrow().children().findFirst().orElseThrow().pid();

            ChildJvm attach = ChildJvm.command(List.of(ChildJvm.java().toString(), "-jar",
                    ChildJvm.agentJar().toString(), "attach", Long.toString(pid), "jolokia=off"));
            assertEquals(0, attach.waitFor(TIMEOUT_MS), attach.describe());
            assertTrue(attach.stdout().contains("bpfhook: note: process " + pid + " has a file system of its own (a "
                    + "container): the agent jar was copied to " + tmp + "/bpfhook-agent-"), attach.describe());
            LoadTestApp.Driver app = new LoadTestApp.Driver(container);
            assertEquals("agent RUNNING", app.ask("agent", "agent ", TIMEOUT_MS), container.describe());
            app.ask("exchanges 3", "done exchanges 3", TIMEOUT_MS);
            Map<String, Long> counted = app.mbeanWhen(m -> m.get(COUNTS) == 3 && m.get(INBOUND) == 3, COUNTS, INBOUND);
            assertEquals(Map.of(COUNTS, 3L, INBOUND, 3L), counted, container.describe());
            Set<Long> programs = AttachedPrograms.heldBy(pid);
            assertFalse(programs.isEmpty(), container.describe());

            ChildJvm detach = command("detach", pid);
            assertEquals(0, detach.waitFor(TIMEOUT_MS), detach.describe());
            assertTrue(detach.stdout().startsWith("bpfhook: process " + pid + ": detached: hooks removed"),
                    detach.describe());
            assertEquals(Set.of(), AttachedPrograms.stillLoaded(programs), "the kernel freed every program");
            assertEquals("mbeans 0", app.ask("count-mbeans bpfhook:*", "mbeans ", TIMEOUT_MS), container.describe());
            container.send("exit 0");
            assertEquals(0, container.waitFor(TIMEOUT_MS), container.describe());
        }
    }

    /** A JVM without the agent: one line that says so, and exit code 2. */
    @Test
    void detachFromAJvmWithoutTheAgentSaysSo() throws Exception {
        try (ChildJvm child = ChildJvm.builder(LoadTestApp.class.getName()).start()) {
            child.awaitStdout(l -> l.startsWith("ready"), TIMEOUT_MS);
            ChildJvm detach = command("detach", child.pid());
            assertEquals(2, detach.waitFor(TIMEOUT_MS), detach.describe());
            assertEquals("bpfhook: process " + child.pid() + " runs no bpfhook agent: nothing to detach\n",
                    detach.stderr(), detach.describe());
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
            assertEquals("", child.stderr(), child.describe());
        }
    }

    private static ChildJvm command(String verb, long pid) throws IOException {
        return ChildJvm.command(List.of(ChildJvm.java().toString(), "-jar", ChildJvm.agentJar().toString(), verb,
                Long.toString(pid)));
    }
}
