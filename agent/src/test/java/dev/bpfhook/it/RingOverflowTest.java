package dev.bpfhook.it;

import static dev.bpfhook.testing.KernelTests.assertCount;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.event.KernelCounters;
import dev.bpfhook.kernel.HookSettings;
import dev.bpfhook.pipeline.Monitor;
import dev.bpfhook.testing.Await;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.LoopbackTraffic;
import dev.bpfhook.testing.TestCgroup;
import dev.bpfhook.track.ConnectionTable;
import dev.bpfhook.track.MonitorSnapshot;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A burst into a deliberately tiny ring while the consumer is stuck: the kernel drops events and
 * counts each one, its connection counters stay exact, and once the consumer runs again every
 * event produced is either received or counted as dropped.
 */
class RingOverflowTest {
    private static final int BURST = 300;
    private static final int AFTER = 20;

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void droppedEventsAreCountedExactlyAndTheMonitorRecovers() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (TestCgroup cgroup = TestCgroup.create("overflow")) {
            HookSettings tiny = new HookSettings(cgroup.directory(), cgroup.id(), cgroup.level(), 64 << 10, 4096,
                    true);
            // a listener that blocks the ring thread on the first event: the ring then fills up
            try (Monitor monitor = Monitor.start(tiny, new ConnectionTable(4096, 64), List.of(e -> {
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                }
            }))) {
                cgroup.enter();
                MonitorSnapshot during;
                try {
                    exchanges(BURST);
                    during = monitor.snapshot(0); // snapshots do not wait for a stuck listener
                } finally {
                    release.countDown(); // else a failure above leaves close() waiting on the stuck listener
                }
                MonitorSnapshot drained = Await.counters(monitor, cgroup.id(), c -> c.closed() == 2L * BURST);
                exchanges(AFTER);
                cgroup.leave();

                MonitorSnapshot after = Await.counters(monitor, cgroup.id(), c -> c.closed() == 2L * (BURST + AFTER));
                KernelCounters c = after.byCgroup().get(cgroup.id());
                assertCount(BURST + AFTER, c.outboundEstablished(), "outbound: exact despite the drops");
                assertCount(BURST + AFTER, c.inboundAccepted(), "inbound: exact despite the drops");
                assertCount(2L * (BURST + AFTER), c.closed(), "closed: exact despite the drops");
                long dropped = after.kernelStats().eventsDropped();
                assertTrue(during.kernelStats().eventsDropped() > 0, "the tiny ring overflowed during the burst");
                assertCount(after.kernelStats().eventsSubmitted(), after.eventsReceived(),
                        "every event committed to the ring was received");
                // 12 events per loopback connection with both ends watched: produced = received + dropped
                assertCount(12L * (BURST + AFTER), after.eventsReceived() + dropped, "received + dropped = produced");
                assertCount(dropped, after.eventsLost(), "the loss is shown");
                assertCount(drained.kernelStats().eventsDropped(), dropped, "no drops once the consumer ran again");
            }
        }
    }

    private static void exchanges(int n) throws Exception {
        try (LoopbackTraffic.Server server = new LoopbackTraffic.Server(LoopbackTraffic.IPV4)) {
            for (int i = 0; i < n; i++) {
                LoopbackTraffic.exchange(server, LoopbackTraffic.IPV4, LoopbackTraffic.payload(8), 8);
            }
        }
    }

}
