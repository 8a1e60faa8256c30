package dev.bpfhook.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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
        assertEquals(0, writer.dropped());
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
}
