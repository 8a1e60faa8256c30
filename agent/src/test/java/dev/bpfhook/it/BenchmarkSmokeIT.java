package dev.bpfhook.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.testing.KernelTests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The benchmarks at tiny sizes, so that they never rot: they run, print their figures, and the
 * churn benchmark's agent rounds count exactly the connections made. Their figures are not
 * asserted: timing belongs to the benchmarks, not to tests.
 */
class BenchmarkSmokeIT {
    private static final Path SCRIPTS = Paths.get("..", "scripts").toAbsolutePath();

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void churnBenchmarkRunsAndCountsExactly() throws Exception {
        String out = run("bench-churn.sh", "300", "1", "1");
        assertTrue(out.contains("threads=1"), out);
        for (String mode : new String[] {"none", "agent", "agent-jfr", "agent-stats"}) {
            assertTrue(out.matches("(?s).*\\n  " + mode + " +\\d+ +\\d\\.\\d{3} .*"), mode + " row in:\n" + out);
        }
        assertTrue(out.matches("(?s).*\\n  agent +.* 300/300, 3600/0/0\\n.*"), "counted = made, nothing lost:\n" + out);
        assertTrue(out.matches("(?s).*\\n  agent-stats +.* 300/300, 3600/0/0, \\d+ ns\\n.*"), out);
    }

    @Test
    void startupBenchmarkRuns() throws Exception {
        String out = run("bench-startup.sh", "2", "scope=host,jolokia=off");
        assertTrue(out.matches("(?s).*time before main\\(\\): +without agent: median +\\d+ ms .* added: -?\\d+ ms.*"),
                out);
    }

    private static String run(String script, String... args) throws Exception {
        String[] command = new String[args.length + 2];
        command[0] = "bash";
        command[1] = SCRIPTS.resolve(script).toString();
        System.arraycopy(args, 0, command, 2, args.length);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), script + " timed out");
        assertEquals(0, p.exitValue(), script + ":\n" + out);
        return out;
    }
}
