package dev.bpfhook.jmx;

/**
 * What one kernel program costs, as the kernel counts it (run count and time while
 * kernel.bpf_stats_enabled=1), and the runs it skipped (counted always).
 */
public final class ProgramInfo {
    private final String program;
    private final long runCount;
    private final long runTimeNanos;
    private final long missedRuns;

    // rebuilt by clients' proxies
    @javax.management.ConstructorParameters({"program", "runCount", "runTimeNanos", "missedRuns"})
    public ProgramInfo(String program, long runCount, long runTimeNanos, long missedRuns) {
        this.program = program;
        this.runCount = runCount;
        this.runTimeNanos = runTimeNanos;
        this.missedRuns = missedRuns;
    }

    public String getProgram() {
        return program;
    }

    public long getRunCount() {
        return runCount;
    }

    public long getRunTimeNanos() {
        return runTimeNanos;
    }

    public long getAverageNanos() {
        return runCount == 0 ? 0 : runTimeNanos / runCount;
    }

    /** Runs the kernel skipped because BPF was already running on that CPU; their events are lost. */
    public long getMissedRuns() {
        return missedRuns;
    }
}
