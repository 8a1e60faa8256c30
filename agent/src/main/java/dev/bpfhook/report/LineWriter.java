package dev.bpfhook.report;

import java.io.PrintStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Prints lines on its own thread, so that a slow terminal or a full pipe never
 * stalls the ring-buffer thread (which would make the kernel drop events).
 * When the queue is full, lines are dropped and counted.
 */
public final class LineWriter implements AutoCloseable {
    private static final String STOP = new String("stop");

    private final BlockingQueue<String> queue;
    private final PrintStream out;
    private final Thread thread;
    private final AtomicLong dropped = new AtomicLong();

    public LineWriter(PrintStream out, int capacity) {
        this.out = out;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.thread = new Thread(this::run, "bpfhook-writer");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    public void print(String line) {
        if (!queue.offer(line)) {
            dropped.incrementAndGet();
        }
    }

    public long dropped() {
        return dropped.get();
    }

    /**
     * Waits (bounded) until every queued line is printed, then stops the thread. A stream that does not take
     * its lines (a pipe nobody reads) is given up on: its writer holds its lock, and a flush here would wait
     * for it for good, at JVM exit too.
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
        }
    }

    private void run() {
        try {
            while (true) {
                String line = queue.take();
                if (line == STOP) {
                    return;
                }
                out.println(line);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
