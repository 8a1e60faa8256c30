package dev.bpfhook.kernel;

import com.sun.jna.Pointer;

/**
 * What the kernel's run-time statistics add to every run they measure. The kernel reads its clock
 * before and after each run of a program while it counts (kernel.bpf_stats_enabled), and one read
 * falls inside the run time it reports: tens of nanoseconds on a VM whose clock is dear, a sizeable
 * part of a short program's figure. Measured here as the run time reported for bh_bench_nop (in
 * bench_producer.bpf.o), which does nothing, run with BPF_PROG_TEST_RUN while the kernel counts for
 * this process (BPF_ENABLE_STATS: whatever the sysctl says, and only until the measurement ends).
 */
public final class StatisticsClock {
    static final String PROGRAM = "bh_bench_nop";
    private static final int BPF_STATS_RUN_TIME = 0;

    private StatisticsClock() {
    }

    /**
     * Nanoseconds per run the kernel reports for a program that does nothing, over {@code runs} runs.
     *
     * @throws BpfException when the program cannot be loaded or run, or the kernel cannot count
     */
    public static double nanosPerRun(int runs) throws BpfException {
        if (runs <= 0) {
            throw new IllegalArgumentException("runs " + runs + " is not positive");
        }
        LibBpf bpf = Libs.bpf();
        BpfObject object = BpfObject.open(BenchProducer.readObject(), "bh_bench");
        int statsFd = -1;
        try {
            object.load();
            int programFd = object.programFd(PROGRAM);
            statsFd = bpf.bpf_enable_stats(BPF_STATS_RUN_TIME);
            if (statsFd < 0) {
                throw new BpfException("the kernel cannot count run times (BPF_ENABLE_STATS needs 5.8): "
                        + Libs.errnoText(-statsFd), -statsFd, "");
            }
            ProgramStats before = ProgramStats.read(PROGRAM, programFd);
            Pointer opts = new TestRunOptions().plain(); // no context: the program takes none
            for (int i = 0; i < runs; i++) {
                int rc = bpf.bpf_prog_test_run_opts(programFd, opts);
                if (rc < 0) {
                    throw new BpfException("running " + PROGRAM + " failed: " + Libs.errnoText(-rc), -rc, "");
                }
            }
            ProgramStats after = ProgramStats.read(PROGRAM, programFd);
            long counted = after == null ? 0 : after.runCount() - before.runCount();
            if (counted <= 0) {
                throw new BpfException("the kernel counted no run of " + PROGRAM + " (a kernel before 5.1 keeps no"
                        + " run times)");
            }
            return (after.runTimeNs() - before.runTimeNs()) / (double) counted;
        } finally {
            if (statsFd >= 0) {
                Libs.c().close(statsFd);
            }
            object.close();
        }
    }
}
