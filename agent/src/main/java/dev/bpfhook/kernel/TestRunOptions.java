package dev.bpfhook.kernel;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * struct bpf_test_run_opts (libbpf 1.x, bpf/bpf.h), for running a program with BPF_PROG_TEST_RUN:
 * size_t sz; data_in, data_out (pointers); u32 data_size_in, data_size_out; ctx_in, ctx_out (pointers);
 * u32 ctx_size_in, ctx_size_out, retval; int repeat; u32 duration, flags, cpu, batch_size. Reused from run
 * to run by one thread at a time.
 */
final class TestRunOptions {
    static final int SIZE = 80;
    private static final int CTX_IN = 32;
    private static final int CTX_SIZE_IN = 48;
    private static final int RETVAL = 56;
    private static final int FLAGS = 68;
    private static final int CPU = 72;
    private static final int BPF_F_TEST_RUN_ON_CPU = 1;

    private final Memory opts = new Memory(SIZE);

    /** Options for a run with nothing set: no context, on the caller's CPU. */
    Pointer plain() {
        opts.clear();
        opts.setLong(0, SIZE);
        return opts;
    }

    /**
     * Options for a run with {@code context} as the program's context (a syscall program takes only that,
     * and the kernel copies it back after the run).
     */
    Pointer withContext(Memory context) {
        plain();
        opts.setPointer(CTX_IN, context);
        opts.setInt(CTX_SIZE_IN, (int) context.size());
        return opts;
    }

    /** Options for a run on {@code cpu} (raw tracepoint programs, 5.10+). */
    Pointer onCpu(int cpu) {
        plain();
        opts.setInt(FLAGS, BPF_F_TEST_RUN_ON_CPU);
        opts.setInt(CPU, cpu);
        return opts;
    }

    /** What the program returned in the last run. */
    int returnValue() {
        return opts.getInt(RETVAL);
    }
}
