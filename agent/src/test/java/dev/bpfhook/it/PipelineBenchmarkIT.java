package dev.bpfhook.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.container.CgroupV2;
import dev.bpfhook.testing.AttachedPrograms;
import dev.bpfhook.testing.ChildJvm;
import dev.bpfhook.testing.KernelTests;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The event pipeline benchmark ({@code java -jar bpfhook-agent.jar bench-pipeline}) from the packaged jar, at
 * tiny sizes, so that it never rots: it runs, its figures parse, and every record its BPF producer made is
 * accounted for, received + dropped = produced, both when the producer waits for the consumer and when it
 * floods a tiny ring. Nothing stays loaded, and the cgroup it made is gone. Its timings are not asserted:
 * they belong to the benchmark.
 */
class PipelineBenchmarkIT {
    /** mode, produced, received, dropped, producer/kernel/user, events/s, ns/event, consumer %, wakeups, waits (woken), GCs. */
    private static final Pattern ROW = Pattern.compile("^(jfr-off-staged|jfr-off|jfr-recording) +(\\d+) +(\\d+) +(\\d+) +(\\d+)/(\\d+)/(\\d+)"
            + " +(\\d+) +(\\d+\\.\\d) +(\\d+)% +(\\d+) +(\\d+) \\((\\d+)\\) +(\\d+) \\((\\d+) ms\\)$", Pattern.MULTILINE);
    private static final Pattern PRODUCER = Pattern.compile(
            "^ +producer: (\\d+) records/s while producing, (\\d+\\.\\d) ns of CPU per record, (\\d+) pauses$",
            Pattern.MULTILINE);
    private static final Pattern SPREAD = Pattern.compile("^(jfr-off-staged|jfr-off|jfr-recording) +median of 2 rounds: (\\d+) "
            + "events/s \\((\\d+) to (\\d+)\\), (\\d+\\.\\d) ns/event \\((\\d+\\.\\d) to (\\d+\\.\\d)\\)$", Pattern.MULTILINE);
    private static final Pattern LATENCY = Pattern.compile(
            "^idle latency: one event to the listeners in median (\\d+\\.\\d) ms, max (\\d+\\.\\d) ms \\(20 samples;",
            Pattern.MULTILINE);

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void everyRecordIsReceivedOrCountedWithAndWithoutAJfrRecordingInEachRound() throws Exception {
        // not a multiple of eight: the staged mode ends with four records of their own
        String out = run("--events", "30004", "--jfr", "--rounds", "2");

        List<Row> rows = allRows(out);
        assertEquals(List.of("jfr-off", "jfr-off-staged", "jfr-recording", "jfr-off", "jfr-off-staged", "jfr-recording"),
                rows.stream().map(r -> r.mode).collect(Collectors.toList()), "the modes alternate in each round\n" + out);
        for (Row r : rows) {
            assertEquals(30_004, r.produced, r.mode + ": the records asked for, and none of the monitor's own\n" + out);
            assertEquals(r.produced, r.received + r.dropped, r.mode + ": received + dropped = produced\n" + out);
            assertEquals(r.dropped, r.producerDropped + r.kernelDropped + r.userLost, r.mode + ": dropped adds up\n" + out);
            assertEquals(0, r.userLost, r.mode + ": nothing lost in user space\n" + out);
            assertTrue(r.waitsWoken <= r.waits, out);
        }
        assertEquals(6, count(PRODUCER, out), "a producer line per mode and round:\n" + out);
        assertEquals(3, count(SPREAD, out), "a line of the rounds' spread per mode:\n" + out);
        assertTrue(LATENCY.matcher(out).find(), "the idle latency line:\n" + out);
        assertTrue(out.contains("\nexact: received + dropped = produced in every mode\n"), out);
    }

