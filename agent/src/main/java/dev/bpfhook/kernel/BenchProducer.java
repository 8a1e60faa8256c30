package dev.bpfhook.kernel;

import com.sun.jna.Memory;
import java.io.IOException;
import java.io.InputStream;

/**
 * A source of event records for the pipeline benchmark: bench_producer.bpf.o,
 * whose SEC("syscall") program writes struct bh_event records into a running
 * monitor's ring buffer when run with BPF_PROG_TEST_RUN, far faster than
 * connections could. The records go through the monitor's real consumer.
 * One thread runs it at a time.
 */
public final class BenchProducer implements AutoCloseable {
    public static final String OBJECT_RESOURCE = "/dev/bpfhook/bpf/bench_producer.bpf.o";
    static final String PROGRAM = "bh_bench_produce";
    /** bpf_loop's limit on iterations (BPF_MAX_LOOPS): at most this many records per run. */
    public static final int MAX_PER_RUN = 1 << 23;

    /* struct bh_bench_run in bpf/bench_producer.h (BenchProducerLayoutTest checks these offsets) */
    static final int RUN_SIZE = 80;
    static final int RUN_FIRST = 0;
    static final int RUN_COUNT = 8;
    static final int RUN_COOKIE_BASE = 16;
    static final int RUN_CGROUP_ID = 24;
    static final int RUN_NETNS_COOKIE = 32;
    static final int RUN_WAKEUP_BYTES = 40;
    static final int RUN_MAX_BACKLOG = 44;
    static final int RUN_SUBMITTED = 48;
    static final int RUN_DROPPED = 56;
    static final int RUN_WAKEUPS = 64;
    static final int RUN_STAGED = 72;
    /** Records per ring record when the producer writes them as a CPU's stage reaches the ring. */
    public static final int STAGE_RECORDS = 8;

    private final LibBpf bpf;
    private final RingBuffer ring;
    private final BpfObject object;
    private final int programFd;
    private final long cgroupId;
    private final long netnsCookie;
    private final int wakeupBytes;
    private final Memory run = new Memory(RUN_SIZE);
    private final TestRunOptions opts = new TestRunOptions();

    private BenchProducer(LibBpf bpf, RingBuffer ring, BpfObject object, int programFd, long cgroupId,
            long netnsCookie, int wakeupBytes) {
        this.bpf = bpf;
        this.ring = ring;
        this.object = object;
        this.programFd = programFd;
        this.cgroupId = cgroupId;
        this.netnsCookie = netnsCookie;
        this.wakeupBytes = wakeupBytes;
    }

    /**
     * Loads the producer with its ring replaced by {@code ring}'s map.
     *
     * @param cgroupId    the cgroup id the records carry
     * @param netnsCookie the network-namespace cookie they carry
     * @param wakeupBytes the backlog at which a record wakes the consumer, as the monitor's programs do
     */
    public static BenchProducer open(RingBuffer ring, long cgroupId, long netnsCookie, int wakeupBytes)
            throws BpfException {
        BpfObject object = BpfObject.open(readObject(), "bh_bench");
        try {
            object.reuseMapFd("events", ring.mapFd());
            object.load();
            int fd = object.programFd(PROGRAM);
            if (fd < 0) {
                throw new BpfException("the benchmark producer " + PROGRAM + " did not load");
            }
            return new BenchProducer(Libs.bpf(), ring, object, fd, cgroupId, netnsCookie, wakeupBytes);
        } catch (BpfException | RuntimeException e) {
            object.close();
            throw e;
        }
    }

    /**
     * Produces up to {@code count} records (at most {@link #MAX_PER_RUN}) in one run of the program,
     * in the kernel, on this thread. The run stops early when the ring holds {@code maxBacklog}
     * bytes: then {@link Batch#attempted()} is less than {@code count}.
     *
     * @param first      sequence number of the first record: runs continue each other's pattern
     * @param cookieBase socket cookie of connection 0 of the pattern
     * @param maxBacklog the backlog at which the run stops, to let the consumer catch up; 0: never
     *                   (a full ring then drops records, and the batch counts them)
     */
    public Batch produce(long first, int count, long cookieBase, int maxBacklog) throws BpfException {
        return produce(first, count, cookieBase, maxBacklog, false);
    }

    /**
     * As {@link #produce(long, int, long, int)}; with {@code staged}, the records go to the ring
     * {@link #STAGE_RECORDS} at a time in one ring record, as a CPU's staged records do under load, and
     * {@code count} must be a multiple of that.
     */
    public synchronized Batch produce(long first, int count, long cookieBase, int maxBacklog, boolean staged)
            throws BpfException {
        if (count < 0 || count > MAX_PER_RUN) {
            throw new IllegalArgumentException("count " + count + " is not in 0.." + MAX_PER_RUN);
        }
        if (staged && count % STAGE_RECORDS != 0) {
            throw new IllegalArgumentException("count " + count + " is not a multiple of " + STAGE_RECORDS);
        }
        run.clear();
        run.setLong(RUN_FIRST, first);
        run.setLong(RUN_COUNT, count);
        run.setLong(RUN_COOKIE_BASE, cookieBase);
        run.setLong(RUN_CGROUP_ID, cgroupId);
        run.setLong(RUN_NETNS_COOKIE, netnsCookie);
        run.setInt(RUN_WAKEUP_BYTES, wakeupBytes);
        run.setInt(RUN_MAX_BACKLOG, maxBacklog);
        run.setInt(RUN_STAGED, staged ? 1 : 0);
        int rc = bpf.bpf_prog_test_run_opts(programFd, opts.withContext(run));
        if (rc < 0) {
            throw new BpfException("running the benchmark producer failed: " + Libs.errnoText(-rc), -rc, "");
        }
        return new Batch(run.getLong(RUN_SUBMITTED), run.getLong(RUN_DROPPED), run.getLong(RUN_WAKEUPS));
    }

    /** Bytes waiting in the ring for its consumer now; read from the mapped ring, without a system call. */
    public long backlogBytes() {
        return ring.backlogBytes();
    }

    @Override
    public synchronized void close() {
        object.close();
    }

    static byte[] readObject() throws BpfException {
        try (InputStream in = BenchProducer.class.getResourceAsStream(OBJECT_RESOURCE)) {
            if (in == null) {
                throw new BpfException("the BPF object " + OBJECT_RESOURCE + " is missing from the jar; rebuild it");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new BpfException("cannot read the BPF object from the jar: " + e.getMessage());
        }
    }

    /** What one run did: every record asked for was either submitted or dropped. */
    public static final class Batch {
        private final long submitted;
        private final long dropped;
        private final long wakeups;

        Batch(long submitted, long dropped, long wakeups) {
            this.submitted = submitted;
            this.dropped = dropped;
            this.wakeups = wakeups;
        }

        /** Records committed to the ring. */
        public long submitted() {
            return submitted;
        }

        /** Records not produced because the ring was full. */
        public long dropped() {
            return dropped;
        }

        /** Records the run tried to produce: submitted or dropped. */
        public long attempted() {
            return submitted + dropped;
        }

        /** Ring records committed with a wakeup of the consumer. */
        public long wakeups() {
            return wakeups;
        }
    }
}
