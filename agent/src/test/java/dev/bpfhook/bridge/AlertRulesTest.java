package dev.bpfhook.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.testing.KernelTests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The bundled alerting rules (jmx-config/bpfhook-alerts.yml) as Prometheus reads them: promtool accepts them, and
 * their unit tests (bpfhook-alerts.test.yml: for each alert a case where it fires, with its rendered texts, and
 * one where it must not) pass. BridgeIT evaluates them in a real Prometheus server against a real agent.
 */
class AlertRulesTest {
    private static final Path CONFIG = Paths.get("..", "jmx-config").toAbsolutePath().normalize();

    @BeforeEach
    void promtool() {
        if (!Files.isExecutable(Paths.get("/usr/bin/promtool"))) {
            if (KernelTests.inCi()) {
                throw new AssertionError("CI=true: install Debian's prometheus package (.ci/run does), for promtool");
            }
            Assumptions.assumeTrue(false, "no promtool installed");
        }
    }

    @Test
    void promtoolAcceptsTheRules() throws Exception {
        String out = promtool("check", "rules", "bpfhook-alerts.yml");
        assertTrue(out.contains("SUCCESS: 10 rules found"), out);
    }

    @Test
    void everyAlertFiresWhereItShouldAndNowhereElse() throws Exception {
        String out = promtool("test", "rules", "bpfhook-alerts.test.yml");
        assertTrue(out.contains("SUCCESS"), out);
    }

    @Test
    void theUnitTestsCoverEveryAlert() throws IOException {
        String rules = Files.readString(CONFIG.resolve("bpfhook-alerts.yml"));
        String tests = Files.readString(CONFIG.resolve("bpfhook-alerts.test.yml"));
        Matcher alert = Pattern.compile("- alert: (\\w+)").matcher(rules);
        int alerts = 0;
        while (alert.find()) {
            alerts++;
            assertTrue(tests.contains("alertname: " + alert.group(1)), alert.group(1) + " has no unit test");
        }
        assertEquals(10, alerts, "alerts in bpfhook-alerts.yml");
    }

    /** promtool's output; fails the test when it exits other than 0. */
    private static String promtool(String... args) throws IOException, InterruptedException {
        String[] command = new String[args.length + 1];
        command[0] = "promtool";
        System.arraycopy(args, 0, command, 1, args.length);
        Process process = new ProcessBuilder(command).directory(CONFIG.toFile()).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "promtool " + String.join(" ", args) + " did not finish");
        assertEquals(0, process.exitValue(), "promtool " + String.join(" ", args) + ":\n" + out);
        return out;
    }
}
