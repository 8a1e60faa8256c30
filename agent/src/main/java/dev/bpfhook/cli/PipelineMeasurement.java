package dev.bpfhook.cli;

import dev.bpfhook.event.KernelStats;
import dev.bpfhook.kernel.BenchProducer;
import dev.bpfhook.kernel.BpfException;
import dev.bpfhook.pipeline.Monitor;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One mode of the pipeline benchmark: a producer thread runs the BPF producer batch after batch
 * into the monitor's ring, and the figures are read once the monitor's consumer has every record.
 * Every record is accounted for: received by the consumer, or dropped (ring full at the producer or
 * at the monitor's own programs, or lost in user space).
 */
final class PipelineMeasurement {
    /** Records per run of the producer: a few milliseconds in the kernel. */
    private static final int BATCH = 1 << 16;
    private static final long COOKIE_BASE = 1L << 56;
    private static final long DRAIN_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);
    private static final String RING_THREAD = "bpfhook-ring";

    private PipelineMeasurement() {
    }

    /**
     * Produces {@code count} records of the pattern from {@code first} on, from a thread of their own,
     * and waits until the consumer has them all.
     *
     * @param maxBacklog the producer waits while the ring holds this many bytes; 0: never
     * @param staged     the records reach the ring eight at a time, as a CPU's staged records do under load
     */
    static Result measure(Monitor monitor, BenchProducer producer, long first, long count, int maxBacklog,
            boolean staged) throws BpfException, InterruptedException {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long ringThread = ringThreadId();
        Snapshot before = new Snapshot(monitor, threads, ringThread);
        Producing producing = new Producing(producer, first, count, maxBacklog, staged);
        Thread thread = new Thread(producing, "bpfhook-bench-producer");
        long start = System.nanoTime();
        thread.start();
        thread.join();
        if (producing.failure != null) {
            throw producing.failure;
        }
        // the consumer is done once it received what was submitted (undecodable records included)
        long deadline = System.nanoTime() + DRAIN_TIMEOUT_NS;
        while (monitor.eventCounters().receivedCount() - before.received < producing.submitted
                && System.nanoTime() < deadline) {
            LockSupport.parkNanos(100_000); // cheap checks: the consumer needs the CPU more than we do
        }
        long end = System.nanoTime();
        Snapshot after = new Snapshot(monitor, threads, ringThread);
        // and the records of the monitor's own programs, if any came (none are expected)
        while (after.received - before.received < producing.submitted + (after.hookSubmitted - before.hookSubmitted)
                && System.nanoTime() < deadline) {
            Thread.sleep(1);
            after = new Snapshot(monitor, threads, ringThread);
        }
        return new Result(producing, before, after, end - start, producing.endNs - start);
    }

    private static long ringThreadId() {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(RING_THREAD)) {
                return t.getId();
            }
        }
        return -1;
    }

    /** The producer thread: runs the BPF program batch after batch until every record is produced. */
    private static final class Producing implements Runnable {
        private final BenchProducer producer;
        private final long first;
        private final long count;
        private final int maxBacklog;
        private final boolean staged;
        long submitted;
        long dropped;
        long wakeups;
        long pauses;
        long endNs;
        long cpuNs;
        BpfException failure;

        Producing(BenchProducer producer, long first, long count, int maxBacklog, boolean staged) {
            this.producer = producer;
            this.first = first;
            this.count = count;
            this.maxBacklog = maxBacklog;
            this.staged = staged;
        }

        @Override
        public void run() {
            long cpuStart = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
            try {
                for (long done = 0; done < count; ) {
                    int n = (int) Math.min(BATCH, count - done);
                    // staged: whole stages; a count that is not a multiple ends with records of their own
                    boolean inStages = staged && n >= BenchProducer.STAGE_RECORDS;
                    if (inStages) {
                        n -= n % BenchProducer.STAGE_RECORDS;
                    }
                    BenchProducer.Batch b = producer.produce(first + done, n, COOKIE_BASE, maxBacklog, inStages);
                    submitted += b.submitted();
                    dropped += b.dropped();
                    wakeups += b.wakeups();
                    done += b.attempted();
                    if (b.attempted() < n) {
                        // the ring holds maxBacklog: wait until the consumer took half of it, spinning on the
                        // mapped ring (sleeping would let the consumer run dry before we wake up)
                        pauses++;
                        while (producer.backlogBytes() > maxBacklog / 2) {
                            Thread.onSpinWait();
                        }
                    }
                }
            } catch (BpfException e) {
                failure = e;
            }
            endNs = System.nanoTime();
            cpuNs = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpuStart;
        }
    }

    /** The monitor's counters and the ring thread's CPU time at one moment. */
    private static final class Snapshot {
        final long received;
        final long decodeErrors;
        final long listenerErrors;
        /** Records of the monitor's own programs: none expected in the empty cgroup. */
        final long hookSubmitted;
        final long kernelDropped;
        final long consumerCpuNs;
        final long waits;
        final long wokenWaits;
        final long gcCount;
        final long gcMillis;

        Snapshot(Monitor monitor, ThreadMXBean threads, long ringThread) {
            this.received = monitor.eventCounters().receivedCount();
            this.decodeErrors = monitor.eventCounters().decodeErrorCount();
            this.listenerErrors = monitor.eventCounters().listenerErrorCount();
            KernelStats stats = monitor.snapshot(0).kernelStats();
            this.kernelDropped = stats.eventsDropped();
            this.hookSubmitted = stats.eventsSubmitted();
            this.consumerCpuNs = ringThread < 0 ? 0 : Math.max(0, threads.getThreadCpuTime(ringThread));
            this.waits = monitor.ringBuffer().waits();
            this.wokenWaits = monitor.ringBuffer().wokenWaits();
            long count = 0;
            long millis = 0;
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                count += Math.max(0, gc.getCollectionCount());
                millis += Math.max(0, gc.getCollectionTime());
            }
            this.gcCount = count;
            this.gcMillis = millis;
        }
    }

    /** One mode's figures. */
    static final class Result {
        final long benchRecords;
        final long hookEvents;
        final long received;
        final long producerDropped;
        final long kernelDropped;
        final long userLost;
        final long wakeups;
        final long pauses;
        final long producerCpuNs;
        final long waits;
        final long wokenWaits;
        final long consumerCpuNs;
        final long elapsedNs;
        final long producingNs;
        final long gcCount;
        final long gcMillis;

        private Result(Producing p, Snapshot before, Snapshot after, long elapsedNs, long producingNs) {
            this.benchRecords = p.count;
            this.hookEvents = after.hookSubmitted - before.hookSubmitted + after.kernelDropped - before.kernelDropped;
            this.received = after.received - before.received;
            this.producerDropped = p.dropped;
            this.kernelDropped = after.kernelDropped - before.kernelDropped;
            this.userLost = after.decodeErrors - before.decodeErrors + after.listenerErrors - before.listenerErrors;
            this.wakeups = p.wakeups;
            this.pauses = p.pauses;
            this.producerCpuNs = p.cpuNs;
            this.waits = after.waits - before.waits;
            this.wokenWaits = after.wokenWaits - before.wokenWaits;
            this.consumerCpuNs = after.consumerCpuNs - before.consumerCpuNs;
            this.elapsedNs = elapsedNs;
            this.producingNs = producingNs;
            this.gcCount = after.gcCount - before.gcCount;
            this.gcMillis = after.gcMillis - before.gcMillis;
        }

        /** The benchmark's records, and any of the monitor's own programs (none expected). */
        long produced() {
            return benchRecords + hookEvents;
        }

        /** Records read from the ring and delivered to every listener. */
        long delivered() {
            return received - userLost;
        }

        long dropped() {
            return producerDropped + kernelDropped + userLost;
        }

        boolean exact() {
            return delivered() + dropped() == produced();
        }

        /** From the first record produced to the last one received. */
        long eventsPerSecond() {
            return elapsedNs <= 0 ? 0 : Math.round(delivered() * 1e9 / elapsedNs);
        }

        double consumerNsPerEvent() {
            return received == 0 ? 0 : (double) consumerCpuNs / received;
        }

        /** The consumer thread's CPU time over the wall time: 1 is one CPU, busy all along. */
        double consumerShare() {
            return elapsedNs <= 0 ? 0 : (double) consumerCpuNs / elapsedNs;
        }

        long producerPerSecond() {
            return producingNs <= 0 ? 0 : Math.round(benchRecords * 1e9 / producingNs);
        }

        double producerNsPerRecord() {
            return benchRecords == 0 ? 0 : (double) producerCpuNs / benchRecords;
        }
    }
}
