package dev.bpfhook.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.bpfhook.apps.LoadTestApp;
import dev.bpfhook.testing.Await;
import dev.bpfhook.testing.ChildJvm;
import dev.bpfhook.testing.Http;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.NewerJdk;
import dev.bpfhook.testing.TestCgroup;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent on a JDK that restricts native code (22 and later; JDK 24 and later warn): it runs there
 * like anywhere else, its JNA loads without the JDK's four-line warning, and the application itself gets
 * no native access it did not ask for. Runs on the newest JDK installed beside the one running the tests
 * (or the one -Dbpfhook.test.newerJdk names); skipped when there is none.
 */
class NewerJdkIT {
    private static final long TIMEOUT_MS = 30_000;
    private static final int RESTRICTING = 22;
    private static final String RESTRICTED_WARNING = "WARNING: A restricted method";
    private Path java;

    @BeforeEach
    void newerJdkAndKernel() throws Exception {
        KernelTests.requireRoot();
        Optional<Path> newer = NewerJdk.atLeast(RESTRICTING);
        assumeTrue(newer.isPresent(), "no JDK " + RESTRICTING + " or later installed; set -D" + NewerJdk.PROPERTY
                + "=JDK_HOME to run this test");
        java = newer.get();
    }

    @Test
    void withJavaagentTheAgentRunsAndNoWarningIsPrinted() throws Exception {
        try (TestCgroup cgroup = TestCgroup.create("newerjdk");
             ChildJvm child = ChildJvm.builder(LoadTestApp.class.getName()).java(java)
                     .agent(ChildJvm.agentJar(), "").inCgroup(cgroup.directory()).start()) {
            LoadTestApp.Driver app = new LoadTestApp.Driver(child);
            assertEquals("agent RUNNING", app.ask("agent", "agent ", TIMEOUT_MS), child.describe());
            app.ask("exchanges 3", "done exchanges", TIMEOUT_MS);
            Map<String, Long> c = app.mbeanWhen(m -> m.get("ClosedConnections") == 6, "OutboundConnections",
                    "InboundConnections", "ClosedConnections");
            assertEquals(Map.of("OutboundConnections", 3L, "InboundConnections", 3L, "ClosedConnections", 6L), c,
                    "3 loopback exchanges, both ends in the cgroup; " + java);
            assertEquals("native-access false", app.ask("native-access", "native-access", TIMEOUT_MS),
                    "the application's own module gets no native access from the agent");
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
            assertFalse(child.stderr().contains("WARNING"), "no JDK warning on " + java + ":\n" + child.describe());
        }
    }

    /**
     * Jolokia (built for Java 11) on a JDK that removed what it may lean on: JDK 23 and later throw from
     * {@code Subject.getSubject}, which an authenticated request could reach.
     */
    @Test
    void jolokiaAnswersWithCredentials() throws Exception {
        int port = Http.freePort();
        try (TestCgroup cgroup = TestCgroup.create("newerjdkjolokia");
             ChildJvm child = ChildJvm.builder(LoadTestApp.class.getName()).java(java)
                     .agent(ChildJvm.agentJar(), "jolokia=" + port + ",jolokia.user=ops,jolokia.password=s3cret")
                     .inCgroup(cgroup.directory()).start()) {
            LoadTestApp.Driver app = new LoadTestApp.Driver(child);
            assertEquals("agent RUNNING", app.ask("agent", "agent ", TIMEOUT_MS), child.describe());
            app.ask("exchanges 2", "done exchanges", TIMEOUT_MS);
            String base = "http://127.0.0.1:" + port + "/jolokia/";
            Await.until(() -> Http.bodyOrEmpty(base + "read/bpfhook:type=ConnectionMonitor/ClosedConnections",
                    "ops:s3cret").contains("\"value\":4,"), "4 closed connections, read over Jolokia on " + java);
            assertEquals(401, Http.get(base + "version", null).statusCode(), "no credentials, no answer");
            String found = Http.get(base + "exec/bpfhook:type=ConnectionMonitor/findConnections/127.0.0.1", "ops:s3cret")
                    .body();
            assertTrue(found.contains("\"status\":200"), found);
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
            assertFalse(child.stderr().contains("WARNING") || child.stderr().contains("Exception"), child.describe());
        }
    }

    @Test
    void attachedTheAgentLoadsJnaWithoutTheRestrictedMethodWarningAlsoAfterADetach() throws Exception {
        try (TestCgroup cgroup = TestCgroup.create("newerjdkattach");
             ChildJvm child = ChildJvm.builder(LoadTestApp.class.getName()).java(java)
                     .inCgroup(cgroup.directory()).start()) {
            child.awaitStdout(l -> l.startsWith("ready"), TIMEOUT_MS);
            ChildJvm attach = ChildJvm.command(List.of(java.toString(), "-jar", ChildJvm.agentJar().toString(),
                    "attach", Long.toString(child.pid()), "jolokia=off"));
            assertEquals(0, attach.waitFor(TIMEOUT_MS), attach.describe());
            assertTrue(attach.stdout().contains("start it with -XX:+EnableDynamicAgentLoading"),
                    "the operator is told of the JDK's warning in the target's stderr (JEP 451):\n" + attach.describe());
            LoadTestApp.Driver app = new LoadTestApp.Driver(child);
            assertEquals("agent RUNNING", app.ask("agent", "agent ", TIMEOUT_MS), child.describe());

            // detached and attached again: the agent's module, made once per JVM, serves the second load too
            ChildJvm detach = ChildJvm.command(List.of(java.toString(), "-jar", ChildJvm.agentJar().toString(),
                    "detach", Long.toString(child.pid())));
            assertEquals(0, detach.waitFor(TIMEOUT_MS), detach.describe());
            ChildJvm again = ChildJvm.command(List.of(java.toString(), "-jar", ChildJvm.agentJar().toString(),
                    "attach", Long.toString(child.pid()), "jolokia=off,log=info"));
            assertEquals(0, again.waitFor(TIMEOUT_MS), again.describe());
            assertEquals("agent RUNNING", app.ask("agent", "agent ", TIMEOUT_MS), child.describe());
            assertFalse(child.stderr().contains("native access for JNA not enabled"), child.describe());
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
            // the JDK's own warning about an agent loaded into a running JVM (JEP 451), of which the operator was
            // told above, is expected; not this one
            assertTrue(child.stderr().contains("A Java agent has been loaded dynamically"), child.describe());
            assertFalse(child.stderr().contains(RESTRICTED_WARNING), child.describe());
            assertFalse(attach.stderr().contains(RESTRICTED_WARNING), attach.describe());
        }
    }
}
