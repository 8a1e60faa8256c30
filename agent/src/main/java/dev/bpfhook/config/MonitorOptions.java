package dev.bpfhook.config;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;

/** Parses the standalone monitor's command line into a {@link MonitorConfig}. */
public final class MonitorOptions {
    public static final String USAGE = String.join("\n",
            "Usage: java -jar bpfhook-agent.jar [options]",
            "Watches TCP and UDP connections with eBPF and prints a CONNECTION METRICS REPORT.",
            "",
            "  -c, --cgroup PATH            cgroup v2 directory to watch (default: the cgroup v2 root = whole host)",
            "  -m, --metrics-interval SEC   seconds between reports (default: 5)",
            "  -s, --show-containers        also report each cgroup (container) on its own",
            "  -e, --show-events            print one line per connection event as it happens",
            "      --duration SEC           run SEC seconds, print a final report, exit 0 (default: until Ctrl-C)",
            "      --json                   events and reports as one JSON object per line",
            "      --ring-size SIZE         ring-buffer size, a power of two: 64K to 512M (default: 4M)",
            "      --jfr FILE               also record the session's events with Flight Recorder into FILE",
            "      --top N                  list the N busiest destinations per direction in each report: connects,",
            "                               failures by reason, connect latency p50/p99, lifetime, new per minute,",
            "                               a CHURN flag; the rest as 'other' (N: 1 to " + MonitorConfig.MAX_TOP + ")",
            "      --btf FILE               the kernel's BTF from FILE, for kernels without /sys/kernel/btf/vmlinux",
            "      --verbose                on a load failure, print libbpf's log (the verifier's explanation)",
            "  -h, --help                   this text",
            "",
            "       java -jar bpfhook-agent.jar attach PID [OPTIONS]   load the agent into a running JVM (OPTIONS: as",
            "                                                          for -javaagent, key=value,...)",
            "       java -jar bpfhook-agent.jar detach PID             take it out again; the JVM runs on",
            "",
            "Needs root (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, CAP_SYS_ADMIN), a kernel with BTF, and libbpf.");

    private static final int MIN_RING = 64 << 10;
    private static final int MAX_RING = 512 << 20;
    private static final int MAX_SECONDS = 31 * 24 * 3600;

    private MonitorOptions() {
    }

