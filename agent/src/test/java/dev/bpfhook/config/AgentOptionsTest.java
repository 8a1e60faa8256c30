package dev.bpfhook.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.config.AgentConfig.LogLevel;
import dev.bpfhook.config.AgentConfig.Report;
import dev.bpfhook.config.AgentConfig.Scope;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.nio.file.Paths;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AgentOptionsTest {
    private static final String KNOWN = "scope, ring, connections, cgroups, states, btf, jfr, jolokia, prometheus, "
            + "report, report.interval, events, jmx, jmx.notifications, jmx.notifications.rate, jmx.cgroups, "
            + "jolokia.user, jolokia.password, jolokia.policy, jolokia.tls.keystore, jolokia.tls.password, "
            + "prometheus.config, prometheus.user, prometheus.password, prometheus.tls.keystore, "
            + "prometheus.tls.password, log, config";
    private static final String KNOWN_IN_FILE = KNOWN.replace(", config", "");
    private static final String BTF_HINT = "give the BTF file of this kernel (a vmlinux with .BTF, or a raw BTF "
            + "file such as BTFHub's), or leave btf out to use /sys/kernel/btf/vmlinux";
    private static final String CGROUP = "/sys/fs/cgroup/my.slice/app.scope"; // an argument, never opened

    @TempDir
    Path dir;

    // ---- defaults and valid forms ----

    /** Options of an output that is off do nothing: the agent says so, one line each, with the fix. */
    @Test
    void optionsOfAnOutputThatIsOffAreNamed() throws Exception {
        assertEquals(List.of(), AgentOptions.parse("").idleOptionWarnings());
        assertEquals(List.of(), AgentOptions.parse("prometheus=9404,prometheus.user=u,prometheus.password=p,"
                + "jolokia.user=u,jolokia.password=p").idleOptionWarnings());
        List<String> warnings = AgentOptions.parse("jolokia=off,jolokia.user=u,jolokia.password=p,"
                + "prometheus.user=u,prometheus.password=p,report=off,events=on").idleOptionWarnings();
        assertEquals(3, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("events=on writes event lines into the report, but report=off"));
        assertTrue(warnings.get(1).startsWith("jolokia.* options are set, but jolokia=off"));
        assertTrue(warnings.get(2).startsWith("prometheus.* options are set, but prometheus is off"));
        assertEquals(List.of("jolokia.tls.password is set without jolokia.tls.keystore, so Jolokia serves plain "
                + "HTTP; set jolokia.tls.keystore=FILE for HTTPS"),
                AgentOptions.parse("jolokia.tls.password=x").idleOptionWarnings());
        List<String> clear = AgentOptions.parse("jolokia=0.0.0.0:8778,jolokia.user=u,jolokia.password=p,"
                + "prometheus=0.0.0.0:9404,prometheus.user=u,prometheus.password=p").idleOptionWarnings();
        assertEquals(2, clear.size(), clear.toString());
        assertTrue(clear.get(0).startsWith("jolokia on 0.0.0.0 sends its credentials and answers in clear text"));
        assertTrue(clear.get(1).startsWith("prometheus on 0.0.0.0 sends its credentials and metrics in clear text"));
        assertEquals(List.of(), AgentOptions.parse("prometheus=0.0.0.0:9404,prometheus.user=u,prometheus.password=p,"
                + "prometheus.tls.keystore=/k.p12,prometheus.tls.password=x").idleOptionWarnings(), "HTTPS: no warning");
        assertEquals(List.of("prometheus.tls.password is set without prometheus.tls.keystore, so /metrics is served "
                + "over plain HTTP; set prometheus.tls.keystore=FILE for HTTPS"),
                AgentOptions.parse("prometheus=9404,prometheus.tls.password=x").idleOptionWarnings());
        assertTrue(AgentOptions.parse("prometheus.tls.keystore=/k.p12").idleOptionWarnings().get(0)
                .startsWith("prometheus.* options are set, but prometheus is off"));
    }

    /** jmx=off holds even beside an option the agent refuses: a disabled agent then registers nothing. */
    @Test
    void jmxOffIsFoundEvenAmongRefusedOptions() {
        assertTrue(AgentOptions.turnsOff("ring=3M, jmx = OFF", "jmx"));
        assertTrue(AgentOptions.turnsOff("jmx=no,bogus", "jmx"));
        assertFalse(AgentOptions.turnsOff("jmx=on,ring=3M", "jmx"));
        assertFalse(AgentOptions.turnsOff("jmx.notifications=off", "jmx"));
        assertFalse(AgentOptions.turnsOff(null, "jmx"));
    }

    /** An attach hands the target absolute files: it reads them in its own working directory. */
    @Test
    void anAttachMakesEveryRelativeFileAbsoluteAndLeavesTheRestAsGiven() throws Exception {
        Path base = Path.of("/home/op");
        assertEquals("config=/home/op/bpf.properties,report=/home/op/logs/b.jsonl,jolokia=8778,"
                + "jolokia.policy=/etc/jolokia.xml,btf=/home/op/vmlinux,jolokia.tls.keystore=/home/k.p12,"
                + "prometheus.config=/home/op/rules.yaml,states=all,prometheus.tls.keystore=/home/op/tls/m.p12",
                AgentOptions.withAbsoluteFiles(" config=bpf.properties, report=./logs/b.jsonl,jolokia=8778,"
                        + "jolokia.policy=/etc/jolokia.xml,btf=vmlinux,jolokia.tls.keystore=../k.p12,"
                        + "prometheus.config=rules.yaml,states=all,prometheus.tls.keystore=tls/m.p12", base));
        assertEquals("report=stderr", AgentOptions.withAbsoluteFiles("report=stderr", base));
        assertEquals("report=OFF", AgentOptions.withAbsoluteFiles("report=OFF", base));
        assertEquals("", AgentOptions.withAbsoluteFiles("", base));
    }

    @Test
    void defaults() throws ConfigException {
        AgentConfig c = AgentConfig.defaults();

        assertEquals(Scope.SELF, c.scope());
        assertEquals(Optional.empty(), c.scopeCgroup());
        assertEquals(2 * 1024 * 1024, c.ringBytes());
        assertEquals(65536, c.connections());
        assertEquals(4096, c.cgroups());
        assertFalse(c.allStates(), "lifecycle events by default: every connection, half the events");
        assertTrue(c.jfr(), "JFR events are on: they cost nothing until a recording enables them");
        assertEquals("127.0.0.1:8778", c.jolokia().get().toString(), "Jolokia on loopback by default");
        assertEquals(Optional.empty(), c.prometheus());
        assertEquals(Report.OFF, c.report());
        assertEquals(Optional.empty(), c.reportFile());
        assertEquals(60, c.reportIntervalSec());
        assertFalse(c.events());
        assertEquals(LogLevel.WARN, c.log());
        assertEquals(Optional.empty(), c.configFile());
        assertEquals(Optional.empty(), c.btfFile(), "the kernel's own BTF");
        assertEquals(Optional.empty(), c.bridges().prometheusUser(), "no credentials");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", ",", " , ,, ", "\t"})
    void nullEmptyOrBlankArgumentsGiveTheDefaults(String args) throws ConfigException {
        assertEquals(AgentConfig.defaults(), AgentOptions.parse(args));
        assertEquals(AgentConfig.defaults(), AgentOptions.parse(null));
    }

    @Test
    void scopeSelfHostOrAbsoluteCgroupPath() throws ConfigException {
        assertEquals(Scope.SELF, AgentOptions.parse("scope=self").scope());
        assertEquals(Optional.empty(), AgentOptions.parse("scope=self").scopeCgroup());
        assertEquals(Scope.HOST, AgentOptions.parse("scope=host").scope());
        assertEquals(Optional.empty(), AgentOptions.parse("scope=host").scopeCgroup());

        AgentConfig c = AgentOptions.parse("scope=" + CGROUP);
        assertEquals(Scope.CGROUP, c.scope());
        assertEquals(Optional.of(Paths.get(CGROUP)), c.scopeCgroup());
        assertEquals(Optional.of(Paths.get("/")), AgentOptions.parse("scope=/").scopeCgroup());
    }

    @Test
    void ringSizeWithSuffixesOrPlainBytes() throws ConfigException {
        assertEquals(65536, AgentOptions.parse("ring=64K").ringBytes());
        assertEquals(65536, AgentOptions.parse("ring=64k").ringBytes());
        assertEquals(65536, AgentOptions.parse("ring=65536").ringBytes());
        assertEquals(4 << 20, AgentOptions.parse("ring=4M").ringBytes());
        assertEquals(4 << 20, AgentOptions.parse("ring=4m").ringBytes());
        assertEquals(1 << 20, AgentOptions.parse("ring=1024K").ringBytes());
        assertEquals(512 << 20, AgentOptions.parse("ring=512M").ringBytes());
        assertEquals(2 << 20, AgentOptions.parse("ring=0002M").ringBytes());
    }

    @Test
    void connectionsFrom1024To16777216() throws ConfigException {
        assertEquals(1024, AgentOptions.parse("connections=1024").connections());
        assertEquals(100000, AgentOptions.parse("connections=100000").connections());
        assertEquals(16777216, AgentOptions.parse("connections=16777216").connections());
    }

    @Test
    void cgroupsFrom16To1048576() throws ConfigException {
        assertEquals(16, AgentOptions.parse("cgroups=16").cgroups());
        assertEquals(1048576, AgentOptions.parse("cgroups=1048576").cgroups());
    }

    @Test
    void statesAllOrLifecycle() throws ConfigException {
        assertTrue(AgentOptions.parse("states=all").allStates());
        assertFalse(AgentOptions.parse("states=lifecycle").allStates());
        assertFalse(AgentOptions.parse("states=LifeCycle").allStates());
    }

    @ParameterizedTest
    @CsvSource({"on,true", "off,false", "true,true", "false,false", "yes,true", "no,false", "ON,true", "Off,false",
            "TRUE,true", "False,false", "YES,true", "nO,false"})
    void booleansTakeOnOffTrueFalseYesNoInAnyCase(String value, boolean expected) throws ConfigException {
        assertEquals(expected, AgentOptions.parse("jfr=" + value).jfr());
        assertEquals(expected, AgentOptions.parse("events=" + value).events());
    }

    @Test
    void jolokiaAndPrometheusOffOrHostPort() throws ConfigException {
        assertEquals(Optional.empty(), AgentOptions.parse("jolokia=off").jolokia());
        assertEquals(Optional.empty(), AgentOptions.parse("prometheus=OFF").prometheus());

        AgentConfig c = AgentOptions.parse("jolokia=8778,prometheus=0.0.0.0:9404");
        assertEquals("127.0.0.1", c.jolokia().get().host());
        assertEquals(8778, c.jolokia().get().port());
        assertEquals("0.0.0.0", c.prometheus().get().host());
        assertEquals(9404, c.prometheus().get().port());

        Endpoint v6 = AgentOptions.parse("jolokia=[::1]:8778").jolokia().get();
        assertEquals("::1", v6.host());
        assertEquals(8778, v6.port());
        assertEquals("localhost", AgentOptions.parse("prometheus=localhost:1").prometheus().get().host());
    }

    @Test
    void btfIsAFileThatExists() throws Exception {
        Path btf = Files.write(dir.resolve("vmlinux.btf"), new byte[] {1});

        AgentConfig c = AgentOptions.parse("btf=" + btf);

        assertEquals(Optional.of(btf), c.btfFile());
        assertTrue(c.toString().contains(",states=lifecycle,btf=" + btf + ",jfr=on,"), c.toString());
        assertEquals(c, AgentOptions.parse(c.toString()), "parses back");
        assertEquals(Optional.of(btf), AgentOptions.parse("config=" + properties("btf=" + btf)).btfFile(),
                "in the config file too");
    }

    @Test
    void btfThatDoesNotExistIsRefusedWhenParsed() {
        Path missing = dir.resolve("no-such.btf");
        assertMessage("agent option btf: file '" + missing + "' not found; " + BTF_HINT, "btf=" + missing);
    }

    @Test
    void btfThatIsADirectoryOrNotARegularFile() {
        assertMessage("agent option btf: '" + dir + "' is a directory; " + BTF_HINT, "btf=" + dir);
        assertMessage("agent option btf: '/dev/null' is not a regular file; " + BTF_HINT, "btf=/dev/null");
    }

    @Test
    void btfMissingInTheConfigFileNamesTheFile() throws Exception {
        Path file = properties("btf=/no/such/vmlinux");
        assertMessage("agent option btf in config file " + file + ": file '/no/such/vmlinux' not found; " + BTF_HINT,
                "config=" + file);
    }

    @Test
    void btfNeedsAValue() {
        assertMessage("agent option btf needs a value; write e.g. btf=/path/to/vmlinux.btf", "btf=");
    }

    @Test
    void prometheusCredentialsGoTogetherAndThePasswordIsMasked() throws ConfigException {
        AgentConfig c = AgentOptions.parse("prometheus=0.0.0.0:9404,prometheus.user=scraper,prometheus.password=pw");

        assertEquals(Optional.of("scraper"), c.bridges().prometheusUser());
        assertEquals(Optional.of("pw"), c.bridges().prometheusPassword());
        assertTrue(c.toString().contains(",prometheus.user=scraper,prometheus.password=***,"), c.toString());
        assertFalse(c.toString().contains("pw"), c.toString());
        String together = "agent options prometheus.user and prometheus.password go together: give both (basic "
                + "authentication) or neither";
        assertMessage(together, "prometheus.user=scraper");
        assertMessage(together, "prometheus.password=pw");
    }

    @Test
    void prometheusTlsTakesAKeystoreAndItsPasswordIsMasked() throws ConfigException {
        AgentConfig c = AgentOptions.parse("prometheus=9404,prometheus.tls.keystore=/etc/bpfhook/metrics.p12,"
                + "prometheus.tls.password=secret");

        assertEquals(Optional.of(Path.of("/etc/bpfhook/metrics.p12")), c.bridges().prometheusKeystore());
        assertEquals(Optional.of("secret"), c.bridges().prometheusKeystorePassword());
        assertTrue(c.toString().contains(",prometheus.tls.keystore=/etc/bpfhook/metrics.p12,"
                + "prometheus.tls.password=***"), c.toString());
        assertFalse(c.toString().contains("secret"), c.toString());
        assertEquals(c, AgentOptions.parse(c.toString().replace("***", "secret")));
        assertMessage("agent option prometheus.tls.keystore needs a value; write e.g. "
                + "prometheus.tls.keystore=/etc/bpfhook/tls.p12", "prometheus.tls.keystore=");
    }

    @Test
    void reportOffStderrOrFile() throws ConfigException {
        assertEquals(Report.OFF, AgentOptions.parse("report=off").report());
        assertEquals(Report.STDERR, AgentOptions.parse("report=stderr").report());
        assertEquals(Report.STDERR, AgentOptions.parse("report=STDERR").report());
        assertEquals(Optional.empty(), AgentOptions.parse("report=stderr").reportFile());

        AgentConfig c = AgentOptions.parse("report=/var/log/bpfhook.jsonl");
        assertEquals(Report.FILE, c.report());
        assertEquals(Optional.of(Paths.get("/var/log/bpfhook.jsonl")), c.reportFile());
        assertEquals(Optional.of(Paths.get("logs/bpfhook.jsonl")),
                AgentOptions.parse("report=logs/bpfhook.jsonl").reportFile(), "relative: kept as given");
        assertEquals(Optional.of(Paths.get("./off")), AgentOptions.parse("report=./off").reportFile(),
                "a file named like a keyword");
    }

    @Test
    void reportIntervalFrom1To86400Seconds() throws ConfigException {
        assertEquals(1, AgentOptions.parse("report.interval=1").reportIntervalSec());
        assertEquals(10, AgentOptions.parse("report.interval=10").reportIntervalSec());
        assertEquals(86400, AgentOptions.parse("report.interval=86400").reportIntervalSec());
    }

    @Test
    void logLevels() throws ConfigException {
        assertEquals(LogLevel.OFF, AgentOptions.parse("log=off").log());
        assertEquals(LogLevel.ERROR, AgentOptions.parse("log=error").log());
        assertEquals(LogLevel.WARN, AgentOptions.parse("log=warn").log());
        assertEquals(LogLevel.INFO, AgentOptions.parse("log=info").log());
        assertEquals(LogLevel.DEBUG, AgentOptions.parse("log=DEBUG").log());
    }

    @Test
    void logLevelAllowsItselfAndMoreSevereMessages() {
        assertTrue(LogLevel.WARN.allows(LogLevel.ERROR));
        assertTrue(LogLevel.WARN.allows(LogLevel.WARN));
        assertFalse(LogLevel.WARN.allows(LogLevel.INFO));
        assertTrue(LogLevel.DEBUG.allows(LogLevel.DEBUG));
        assertFalse(LogLevel.OFF.allows(LogLevel.ERROR));
        assertFalse(LogLevel.DEBUG.allows(LogLevel.OFF), "OFF is not a message level");
    }

    @Test
    void allOptionsTogether() throws ConfigException {
        AgentConfig c = AgentOptions.parse("scope=host,ring=4M,connections=2048,cgroups=64,states=lifecycle,jfr=off,"
                + "jolokia=8778,prometheus=[::1]:9404,report=/var/log/bpfhook.jsonl,report.interval=10,events=yes,"
                + "log=debug");

        assertEquals(Scope.HOST, c.scope());
        assertEquals(4 << 20, c.ringBytes());
        assertEquals(2048, c.connections());
        assertEquals(64, c.cgroups());
        assertFalse(c.allStates());
        assertFalse(c.jfr());
        assertEquals("127.0.0.1:8778", c.jolokia().get().toString());
        assertEquals("[::1]:9404", c.prometheus().get().toString());
        assertEquals(Optional.of(Paths.get("/var/log/bpfhook.jsonl")), c.reportFile());
        assertEquals(10, c.reportIntervalSec());
        assertTrue(c.events());
        assertEquals(LogLevel.DEBUG, c.log());
        assertFalse(AgentOptions.parse("jfr=on").events(), "one option does not set another");
    }

    @Test
    void whitespaceAroundKeysAndValuesIsTrimmed() throws ConfigException {
        AgentConfig c = AgentOptions.parse("  scope = host ,\tring=\t8M\t, report.interval =5 ");

        assertEquals(Scope.HOST, c.scope());
        assertEquals(8 << 20, c.ringBytes());
        assertEquals(5, c.reportIntervalSec());
    }

    @Test
    void emptySegmentsAreIgnored() throws ConfigException {
        assertEquals(AgentOptions.parse("jfr=on,ring=4M"), AgentOptions.parse(",jfr=on,,ring=4M,"));
        assertEquals(AgentOptions.parse("jfr=on,ring=4M"), AgentOptions.parse("jfr=on, ,ring=4M,,,"));
    }

    @Test
    void toStringIsTheOptionsAndParsesBack() throws ConfigException {
        assertEquals("scope=self,ring=2M,connections=65536,cgroups=4096,states=lifecycle,jfr=on,jolokia=127.0.0.1:8778,"
                + "prometheus=off,report=off,report.interval=60,events=off,jmx=on,jmx.notifications=off,"
                + "jmx.notifications.rate=100,jmx.cgroups=256,log=warn", AgentConfig.defaults().toString());

        String args = "scope=" + CGROUP + ",ring=65536,connections=2048,cgroups=64,states=lifecycle,jfr=off,"
                + "jolokia=[::1]:8778,prometheus=localhost:9404,report=out.jsonl,report.interval=10,events=on,jmx=on,"
                + "jmx.notifications=on,jmx.notifications.rate=5,jmx.cgroups=7,jolokia.user=ops,prometheus.config=r.yaml,"
                + "log=off";
        AgentConfig c = AgentOptions.parse(args + ",jolokia.password=pw");
        assertEquals(args.replace("ring=65536", "ring=64K").replace(",prometheus.config", ",jolokia.password=***"
                + ",prometheus.config"), c.toString(), "the password masked");
        AgentConfig again = AgentOptions.parse(c.toString().replace("***", "pw"));
        assertEquals(c, again);
        assertEquals(c.hashCode(), again.hashCode());
    }

    @Test
    void tableHasARowPerKeyWithItsDefault() {
        String[] rows = AgentOptionsHelp.TABLE.split("\n");
        assertEquals(2 + AgentOptions.KEYS.size(), rows.length);
        for (int i = 0; i < AgentOptions.KEYS.size(); i++) {
            assertTrue(rows[i + 2].startsWith("| `" + AgentOptions.KEYS.get(i) + "` |"), rows[i + 2]);
            assertEquals(5, rows[i + 2].split("\\|", -1).length - 1, "four cells: " + rows[i + 2]);
        }
        for (String option : AgentConfig.defaults().toString().split(",")) {
            String[] kv = option.split("=");
            String row = rows[2 + AgentOptions.KEYS.indexOf(kv[0])];
            assertTrue(row.contains("| `" + kv[1] + "` |"), "default " + option + " in " + row);
        }
    }

    // ---- config file and precedence ----

    @Test
    void configFileGivesOptions() throws Exception {
        Path file = properties("ring=8M", "# a comment", "report = /var/log/a,b.jsonl", "jolokia: 8778",
                "log debug");

        AgentConfig c = AgentOptions.parse("config=" + file);

        assertEquals(8 << 20, c.ringBytes());
        assertEquals(Optional.of(Paths.get("/var/log/a,b.jsonl")), c.reportFile(), "a comma is fine in the file");
        assertEquals(8778, c.jolokia().get().port());
        assertEquals(LogLevel.DEBUG, c.log());
        assertEquals(Optional.of(file), c.configFile());
        assertEquals(65536, c.connections(), "keys not in the file keep their defaults");
    }

    @Test
    void precedenceDefaultsThenFileThenArguments() throws Exception {
        Path file = properties("ring=8M", "connections=2048", "log=info");

        AgentConfig c = AgentOptions.parse("ring=16M,config=" + file + ",log=error");

        assertEquals(16 << 20, c.ringBytes(), "argument over file");
        assertEquals(LogLevel.ERROR, c.log(), "argument over file, wherever config= stands");
        assertEquals(2048, c.connections(), "file over default");
        assertEquals(4096, c.cgroups(), "default");
    }

    @Test
    void configFileIsUtf8AndMayStartWithAByteOrderMark() throws Exception {
        Path file = dir.resolve("utf8.properties");
        Files.write(file, "\uFEFFscope=host\nlog=caf\u00e9 \u65e5\u672c\n".getBytes(StandardCharsets.UTF_8));

        assertMessage("agent option log in config file " + file + ": 'caf\u00e9 \u65e5\u672c' must be off, error, "
                + "warn, info or debug", "config=" + file);
        Files.write(file, "\uFEFFscope=host\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(Scope.HOST, AgentOptions.parse("config=" + file).scope(), "the mark is not part of the key");
    }

    @Test
    void emptyConfigFileGivesTheDefaults() throws Exception {
        Path file = properties();

        AgentConfig c = AgentOptions.parse("config=" + file);

        assertEquals(Optional.of(file), c.configFile());
        assertEquals(AgentConfig.defaults().toString(), c.toString());
    }

    @Test
    void configFileMissing() {
        Path missing = dir.resolve("nope.properties");
        assertMessage("agent option config: file " + missing + " not found; give the path of a properties file "
                + "with the same keys", "config=" + missing);
    }

    @Test
    void configFileIsADirectory() {
        assertMessage("agent option config: " + dir + " is a directory; give the path of a properties file with the "
                + "same keys", "config=" + dir);
    }

    @Test
    void configFileNeedsAValue() {
        assertMessage("agent option config needs a value; write e.g. config=bpfhook.properties", "config=");
        assertMessage("agent option config needs a value; write e.g. config=bpfhook.properties", "config");
    }

    @Test
    void configInsideTheConfigFile() throws Exception {
        Path file = properties("ring=4M", "config=/etc/other.properties");
        assertMessage("agent option config is not allowed in config file " + file + "; give config=FILE only in the "
                + "agent arguments", "config=" + file);
    }

    @Test
    void unknownKeyInTheConfigFileNamesTheFile() throws Exception {
        Path file = properties("ring=4M", "rnig=4M");
        assertMessage("unknown key 'rnig' in config file " + file + " (known: " + KNOWN_IN_FILE + ")",
                "config=" + file);
    }

    @Test
    void badValueInTheConfigFileNamesTheFile() throws Exception {
        Path file = properties("ring=3M");
        assertMessage("agent option ring in config file " + file + ": '3M' must be a power of two from 64K to 512M, "
                + "e.g. 2M", "config=" + file);
        assertMessage("agent option ring in config file " + file + ": '3M' must be a power of two from 64K to 512M, "
                + "e.g. 2M", "config=" + file + ",ring=4M");
    }

    @Test
    void emptyValueInTheConfigFile() throws Exception {
        Path file = properties("report=   ");
        assertMessage("agent option report in config file " + file + " needs a value; write e.g. report=stderr",
                "config=" + file);
    }

    @Test
    void keyTwiceInTheConfigFile() throws Exception {
        Path file = properties("ring=4M", "log=info", "ring=8M");
        assertMessage("agent option ring given twice in config file " + file + "; give each option once",
                "config=" + file);
    }

    @Test
    void configFileWithAMalformedEscape() throws Exception {
        Path file = properties("report=C:\\user\\x.jsonl");
        assertMessage("agent option config: file " + file + " has a malformed \\uXXXX escape; write a backslash as "
                + "\\\\", "config=" + file);
    }

    @Test
    void configFileNotUtf8() throws Exception {
        Path file = dir.resolve("latin1.properties");
        Files.write(file, "report=/tmp/caf\u00e9.jsonl\n".getBytes(StandardCharsets.ISO_8859_1));
        assertMessage("agent option config: file " + file + " is not UTF-8 text; save it as UTF-8", "config=" + file);
    }

    @Test
    void configFileTooLarge() throws Exception {
        Path file = dir.resolve("big.properties");
        Files.write(file, new byte[(1 << 20) + 1]);
        assertMessage("agent option config: file " + file + " is larger than 1M; give the path of a properties file "
                + "with the same keys", "config=" + file);
    }

    @Test
    void configPathWithANullByte() {
        assertMessage("agent option config: 'a\\u0000b' contains a control character; give a plain path",
                "config=a\u0000b");
    }

    // ---- syntax errors ----

    @Test
    void duplicateKey() {
        assertMessage("agent option ring given twice ('2M' and '4M'); give each option once", "ring=2M,ring=4M");
        assertMessage("agent option jfr given twice ('on' and 'on'); give each option once", "jfr=on, jfr = on");
        assertMessage("agent option config given twice ('a' and 'b'); give each option once", "config=a,config=b");
    }

    @Test
    void unknownKeyListsTheKnownKeys() {
        assertMessage("unknown agent option 'rnig' (known: " + KNOWN + "); options are key=value separated by commas",
                "rnig=4M");
        assertMessage("unknown agent option 'Ring' (known: " + KNOWN + "); options are key=value separated by commas",
                "Ring=4M");
        assertMessage("unknown agent option 'verbose' (known: " + KNOWN + "); options are key=value separated by "
                + "commas", "scope=host,verbose");
    }

    @Test
    void bareKnownKeyNeedsAValue() {
        assertMessage("agent option events needs a value; write e.g. events=on", "events");
        assertMessage("agent option ring needs a value; write e.g. ring=2M", "jfr=on,ring");
    }

    @Test
    void emptyValue() {
        assertMessage("agent option ring needs a value; write e.g. ring=2M", "ring=");
        assertMessage("agent option scope needs a value; write e.g. scope=self", "scope = ");
        assertMessage("agent option report.interval needs a value; write e.g. report.interval=60", "report.interval=");
        // each example is a value of the option's kind: a word, a path, a name
        assertMessage("agent option jolokia.user needs a value; write e.g. jolokia.user=ops", "jolokia.user=");
        assertMessage("agent option jolokia.policy needs a value; write e.g. "
                + "jolokia.policy=/etc/bpfhook/jolokia-access.xml", "jolokia.policy=");
        assertMessage("agent option prometheus.config needs a value; write e.g. "
                + "prometheus.config=/etc/bpfhook/exporter.yaml", "prometheus.config=");
    }

    @Test
    void emptyKey() {
        assertMessage("agent option '=4M' has no name before '='; options are key=value separated by commas", "=4M");
        assertMessage("agent option '=' has no name before '='; options are key=value separated by commas", " = ");
    }

    @Test
    void equalsSignsInAValueAreTheValue() {
        assertMessage("agent option ring: '=4M' is not a size; write e.g. ring=2M or ring=512K", "ring==4M");
    }

    // ---- bad values ----

    @ParameterizedTest
    @ValueSource(strings = {"foo", "Self2", "sys/fs/cgroup", "./my.slice", "~/x"})
    void scopeNotSelfHostOrAbsolute(String value) {
        assertMessage("agent option scope: '" + value + "' must be self, host or an absolute cgroup path like "
                + "/sys/fs/cgroup/my.slice", "scope=" + value);
    }

    @Test
    void ringNotAPowerOfTwoOrOutOfRange() {
        for (String v : new String[] {"3M", "100000", "32K", "1024M", "0", "-4M", "2048M",
                "17592186044420M", "9223372036854775807K", "99999999999999999999999999"}) {
            assertMessage("agent option ring: '" + v + "' must be a power of two from 64K to 512M, e.g. 2M",
                    "ring=" + v);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lots", "4MB", "4G", "M", "1.5M", "0x1000", "+4M", "4 M", "\u0664M", "\uff14M", "-",
            "4M\u0000"})
    void ringNotASize(String value) {
        assertMessage("agent option ring: '" + AgentOptions.shown(value) + "' is not a size; write e.g. ring=2M or "
                + "ring=512K", "ring=" + value);
    }

    @Test
    void connectionsAndCgroupsOutOfRange() {
        assertMessage("agent option connections: 1023 out of range 1024-16777216", "connections=1023");
        assertMessage("agent option connections: 16777217 out of range 1024-16777216", "connections=16777217");
        assertMessage("agent option connections: -1 out of range 1024-16777216", "connections=-1");
        assertMessage("agent option connections: 99999999999999999999999 out of range 1024-16777216",
                "connections=99999999999999999999999");
        assertMessage("agent option cgroups: 15 out of range 16-1048576", "cgroups=15");
        assertMessage("agent option cgroups: 1048577 out of range 16-1048576", "cgroups=1048577");
        assertMessage("agent option report.interval: 0 out of range 1-86400", "report.interval=0");
        assertMessage("agent option report.interval: 86401 out of range 1-86400", "report.interval=86401");
    }

    @Test
    void numbersAreAsciiDigitsOnly() {
        assertMessage("agent option connections: '\u0666\u0665\u0665\u0663\u0666' is not a whole number; write e.g. "
                + "connections=65536", "connections=\u0666\u0665\u0665\u0663\u0666");
        assertMessage("agent option cgroups: '\uff14\uff10\uff19\uff16' is not a whole number; write e.g. "
                + "cgroups=4096", "cgroups=\uff14\uff10\uff19\uff16");
        assertMessage("agent option connections: '1e5' is not a whole number; write e.g. connections=65536",
                "connections=1e5");
        assertMessage("agent option connections: 'NaN' is not a whole number; write e.g. connections=65536",
                "connections=NaN");
        assertMessage("agent option report.interval: '+5' is not a whole number; write e.g. report.interval=60",
                "report.interval=+5");
        assertMessage("agent option report.interval: '5s' is not a whole number; write e.g. report.interval=60",
                "report.interval=5s");
        assertMessage("agent option report.interval: '1.5' is not a whole number; write e.g. report.interval=60",
                "report.interval=1.5");
    }

    @Test
    void statesNotAllOrLifecycle() {
        assertMessage("agent option states: 'some' must be all (an event per TCP state transition) or lifecycle "
                + "(only to ESTABLISHED and CLOSE)", "states=some");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1", "0", "maybe", "enabled", "o n", "\u043en"})
    void booleanNotOnOff(String value) {
        assertMessage("agent option jfr: '" + value + "' must be on or off (or true/false, yes/no)", "jfr=" + value);
        assertMessage("agent option events: '" + value + "' must be on or off (or true/false, yes/no)",
                "events=" + value);
    }

    @Test
    void endpointNotOffOrHostPort() {
        assertMessage("agent option jolokia: 'on' must be off or [host:]port, e.g. 8778 or 127.0.0.1:8778",
                "jolokia=on");
        assertMessage("agent option prometheus: 'localhost' must be off or [host:]port, e.g. 9404 or "
                + "127.0.0.1:9404", "prometheus=localhost");
        assertMessage("agent option jolokia: port 70000 out of range 1-65535", "jolokia=70000");
        assertMessage("agent option jolokia: port 0 out of range 1-65535", "jolokia=1.2.3.4:0");
        assertMessage("agent option prometheus: 'host:' has no port after ':'; write host:port, e.g. localhost:8080",
                "prometheus=host:");
        assertMessage("agent option prometheus: ':80' has no host before ':'; write just the port for 127.0.0.1, "
                + "or host:port", "prometheus=:80");
        assertMessage("agent option jolokia: '[::1' has no closing ']'; write an IPv6 address as [address]:port, "
                + "e.g. [::1]:8080", "jolokia=[::1");
        assertMessage("agent option jolokia: '::1:8778' looks like an IPv6 address without brackets; write it as "
                + "[::1]:8778", "jolokia=::1:8778");
    }

    @Test
    void reportStdoutOrDirectory() {
        assertMessage("agent option report: 'stdout' is not offered: stdout belongs to the application; write "
                + "stderr, or ./stdout for a file of that name", "report=stdout");
        assertMessage("agent option report: '/var/log/' is a directory; give a file path, e.g. "
                + "/var/log/bpfhook.jsonl", "report=/var/log/");
    }

    @Test
    void reportPathWithAControlCharacter() {
        assertMessage("agent option report: '/tmp/a\\u0000b' contains a control character; give a plain path",
                "report=/tmp/a\u0000b");
        assertMessage("agent option scope: '/sys/fs/cgroup/a\\nb' contains a control character; give a plain path",
                "scope=/sys/fs/cgroup/a\nb");
    }

    @Test
    void logNotALevel() {
        assertMessage("agent option log: 'verbose' must be off, error, warn, info or debug", "log=verbose");
        // U+0131 dotless i upper-cases to I: no look-alike becomes "info"
        assertMessage("agent option log: '\u0131nfo' must be off, error, warn, info or debug", "log=\u0131nfo");
        assertMessage("agent option log: '\\ud800\\ry' must be off, error, warn, info or debug", "log=\ud800\ry");
        assertMessage("agent option log: '\ud83d\ude00' must be off, error, warn, info or debug", "log=\ud83d\ude00");
    }

    @Test
    void aLongValueIsCutInTheMessage() {
        String value = "x".repeat(10000);
        ConfigException e = assertThrows(ConfigException.class, () -> AgentOptions.parse("ring=" + value));
        assertEquals("agent option ring: '" + "x".repeat(77) + "...' is not a size; write e.g. ring=2M or ring=512K",
                e.getMessage());
    }

    @Test
    void configsWithDifferentOptionsAreNotEqual() throws ConfigException {
        assertNotEquals(AgentConfig.defaults(), AgentOptions.parse("ring=4M"));
        assertSame(AgentConfig.defaults(), AgentConfig.defaults());
    }

    private Path properties(String... lines) throws IOException {
        Path file = Files.createTempFile(dir, "agent", ".properties");
        Files.write(file, String.join("\n", lines).getBytes(StandardCharsets.UTF_8));
        return file;
    }

    private static void assertMessage(String expected, String args) {
        ConfigException e = assertThrows(ConfigException.class, () -> AgentOptions.parse(args));
        assertEquals(expected, e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }
}
