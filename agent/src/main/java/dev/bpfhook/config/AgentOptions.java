package dev.bpfhook.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Parses the Java agent's options, {@code -javaagent:bpfhook-agent.jar=key=value,key=value}, and the properties
 * file that {@code config=FILE} names, into an {@link AgentConfig}. Precedence: defaults, then the file, then the
 * agent arguments.
 */
public final class AgentOptions {
    /** The option keys, in the order of {@link #TABLE}. */
    public static final List<String> KEYS = Collections.unmodifiableList(Arrays.asList("scope", "ring",
            "connections", "cgroups", "states", "btf", "jfr", "jolokia", "prometheus", "report", "report.interval",
            "events", "jmx", "jmx.notifications", "jmx.notifications.rate", "jmx.cgroups", "jolokia.user",
            "jolokia.password", "jolokia.policy", "jolokia.tls.keystore", "jolokia.tls.password", "prometheus.config",
            "prometheus.user", "prometheus.password", "prometheus.tls.keystore", "prometheus.tls.password", "log",
            "config"));


    static final long NOT_A_NUMBER = Long.MIN_VALUE;

    private static final int MIN_RING = 64 << 10;
    private static final int MAX_RING = 512 << 20;
    private static final int MAX_CONFIG_BYTES = 1 << 20;
    private static final int MAX_SHOWN = 80;
    private static final String KNOWN = String.join(", ", KEYS);
    private static final String PROPERTIES_FILE_HINT = "give the path of a properties file with the same keys";
    private static final String BTF_FILE_HINT = "give the BTF file of this kernel (a vmlinux with .BTF, or a raw "
            + "BTF file such as BTFHub's), or leave btf out to use /sys/kernel/btf/vmlinux";

    private AgentOptions() {
    }

    /**
     * @param agentArgs what follows {@code =} in {@code -javaagent:bpfhook-agent.jar=...}; null or blank for the
     *                  defaults
     * @throws ConfigException with a one-line message naming the option, the value and the fix
     */
    public static AgentConfig parse(String agentArgs) throws ConfigException {
        Map<String, String> args = split(agentArgs);
        Values values = new Values();
        Path configFile = null;
        String config = args.get("config");
        if (config != null) {
            if (config.isEmpty()) {
                throw new ConfigException(needsValue("config", ""));
            }
            configFile = path("config", "", config);
            String where = " in config file " + shown(config);
            Map<String, String> file = load(configFile, config, where);
            for (Map.Entry<String, String> e : file.entrySet()) {
                values.set(e.getKey(), trim(e.getValue()), where);
            }
        }
        for (Map.Entry<String, String> e : args.entrySet()) {
            if (!e.getKey().equals("config")) {
                values.set(e.getKey(), e.getValue(), "");
            }
        }
        return values.build(configFile);
    }

    /**
     * Whether the options, even ones {@link #parse} refuses for another reason, turn {@code key} off
     * ({@code key=off}, {@code false} or {@code no}): what an agent that cannot run must still honour.
     */
    public static boolean turnsOff(String agentArgs, String key) {
        if (agentArgs == null) {
            return false;
        }
        for (String segment : agentArgs.split(",", -1)) {
            int eq = segment.indexOf('=');
            if (eq > 0 && trim(segment.substring(0, eq)).equals(key)
                    && OFF_WORDS.contains(asciiLower(trim(segment.substring(eq + 1))))) {
                return true;
            }
        }
        return false;
    }

    /** What {@code on}/{@code off} options take for on, and for off (any case). */
    private static final Set<String> ON_WORDS = Set.of("on", "true", "yes");
    private static final Set<String> OFF_WORDS = Set.of("off", "false", "no");
    /** The values of {@code report} that are not a file (stdout is refused, with a hint). */
    private static final Set<String> REPORT_WORDS = Set.of("off", "stderr", "stdout");

    /** Options whose value is a file: relative to the working directory of the JVM that reads them. */
    private static final Set<String> FILE_KEYS = Set.of("config", "btf", "report",
            "jolokia.policy", "jolokia.tls.keystore", "prometheus.config", "prometheus.tls.keystore");

