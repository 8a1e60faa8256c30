package dev.bpfhook.kernel;

import com.sun.jna.Memory;
import com.sun.jna.ptr.IntByReference;
import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * What one BPF program costs, and what it missed: the kernel's own run count,
 * run time and skipped runs for it.
 */
public final class ProgramStats {
    /* struct bpf_prog_info (include/uapi/linux/bpf.h): offsets of the fields read here (ProgramStatsLayoutTest) */
    static final int INFO_SIZE = 232;
    static final int RUN_TIME_NS = 192;
    static final int RUN_CNT = 200;
    static final int RECURSION_MISSES = 208;

    private final String program;
    private final long runCount;
    private final long runTimeNs;
    private final long missedRuns;

    public ProgramStats(String program, long runCount, long runTimeNs, long missedRuns) {
        this.program = program;
        this.runCount = runCount;
        this.runTimeNs = runTimeNs;
        this.missedRuns = missedRuns;
    }

    static ProgramStats read(String program, int fd) throws BpfException {
        if (fd < 0) {
            return null;
        }
        Memory info = new Memory(INFO_SIZE);
        info.clear();
        IntByReference length = new IntByReference(INFO_SIZE);
        int rc = Libs.bpf().bpf_obj_get_info_by_fd(fd, info, length);
        if (rc != 0 || length.getValue() < RUN_CNT + 8) {
            return null; // a kernel before 5.1 has no run statistics
        }
        // the kernel fills only the part of the struct it knows: before 5.12, no recursion_misses
        long missed = length.getValue() >= RECURSION_MISSES + 8 ? info.getLong(RECURSION_MISSES) : 0;
        return new ProgramStats(program, info.getLong(RUN_CNT), info.getLong(RUN_TIME_NS), missed);
    }

    /** Whether the kernel is counting (sysctl kernel.bpf_stats_enabled); off by default, as it costs a little. */
    public static boolean kernelCounting() {
        try {
            return new String(Files.readAllBytes(Paths.get("/proc/sys/kernel/bpf_stats_enabled"))).trim().equals("1");
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    public String program() {
        return program;
    }

    public long runCount() {
        return runCount;
    }

    public long runTimeNs() {
        return runTimeNs;
    }

    /**
     * Runs the kernel skipped (recursion_misses): tp_btf, fentry/fexit and raw tracepoints when this
     * program was already running on that CPU (a softirq hitting the same tracepoint, say); kprobes
     * and classic tracepoints when any such program was. Their events and counter updates are lost.
     * Counted always, whatever kernel.bpf_stats_enabled says; 0 on kernels before 5.12.
     */
    public long missedRuns() {
        return missedRuns;
    }

    /** Average nanoseconds per run, or 0 before the first counted run. */
    public long averageNs() {
        return runCount == 0 ? 0 : runTimeNs / runCount;
    }
}
