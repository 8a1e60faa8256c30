package dev.bpfhook.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The Java agent's options ({@code -javaagent:bpfhook-agent.jar=OPTIONS}), parsed and validated by
 * {@link AgentOptions}; everything past the parser trusts it. Immutable.
 */
public final class AgentConfig {
    public static final int DEFAULT_RING_BYTES = 2 << 20;
    public static final int DEFAULT_CONNECTIONS = 65536;
    public static final int DEFAULT_CGROUPS = 4096;
    public static final int DEFAULT_REPORT_INTERVAL_SEC = 60;

    /** Which connections to watch. */
    public enum Scope {
        /** This JVM's own cgroup; the caller resolves it (the parser does not look). */
        SELF,
        /** The root of the cgroup v2 hierarchy: the whole host. */
        HOST,
        /** The cgroup v2 directory {@link AgentConfig#scopeCgroup()}, and the cgroups below it. */
        CGROUP
    }

    /** Where the JSON-lines reports go. */
    public enum Report {
        OFF,
        STDERR,
        /** The file {@link AgentConfig#reportFile()}. */
        FILE
    }

    /** What the agent says on stderr: each level includes the ones before it. */
    public enum LogLevel {
        OFF, ERROR, WARN, INFO, DEBUG;

        /** Whether a message of {@code level} is printed when this is the configured level. */
        public boolean allows(LogLevel level) {
            return level != OFF && level.compareTo(this) <= 0;
        }
    }

    /** states=lifecycle: every connection, about half the events and kernel time of states=all. */
    public static final boolean DEFAULT_ALL_STATES = false;

    private static final AgentConfig DEFAULTS = new AgentConfig(Scope.SELF, null, DEFAULT_RING_BYTES,
            DEFAULT_CONNECTIONS, DEFAULT_CGROUPS, DEFAULT_ALL_STATES, null, true, Endpoint.of("127.0.0.1", 8778), null, Report.OFF, null,
            DEFAULT_REPORT_INTERVAL_SEC, false, LogLevel.WARN, null, JmxConfig.DEFAULTS, BridgeConfig.DEFAULTS);

    private final Scope scope;
    private final Path scopeCgroup;
    private final int ringBytes;
    private final int connections;
    private final int cgroups;
    private final boolean allStates;
    private final Path btfFile;
    private final boolean jfr;
    private final Endpoint jolokia;
    private final Endpoint prometheus;
    private final Report report;
    private final Path reportFile;
    private final int reportIntervalSec;
    private final boolean events;
    private final LogLevel log;
    private final Path configFile;
    private final JmxConfig jmx;
    private final BridgeConfig bridges;

    AgentConfig(Scope scope, Path scopeCgroup, int ringBytes, int connections, int cgroups, boolean allStates,
            Path btfFile, boolean jfr, Endpoint jolokia, Endpoint prometheus, Report report, Path reportFile,
            int reportIntervalSec, boolean events, LogLevel log, Path configFile, JmxConfig jmx,
            BridgeConfig bridges) {
        if ((scope == Scope.CGROUP) != (scopeCgroup != null) || (report == Report.FILE) != (reportFile != null)) {
            throw new IllegalArgumentException("a cgroup path with scope CGROUP only, a file with report FILE only");
        }
        this.scope = Objects.requireNonNull(scope);
        this.scopeCgroup = scopeCgroup;
        this.ringBytes = ringBytes;
        this.connections = connections;
        this.cgroups = cgroups;
        this.allStates = allStates;
        this.btfFile = btfFile;
        this.jfr = jfr;
        this.jolokia = jolokia;
        this.prometheus = prometheus;
        this.report = Objects.requireNonNull(report);
        this.reportFile = reportFile;
        this.reportIntervalSec = reportIntervalSec;
        this.events = events;
        this.log = Objects.requireNonNull(log);
        this.configFile = configFile;
        this.jmx = Objects.requireNonNull(jmx);
        this.bridges = Objects.requireNonNull(bridges);
    }