    /**
     * The same options with every relative file made absolute against {@code base}: for an attach, whose
     * options the target JVM reads in its own working directory, not the attaching command's.
     *
     * @throws ConfigException as {@link #parse}, for options it would refuse
     */
    public static String withAbsoluteFiles(String agentArgs, Path base) throws ConfigException {
        List<String> rewritten = new ArrayList<>();
        for (Map.Entry<String, String> e : split(agentArgs).entrySet()) {
            String key = e.getKey();
            String value = e.getValue();
            if (namesFile(key, value)) {
                try {
                    if (!Paths.get(value).isAbsolute()) {
                        value = base.resolve(value).normalize().toString();
                    }
                } catch (InvalidPathException invalid) {
                    // as given: the target refuses it with the same message parse gives
                }
            }
            rewritten.add(key + "=" + value);
        }
        return String.join(",", rewritten);
    }

    /** Whether the agent arguments name a file (a report file, a config file, a keystore, ...). */
    public static boolean namesFiles(String agentArgs) {
        try {
            for (Map.Entry<String, String> e : split(agentArgs).entrySet()) {
                if (namesFile(e.getKey(), e.getValue())) {
                    return true;
                }
            }
            return false;
        } catch (ConfigException e) {
            return false; // refused already by parse, which callers run first
        }
    }

    /** Whether this option's value is a file: a file option's, but for report's words (off, stderr). */
    private static boolean namesFile(String key, String value) {
        boolean reportKeyword = key.equals("report") && REPORT_WORDS.contains(asciiLower(value));
        return FILE_KEYS.contains(key) && !value.isEmpty() && !reportKeyword;
    }

    /** The agent arguments as key to trimmed value, in order; keys are known and given once. */
    private static Map<String, String> split(String agentArgs) throws ConfigException {
        Map<String, String> out = new LinkedHashMap<>();
        if (agentArgs == null) {
            return out;
        }
        for (String segment : agentArgs.split(",", -1)) {
            String s = trim(segment);
            if (s.isEmpty()) {
                continue;
            }
            int eq = s.indexOf('=');
            if (eq < 0) {
                throw new ConfigException(KEYS.contains(s) ? needsValue(s, "") : unknown(s));
            }
            String key = trim(s.substring(0, eq));
            String value = trim(s.substring(eq + 1));
            if (key.isEmpty()) {
                throw new ConfigException("agent option " + quoted(s) + " has no name before '='; options are "
                        + "key=value separated by commas");
            }
            if (!KEYS.contains(key)) {
                throw new ConfigException(unknown(key));
            }
            String before = out.put(key, value);
            if (before != null) {
                throw new ConfigException("agent option " + key + " given twice (" + quoted(before) + " and "
                        + quoted(value) + "); give each option once");
            }
        }
        return out;
    }

    private static String unknown(String key) {
        return "unknown agent option " + quoted(key) + " (known: " + KNOWN + "); options are key=value separated by "
                + "commas";
    }

