package dev.bpfhook.kernel;

import com.sun.jna.Pointer;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The state hook's records staged per CPU (map stages, struct bh_stage): the kernel hands them to the ring
 * eight at a time, so a record can reach the ring after records made later on other CPUs. This class tells
 * the ring's reader up to which time every record is in the ring ({@link #completeBefore}), and makes a CPU
 * that went quiet hand over what it holds, by running the flush program on that CPU (BPF_PROG_TEST_RUN with
 * BPF_F_TEST_RUN_ON_CPU, 5.10+). The stages are read through a mapping of the map: no system call unless a
 * CPU must be flushed. As a flush costs far more than staging saves, it also chooses, through the same
 * mapping, the CPUs whose records are staged: those that make them fast enough ({@link StagingPolicy}).
 *
 * <p>Used by the ring's one consumer; {@link #close()} once it has stopped.
 */
public final class RecordStages implements AutoCloseable {
    /* struct bh_stage in bpf/bpfhook.h (AbiLayoutTest checks these) */
    static final int STAGE_SIZE = 1088;
    static final int STAGE_BUSY = 0;
    static final int STAGE_COUNT = 4;
    static final int STAGE_WANTED = 8;
    static final int STAGE_MADE = 16;
    static final int STAGE_RECORDS = 64;
    /** Where a staged record keeps its timestamp: struct bh_event's first field. */
    private static final int EVENT_TIMESTAMP = 0;

    static final String FLUSH_PROGRAM = "bh_stage_flush";
    /** Flushes the stage of a CPU taken offline once it is dead (attached to the raw tracepoint cpuhp_enter). */
    static final String HOTPLUG_FLUSH_PROGRAM = "bh_stage_flush_hotplug";
    /** The flush program's answers (bpf/bpfhook.bpf.c). */
    private static final int FLUSHED = 0;
    private static final int FLUSH_BUSY = 1;
    /** What the kernel answers for a CPU that is offline. */
    private static final int ENXIO = 6;

    /**
     * A CPU whose oldest staged record is this old is flushed: below it, the CPU is left to fill its stage
     * (under load it hands eight records over every few hundred microseconds), so that a busy host costs no
     * flush; above it, its records would wait for the reader's next poll. Small against the poll (20 ms).
     */
    static final long FLUSH_AGE_NS = 2_000_000;
    /**
     * How long a CPU's store to its stage may take to show in another CPU's view: a program marks the stage
     * busy before it reads the clock for its record, and a stage seen idle is taken to hold nothing older than
     * this before the look. A store becomes visible to the other CPUs within a microsecond of the program's
     * next instruction (at once on any interrupt or exit to a hypervisor); a tenth of a millisecond leaves no
     * doubt, and holds a record back only when a look comes that soon after it (for one more poll).
     */
    public static final long VISIBILITY_NS = 100_000;
    /**
     * How long the records staged on a CPU found offline are waited for: the kernel hands them to the ring as
     * soon as the CPU is dead ({@link #HOTPLUG_FLUSH_PROGRAM}), milliseconds after the CPU stops counting as
     * online. Past it (that flush not attached, or the CPU stuck on its way down), the others' records no
     * longer wait: that CPU's come when it is back, late.
     */
    public static final long OFFLINE_WAIT_NS = 1_000_000_000L;
    /** A stage is busy for well under a microsecond: one found busy this often is left for the next look. */
    private static final int FLUSH_ATTEMPTS = 10;

