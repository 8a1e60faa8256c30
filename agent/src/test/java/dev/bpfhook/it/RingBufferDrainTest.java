package dev.bpfhook.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.kernel.BenchProducer;
import dev.bpfhook.kernel.HookSettings;
import dev.bpfhook.kernel.KernelHooks;
import dev.bpfhook.kernel.RingBuffer;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.Await;
import dev.bpfhook.testing.TestCgroup;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The consumer's side of the real ring: its positions when a record's handler throws (the record counts as
 * consumed, the records before it are not handed over again, and the next drain goes on after it), and its
 * sleeps: ended by the kernel's wakeups only, and waited for when the ring is closed.
 */
class RingBufferDrainTest {
    private static final int RECORDS = 1000;
    /** A record in the ring: struct bh_event and the ring's 8-byte header. */
    private static final int RECORD_BYTES = 128 + 8;
    /** Somewhere in the middle. */
    private static final int FAILING_RECORD = 300;

    @Test
    void aRecordWhoseHandlerThrowsIsConsumedAndNothingIsHandedOverTwice() throws Exception {
        KernelTests.requireRoot();
        try (TestCgroup cgroup = TestCgroup.create("ring-drain");
             KernelHooks hooks = hooksOfAnEmptyCgroup(cgroup); // nothing but the producer below writes into the ring
             BenchProducer producer = BenchProducer.open(hooks.ringBuffer(), cgroup.id(), 1, 1 << 30)) {
            RingBuffer ring = hooks.ringBuffer();
            assertEquals(RECORDS, producer.produce(0, RECORDS, 1, 0).submitted(), "records produced");
            int[] handed = {0};
            Error failure = new Error("a handler's error");
            Error thrown = assertThrows(Error.class, () -> ring.read((buffer, offset, length, position) -> {
                if (++handed[0] == FAILING_RECORD) {
                    throw failure;
                }
            }));
            assertEquals(failure, thrown);
            assertEquals(FAILING_RECORD, handed[0]);

            int read = ring.read((buffer, offset, length, position) -> handed[0]++);
            assertEquals(RECORDS - FAILING_RECORD, read, "the next read starts after the failing record");
            assertEquals(RECORDS, handed[0], "every record handed over once");
            assertEquals(RECORDS * (long) RECORD_BYTES, ring.pendingBytes(), "read, not yet given back");
            ring.release(ring.readPosition());
            assertEquals(0, ring.pendingBytes(), "the ring is empty");
        }
    }

    /**
     * A consumer sleeps until the kernel wakes it, whatever records wait that it read and did not give back
     * (as the monitor holds records back until a CPU's staged ones, older, come): the ring's file is readable
     * while they wait, and a level-triggered epoll ended every sleep at once after a first wakeup, so that a
     * consumer holding records at each look spun in epoll_wait.
     */
    @Test
    void recordsReadButNotGivenBackDoNotEndTheConsumersSleep() throws Exception {
        KernelTests.requireRoot();
        int wakeupBytes = 10 * RECORD_BYTES;
        try (TestCgroup cgroup = TestCgroup.create("ring-held");
             KernelHooks hooks = hooksOfAnEmptyCgroup(cgroup);
             BenchProducer producer = BenchProducer.open(hooks.ringBuffer(), cgroup.id(), 1, wakeupBytes)) {
            RingBuffer ring = hooks.ringBuffer();
            assertEquals(1, producer.produce(0, 20, 1, 0).wakeups(), "the backlog crossed the threshold once");
            ring.await(10_000);
            assertEquals(1, ring.wokenWaits(), "the kernel's wakeup ended the sleep");
            assertEquals(20, ring.read((buffer, offset, length, position) -> { }), "records read, held");

            ring.await(100);
            ring.await(100);
            assertEquals(3, ring.waits(), "sleeps");
            assertEquals(1, ring.wokenWaits(), "the held records ended no sleep: both ran to their timeout");

            ring.release(ring.readPosition());
            assertEquals(1, producer.produce(20, 20, 1, 0).wakeups(), "the backlog crossed the threshold again");
            ring.await(10_000);
            assertEquals(2, ring.wokenWaits(), "the next wakeup ended a sleep");
        }
    }

    /**
     * A monitor closes its ring after its ring thread stopped draining, but that thread may still sleep in
     * epoll_wait (a close gives up waiting for the thread after a second). The epoll descriptor is closed
     * only once that sleep ended: closed under it, its number could be reused by the application (a NIO
     * selector's epoll) while the sleep, or the next, goes on in it.
     */
    @Test
    void closeWaitsForAConsumerAsleepInTheRingBeforeItClosesTheEpollDescriptor() throws Exception {
        KernelTests.requireRoot();
        try (TestCgroup cgroup = TestCgroup.create("ring-close")) {
            KernelHooks hooks = hooksOfAnEmptyCgroup(cgroup);
            Thread consumer = new Thread(() -> hooks.ringBuffer().await(2_000), // an empty ring: sleeps its timeout
                    "ring-close-consumer");
            try {
                consumer.start();
                Await.until(() -> asleepInEpoll(consumer), "the consumer asleep in epoll_wait");
            } finally {
                hooks.close(); // frees the ring, from this thread
            }
            // not a flag the consumer sets after its sleep: it may set it a moment after close() returned, rightly
            assertFalse(asleepInEpoll(consumer), "close() returned while the consumer still slept in the descriptor");
            consumer.join(5_000);
            assertTrue(!consumer.isAlive(), "the consumer returned");
        }
    }

    private static boolean asleepInEpoll(Thread thread) {
        return Arrays.stream(thread.getStackTrace()).anyMatch(frame -> frame.getMethodName().equals("epoll_wait"));
    }

    /** The hooks attached to a cgroup with no process in it: a 1 MiB ring no connection writes into. */
    private static KernelHooks hooksOfAnEmptyCgroup(TestCgroup cgroup) throws Exception {
        return KernelHooks.start(new HookSettings(cgroup.directory(), cgroup.id(), cgroup.level(), 1 << 20, 4096,
                false));
    }
}
