package dev.bpfhook.report;

import java.io.IOException;
import java.io.PrintStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Prints lines on its own thread, so that a slow terminal, a full pipe or a slow disk never stalls the
 * ring-buffer thread (which would make the kernel drop events). Lines the queue cannot take, and lines the
 * output refuses (a full disk), are counted, and an output that starts refusing is told once, and once more
 * when it takes lines again.
 */
public final class LineWriter implements AutoCloseable {
    private static final String STOP = new String("stop");

    private final BlockingQueue<String> queue;
    private final LineOutput out;
    private final Consumer<String> warnings;
    private final Thread thread;
    private final AtomicLong notWritten = new AtomicLong();
    private long refusedInARow; // the writer thread's

    /** Lines to a stream, which keeps its errors to itself. */
    public LineWriter(PrintStream out, int capacity) {
        this(LineOutput.of(out, "the stream"), capacity, message -> { });
    }

    /** Lines to {@code out}; what it refuses, and when it takes lines again, goes to {@code warnings}. */
    public LineWriter(LineOutput out, int capacity, Consumer<String> warnings) {
        this.out = out;
        this.warnings = warnings;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.thread = new Thread(this::run, "bpfhook-writer");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    public void print(String line) {
        if (!queue.offer(line)) {
            notWritten.incrementAndGet();
        }
    }

    /** Lines given to {@link #print} that were not written: the queue was full, or the output refused them. */
    public long notWritten() {
        return notWritten.get();
    }

    /**
     * Waits (bounded) until every queued line is printed, then stops the thread and closes the output (a file;
     * the JVM's own streams stay open). A stream that does not take its lines (a pipe nobody reads) is given up
     * on: its writer holds its lock, and a flush here would wait for it for good, at JVM exit too.
     */
    @Override
    public void close() {
        try {
            if (queue.offer(STOP, 1, TimeUnit.SECONDS)) {
                thread.join(2_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!thread.isAlive()) {
            out.flush();
            out.close();
        }
    }

    private void run() {
        try {
            while (true) {
                String line = queue.take();
                if (line == STOP) {
                    return;
                }
                write(line);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void write(String line) {
        try {
            out.println(line);
        } catch (IOException | RuntimeException e) {
            notWritten.incrementAndGet();
            if (refusedInARow++ == 0) {
                warnings.accept("cannot write to " + out.describe() + " (" + e.getMessage() + "): its lines are "
                        + "lost, and counted (lines_not_written), until it takes them again");
            }
            return;
        }
        if (refusedInARow > 0) {
            warnings.accept("writing to " + out.describe() + " again; " + refusedInARow + " line(s) were lost");
            refusedInARow = 0;
        }
    }
}