    /** Credentials, policy, TLS and rules of the HTTP bridges. */
    public BridgeConfig bridges() {
        return bridges;
    }

    /**
     * Options given for an output that is off, which therefore do nothing, and endpoints that send their
     * credentials in clear text: one warning line each, naming the fix. Not refused, as a configuration may
     * keep an output's settings while the output is switched off, and a network may be trusted.
     */
    public List<String> idleOptionWarnings() {
        List<String> warnings = new ArrayList<>();
        if (report == Report.OFF && events) {
            warnings.add("events=on writes event lines into the report, but report=off; set report=FILE or "
                    + "report=stderr");
        }
        if (jolokia == null && (bridges.jolokiaUser().isPresent() || bridges.jolokiaPolicy().isPresent()
                || bridges.jolokiaKeystore().isPresent())) {
            warnings.add("jolokia.* options are set, but jolokia=off: they do nothing; set jolokia=PORT to serve "
                    + "Jolokia, or leave them out");
        }
        if (jolokia != null && bridges.jolokiaKeystorePassword().isPresent() && !bridges.jolokiaKeystore().isPresent()) {
            warnings.add("jolokia.tls.password is set without jolokia.tls.keystore, so Jolokia serves plain HTTP; "
                    + "set jolokia.tls.keystore=FILE for HTTPS");
        }
        if (jolokia != null && !jolokia.isLoopback() && bridges.jolokiaUser().isPresent()
                && !bridges.jolokiaKeystore().isPresent()) {
            warnings.add("jolokia on " + jolokia.host() + " sends its credentials and answers in clear text; set "
                    + "jolokia.tls.keystore=FILE for HTTPS, or bind to 127.0.0.1");
        }
        if (prometheus != null && bridges.prometheusKeystorePassword().isPresent()
                && !bridges.prometheusKeystore().isPresent()) {
            warnings.add("prometheus.tls.password is set without prometheus.tls.keystore, so /metrics is served over "
                    + "plain HTTP; set prometheus.tls.keystore=FILE for HTTPS");
        }
        if (prometheus != null && !prometheus.isLoopback() && bridges.prometheusUser().isPresent()
                && !bridges.prometheusKeystore().isPresent()) {
            warnings.add("prometheus on " + prometheus.host() + " sends its credentials and metrics in clear text; "
                    + "set prometheus.tls.keystore=FILE for HTTPS, or bind to 127.0.0.1");
        }
        if (prometheus == null && (bridges.prometheusUser().isPresent() || bridges.prometheusRules().isPresent()
                || bridges.prometheusKeystore().isPresent())) {
            warnings.add("prometheus.* options are set, but prometheus is off (its default): they do nothing; set "
                    + "prometheus=PORT to serve /metrics, or leave them out");
        }
        return warnings;
    }

    /** Every option at its default: what an agent started without options (or with an empty string) runs with. */
    public static AgentConfig defaults() {
        return DEFAULTS;
    }

    public Scope scope() {
        return scope;
    }

    /** The cgroup v2 directory to watch, as given (absolute, not checked): present exactly when scope is CGROUP. */
    public Optional<Path> scopeCgroup() {
        return Optional.ofNullable(scopeCgroup);
    }

    /** Ring-buffer bytes: a power of two from 64K to 512M. */
    public int ringBytes() {
        return ringBytes;
    }

    /** Connections tracked at once, in the kernel's table and in the Java table. */
    public int connections() {
        return connections;
    }

    /** Cgroups with their own counters. */
    public int cgroups() {
        return cgroups;
    }

    /** An event per TCP state transition; false: only transitions to ESTABLISHED and CLOSE. */
    public boolean allStates() {
        return allStates;
    }

