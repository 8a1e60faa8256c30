package dev.bpfhook.kernel;

/**
 * Which CPUs' records the state hook stages: those that make them fast enough to fill a stage before the
 * reader would have to flush it. A flush interrupts its CPU, and the reader waits for it (10 to 150 us on a
 * VM, more where the CPU sleeps deeply), where staging saves 30 to 80 ns a record: it pays only where a
 * stage's eight records come within the flush age. So a CPU is staged from {@link #STAGE_FROM} records per
 * second on, and until it falls below half of that, so that a CPU near the line does not switch at every look.
 * A CPU's rate is the growth of its count of records made (struct bh_stage.made) between two looks, at least
 * {@link #WINDOW_NS} apart. One thread uses it: the ring's consumer.
 */
final class StagingPolicy {
    /** Eight records within the flush age, on average: a stage fills before it would be flushed. */
    static final long STAGE_FROM = 8 * 1_000_000_000L / RecordStages.FLUSH_AGE_NS;
    /** Below this, a staged CPU goes back to the ring. */
    static final long UNSTAGE_BELOW = STAGE_FROM / 2;
    /** The shortest time a rate is measured over: about a poll of the ring. */
    static final long WINDOW_NS = 20_000_000;

    private final long[] lastMade;
    private final boolean[] staged;
    private long lastLook;
    private boolean looked;

    StagingPolicy(int cpus) {
        this.lastMade = new long[cpus];
        this.staged = new boolean[cpus];
    }

    /** Whether a look is due: the last one was at least a window ago. */
    boolean due(long now) {
        return !looked || now - lastLook >= WINDOW_NS;
    }

    /**
     * Takes each CPU's count of records made at {@code now} and decides which CPUs are staged from now on
     * (the first look only notes the counts). Call when {@link #due}.
     */
    void look(long now, long[] made) {
        long elapsed = now - lastLook;
        for (int cpu = 0; cpu < lastMade.length; cpu++) {
            if (looked && elapsed > 0) {
                long perSecond = (made[cpu] - lastMade[cpu]) * 1_000_000_000L / elapsed;
                staged[cpu] = perSecond >= (staged[cpu] ? UNSTAGE_BELOW : STAGE_FROM);
            }
            lastMade[cpu] = made[cpu];
        }
        lastLook = now;
        looked = true;
    }

    /** Whether the records of {@code cpu} are to be staged, as the last look decided. */
    boolean staged(int cpu) {
        return staged[cpu];
    }
}