    /** The properties in {@code file}, in file order; keys are known, not {@code config}, and given once. */
    private static Map<String, String> load(Path file, String shownPath, String where) throws ConfigException {
        String name = shown(shownPath);
        if (!Files.exists(file)) {
            throw new ConfigException("agent option config: file " + name + " not found; " + PROPERTIES_FILE_HINT);
        }
        if (Files.isDirectory(file)) {
            throw new ConfigException("agent option config: " + name + " is a directory; " + PROPERTIES_FILE_HINT);
        }
        if (!Files.isRegularFile(file)) { // a FIFO or a device would block or never end
            throw new ConfigException("agent option config: " + name + " is not a regular file; "
                    + PROPERTIES_FILE_HINT);
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_CONFIG_BYTES + 1);
        } catch (NoSuchFileException e) {
            throw new ConfigException("agent option config: file " + name + " not found; " + PROPERTIES_FILE_HINT);
        } catch (AccessDeniedException e) {
            throw new ConfigException("agent option config: cannot read file " + name + " (permission denied); "
                    + "make it readable by the JVM's user");
        } catch (IOException e) {
            String reason = e instanceof FileSystemException ? ((FileSystemException) e).getReason() : e.getMessage();
            throw new ConfigException("agent option config: cannot read file " + name
                    + (reason == null ? "" : " (" + shown(reason) + ")") + "; " + PROPERTIES_FILE_HINT);
        }
        if (bytes.length > MAX_CONFIG_BYTES) {
            throw new ConfigException("agent option config: file " + name + " is larger than 1M; "
                    + PROPERTIES_FILE_HINT);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ConfigException("agent option config: file " + name + " is not UTF-8 text; save it as UTF-8");
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        OrderedProperties properties = new OrderedProperties();
        try {
            properties.load(new StringReader(text));
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("agent option config: file " + name + " has a malformed \\uXXXX escape; "
                    + "write a backslash as \\\\");
        }
        for (String key : properties.entries.keySet()) {
            if (key.equals("config")) {
                throw new ConfigException("agent option config is not allowed" + where + "; give config=FILE only "
                        + "in the agent arguments");
            }
            if (!KEYS.contains(key)) {
                throw new ConfigException("unknown key " + quoted(key) + where + " (known: "
                        + KNOWN.replace(", config", "") + ")");
            }
        }
        if (properties.duplicate != null) {
            throw new ConfigException("agent option " + properties.duplicate + " given twice" + where
                    + "; give each option once");
        }
        return properties.entries;
    }

    /** Properties that keep the file's order and notice a key given twice. */
    private static final class OrderedProperties extends Properties {
        private static final long serialVersionUID = 1L;

        final transient Map<String, String> entries = new LinkedHashMap<>();
        transient String duplicate;

        @Override
        public synchronized Object put(Object key, Object value) {
            String k = String.valueOf(key);
            if (entries.put(k, String.valueOf(value)) != null && duplicate == null) {
                duplicate = k;
            }
            return super.put(key, value);
        }
    }

    /** The options being assembled: the defaults, overwritten by the file, then by the arguments. */
    private static final class Values {
        private AgentConfig.Scope scope = AgentConfig.Scope.SELF;
        private Path scopeCgroup;
        private int ringBytes = AgentConfig.DEFAULT_RING_BYTES;
        private int connections = AgentConfig.DEFAULT_CONNECTIONS;
        private int cgroups = AgentConfig.DEFAULT_CGROUPS;
        private boolean allStates = AgentConfig.DEFAULT_ALL_STATES;
        private Path btfFile;
        private boolean jfr = true;
        private Endpoint jolokia = Endpoint.of("127.0.0.1", 8778);
        private String jolokiaUser;
        private String jolokiaPassword;
        private Path jolokiaPolicy;
        private Path jolokiaKeystore;
        private String jolokiaKeystorePassword;
        private Path prometheusRules;
        private String prometheusUser;
        private String prometheusPassword;
        private Path prometheusKeystore;
        private String prometheusKeystorePassword;
        private Endpoint prometheus;
        private AgentConfig.Report report = AgentConfig.Report.OFF;
        private Path reportFile;
        private int reportIntervalSec = AgentConfig.DEFAULT_REPORT_INTERVAL_SEC;
        private boolean events;
        private AgentConfig.LogLevel log = AgentConfig.LogLevel.WARN;
        private boolean jmx = true;
        private boolean jmxNotifications;
        private int jmxNotificationRate = JmxConfig.DEFAULT_NOTIFICATION_RATE;
        private int jmxCgroups = JmxConfig.DEFAULT_CGROUP_MBEANS;

