package dev.bpfhook.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.testing.KernelTests;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The benchmarks at tiny sizes, so that they never rot: they run, print their figures in the
 * expected form, the churn benchmark's agent rounds count exactly the connections made, and the
 * memory benchmark's agent tracks every socket it holds open. Their figures are not asserted:
 * timing and memory belong to the benchmarks, not to tests.
 */
class BenchmarkSmokeIT {
    private static final Path SCRIPTS = Paths.get("..", "scripts").toAbsolutePath();

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void churnBenchmarkRunsAndCountsExactly() throws Exception {
        // the other build to compare with is this one: the mode must run and count like agent-stats
        Map<String, String> environment = Map.of("WARMUP", "50",
                "OTHER_JAR", Paths.get("target", "bpfhook-agent.jar").toAbsolutePath().toString());
        String out = run(environment, "bench-churn.sh", "300", "1", "1");
        assertTrue(out.contains("threads=1"), out);
        // each row: rate, ratio (min-max), CPU, CPU ratio, the agent's threads and the JIT compilers per connection
        String cells = " +\\d+ +\\d\\.\\d{3} \\(\\d\\.\\d\\d-\\d\\.\\d\\d\\)"
                + " +[\\d.]+ +\\d\\.\\d{3} +[\\d.]+ +[\\d.]+";
        List<String> modes = new ArrayList<>(List.of("none", "agent", "agent-all", "agent-jfr", "agent-stats",
                "agent-elsewhere", "agent-stats-other"));
        if (bpftraceInstalled()) { // the peers run where bpftrace does (CI installs it)
            modes.addAll(List.of("bpftrace-count", "bpftrace-print"));
        } else {
            assertTrue(out.contains("\npeers left out: no bpftrace (apt-get install bpftrace adds"), out);
        }
        for (String mode : modes) {
            assertTrue(out.matches("(?s).*\\n  " + mode + cells + " .*"), mode + " row in:\n" + out);
        }
        // 6 events per loopback connection with states=lifecycle (the default), 12 with states=all
        assertTrue(out.matches("(?s).*\\n  agent +.* 300/300, 1800/0/0\\n.*"), "counted = made, nothing lost:\n" + out);
        assertTrue(out.matches("(?s).*\\n  agent-all +.* 300/300, 3600/0/0\\n.*"), out);
        // BPF time per connection: the median of the rounds, and their range
        assertTrue(out.matches("(?s).*\\n  agent-stats +.* 300/300, 1800/0/0, \\d+ ns \\(\\d+-\\d+\\)\\n.*"), out);
        assertTrue(out.matches("(?s).*\\n  agent-stats-other +.* 300/300, 1800/0/0, \\d+ ns \\(\\d+-\\d+\\)\\n.*"),
                out);
        // the run times by program, and their sum less what the statistics themselves add to each run
        assertTrue(out.matches("(?s).*\\n    sum +\\d+ ns\\n    sum less clock +-?\\d+ ns \\(less the statistics'"
                + " own clock: \\d+\\.\\d ns per run, measured on a program that does nothing, times \\d+\\.\\d"
                + " runs\\)\\n.*"), out);
        assertTrue(out.matches("(?s).*\\n  agent-elsewhere +.* \\d+ ns in \\d+\\.\\d runs of the hooks of an agent "
                + "watching another cgroup \\(-?\\d+ ns less the statistics' clock\\)\\n.*"),
                "the neighbour's hooks ran for the churn it does not watch:\n" + out);
    }

    /**
     * Paced, the i-th connection starts no sooner than i / RATE seconds in: no round can go faster than that.
     * A build given with agent options (NAME=JAR@OPTIONS) runs with them: states=all, an event per transition.
     */
    @Test
    void pacedChurnKeepsItsPaceAndCountsExactly() throws Exception {
        String jar = Paths.get("target", "bpfhook-agent.jar").toAbsolutePath().toString();
        String out = run(Map.of("WARMUP", "50", "RATE", "500", "MODES", "agent", "BUILDS", "all=" + jar + "@states=all"),
                "bench-churn.sh", "100", "1", "1");
        assertTrue(out.contains("100 connections per round paced at 500 a second"), out);
        Matcher agent = Pattern.compile("\\n  agent +(\\d+) .* 100/100, 600/0/0\\n")
                .matcher(out);
        assertTrue(agent.find(), "counted = made, nothing lost:\n" + out);
        assertTrue(out.matches("(?s).*\\n  build-all +.* 100/100, 1200/0/0\\n.*"), "the build's options applied:\n" + out);
        // 100 connections, the last at 99/500 s: at most 100 / 0.198 = 505 a second
        assertTrue(Integer.parseInt(agent.group(1)) <= 505, "paced at 500 a second:\n" + out);
    }