    @Test
    void aFloodedTinyRingDropsAndCountsEveryDrop() throws Exception {
        String out = run("--events", "300000", "--ring", "64K", "--flood");

        for (String mode : List.of("jfr-off", "jfr-off-staged")) {
            Row r = rows(out).get(mode);
            assertEquals(300_000, r.produced, mode + "\n" + out);
            assertTrue(r.dropped > 0, mode + ": a flooded 64 KiB ring drops: the drop path ran\n" + out);
            assertEquals(r.produced, r.received + r.dropped, mode + ": received + dropped = produced\n" + out);
            assertEquals(r.dropped, r.producerDropped + r.kernelDropped + r.userLost, mode + "\n" + out);
            assertEquals(0, r.userLost, mode + "\n" + out);
        }
        assertFalse(rows(out).containsKey("jfr-recording"), "no JFR mode without --jfr\n" + out);
    }

    @Test
    void aBadOptionIsOneLineAndExitCodeTwo() throws Exception {
        try (ChildJvm child = ChildJvm.command(command("--events", "0"))) {
            assertEquals(2, child.waitFor(60_000), child.describe());
            assertEquals("bench-pipeline: option --events: 0 must be from 1 to 1000000000000\n", child.stderr(),
                    child.describe());
        }
        try (ChildJvm child = ChildJvm.command(command("--rounds", "0"))) {
            assertEquals(2, child.waitFor(60_000), child.describe());
            assertEquals("bench-pipeline: option --rounds: '0' is not a number of rounds from 1 to 100\n",
                    child.stderr(), child.describe());
        }
    }

    /** Runs the benchmark to its end; checks its exit code and that it left nothing behind. */
    private static String run(String... args) throws Exception {
        Set<Long> programsBefore = AttachedPrograms.ours();
        try (ChildJvm child = ChildJvm.command(command(args))) {
            assertEquals(0, child.waitFor(300_000), child.describe());
            assertEquals(Set.of(), AttachedPrograms.leftOver(programsBefore), "bpfhook programs left in the kernel");
            CgroupV2 hierarchy = CgroupV2.find().orElseThrow();
            assertFalse(Files.exists(hierarchy.mount().resolve("bpfhook-bench-pipeline-" + child.pid())),
                    "the benchmark's cgroup is removed");
            return child.stdout();
        }
    }

    private static List<String> command(String... args) {
        List<String> command = new ArrayList<>(List.of(ChildJvm.java().toString(), "-jar",
                ChildJvm.agentJar().toString(), "bench-pipeline"));
        command.addAll(List.of(args));
        return command;
    }

    private static Map<String, Row> rows(String out) {
        Map<String, Row> rows = new LinkedHashMap<>();
        Matcher m = ROW.matcher(out);
        while (m.find()) {
            rows.put(m.group(1), new Row(m));
        }
        assertFalse(rows.isEmpty(), "no result rows in:\n" + out);
        return rows;
    }

    private static List<Row> allRows(String out) {
        List<Row> rows = new ArrayList<>();
        Matcher m = ROW.matcher(out);
        while (m.find()) {
            rows.add(new Row(m));
        }
        return rows;
    }

    private static int count(Pattern pattern, String out) {
        Matcher m = pattern.matcher(out);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    /** One mode's row of figures. */
    private static final class Row {
        final String mode;
        final long produced;
        final long received;
        final long dropped;
        final long producerDropped;
        final long kernelDropped;
        final long userLost;
        final long waits;
        final long waitsWoken;

        Row(Matcher m) {
            mode = m.group(1);
            produced = Long.parseLong(m.group(2));
            received = Long.parseLong(m.group(3));
            dropped = Long.parseLong(m.group(4));
            producerDropped = Long.parseLong(m.group(5));
            kernelDropped = Long.parseLong(m.group(6));
            userLost = Long.parseLong(m.group(7));
            // events/s, ns/event, consumer share and wakeups: timings, whose format the pattern checks
            waits = Long.parseLong(m.group(12));
            waitsWoken = Long.parseLong(m.group(13));
        }
    }
}
