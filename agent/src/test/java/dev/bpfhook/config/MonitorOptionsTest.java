package dev.bpfhook.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MonitorOptionsTest {
    private static final String CGROUP = "/sys/fs/cgroup/system.slice/docker-abc.scope"; // an argument, never opened

    @Test
    void defaults() throws ConfigException {
        MonitorConfig c = MonitorOptions.parse();

        assertEquals(Optional.empty(), c.cgroup());
        assertEquals(5, c.metricsIntervalSec());
        assertFalse(c.showContainers());
        assertFalse(c.showEvents());
        assertEquals(0, c.durationSec());
        assertFalse(c.json());
        assertEquals(4 * 1024 * 1024, c.ringBytes());
        assertFalse(c.verbose());
        assertFalse(c.help());
    }

    @Test
    void cgroupShortLongAndInline() throws ConfigException {
        assertEquals(Optional.of(Paths.get(CGROUP)), MonitorOptions.parse("-c", CGROUP).cgroup());
        assertEquals(Optional.of(Paths.get(CGROUP)), MonitorOptions.parse("--cgroup", CGROUP).cgroup());
        assertEquals(Optional.of(Paths.get(CGROUP)), MonitorOptions.parse("--cgroup=" + CGROUP).cgroup());
    }

    @Test
    void metricsIntervalShortLongAndInline() throws ConfigException {
        assertEquals(2, MonitorOptions.parse("-m", "2").metricsIntervalSec());
        assertEquals(30, MonitorOptions.parse("--metrics-interval", "30").metricsIntervalSec());
        assertEquals(7, MonitorOptions.parse("--metrics-interval=7").metricsIntervalSec());
    }

    @Test
    void durationLongAndInline() throws ConfigException {
        assertEquals(10, MonitorOptions.parse("--duration", "10").durationSec());
        assertEquals(3, MonitorOptions.parse("--duration=3").durationSec());
    }

    @Test
    void ringSizeLongAndInline() throws ConfigException {
        assertEquals(65536, MonitorOptions.parse("--ring-size", "64K").ringBytes());
        assertEquals(1 << 20, MonitorOptions.parse("--ring-size=1M").ringBytes());
    }

    @Test
    void flagsShortAndLong() throws ConfigException {
        assertTrue(MonitorOptions.parse("-s").showContainers());
        assertTrue(MonitorOptions.parse("--show-containers").showContainers());
        assertTrue(MonitorOptions.parse("-e").showEvents());
        assertTrue(MonitorOptions.parse("--show-events").showEvents());
        assertTrue(MonitorOptions.parse("--json").json());
        assertTrue(MonitorOptions.parse("--verbose").verbose());
        assertTrue(MonitorOptions.parse("-h").help());
        assertTrue(MonitorOptions.parse("--help").help());
    }

    @Test
    void allOptionsTogether() throws ConfigException {
        MonitorConfig c = MonitorOptions.parse("-c", CGROUP, "-m", "1", "-s", "-e", "--duration", "60", "--json",
                "--ring-size", "8M", "--verbose");

        assertEquals(Optional.of(Paths.get(CGROUP)), c.cgroup());
        assertEquals(1, c.metricsIntervalSec());
        assertTrue(c.showContainers());
        assertTrue(c.showEvents());
        assertEquals(60, c.durationSec());
        assertTrue(c.json());
        assertEquals(8 << 20, c.ringBytes());
        assertTrue(c.verbose());
        assertFalse(c.help());
        assertFalse(MonitorOptions.parse("-s").showEvents(), "one flag does not set another");
    }

    @Test
    void ringSizeAcceptsSuffixesAndPlainBytes() throws ConfigException {
        assertEquals(65536, MonitorOptions.ringSize("64K"));
        assertEquals(4194304, MonitorOptions.ringSize("4M"));
        assertEquals(1048576, MonitorOptions.ringSize("1048576"));
        assertEquals(524288, MonitorOptions.ringSize("512k"));
        assertEquals(512 << 20, MonitorOptions.ringSize("512M"));
    }

    @Test
    void btfIsAFileThatExists(@TempDir Path dir) throws Exception {
        Path btf = Files.write(dir.resolve("vmlinux.btf"), new byte[] {1});
        assertEquals(Optional.of(btf), MonitorOptions.parse("--btf", btf.toString()).btfFile());
        assertEquals(Optional.of(btf), MonitorOptions.parse("--btf=" + btf).btfFile());
        assertEquals(Optional.empty(), MonitorOptions.parse().btfFile());
    }

    @Test
    void btfThatDoesNotExistOrIsNotAFile(@TempDir Path dir) {
        String hint = "give the BTF file of this kernel, or leave --btf out to use /sys/kernel/btf/vmlinux";
        Path missing = dir.resolve("missing.btf");
        assertMessage("option --btf: file '" + missing + "' not found; " + hint, "--btf", missing.toString());
        assertMessage("option --btf: '" + dir + "' is not a regular file; " + hint, "--btf", dir.toString());
    }

    @Test
    void topIsANumberOfDestinations() throws ConfigException {
        assertEquals(0, MonitorOptions.parse().top(), "no destinations table by default");
        assertEquals(10, MonitorOptions.parse("--top", "10").top());
        assertEquals(1, MonitorOptions.parse("--top=1").top());
        assertEquals(MonitorConfig.MAX_TOP, MonitorOptions.parse("--top", "1000").top());
    }

    @Test
    void topOutOfRangeOrNoNumber() {
        assertMessage("option --top: 0 is out of range; use 1 to 1000", "--top", "0");
        assertMessage("option --top: 1001 is out of range; use 1 to 1000", "--top=1001");
        assertMessage("option --top: 'ten' is not a number of destinations; write e.g. --top 10", "--top", "ten");
        assertMessage("option --top needs a value; see --help", "--top");
    }

    @Test
    void unknownOption() {
        assertMessage("unknown option '--colour'; see --help for the options", "--colour");
        assertMessage("unknown option '-x'; see --help for the options", "-x");
        assertMessage("unknown option '--nope'; see --help for the options", "--nope=1");
    }

    @Test
    void missingValue() {
        assertMessage("option --cgroup needs a value; see --help", "--cgroup");
        assertMessage("option -c needs a value; see --help", "-c");
        assertMessage("option -m needs a value; see --help", "-m");
        assertMessage("option --metrics-interval needs a value; see --help", "--json", "--metrics-interval");
        assertMessage("option --duration needs a value; see --help", "--duration", "");
        assertMessage("option --ring-size needs a value; see --help", "--ring-size");
    }

    @Test
    void nonNumericInterval() {
        assertMessage("option --metrics-interval: 'abc' is not a number of seconds; write e.g. --metrics-interval 5",
                "--metrics-interval", "abc");
        assertMessage("option -m: '5s' is not a number of seconds; write e.g. -m 5", "-m", "5s");
        assertMessage("option --metrics-interval needs a value; see --help", "--metrics-interval=");
    }

    @Test
    void zeroOrNegativeInterval() {
        assertMessage("option --metrics-interval: 0 is out of range; use 1 to 2678400 seconds",
                "--metrics-interval", "0");
        assertMessage("option -m: -5 is out of range; use 1 to 2678400 seconds", "-m", "-5");
        assertMessage("option --duration: 0 is out of range; use 1 to 2678400 seconds", "--duration=0");
        assertMessage("option --duration: 2678401 is out of range; use 1 to 2678400 seconds", "--duration", "2678401");
    }

    @Test
    void ringSizeNotAPowerOfTwo() {
        assertMessage("option --ring-size: 3M must be a power of two from 64K to 512M, e.g. 4M", "--ring-size", "3M");
        assertMessage("option --ring-size: 100000 must be a power of two from 64K to 512M, e.g. 4M",
                "--ring-size=100000");
    }

    @Test
    void ringSizeTooSmallOrTooBig() {
        assertMessage("option --ring-size: 32K must be a power of two from 64K to 512M, e.g. 4M", "--ring-size", "32K");
        assertMessage("option --ring-size: 1024M must be a power of two from 64K to 512M, e.g. 4M",
                "--ring-size", "1024M");
        assertMessage("option --ring-size: 0 must be a power of two from 64K to 512M, e.g. 4M", "--ring-size", "0");
        assertMessage("option --ring-size: -4M must be a power of two from 64K to 512M, e.g. 4M", "--ring-size", "-4M");
        // 2^44 + 4 MiB would wrap to exactly 4M if multiplied unchecked
        assertMessage("option --ring-size: 17592186044420M must be a power of two from 64K to 512M, e.g. 4M",
                "--ring-size", "17592186044420M");
    }

    @Test
    void anEmptyInlineValueIsMissing() {
        assertMessage("option --cgroup needs a value; see --help", "--cgroup=");
        assertMessage("option --duration needs a value; see --help", "--duration=");
    }

    @ParameterizedTest
    @ValueSource(strings = {"lots", "4MB", "4G", "M", "1.5M", "0x1000"})
    void ringSizeGarbage(String value) {
        assertMessage("option --ring-size: '" + value + "' is not a size; write e.g. 4M or 512K", "--ring-size", value);
    }

    @Test
    void flagGivenAValue() {
        assertMessage("option --json takes no value; write just --json", "--json=yes");
        assertMessage("option --verbose takes no value; write just --verbose", "--verbose=1");
        assertMessage("option --show-events takes no value; write just --show-events", "--show-events=true");
        assertMessage("option --show-containers takes no value; write just --show-containers",
                "--show-containers=");
        assertMessage("option --help takes no value; write just --help", "--help=me");
    }

    @Test
    void strayArgument() {
        assertMessage("unexpected argument 'eth0'; options start with - (see --help)", "eth0");
        assertMessage("unexpected argument '10'; options start with - (see --help)", "--json", "10");
    }

    private static void assertMessage(String expected, String... args) {
        ConfigException e = assertThrows(ConfigException.class, () -> MonitorOptions.parse(args));
        assertEquals(expected, e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }
}