        /** @param where "" for an agent argument, or " in config file F" */
        void set(String key, String value, String where) throws ConfigException {
            if (value.isEmpty()) {
                throw new ConfigException(needsValue(key, where));
            }
            String word = asciiLower(value);
            String prefix = "agent option " + key + where + ": ";
            switch (key) {
                case "scope":
                    if (word.equals("self") || word.equals("host")) {
                        scope = word.equals("self") ? AgentConfig.Scope.SELF : AgentConfig.Scope.HOST;
                        scopeCgroup = null;
                    } else if (value.startsWith("/")) {
                        scope = AgentConfig.Scope.CGROUP;
                        scopeCgroup = path(key, where, value);
                    } else {
                        throw new ConfigException(prefix + quoted(value) + " must be self, host or an absolute "
                                + "cgroup path like /sys/fs/cgroup/my.slice");
                    }
                    break;
                case "ring":
                    ringBytes = ringSize(prefix, value);
                    break;
                case "connections":
                    connections = integer(prefix, key, value, 1024, 16777216, "65536");
                    break;
                case "cgroups":
                    cgroups = integer(prefix, key, value, 16, 1048576, "4096");
                    break;
                case "states":
                    if (!word.equals("all") && !word.equals("lifecycle")) {
                        throw new ConfigException(prefix + quoted(value) + " must be all (an event per TCP state "
                                + "transition) or lifecycle (only to ESTABLISHED and CLOSE)");
                    }
                    allStates = word.equals("all");
                    break;
                case "btf":
                    btfFile = btfFile(prefix, path(key, where, value), value);
                    break;
                case "jfr":
                    jfr = bool(prefix, value);
                    break;
                case "jolokia":
                    jolokia = endpoint(prefix, value, "8778");
                    break;
                case "prometheus":
                    prometheus = endpoint(prefix, value, "9404");
                    break;
                case "report":
                    if (word.equals("off") || word.equals("stderr")) {
                        report = word.equals("off") ? AgentConfig.Report.OFF : AgentConfig.Report.STDERR;
                        reportFile = null;
                    } else if (word.equals("stdout")) {
                        throw new ConfigException(prefix + quoted(value) + " is not offered: stdout belongs to the "
                                + "application; write stderr, or ./stdout for a file of that name");
                    } else if (value.endsWith("/")) {
                        throw new ConfigException(prefix + quoted(value) + " is a directory; give a file path, "
                                + "e.g. /var/log/bpfhook.jsonl");
                    } else {
                        report = AgentConfig.Report.FILE;
                        reportFile = path(key, where, value);
                    }
                    break;
                case "report.interval":
                    reportIntervalSec = integer(prefix, key, value, 1, 86400, "60");
                    break;
                case "events":
                    events = bool(prefix, value);
                    break;
                case "log":
                    log = logLevel(prefix, word, value);
                    break;
                case "jmx":
                    jmx = bool(prefix, value);
                    break;
                case "jmx.notifications":
                    jmxNotifications = bool(prefix, value);
                    break;
                case "jmx.notifications.rate":
                    jmxNotificationRate = integer(prefix, key, value, 1, 100000, "100");
                    break;
                case "jolokia.user":
                    jolokiaUser = value;
                    break;
                case "jolokia.password":
                    jolokiaPassword = value;
                    break;
                case "jolokia.policy":
                    jolokiaPolicy = path(key, where, value);
                    break;
                case "jolokia.tls.keystore":
                    jolokiaKeystore = path(key, where, value);
                    break;
                case "jolokia.tls.password":
                    jolokiaKeystorePassword = value;
                    break;
                case "prometheus.config":
                    prometheusRules = path(key, where, value);
                    break;
                case "prometheus.user":
                    prometheusUser = value;
                    break;
                case "prometheus.password":
                    prometheusPassword = value;
                    break;
                case "prometheus.tls.keystore":
                    prometheusKeystore = path(key, where, value);
                    break;
                case "prometheus.tls.password":
                    prometheusKeystorePassword = value;
                    break;
                case "jmx.cgroups":
                    jmxCgroups = integer(prefix, key, value, 1, 100000, "256");
                    break;
                default:
                    throw new ConfigException(unknown(key)); // the callers check keys first
            }
        }

        AgentConfig build(Path configFile) throws ConfigException {
            if ((jolokiaUser == null) != (jolokiaPassword == null)) {
                throw new ConfigException("agent options jolokia.user and jolokia.password go together: give both "
                        + "(basic authentication) or neither");
            }
            if ((prometheusUser == null) != (prometheusPassword == null)) {
                throw new ConfigException("agent options prometheus.user and prometheus.password go together: give "
                        + "both (basic authentication) or neither");
            }
            return new AgentConfig(scope, scopeCgroup, ringBytes, connections, cgroups, allStates, btfFile, jfr,
                    jolokia, prometheus, report, reportFile, reportIntervalSec, events, log, configFile,
                    new JmxConfig(jmx, jmxNotifications, jmxNotificationRate, jmxCgroups),
                    new BridgeConfig(jolokiaUser, jolokiaPassword, jolokiaPolicy, jolokiaKeystore,
                            jolokiaKeystorePassword, prometheusRules, prometheusUser, prometheusPassword,
                            prometheusKeystore, prometheusKeystorePassword));
        }
    }

