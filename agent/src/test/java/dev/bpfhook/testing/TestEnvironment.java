package dev.bpfhook.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * scripts/testenv.sh's emulated containers (bpf-traffic-gen, bpf-target-server: network namespaces, a veth
 * link and Docker-named cgroups), brought up for a test and always taken down after it.
 */
public final class TestEnvironment implements AutoCloseable {
    private static final Path SCRIPT = Paths.get("..", "scripts", "testenv.sh").toAbsolutePath();
    private static final Path STATE = Paths.get("/run/bpfhook-testenv/state");

    private final Map<String, String> state;

    private TestEnvironment(Map<String, String> state) {
        this.state = state;
    }

    public static TestEnvironment up() throws IOException, InterruptedException {
        run(List.of("bash", SCRIPT.toString(), "down"));
        String out = run(List.of("bash", SCRIPT.toString(), "up"));
        Map<String, String> state = new HashMap<>();
        for (String line : Files.readAllLines(STATE, StandardCharsets.UTF_8)) {
            int eq = line.indexOf('=');
            if (!line.startsWith("#") && eq > 0) {
                state.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        if (!state.containsKey("TRAFFIC_GEN_ID")) {
            throw new IOException("testenv.sh up wrote no state: " + out);
        }
        return new TestEnvironment(state);
    }

    public String get(String key) {
        return state.get(key);
    }

    /** Runs a command inside an emulated container (its netns and cgroup); returns its output. */
    public String exec(String container, String... command) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("bash", SCRIPT.toString(), "exec", container, "--"));
        all.addAll(List.of(command));
        return run(all);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run(List.of("bash", SCRIPT.toString(), "down"));
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + command);
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ":\n" + out);
        }
        return out;
    }
}