    private static final VarHandle INTS = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());
    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private final LibBpf bpf;
    private final LibC libc = Libs.c();
    private final int flushFd;
    private final int cpus;
    private final Pointer mapping;
    private final long mappingLength;
    private final ByteBuffer stages;
    private final TestRunOptions opts = new TestRunOptions();
    /** Null when every CPU's records are staged whatever its rate (a test's choice). */
    private final StagingPolicy policy;
    private final long[] made;
    /** What the last look could vouch for, per CPU: a stage seen busy vouches for no more than before. */
    private final long[] vouched;
    /** Per CPU, when its records were first found on a CPU the kernel refused to run the flush on; 0 if not. */
    private final long[] refusedSince;
    private boolean closed;

    private RecordStages(LibBpf bpf, int flushFd, int cpus, Pointer mapping, long mappingLength, boolean byRate) {
        this.bpf = bpf;
        this.flushFd = flushFd;
        this.cpus = cpus;
        this.mapping = mapping;
        this.mappingLength = mappingLength;
        this.stages = mapping.getByteBuffer(0, (long) cpus * STAGE_SIZE).order(ByteOrder.nativeOrder());
        this.vouched = new long[cpus];
        this.refusedSince = new long[cpus];
        this.policy = byRate ? new StagingPolicy(cpus) : null;
        this.made = new long[cpus];
    }

    /**
     * Maps the stages and checks that this kernel runs the flush program on a chosen CPU.
     *
     * @param byRate stage a CPU's records only while it makes them fast enough (see {@link StagingPolicy});
     *               false: every CPU's, always (to test staging with a few records)
     * @throws BpfException with the reason when it does not (the programs then write each record to the ring)
     */
    static RecordStages open(BpfObject object, boolean byRate) throws BpfException {
        int mapFd = object.mapFd("stages");
        int cpus = object.maxEntries("stages");
        int flushFd = object.programFd(FLUSH_PROGRAM);
        if (flushFd < 0) {
            throw new BpfException("the flush program " + FLUSH_PROGRAM + " did not load");
        }
        long pageSize = Libs.c().getpagesize();
        long length = ((long) cpus * STAGE_SIZE + pageSize - 1) / pageSize * pageSize;
        Pointer mapping = Libs.mapShared(mapFd, length, LibC.PROT_READ | LibC.PROT_WRITE, 0, "the record stages");
        RecordStages stages = new RecordStages(Libs.bpf(), flushFd, cpus, mapping, length, byRate);
        try {
            stages.probe();
            if (!byRate) {
                for (int cpu = 0; cpu < cpus; cpu++) {
                    stages.want(cpu, true);
                }
            }
            return stages;
        } catch (BpfException | RuntimeException | UnsatisfiedLinkError e) {
            stages.close();
            if (e instanceof BpfException) {
                throw (BpfException) e;
            }
            throw new BpfException("cannot run the flush program: " + e.getMessage());
        }
    }

    /** Runs the flush program on the first online CPU: nothing is staged yet, only whether the kernel can. */
    private void probe() throws BpfException {
        for (int cpu = 0; cpu < cpus; cpu++) {
            try {
                flush(cpu);
                return;
            } catch (BpfException e) {
                if (e.errno() != ENXIO) {
                    throw e;
                }
            }
        }
        throw new BpfException("no CPU ran the flush program");
    }

    /**
     * The time (CLOCK_MONOTONIC, as the records' timestamps) before which every staged record is in the ring,
     * or in flight to it: flushes first the CPUs whose records waited {@link #FLUSH_AGE_NS}. The caller reads
     * the ring after this returns; records before the returned time that it has not read by the end of that
     * read are in none of the stages. Never less than what the previous call returned.
     *
     * @param now the clock just before this call
     */
    public long completeBefore(long now) {
        if (policy != null && policy.due(now)) {
            chooseStagedCpus(now);
        }
        long complete = now - VISIBILITY_NS;
        for (int cpu = 0; cpu < cpus; cpu++) {
            long cpuComplete = completeBeforeOn(cpu, now);
            if (cpuComplete > vouched[cpu]) {
                vouched[cpu] = cpuComplete;
            }
            complete = Math.min(complete, vouched[cpu]);
        }
        return complete;
    }

    /** Stages the records of the CPUs that make them fast enough, and of no other (see {@link StagingPolicy}). */
    private void chooseStagedCpus(long now) {
        for (int cpu = 0; cpu < cpus; cpu++) {
            made[cpu] = (long) LONGS.getOpaque(stages, cpu * STAGE_SIZE + STAGE_MADE);
        }
        policy.look(now, made);
        for (int cpu = 0; cpu < cpus; cpu++) {
            want(cpu, policy.staged(cpu));
        }
    }

    /**
     * Tells the state hook on {@code cpu} whether to stage its records. A CPU no longer staged sends what it
     * holds to the ring with its next record, or the flush takes it (completeBefore).
     */
    private void want(int cpu, boolean staged) {
        int offset = cpu * STAGE_SIZE + STAGE_WANTED;
        int value = staged ? 1 : 0;
        if ((int) INTS.getOpaque(stages, offset) != value) {
            INTS.setOpaque(stages, offset, value);
        }
    }

    private long completeBeforeOn(int cpu, long now) {
        int base = cpu * STAGE_SIZE;
        int busy = (int) INTS.getAcquire(stages, base + STAGE_BUSY);
        int count = (int) INTS.getAcquire(stages, base + STAGE_COUNT);
        if (count == 0) {
            refusedSince[cpu] = 0;
            // busy with nothing staged: a record in the making, of a time not known yet
            return busy != 0 ? Long.MIN_VALUE : now - VISIBILITY_NS;
        }
        long oldest = (long) LONGS.getAcquire(stages, base + STAGE_RECORDS + EVENT_TIMESTAMP);
        if (busy != 0 || oldest >= now - FLUSH_AGE_NS) {
            return oldest; // being written to, or filling: its records come in order after this one
        }
        try {
            return flush(cpu) ? now : oldest;
        } catch (BpfException e) {
            // offline (the only refusal once the probe ran): its records are on their way, or come when it is back
            if (refusedSince[cpu] == 0) {
                refusedSince[cpu] = now;
            }
            return now - refusedSince[cpu] < OFFLINE_WAIT_NS ? oldest : now - VISIBILITY_NS;
        }
    }

    /**
     * Flushes every online CPU's stage, for a reader that must see every record made before now (a final
     * report, a close after the programs were detached). A CPU found busy is asked again, a few times. An
     * offline CPU's stage was handed to the ring as it died ({@link #HOTPLUG_FLUSH_PROGRAM}); where that flush
     * could not be attached, it keeps its records until it is back (the kernel runs nothing there meanwhile).
     *
     * @return false when a CPU could not be flushed (busy each time, or the kernel refused): records of it may
     *         still come
     */
    public boolean flushAll() {
        boolean all = true;
        for (int cpu = 0; cpu < cpus; cpu++) {
            boolean flushed = false;
            for (int attempt = 0; attempt < FLUSH_ATTEMPTS && !flushed; attempt++) {
                try {
                    flushed = flush(cpu);
                } catch (BpfException e) {
                    flushed = e.errno() == ENXIO; // offline: nothing to be had there now
                    break;
                }
            }
            all &= flushed;
        }
        return all;
    }

    /** Runs the flush program on {@code cpu}: true when it flushed, false when the stage was busy. */
    private boolean flush(int cpu) throws BpfException {
        int rc = bpf.bpf_prog_test_run_opts(flushFd, opts.onCpu(cpu));
        if (rc < 0) {
            throw new BpfException("cannot run the flush program on CPU " + cpu + ": " + Libs.errnoText(-rc), -rc, "");
        }
        int answer = opts.returnValue();
        if (answer != FLUSHED && answer != FLUSH_BUSY) {
            throw new BpfException("the flush program found no stage for CPU " + cpu);
        }
        return answer == FLUSHED;
    }

    /** Whether the records of any CPU are staged (the last look chose it, see {@link StagingPolicy}). */
    public boolean anyWanted() {
        for (int cpu = 0; cpu < cpus; cpu++) {
            if ((int) INTS.getOpaque(stages, cpu * STAGE_SIZE + STAGE_WANTED) != 0) {
                return true;
            }
        }
        return false;
    }

    /** Whether any CPU holds staged records now (as far as this CPU can see). */
    public boolean anyStaged() {
        for (int cpu = 0; cpu < cpus; cpu++) {
            if ((int) INTS.getAcquire(stages, cpu * STAGE_SIZE + STAGE_COUNT) != 0) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            libc.munmap(mapping, mappingLength);
        }
    }
}