    /**
     * The kernel's BTF from this file instead of /sys/kernel/btf/vmlinux, for CO-RE on kernels that do not
     * publish their own (checked to exist when parsed); empty: the kernel's.
     */
    public Optional<Path> btfFile() {
        return Optional.ofNullable(btfFile);
    }

    /** Flight Recorder events, recorded when a recording enables them. */
    public boolean jfr() {
        return jfr;
    }

    /** The Jolokia HTTP endpoint to serve; empty: off. */
    public Optional<Endpoint> jolokia() {
        return Optional.ofNullable(jolokia);
    }

    /** The Prometheus /metrics endpoint to serve; empty: off. */
    public Optional<Endpoint> prometheus() {
        return Optional.ofNullable(prometheus);
    }

    public Report report() {
        return report;
    }

    /** The JSON-lines report file, as given (may be relative to the working directory): present exactly when report is FILE. */
    public Optional<Path> reportFile() {
        return Optional.ofNullable(reportFile);
    }

    public int reportIntervalSec() {
        return reportIntervalSec;
    }

    /** Also write one JSON line per connection event to the report. */
    public boolean events() {
        return events;
    }

    public LogLevel log() {
        return log;
    }

    /** MBeans, notifications and their bounds. */
    public JmxConfig jmx() {
        return jmx;
    }

    /** The properties file the options were read from too, as given; empty when there was none. */
    public Optional<Path> configFile() {
        return Optional.ofNullable(configFile);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof AgentConfig)) {
            return false;
        }
        AgentConfig c = (AgentConfig) o;
        return scope == c.scope && Objects.equals(scopeCgroup, c.scopeCgroup) && ringBytes == c.ringBytes
                && connections == c.connections && cgroups == c.cgroups && allStates == c.allStates
                && Objects.equals(btfFile, c.btfFile) && jfr == c.jfr
                && Objects.equals(jolokia, c.jolokia) && Objects.equals(prometheus, c.prometheus)
                && report == c.report && Objects.equals(reportFile, c.reportFile)
                && reportIntervalSec == c.reportIntervalSec && events == c.events && log == c.log
                && Objects.equals(configFile, c.configFile) && jmx.equals(c.jmx)
                && bridges.equals(c.bridges);
    }

    @Override
    public int hashCode() {
        return Objects.hash(scope, scopeCgroup, ringBytes, connections, cgroups, allStates, btfFile, jfr, jolokia,
                prometheus,
                report, reportFile, reportIntervalSec, events, log, configFile, jmx, bridges);
    }

    /**
     * The effective options in agent-argument form, e.g. {@code scope=self,ring=2M,...} (without {@code config}),
     * for a log line. It parses back to an equal config unless a path contains a comma.
     */
    @Override
    public String toString() {
        return "scope=" + (scope == Scope.CGROUP ? scopeCgroup.toString() : lower(scope))
                + ",ring=" + size(ringBytes)
                + ",connections=" + connections
                + ",cgroups=" + cgroups
                + ",states=" + (allStates ? "all" : "lifecycle")
                + (btfFile == null ? "" : ",btf=" + btfFile)
                + ",jfr=" + onOff(jfr)
                + ",jolokia=" + (jolokia == null ? "off" : jolokia.toString())
                + ",prometheus=" + (prometheus == null ? "off" : prometheus.toString())
                + ",report=" + (report == Report.FILE ? reportFile.toString() : lower(report))
                + ",report.interval=" + reportIntervalSec
                + ",events=" + onOff(events)
                + "," + jmx
                + (bridges.toString().isEmpty() ? "" : "," + bridges)
                + ",log=" + lower(log);
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    private static String onOff(boolean b) {
        return b ? "on" : "off";
    }

    private static String size(int bytes) {
        if (bytes % (1 << 20) == 0) {
            return (bytes >> 20) + "M";
        }
        return bytes % (1 << 10) == 0 ? (bytes >> 10) + "K" : Integer.toString(bytes);
    }
}
