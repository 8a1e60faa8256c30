package dev.bpfhook.kernel;

import com.sun.jna.Memory;
import com.sun.jna.ptr.IntByReference;
import java.nio.file.Files;
import java.nio.file.Paths;

/** What one BPF program costs: the kernel's own run count and run time for it. */
public final class ProgramStats {
    /* struct bpf_prog_info (include/uapi/linux/bpf.h): offsets of the fields read here */
    private static final int INFO_SIZE = 232;
    private static final int RUN_TIME_NS = 192;
    private static final int RUN_CNT = 200;

    private final String program;
    private final long runCount;
    private final long runTimeNs;

    public ProgramStats(String program, long runCount, long runTimeNs) {
        this.program = program;
        this.runCount = runCount;
        this.runTimeNs = runTimeNs;
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
        return new ProgramStats(program, info.getLong(RUN_CNT), info.getLong(RUN_TIME_NS));
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

    /** Average nanoseconds per run, or 0 before the first counted run. */
    public long averageNs() {
        return runCount == 0 ? 0 : runTimeNs / runCount;
    }
}
