package dev.bpfhook.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Only paths that end before anything is loaded: no root needed. StatisticsClockTest measures. */
class StatisticsClockBenchmarkTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Test
    void helpPrintsUsage() {
        assertEquals(0, run("--help"));
        assertEquals(StatisticsClockBenchmark.USAGE, text(out));
        assertEquals("", text(err));
    }

    @Test
    void aRunCountThatIsNotOneIsOneLineAndExitCodeTwo() {
        for (String value : new String[] {"x", "0", "-5", "1000000000"}) {
            err.reset();
            assertEquals(2, run("--runs", value), value);
            assertEquals("bench-clock: --runs needs a whole number from 1 to 999999999, got '" + value + "'\n",
                    text(err));
        }
        err.reset();
        assertEquals(2, run("--runs"));
        assertEquals("bench-clock: --runs needs a whole number from 1 to 999999999, got ''\n", text(err));
    }

    @Test
    void anUnknownOptionIsNamed() {
        assertEquals(2, run("--bogus"));
        assertEquals("bench-clock: unknown option '--bogus'; " + StatisticsClockBenchmark.USAGE.trim() + "\n",
                text(err));
    }

    private int run(String... args) {
        return StatisticsClockBenchmark.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private static String text(ByteArrayOutputStream bytes) {
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
