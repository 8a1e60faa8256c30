package dev.bpfhook.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class LineWriterTest {
    @Test
    void closeWritesEveryQueuedLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        LineWriter writer = new LineWriter(new PrintStream(bytes, false, StandardCharsets.UTF_8), 16);
        writer.print("one");
        writer.print("two");
        writer.close();

        assertEquals("one\ntwo\n", bytes.toString(StandardCharsets.UTF_8));
        assertEquals(0, writer.notWritten());
    }

    /**
     * A stream that never takes a line (stderr piped to a process that does not read it): close gives up on
     * it, instead of waiting for its lock for good, which held up the JVM's exit in the shutdown hook.
     */
    @Test
    void closeReturnsWhenTheStreamBlocksForGood() throws Exception {
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        OutputStream stuck = new OutputStream() {
            @Override
            public void write(int b) {
                writing.countDown();
                try {
                    never.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        LineWriter writer = new LineWriter(new PrintStream(stuck, true, StandardCharsets.UTF_8), 16);
        writer.print("a line the stream never takes");
        writing.await();

        Thread closing = new Thread(writer::close, "closing");
        closing.start();
        closing.join(60_000); // a bound for the test's sake only: close itself waits about 3 s
        try {
            assertFalse(closing.isAlive(), "close returned");
        } finally {
            never.countDown();
        }
    }

    /** An output that refuses lines (a full disk) is told once, its lines counted, and told again when it recovers. */
    @Test
    void aRefusingOutputIsToldOnceCountedAndToldWhenItTakesLinesAgain() {
        List<String> written = new ArrayList<>();
        List<String> warnings = new CopyOnWriteArrayList<>();
        LineOutput flaky = new LineOutput() {
            @Override
            public void println(String line) throws IOException {
                if (line.startsWith("refused")) {
                    throw new IOException("No space left on device");
                }
                written.add(line);
            }

            @Override
            public String describe() {
                return "/var/log/report.jsonl";
            }
        };
        LineWriter writer = new LineWriter(flaky, 16, warnings::add);
        writer.print("one");
        writer.print("refused 1");
        writer.print("refused 2");
        writer.print("refused 3");
        writer.print("two");
        writer.close();

        assertEquals(List.of("one", "two"), written);
        assertEquals(3, writer.notWritten());
        assertEquals(List.of("cannot write to /var/log/report.jsonl (No space left on device): its lines are lost, "
                + "and counted (lines_not_written), until it takes them again",
                "writing to /var/log/report.jsonl again; 3 line(s) were lost"), warnings);
    }

    @Test
    void linesToAFullDiskAreCountedWithOneWarning() throws IOException {
        List<String> warnings = new CopyOnWriteArrayList<>();
        LineWriter writer = new LineWriter(LineFile.open(Paths.get("/dev/full")), 16, warnings::add);
        writer.print("a");
        writer.print("b");
        writer.print("c");
        writer.close();

        assertEquals(3, writer.notWritten());
        assertEquals(List.of("cannot write to /dev/full (No space left on device): its lines are lost, and counted "
                + "(lines_not_written), until it takes them again"), warnings);
    }
}