    private static String needsValue(String key, String where) {
        return "agent option " + key + where + " needs a value; write e.g. " + key + "=" + example(key);
    }

    private static String example(String key) {
        switch (key) {
            case "scope":
                return "self";
            case "ring":
                return "2M";
            case "connections":
                return "65536";
            case "cgroups":
                return "4096";
            case "states":
                return "lifecycle";
            case "jolokia":
                return "8778";
            case "prometheus":
                return "9404";
            case "report":
                return "stderr";
            case "report.interval":
                return "60";
            case "jmx.notifications.rate":
                return "100";
            case "jmx.cgroups":
                return "256";
            case "log":
                return "info";
            case "config":
                return "bpfhook.properties";
            case "btf":
                return "/path/to/vmlinux.btf";
            case "jolokia.user":
            case "prometheus.user":
                return "ops";
            case "jolokia.password":
            case "prometheus.password":
            case "jolokia.tls.password":
            case "prometheus.tls.password":
                return "SECRET";
            case "jolokia.policy":
                return "/etc/bpfhook/jolokia-access.xml";
            case "jolokia.tls.keystore":
            case "prometheus.tls.keystore":
                return "/etc/bpfhook/tls.p12";
            case "prometheus.config":
                return "/etc/bpfhook/exporter.yaml";
            default: // the on/off options
                return "on";
        }
    }

    private static AgentConfig.LogLevel logLevel(String prefix, String word, String value) throws ConfigException {
        for (AgentConfig.LogLevel level : AgentConfig.LogLevel.values()) {
            if (word.equals(asciiLower(level.name()))) {
                return level;
            }
        }
        throw new ConfigException(prefix + quoted(value) + " must be off, error, warn, info or debug");
    }

    private static boolean bool(String prefix, String value) throws ConfigException {
        String word = asciiLower(value);
        if (ON_WORDS.contains(word) || OFF_WORDS.contains(word)) {
            return ON_WORDS.contains(word);
        }
        throw new ConfigException(prefix + quoted(value) + " must be on or off (or true/false, yes/no)");
    }

    private static int integer(String prefix, String key, String value, int min, int max, String example)
            throws ConfigException {
        long n = asciiLong(value);
        if (n == NOT_A_NUMBER) {
            throw new ConfigException(prefix + quoted(value) + " is not a whole number; write e.g. " + key + "="
                    + example);
        }
        if (n < min || n > max) {
            throw new ConfigException(prefix + shown(value) + " out of range " + min + "-" + max);
        }
        return (int) n;
    }

    /** "2M", "65536", "512k": bytes, a power of two within the kernel's and our mapping's limits. */
    private static int ringSize(String prefix, String value) throws ConfigException {
        String digits = value;
        long unit = 1;
        char last = value.charAt(value.length() - 1);
        if (last == 'K' || last == 'k' || last == 'M' || last == 'm') {
            unit = last == 'K' || last == 'k' ? 1L << 10 : 1L << 20;
            digits = value.substring(0, value.length() - 1);
        }
        long n = asciiLong(digits);
        if (n == NOT_A_NUMBER) {
            throw new ConfigException(prefix + quoted(value) + " is not a size; write e.g. ring=2M or ring=512K");
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(n, unit);
        } catch (ArithmeticException e) {
            bytes = Long.MAX_VALUE; // out of range below
        }
        if (bytes < MIN_RING || bytes > MAX_RING || Long.bitCount(bytes) != 1) {
            throw new ConfigException(prefix + quoted(value) + " must be a power of two from 64K to 512M, e.g. 2M");
        }
        return (int) bytes;
    }

