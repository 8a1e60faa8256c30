package dev.bpfhook.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.config.MonitorOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Only paths that end before anything is loaded: no root needed. */
class MainTest {
    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();

    @Test
    void helpPrintsUsageAndExitsZero() {
        int code = run("--help");

        assertEquals(0, code);
        assertEquals(MonitorOptions.USAGE + "\n", out());
        assertTrue(out().startsWith("Usage: java -jar bpfhook-agent.jar [options]\n"));
        assertEquals("", err());
    }

    @Test
    void shortHelpToo() {
        assertEquals(0, run("-h"));
        assertTrue(out().contains("--metrics-interval SEC"));
    }

    @Test
    void badOptionIsOneLineOnStderrAndExitCodeTwo() {
        int code = run("--bogus");

        assertEquals(2, code);
        assertEquals("", out());
        assertOneErrorLine("bpfhook: unknown option '--bogus'; see --help for the options");
    }

    @Test
    void nonNumericIntervalIsOneLineOnStderrAndExitCodeTwo() {
        int code = run("--metrics-interval", "abc");

        assertEquals(2, code);
        assertEquals("", out());
        assertOneErrorLine(
                "bpfhook: option --metrics-interval: 'abc' is not a number of seconds; write e.g. --metrics-interval 5");
    }

    @Test
    void badOptionAfterHelpStillFails() {
        assertEquals(2, run("--help", "--ring-size", "3M"));
        assertEquals("", out());
        assertOneErrorLine("bpfhook: option --ring-size: 3M must be a power of two from 64K to 512M, e.g. 4M");
    }

    private void assertOneErrorLine(String expected) {
        List<String> lines = Arrays.asList(err().split("\n"));
        assertEquals(1, lines.size(), err());
        assertEquals(expected, lines.get(0));
        assertTrue(err().endsWith("\n"));
        assertFalse(err().contains("\tat "), "no stack trace");
        assertFalse(err().contains("Exception"), "no exception name");
    }

    private int run(String... args) {
        try (PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
                PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8)) {
            return Main.run(args, out, err);
        }
    }

    private String out() {
        return new String(outBytes.toByteArray(), StandardCharsets.UTF_8);
    }

    private String err() {
        return new String(errBytes.toByteArray(), StandardCharsets.UTF_8);
    }
}
