package dev.bpfhook.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace made for one test ({@code ip netns add}): what a test sets up there (routes, veth
 * pairs, sysctls, traffic control) touches nothing else on the host, and {@link #close()} removes it with
 * everything in it. Scripts run there in a process of a test cgroup, so that the monitor watches them.
 */
public final class TestNetworkNamespace implements AutoCloseable {
    private final String name;

    private TestNetworkNamespace(String name) {
        this.name = name;
    }

    /** bpfhook-test-PID-LABEL. */
    public static TestNetworkNamespace create(String label) throws Exception {
        String name = "bpfhook-test-" + ProcessHandle.current().pid() + "-" + label;
        run("ip", "netns", "add", name);
        return new TestNetworkNamespace(name);
    }

    public String name() {
        return name;
    }

    /**
     * Runs a Python {@code script} in this namespace, after {@code setup} (shell commands there), in a process
     * of {@code cgroup}: "exit N" and its output.
     */
    public String python(TestCgroup cgroup, String setup, String script) throws Exception {
        // into the cgroup first: ip netns exec mounts a /sys of the namespace's own, without the cgroups
        return output(pythonCommand(cgroup, setup, script));
    }

    private ProcessBuilder pythonCommand(TestCgroup cgroup, String setup, String script) {
        return new ProcessBuilder("sh", "-c", "echo $$ > \"$0\"/cgroup.procs && exec ip netns exec \"$1\" "
                + "sh -c \"$2 && exec python3 -c \\\"\\$0\\\"\" \"$3\"", cgroup.directory().toString(), name, setup,
                script);
    }

    /**
     * Starts what {@link #python} runs, without waiting: the caller waits for the process, bounded, and kills
     * it if the test ends first. Its output is discarded.
     */
    public Process startPython(TestCgroup cgroup, String setup, String script) throws Exception {
        return pythonCommand(cgroup, setup, script).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    @Override
    public void close() throws Exception {
        run("ip", "netns", "del", name);
    }

    private static void run(String... command) throws Exception {
        String out = output(new ProcessBuilder(command));
        assertTrue(out.startsWith("exit 0\n"), String.join(" ", command) + ": " + out);
    }

    /**
     * "exit N" and the output of the process, which must end within a minute (else it is killed and the
     * test fails): its output goes to a file, so that a process that hangs cannot hang the test on a read.
     */
    private static String output(ProcessBuilder command) throws Exception {
        Path file = Files.createTempFile("bpfhook-test", ".out");
        try {
            Process p = command.redirectErrorStream(true).redirectOutput(file.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError(command.command() + " did not end within a minute: " + Files.readString(file));
            }
            return "exit " + p.exitValue() + "\n" + Files.readString(file);
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
