package dev.bpfhook.config;

import java.nio.file.Path;
import java.util.Optional;

/** The standalone monitor's options, parsed and validated; everything past the parser trusts it. */
public final class MonitorConfig {
    public static final int DEFAULT_METRICS_INTERVAL_SEC = 5;
    public static final int DEFAULT_RING_BYTES = 4 << 20;
    public static final int DEFAULT_RECENT = 5;
    public static final int DEFAULT_CONNECTION_TABLE = 65536;
    /** --top: beyond this a report is no longer a summary. */
    public static final int MAX_TOP = 1000;

    private final Path cgroup;
    private final int metricsIntervalSec;
    private final boolean showContainers;
    private final boolean showEvents;
    private final int durationSec;
    private final boolean json;
    private final int ringBytes;
    private final boolean verbose;
    private final boolean help;
    private final Path jfrFile;
    private final Path btfFile;
    private final int top;

    MonitorConfig(Path cgroup, int metricsIntervalSec, boolean showContainers, boolean showEvents, int durationSec,
            boolean json, int ringBytes, boolean verbose, boolean help, Path jfrFile, Path btfFile,
            int top) {
        this.cgroup = cgroup;
        this.metricsIntervalSec = metricsIntervalSec;
        this.showContainers = showContainers;
        this.showEvents = showEvents;
        this.durationSec = durationSec;
        this.json = json;
        this.ringBytes = ringBytes;
        this.verbose = verbose;
        this.help = help;
        this.jfrFile = jfrFile;
        this.btfFile = btfFile;
        this.top = top;
    }

    /** --top N: destinations listed per direction in each report; 0 lists none. */
    public int top() {
        return top;
    }

    /** The kernel's BTF from this file (--btf) instead of /sys/kernel/btf/vmlinux; checked to exist. */
    public Optional<Path> btfFile() {
        return Optional.ofNullable(btfFile);
    }

    /** Where to write a Flight Recorder recording of the session (--jfr), if anywhere. */
    public Optional<Path> jfrFile() {
        return Optional.ofNullable(jfrFile);
    }

    /** The cgroup to watch; empty means the cgroup v2 root, i.e. the whole host. */
    public Optional<Path> cgroup() {
        return Optional.ofNullable(cgroup);
    }

    public int metricsIntervalSec() {
        return metricsIntervalSec;
    }

    public boolean showContainers() {
        return showContainers;
    }

    public boolean showEvents() {
        return showEvents;
    }

    /** Seconds to run before the final report; 0 runs until interrupted. */
    public int durationSec() {
        return durationSec;
    }

    public boolean json() {
        return json;
    }

    public int ringBytes() {
        return ringBytes;
    }

    public boolean verbose() {
        return verbose;
    }

    public boolean help() {
        return help;
    }
}