    private static Endpoint endpoint(String prefix, String value, String examplePort) throws ConfigException {
        if (asciiLower(value).equals("off")) {
            return null;
        }
        if (value.indexOf(':') < 0 && value.indexOf('[') < 0 && asciiLong(value) == NOT_A_NUMBER) {
            throw new ConfigException(prefix + quoted(value) + " must be off or [host:]port, e.g. " + examplePort
                    + " or 127.0.0.1:" + examplePort);
        }
        try {
            return Endpoint.parse(value);
        } catch (ConfigException e) {
            throw new ConfigException(prefix + e.getMessage());
        }
    }

    /**
     * The file must be there now: a path that does not exist fails here, in one line, instead of as a libbpf error
     * on the loader thread. Whether it holds BTF is libbpf's to say, at load.
     */
    private static Path btfFile(String prefix, Path file, String value) throws ConfigException {
        if (!Files.exists(file)) {
            throw new ConfigException(prefix + "file " + quoted(value) + " not found; " + BTF_FILE_HINT);
        }
        if (Files.isDirectory(file)) {
            throw new ConfigException(prefix + quoted(value) + " is a directory; " + BTF_FILE_HINT);
        }
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(prefix + quoted(value) + " is not a regular file; " + BTF_FILE_HINT);
        }
        if (!Files.isReadable(file)) {
            throw new ConfigException(prefix + "cannot read file " + quoted(value) + " (permission denied); make it "
                    + "readable by the JVM's user");
        }
        return file;
    }

    private static Path path(String key, String where, String value) throws ConfigException {
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                throw new ConfigException("agent option " + key + where + ": " + quoted(value) + " contains a "
                        + "control character; give a plain path");
            }
        }
        try {
            return Paths.get(value);
        } catch (InvalidPathException e) {
            throw new ConfigException("agent option " + key + where + ": " + quoted(value) + " is not a valid path");
        }
    }

    /**
     * An optional '-' and ASCII digits (no '+', no other scripts' digits), saturated at the long range;
     * {@link #NOT_A_NUMBER} for anything else.
     */
    static long asciiLong(String s) {
        boolean negative = s.startsWith("-");
        int start = negative ? 1 : 0;
        if (s.length() == start) {
            return NOT_A_NUMBER;
        }
        long n = 0;
        for (int i = start; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return NOT_A_NUMBER;
            }
            if (n <= (Long.MAX_VALUE - 9) / 10) {
                n = n * 10 + (c - '0');
            } else {
                n = Long.MAX_VALUE; // too big for anything here; keep checking the digits
            }
        }
        return negative ? -n : n;
    }

    private static boolean unpairedSurrogate(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
        }
        return Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
    }

    /** A-Z to a-z and nothing else: no other script's letter may turn into a keyword. */
    private static String asciiLower(String s) {
        char[] chars = s.toCharArray();
        for (int i = 0; i < chars.length; i++) {
            if (chars[i] >= 'A' && chars[i] <= 'Z') {
                chars[i] = (char) (chars[i] + ('a' - 'A'));
            }
        }
        return new String(chars);
    }

    /** Space, tab, CR, LF and form feed off both ends; other characters are the user's and stay. */
    private static String trim(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isSpace(s.charAt(start))) {
            start++;
        }
        while (end > start && isSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(start, end);
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
    }

    private static String quoted(String value) {
        return "'" + shown(value) + "'";
    }

    /**
     * A user's text fit for a one-line message: control characters, line separators and unpaired surrogates
     * written as Java escapes, text longer than 80 characters cut to 77 and "...".
     */
    static String shown(String value) {
        StringBuilder out = new StringBuilder();
        int cut = value.length() > MAX_SHOWN ? MAX_SHOWN - 3 : value.length();
        if (cut < value.length() && Character.isHighSurrogate(value.charAt(cut - 1))) {
            cut--;
        }
        for (int i = 0; i < cut; i++) {
            char c = value.charAt(i);
            if (c == '\n') {
                out.append("\\n");
            } else if (c == '\r') {
                out.append("\\r");
            } else if (c == '\t') {
                out.append("\\t");
            } else if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || unpairedSurrogate(value, i)) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return cut < value.length() ? out.append("...").toString() : out.toString();
    }
}
