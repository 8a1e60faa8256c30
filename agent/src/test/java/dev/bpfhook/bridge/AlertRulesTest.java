package dev.bpfhook.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.testing.PrometheusServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The bundled alerting rules (jmx-config/bpfhook-alerts.yml) as Prometheus reads them: promtool accepts them, and
 * their unit tests (bpfhook-alerts.test.yml: for each alert a case where it fires, with its rendered texts, and
 * one where it must not) pass. DestinationMetricsIT evaluates them in a real Prometheus server against a real agent.
 */
class AlertRulesTest {
    private static final Path CONFIG = Paths.get("..", "jmx-config").toAbsolutePath().normalize();

    @Test
    void promtoolAcceptsTheRules() throws Exception {
        String out = PrometheusServer.promtool(CONFIG, "check", "rules", "bpfhook-alerts.yml");
        assertTrue(out.contains("SUCCESS: 10 rules found"), out);
    }

    @Test
    void everyAlertFiresWhereItShouldAndNowhereElse() throws Exception {
        String out = PrometheusServer.promtool(CONFIG, "test", "rules", "bpfhook-alerts.test.yml");
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
}
