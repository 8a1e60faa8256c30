package dev.bpfhook.testing;

import dev.bpfhook.event.KernelCounters;
import dev.bpfhook.pipeline.Monitor;
import dev.bpfhook.track.MonitorSnapshot;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/** Bounded polling for things that happen asynchronously: never a fixed sleep, never an endless wait. */
public final class Await {
    private static final long TIMEOUT_MS = 30_000;
    private static final int COUNTER_ATTEMPTS = 400;

    private Await() {
    }

    /** Polls {@code condition} until it holds; fails naming {@code what} after 30 s. */
    public static void until(BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (System.nanoTime() < end) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out waiting for " + what);
    }

    /**
     * The monitor's snapshot once {@code done} holds for a cgroup's kernel counters and every event the
     * kernel submitted has been received (bounded, about 10 s); the last snapshot otherwise, for the
     * caller's exact assertions to report.
     */
    public static MonitorSnapshot counters(Monitor monitor, long cgroupId, Predicate<KernelCounters> done)
            throws InterruptedException {
        MonitorSnapshot snapshot = null;
        boolean heldBefore = false;
        for (int attempt = 0; attempt < COUNTER_ATTEMPTS; attempt++) {
            monitor.flush();
            snapshot = monitor.snapshot(100);
            boolean holds = done.test(snapshot.byCgroup().getOrDefault(cgroupId, KernelCounters.ZERO))
                    && snapshot.eventsReceived() == snapshot.kernelStats().eventsSubmitted();
            // a program counts before it submits its event: a snapshot between the two (well under a microsecond)
            // has the count and not yet the event, so the answer is the next one that still holds, a drain later
            if (holds && heldBefore) {
                return snapshot;
            }
            heldBefore = holds;
            if (!holds) {
                Thread.sleep(25);
            }
        }
        return snapshot;
    }
}
