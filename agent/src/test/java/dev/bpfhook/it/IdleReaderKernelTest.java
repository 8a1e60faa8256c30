package dev.bpfhook.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.kernel.BenchProducer;
import dev.bpfhook.kernel.HookSettings;
import dev.bpfhook.pipeline.Monitor;
import dev.bpfhook.testing.Await;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.LoopbackScripts;
import dev.bpfhook.testing.TestCgroup;
import dev.bpfhook.testing.TestNetworkNamespace;
import dev.bpfhook.track.ConnectionTable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Once nothing came for a while, the ring thread stops polling: it sets reader_sleeps, with which the programs
 * commit their records with the kernel's own wakeup, and sleeps long. The kernel must wake it for the next
 * record, and a close must not wait out its sleep.
 */
class IdleReaderKernelTest {
    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void anIdleRingThreadSleepsUntilTheKernelWakesItForTheNextRecord() throws Exception {
        List<ConnectionEvent> events = Collections.synchronizedList(new ArrayList<>());
        try (TestNetworkNamespace netns = TestNetworkNamespace.create("idle");
             TestCgroup cgroup = TestCgroup.create("idle");
             Monitor monitor = start(cgroup, events)) {
            Await.until(monitor::sleepingLong, "the ring thread asleep, nothing having come");
            Thread.sleep(2 * 50); // past its first, short wait: in the long one now
            long woken = monitor.ringBuffer().wokenWaits();

            String out = netns.python(cgroup, "ip link set lo up", LoopbackScripts.CONNECTIONS); // one connection
            assertTrue(out.startsWith("exit 0\n"), out);
            Await.until(() -> events.size() == 6, "the connection's six records");
            // a long sleep ended by its timeout is not a woken wait, and the records would all be read after it
            assertTrue(monitor.ringBuffer().wokenWaits() > woken, "the kernel woke the ring thread");
            Await.until(monitor::sleepingLong, "asleep again once nothing more came");
            assertEquals(6, events.size(), events.toString());
        }
    }

    /**
     * A program that read the flag unset just as the ring thread set it commits its record without a wakeup
     * (bench_producer's records are committed that way). The thread looks at the ring after its short wait,
     * and reads such a record then, instead of after its long sleep. An attempt counts when the record was in
     * the ring before that look: the thread still in its short wait once the record was committed.
     */
    @Test
    void aRecordCommittedUnwokenAsTheRingThreadFallsAsleepIsNotLeftForItsLongSleep() throws Exception {
        List<ConnectionEvent> events = Collections.synchronizedList(new ArrayList<>());
        try (TestCgroup cgroup = TestCgroup.create("idle-unwoken");
             Monitor monitor = start(cgroup, events);
             BenchProducer producer = BenchProducer.open(monitor.ringBuffer(), cgroup.id(), 1, Integer.MAX_VALUE)) {
            for (int attempt = 0; attempt < 10; attempt++) {
                awaitFallingAsleep(monitor);
                long longSleeps = monitor.longSleeps();
                assertEquals(1, producer.produce(attempt, 1, 1, 0).submitted(), "the record committed");
                boolean beforeTheLook = monitor.fallingAsleep();
                int read = attempt + 1;
                Await.until(() -> events.size() == read, "the record read");
                if (beforeTheLook) {
                    assertEquals(longSleeps, monitor.longSleeps(), "read without a long sleep");
                    return;
                }
            }
            fail("the test could not commit a record within the ring thread's short wait, in ten attempts");
        }
    }

    /**
     * A close wakes a ring thread asleep rather than wait out its sleep (the ring's close waits for a sleep in
     * progress: a JVM's exit would take a second longer). Only a wakeup ends a sleep before its timeout.
     */
    @Test
    void aCloseWakesARingThreadAsleep() throws Exception {
        try (TestCgroup cgroup = TestCgroup.create("idle-close")) {
            Set<Thread> before = ringThreads();
            Monitor monitor = start(cgroup, new ArrayList<>());
            Set<Thread> ours = ringThreads();
            ours.removeAll(before);
            assertEquals(1, ours.size(), "the monitor's ring thread: " + ours);
            long woken;
            try {
                Await.until(monitor::sleepingLong, "the ring thread asleep, nothing having come");
                woken = monitor.ringBuffer().wokenWaits();
            } finally {
                monitor.close();
            }
            assertTrue(monitor.ringBuffer().wokenWaits() > woken, "the close woke the ring thread");
            assertFalse(ours.iterator().next().isAlive(), "the ring thread ended within the close");
        }
    }

    private static Monitor start(TestCgroup cgroup, List<ConnectionEvent> events) throws Exception {
        return Monitor.start(new HookSettings(cgroup.directory(), cgroup.id(), cgroup.level(), 1 << 20, 4096, false),
                new ConnectionTable(4096, 1024), List.of(events::add));
    }

    /** Looks every millisecond: the short wait lasts 50 ms, about once a second. */
    private static void awaitFallingAsleep(Monitor monitor) throws InterruptedException {
        long end = System.nanoTime() + 10_000_000_000L;
        while (!monitor.fallingAsleep()) {
            if (System.nanoTime() > end) {
                fail("the ring thread never fell asleep");
            }
            Thread.sleep(1);
        }
    }

    private static Set<Thread> ringThreads() {
        Set<Thread> threads = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("bpfhook-ring") && t.isAlive()) {
                threads.add(t);
            }
        }
        return threads;
    }
}
