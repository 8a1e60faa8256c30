package dev.bpfhook.jmx;

/** What one kernel program costs, as the kernel counts it (kernel.bpf_stats_enabled=1). */
public final class ProgramInfo {
    private final String program;
    private final long runCount;
    private final long runTimeNanos;

    @javax.management.ConstructorParameters({"program", "runCount", "runTimeNanos"}) // rebuilt by clients' proxies
    public ProgramInfo(String program, long runCount, long runTimeNanos) {
        this.program = program;
        this.runCount = runCount;
        this.runTimeNanos = runTimeNanos;
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
}
