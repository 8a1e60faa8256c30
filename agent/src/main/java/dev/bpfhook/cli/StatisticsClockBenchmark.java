package dev.bpfhook.cli;

import dev.bpfhook.kernel.BpfException;
import dev.bpfhook.kernel.Capabilities;
import dev.bpfhook.kernel.StatisticsClock;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code java -jar bpfhook-agent.jar bench-clock [--runs N]}: what the kernel's run-time statistics
 * add to each run they measure on this machine ({@link StatisticsClock}), so that the BPF run times
 * the benchmarks read from them can be told apart from it. Prints one line:
 * {@code stats_clock_ns_per_run=N.N runs=N}.
 */
public final class StatisticsClockBenchmark {
    static final String USAGE = "usage: java -jar bpfhook-agent.jar bench-clock [--runs N]   (default 200000)\n";
    static final int OK = 0;
    static final int USER_ERROR = 2;
    private static final int DEFAULT_RUNS = 200_000;

    private StatisticsClockBenchmark() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        int runs = DEFAULT_RUNS;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("-h") || args[i].equals("--help")) {
                out.print(USAGE);
                return OK;
            } else if (args[i].equals("--runs")) {
                String value = i + 1 < args.length ? args[++i] : "";
                if (!value.matches("[1-9][0-9]{0,8}")) {
                    err.println("bench-clock: --runs needs a whole number from 1 to 999999999, got '" + value + "'");
                    return USER_ERROR;
                }
                runs = Integer.parseInt(value);
            } else {
                err.println("bench-clock: unknown option '" + args[i] + "'; " + USAGE.trim());
                return USER_ERROR;
            }
        }
        Optional<String> privileges = Capabilities.problem();
        if (privileges.isPresent()) {
            err.println("bench-clock: " + privileges.get());
            return USER_ERROR;
        }
        try {
            out.println(String.format(Locale.ROOT, "stats_clock_ns_per_run=%.1f runs=%d",
                    StatisticsClock.nanosPerRun(runs), runs));
            return OK;
        } catch (BpfException e) {
            err.println("bench-clock: " + e.getMessage());
            return USER_ERROR;
        }
    }
}