    /** A peer's round without the peer would be labelled as one with it: the run stops instead, saying why. */
    @Test
    void churnBenchmarkStopsWhenAPeerCannotRun() throws Exception {
        Result missing = execute(Map.of("MODES", "bpftrace-count", "BPFTRACE", "/nonexistent/bpftrace"),
                "bench-churn.sh", "100", "1", "1");
        assertEquals(2, missing.exitCode, missing.out);
        assertTrue(missing.out.contains("bench-churn.sh: modes bpftrace-count and bpftrace-print need bpftrace, and "
                + "/nonexistent/bpftrace is not a command: install it (apt-get install bpftrace) or name it with "
                + "BPFTRACE=/path/to/bpftrace"), missing.out);

        Path exitsAtOnce = Files.createTempFile("bpftrace", ".sh");
        try {
            Files.writeString(exitsAtOnce, "#!/bin/sh\necho 'ERROR: no such tracepoint' >&2\nexit 1\n");
            exitsAtOnce.toFile().setExecutable(true);
            Result exited = execute(Map.of("MODES", "bpftrace-count", "BPFTRACE", exitsAtOnce.toString(),
                    "WARMUP", "50"), "bench-churn.sh", "100", "1", "1");
            assertEquals(1, exited.exitCode, exited.out);
            assertTrue(exited.out.contains("bench-churn.sh: " + exitsAtOnce + " exited before the round: ERROR: no such"
                    + " tracepoint"), exited.out);
            assertFalse(exited.out.contains("threads=1"), "no figures without the peer:\n" + exited.out);
        } finally {
            Files.delete(exitsAtOnce);
        }
    }

    @Test
    void startupBenchmarkRunsEveryMode() throws Exception {
        String out = run(Collections.emptyMap(), "bench-startup.sh", "1");
        String range = " +\\d+ \\(\\d+-\\d+\\)";
        String mib = " +\\d+\\.\\d \\(\\d+\\.\\d-\\d+\\.\\d\\)";
        assertTrue(out.matches("(?s).*\\nnone" + range + " +-" + range + " +-" + range + " +-" + mib + " +-\\n.*"),
                out);
        String added = " +[-+]\\d+";
        for (String mode : new String[] {"noop-agent", "bpfhook", "bpfhook-nojolokia", "jolokia", "jmx-exporter"}) {
            assertTrue(out.matches("(?s).*\\n" + mode + range + added + range + added + range + added + mib
                    + " +[-+]\\d+\\.\\d\\n.*"), mode + " row in:\n" + out);
        }
        for (String mode : new String[] {"bpfhook", "bpfhook-nojolokia"}) {
            assertTrue(out.matches("(?s).*\\n" + mode + " premain .*: median \\d+\\.\\d ms \\(\\d+\\.\\d-\\d+\\.\\d\\)"
                    + "\\n.*"), mode + " premain in:\n" + out);
        }
        assertTrue(out.matches("(?s).*\\ntargets for bpfhook .*: wall [-+]\\d+ ms .*, peak RSS [-+]\\d+\\.\\d MiB .*,"
                + " premain \\d+\\.\\d ms .*"), out);
    }

    @Test
    void memoryBenchmarkRunsAndTracksEveryConnection() throws Exception {
        String out = run(Collections.singletonMap("SETTLE_MS", "200"), "bench-memory.sh", "300", "1");
        String mib = " +\\d+\\.\\d \\(\\d+\\.\\d-\\d+\\.\\d\\)";
        for (String row : new String[] {"idle none", "idle agent", "load none", "load agent"}) {
            assertTrue(out.matches("(?s).*\\n" + row + mib + mib + mib + mib + " *\\n.*"), row + " row in:\n" + out);
        }
        assertTrue(out.contains("table entries 600 (established 600), kernel's active connections 600, evicted 0,"
                + " events received 1200, dropped 0, lost 0;"), "every socket tracked, nothing lost:\n" + out);
        String added = " +[-+]\\d+\\.\\d";
        assertTrue(out.matches("(?s).*\\nidle" + added + added + added + added + " *\\n.*"), out);
        assertTrue(out.matches("(?s).*\\nloaded" + added + added + added + added + " *\\n.*"), out);
        String bytes = " +[-+]\\d+ B";
        assertTrue(out.matches("(?s).*\\nper tracked" + bytes + bytes + bytes + bytes + " *\\n.*"), out);
    }

    private static String run(Map<String, String> environment, String script, String... args) throws Exception {
        Result result = execute(environment, script, args);
        assertEquals(0, result.exitCode, script + ":\n" + result.out);
        return result.out;
    }

    private static Result execute(Map<String, String> environment, String script, String... args) throws Exception {
        String[] command = new String[args.length + 2];
        command[0] = "bash";
        command[1] = SCRIPTS.resolve(script).toString();
        System.arraycopy(args, 0, command, 2, args.length);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Process p = builder.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), script + " timed out");
        return new Result(p.exitValue(), out);
    }

    private static boolean bpftraceInstalled() {
        String path = System.getenv().getOrDefault("PATH", "");
        return Arrays.stream(path.split(File.pathSeparator))
                .anyMatch(dir -> Files.isExecutable(Paths.get(dir, "bpftrace")));
    }

    private static final class Result {
        final int exitCode;
        final String out;

        Result(int exitCode, String out) {
            this.exitCode = exitCode;
            this.out = out;
        }
    }
}