    public static MonitorConfig parse(String... args) throws ConfigException {
        Path cgroup = null;
        int interval = MonitorConfig.DEFAULT_METRICS_INTERVAL_SEC;
        boolean showContainers = false;
        boolean showEvents = false;
        int duration = 0;
        boolean json = false;
        int ring = MonitorConfig.DEFAULT_RING_BYTES;
        boolean verbose = false;
        boolean help = false;
        Path jfr = null;
        int top = 0;
        Path btf = null;

        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String inline = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                inline = arg.substring(eq + 1);
                arg = arg.substring(0, eq);
            }
            switch (arg) {
                case "-c":
                case "--cgroup":
                    cgroup = path(arg, inline != null ? inlineValue(arg, inline) : value(args, i++, arg));
                    break;
                case "-m":
                case "--metrics-interval":
                    interval = seconds(arg, inline != null ? inlineValue(arg, inline) : value(args, i++, arg));
                    break;
                case "--duration":
                    duration = seconds(arg, inline != null ? inlineValue(arg, inline) : value(args, i++, arg));
                    break;
                case "--jfr":
                    jfr = jfrFile(inline != null ? inlineValue(arg, inline) : value(args, i++, arg));
                    break;
                case "--btf":
                    btf = btfFile(inline != null ? inlineValue(arg, inline) : value(args, i++, arg));
                    break;
                case "--top":
                    top = top(inline != null ? inlineValue(arg, inline) : value(args, i++, arg));
                    break;
                case "--ring-size":
                    ring = ringSize(inline != null ? inlineValue(arg, inline) : value(args, i++, arg));
                    break;
                case "-s":
                case "--show-containers":
                    showContainers = flag(arg, inline);
                    break;
                case "-e":
                case "--show-events":
                    showEvents = flag(arg, inline);
                    break;
                case "--json":
                    json = flag(arg, inline);
                    break;
                case "--verbose":
                    verbose = flag(arg, inline);
                    break;
                case "-h":
                case "--help":
                    help = flag(arg, inline);
                    break;
                default:
                    throw new ConfigException(arg.startsWith("-")
                            ? "unknown option '" + arg + "'; see --help for the options"
                            : "unexpected argument '" + arg + "'; options start with - (see --help)");
            }
        }
        return new MonitorConfig(cgroup, interval, showContainers, showEvents, duration, json, ring, verbose, help,
                jfr, btf, top);
    }

    private static String value(String[] args, int i, String option) throws ConfigException {
        if (i + 1 >= args.length || args[i + 1].isEmpty()) {
            throw new ConfigException("option " + option + " needs a value; see --help");
        }
        return args[i + 1];
    }

    private static String inlineValue(String option, String inline) throws ConfigException {
        if (inline.isEmpty()) {
            throw new ConfigException("option " + option + " needs a value; see --help");
        }
        return inline;
    }

    private static boolean flag(String option, String inline) throws ConfigException {
        if (inline != null) {
            throw new ConfigException("option " + option + " takes no value; write just " + option);
        }
        return true;
    }

    private static Path path(String option, String value) throws ConfigException {
        try {
            return Paths.get(value);
        } catch (RuntimeException e) {
            throw new ConfigException("option " + option + ": '" + value + "' is not a valid path");
        }
    }

    /** The recording is written at the end: a directory that does not exist should fail now, not then. */
    private static Path jfrFile(String value) throws ConfigException {
        Path file = path("--jfr", value).toAbsolutePath();
        if (java.nio.file.Files.isDirectory(file)) {
            throw new ConfigException("option --jfr: " + value + " is a directory; give a file, e.g. --jfr session.jfr");
        }
        Path dir = file.getParent();
        if (dir == null || !java.nio.file.Files.isDirectory(dir)) {
            throw new ConfigException("option --jfr: directory " + dir + " does not exist; create it or write the "
                    + "recording elsewhere");
        }
        return file;
    }

    /** Checked now, like the agent's btf option: a missing file is a mistake to report before loading anything. */
    private static Path btfFile(String value) throws ConfigException {
        Path file = path("--btf", value);
        String hint = "give the BTF file of this kernel, or leave --btf out to use /sys/kernel/btf/vmlinux";
        if (!java.nio.file.Files.exists(file)) {
            throw new ConfigException("option --btf: file '" + value + "' not found; " + hint);
        }
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new ConfigException("option --btf: '" + value + "' is not a regular file; " + hint);
        }
        return file;
    }

    private static int seconds(String option, String value) throws ConfigException {
        long n;
        try {
            n = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException("option " + option + ": '" + value + "' is not a number of seconds; "
                    + "write e.g. " + option + " 5");
        }
        if (n < 1 || n > MAX_SECONDS) {
            throw new ConfigException("option " + option + ": " + n + " is out of range; use 1 to " + MAX_SECONDS
                    + " seconds");
        }
        return (int) n;
    }

    private static int top(String value) throws ConfigException {
        long n;
        try {
            n = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException("option --top: '" + value + "' is not a number of destinations; write e.g. --top 10");
        }
        if (n < 1 || n > MonitorConfig.MAX_TOP) {
            throw new ConfigException("option --top: " + n + " is out of range; use 1 to " + MonitorConfig.MAX_TOP);
        }
        return (int) n;
    }

    /** "4M", "65536", "512k": bytes, a power of two within the kernel's and our mapping's limits. */
    static int ringSize(String value) throws ConfigException {
        String v = value.trim().toUpperCase(Locale.ROOT);
        long unit = 1;
        if (v.endsWith("K") || v.endsWith("M")) {
            unit = v.endsWith("K") ? 1L << 10 : 1L << 20;
            v = v.substring(0, v.length() - 1);
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(Long.parseLong(v), unit);
        } catch (ArithmeticException e) {
            bytes = Long.MAX_VALUE; // out of range below
        } catch (NumberFormatException e) {
            throw new ConfigException("option --ring-size: '" + value + "' is not a size; write e.g. 4M or 512K");
        }
        if (bytes < MIN_RING || bytes > MAX_RING || Long.bitCount(bytes) != 1) {
            throw new ConfigException("option --ring-size: " + value + " must be a power of two from 64K to 512M, "
                    + "e.g. 4M");
        }
        return (int) bytes;
    }
}
