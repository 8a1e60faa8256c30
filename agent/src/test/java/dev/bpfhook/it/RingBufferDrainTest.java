package dev.bpfhook.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.bpfhook.kernel.BenchProducer;
import dev.bpfhook.kernel.HookSettings;
import dev.bpfhook.kernel.KernelHooks;
import dev.bpfhook.kernel.RingBuffer;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.TestCgroup;
import org.junit.jupiter.api.Test;

/**
 * The consumer's positions in the real ring when a record's handler throws: the record counts as consumed,
 * the records before it are not handed over again, and the next drain goes on after it.
 */
class RingBufferDrainTest {
    private static final int RECORDS = 1000;
    /** Past the first publication of the consumer position (every 256 records), before the end. */
    private static final int FAILING_RECORD = 300;

    @Test
    void aRecordWhoseHandlerThrowsIsConsumedAndNothingIsHandedOverTwice() throws Exception {
        KernelTests.requireRoot();
        try (TestCgroup cgroup = TestCgroup.create("ring-drain")) {
            // an empty cgroup: the hooks attach, and nothing but the producer below writes into the ring
            HookSettings settings = new HookSettings(cgroup.directory(), cgroup.id(), cgroup.level(), 1 << 20, 4096,
                    false);
            KernelHooks hooks = KernelHooks.start(settings);
            try (BenchProducer producer = BenchProducer.open(hooks.ringBuffer(), cgroup.id(), 1, 1 << 30)) {
                RingBuffer ring = hooks.ringBuffer();
                assertEquals(RECORDS, producer.produce(0, RECORDS, 1, 0).submitted(), "records produced");
                int[] handed = {0};
                Error failure = new Error("a handler's error");
                Error thrown = assertThrows(Error.class, () -> ring.drain((buffer, offset, length) -> {
                    if (++handed[0] == FAILING_RECORD) {
                        throw failure;
                    }
                }));
                assertEquals(failure, thrown);
                assertEquals(FAILING_RECORD, handed[0]);

                int drained = ring.drain((buffer, offset, length) -> handed[0]++);
                assertEquals(RECORDS - FAILING_RECORD, drained, "the next drain starts after the failing record");
                assertEquals(RECORDS, handed[0], "every record handed over once");
                assertEquals(0, ring.pendingBytes(), "the ring is empty");
            } finally {
                hooks.close();
            }
        }
    }
}
