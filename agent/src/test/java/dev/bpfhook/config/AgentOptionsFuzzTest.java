package dev.bpfhook.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random option strings and config files, from a fixed seed: the parser either returns a config that keeps its
 * promises or throws a ConfigException with a one-line message; any other throwable is a bug.
 */
class AgentOptionsFuzzTest {
    private static final long SEED = 0x62706668L;
    private static final int ITERATIONS = 20000;
    private static final int FILE_ITERATIONS = 3000;

    private static final String[] RANDOM_KEYS = {"rnig", "Ring", "RING", "scope ", " log", "report.", ".interval",
            "report.Interval", "report..interval", "conf", "configs", "config.file", "jfr.on", "jolokia.port", "=",
            "", "-", "--ring", "ring ring", "ri\u0000ng", "r\u0131ng", "\uff52ing", "events\n", "log\u2028"};
    private static final String[] WORDS = {"self", "host", "all", "lifecycle", "on", "off", "true", "false", "yes",
            "no", "ON", "Off", "YES", "stderr", "STDERR", "stdout", "error", "warn", "info", "debug", "DEBUG",
            "trace", "none", "null", "NaN", "Infinity", "-Infinity", "1e9", "0x10", "0b1", "-0", "+1", "0", "1", "-1",
            "64K", "2M", "512M", "513M", "1G", "4m", "4k", "65536", "16777216", "16777217", "1024", "86400",
            "86401", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "18446744073709551616",
            "17592186044420M", "99999999999999999999999999999999", "8778", "0.0.0.0:8778", "localhost:1",
            "[::1]:8778", "[::1", "[::1]", "[]:80", "[::1]80", "::1:80", "host:", ":80", "1.2.3.4:0",
            "1.2.3.4:65536", "999.1.1.1:1", "[fe80::1%eth0]:80", "[::ffff:127.0.0.1]:1", "/", "/sys/fs/cgroup",
            "/sys/fs/cgroup/my.slice", "relative/path", "./off", "/var/log/", "/var/log/x.jsonl", "~", "..", ".",
            "\u0664\u0665", "\uff18\uff10", "\u0131nfo", "\u212a", "\u00a0on\u00a0", "\uFEFFon", "on\u0000",
            "\ud83d\ude00", "\ud800", "\udc00", "\uffff", "\\u0041", "\\", "'", "\"", "%s", "%n", "${x}"};
    private static final String[] SEPARATORS = {",", ",", ",", ",,", " , ", ",\t", "", "=", "==", "===", " ",
            "\n", "\r\n", "\u0000", ",=,", "=,="};
    private static final char[] ODD_CHARS = {'\u0000', '\u0001', '\u0007', '\b', '\t', '\n', '\u000b', '\f', '\r',
            '\u001b', '\u001f', '\u007f', '\u0085', '\u00a0', '\u2028', '\u2029', '\u200b', '\ufeff', '\ufffd',
            '\uffff', '\ud800', '\udbff', '\udc00', '\u0660', '\u0669', '\uff10', '\uff19', '\u0131', '\u0130',
            '\u212a', '\u017f', '=', ',', '[', ']', ':', '%', '/', '\\', '#', '!', '-', '+', '.', ' '};

    @TempDir
    Path dir;

    private Path goodFile;
    private Path badFile;
    private final List<String> configValues = new ArrayList<>();

    @BeforeEach
    void files() throws IOException {
        goodFile = dir.resolve("good.properties");
        Files.write(goodFile, "ring=4M\nlog=info\nreport=/var/log/a,b.jsonl\n".getBytes(StandardCharsets.UTF_8));
        badFile = dir.resolve("bad.properties");
        Files.write(badFile, "ring=3M\nconfig=x\n".getBytes(StandardCharsets.UTF_8));
        configValues.add(goodFile.toString());
        configValues.add(badFile.toString());
        configValues.add(dir.toString());
        configValues.add(dir.resolve("missing.properties").toString());
    }

    @Test
    void randomAgentArgumentsParseOrFailInOneLine() {
        Random random = new Random(SEED);
        int parsed = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            String args = randomArgs(random);
            parsed += check(args, i) ? 1 : 0;
        }
        assertTrue(parsed > ITERATIONS / 50, "the generator also makes valid options: " + parsed);
        assertTrue(parsed < ITERATIONS - ITERATIONS / 50, "and invalid ones: " + parsed);
    }

    @Test
    void mutatedValidArgumentsParseOrFailInOneLine() {
        Random random = new Random(SEED + 1);
        String valid = "scope=/sys/fs/cgroup/my.slice,ring=4M,connections=2048,cgroups=64,states=lifecycle,jfr=on,"
                + "jolokia=[::1]:8778,prometheus=0.0.0.0:9404,report=/var/log/bpfhook.jsonl,report.interval=10,"
                + "events=yes,log=debug";
        for (int i = 0; i < ITERATIONS; i++) {
            StringBuilder s = new StringBuilder(valid);
            int edits = 1 + random.nextInt(4);
            for (int e = 0; e < edits && s.length() > 0; e++) {
                int at = random.nextInt(s.length());
                switch (random.nextInt(3)) {
                    case 0:
                        s.deleteCharAt(at);
                        break;
                    case 1:
                        s.insert(at, randomChar(random));
                        break;
                    default:
                        s.setCharAt(at, randomChar(random));
                        break;
                }
            }
            check(s.toString(), i);
        }
    }

    @Test
    void randomConfigFilesParseOrFailInOneLine() throws IOException {
        Random random = new Random(SEED + 2);
        Path file = dir.resolve("fuzz.properties");
        int parsed = 0;
        for (int i = 0; i < FILE_ITERATIONS; i++) {
            Files.write(file, randomFile(random, i));
            String args = "config=" + file + (random.nextInt(3) == 0 ? "," + randomArgs(random) : "");
            parsed += check(args, i) ? 1 : 0;
        }
        assertTrue(parsed > 0, "some random files are valid: " + parsed);
    }

    @Test
    void randomEndpointsParseOrFailInOneLine() {
        Random random = new Random(SEED + 3);
        String alphabet = "0123456789abcdefABCDEF:::[[]]..%%-_ xyz\u0000\u0660\uff10/";
        for (int i = 0; i < ITERATIONS; i++) {
            StringBuilder s = new StringBuilder();
            int length = random.nextInt(24);
            for (int c = 0; c < length; c++) {
                s.append(random.nextInt(10) == 0 ? randomChar(random)
                        : alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String text = s.toString();
            try {
                Endpoint e = Endpoint.parse(text);
                assertTrue(e.port() >= 1 && e.port() <= 65535, text);
                assertFalse(e.host().isEmpty(), text);
                e.isLoopback();
                assertEquals(e, Endpoint.parse(e.toString()), text);
            } catch (ConfigException e) {
                checkMessage(e.getMessage(), text, i);
            } catch (Throwable t) {
                throw new AssertionError("iteration " + i + ": Endpoint.parse(" + AgentOptions.shown(text)
                        + ") threw " + t, t);
            }
        }
    }

    /** @return whether it parsed */
    private static boolean check(String args, int iteration) {
        try {
            AgentConfig c = AgentOptions.parse(args);
            if (c == null) {
                fail("iteration " + iteration + ": null config for " + AgentOptions.shown(args));
            }
            checkConfig(c, args);
            return true;
        } catch (ConfigException e) {
            checkMessage(e.getMessage(), args, iteration);
            return false;
        } catch (Throwable t) {
            throw new AssertionError("iteration " + iteration + ": parse(" + AgentOptions.shown(args) + ") threw "
                    + t, t);
        }
    }

    private static void checkMessage(String message, String input, int iteration) {
        String where = "iteration " + iteration + ", input " + AgentOptions.shown(input) + ": ";
        if (message == null || message.isEmpty()) {
            fail(where + "empty message");
        }
        assertFalse(message.contains("\n") || message.contains("\r") || message.contains("\u2028")
                || message.contains("\u0085"), where + message);
        assertFalse(message.contains("Exception") || message.contains("java."), where + message);
        assertTrue(message.length() < 1000, where + "a long message: " + message.length());
    }

    private static void checkConfig(AgentConfig c, String args) throws ConfigException {
        assertTrue(Long.bitCount(c.ringBytes()) == 1 && c.ringBytes() >= 64 << 10 && c.ringBytes() <= 512 << 20,
                args);
        assertTrue(c.connections() >= 1024 && c.connections() <= 16777216, args);
        assertTrue(c.cgroups() >= 16 && c.cgroups() <= 1048576, args);
        assertTrue(c.reportIntervalSec() >= 1 && c.reportIntervalSec() <= 86400, args);
        assertEquals(c.scope() == AgentConfig.Scope.CGROUP, c.scopeCgroup().isPresent(), args);
        c.scopeCgroup().ifPresent(p -> assertTrue(p.isAbsolute(), args));
        assertEquals(c.report() == AgentConfig.Report.FILE, c.reportFile().isPresent(), args);
        c.jolokia().ifPresent(e -> assertTrue(e.port() >= 1 && e.port() <= 65535, args));
        c.prometheus().ifPresent(e -> assertTrue(e.port() >= 1 && e.port() <= 65535, args));
        if (c.configFile().isEmpty()) {
            // toString masks passwords: compare what it says, which is what parses back
            assertEquals(c.toString(), AgentOptions.parse(c.toString()).toString(), "toString parses back: " + args);
        }
    }

    private String randomArgs(Random random) {
        StringBuilder s = new StringBuilder();
        int pairs = random.nextInt(8);
        for (int p = 0; p < pairs; p++) {
            if (p > 0 || random.nextInt(8) == 0) {
                s.append(pick(random, SEPARATORS));
            }
            String key = random.nextInt(5) == 0 ? pick(random, RANDOM_KEYS)
                    : AgentOptions.KEYS.get(random.nextInt(AgentOptions.KEYS.size()));
            if (random.nextInt(10) == 0) {
                s.append(' ');
            }
            s.append(key);
            int form = random.nextInt(20);
            if (form == 0) {
                continue; // a bare key
            }
            s.append(form == 1 ? "==" : form == 2 ? " = " : "=");
            s.append(key.equals("config") && random.nextInt(4) != 0 ? pick(random, configValues) : randomValue(random));
        }
        if (random.nextInt(10) == 0) {
            s.append(pick(random, SEPARATORS));
        }
        return s.toString();
    }

    private static String randomValue(Random random) {
        switch (random.nextInt(12)) {
            case 0:
                return randomText(random, random.nextInt(20));
            case 1:
                return Long.toString(random.nextLong());
            case 2:
                return Integer.toString(random.nextInt(70000) - 100) + (random.nextBoolean() ? "" : "KMkmG".charAt(
                        random.nextInt(5)));
            case 3:
                return "1" + "0".repeat(random.nextInt(40)) + (random.nextBoolean() ? "K" : "");
            case 4:
                return random.nextInt(100) == 0 ? "x".repeat(100_000) : randomText(random, 200 + random.nextInt(2000));
            case 5:
                return "=".repeat(1 + random.nextInt(5)) + pick(random, WORDS);
            case 6:
                return pick(random, WORDS) + randomChar(random);
            default:
                return pick(random, WORDS);
        }
    }

    private byte[] randomFile(Random random, int iteration) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (random.nextInt(10) == 0) {
            out.writeBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
        }
        if (iteration % 1000 == 999) {
            out.writeBytes(new byte[(1 << 20) + random.nextInt(3) - 1]); // around the size limit
            return out.toByteArray();
        }
        int lines = random.nextInt(12);
        for (int l = 0; l < lines; l++) {
            switch (random.nextInt(10)) {
                case 0: {
                    byte[] raw = new byte[random.nextInt(40)];
                    random.nextBytes(raw);
                    out.writeBytes(raw);
                    break;
                }
                case 1:
                    out.writeBytes(("# " + randomText(random, 30)).getBytes(StandardCharsets.UTF_8));
                    break;
                case 2:
                    out.writeBytes(randomText(random, random.nextInt(60)).getBytes(StandardCharsets.UTF_8));
                    break;
                case 3:
                    out.writeBytes(("ring=\\u" + randomText(random, 4) + "\\").getBytes(StandardCharsets.UTF_8));
                    break;
                default: {
                    String key = random.nextInt(6) == 0 ? pick(random, RANDOM_KEYS)
                            : AgentOptions.KEYS.get(random.nextInt(AgentOptions.KEYS.size()));
                    String sep = new String[] {"=", ":", " ", " = ", "\t", "=="}[random.nextInt(6)];
                    out.writeBytes((key + sep + randomValue(random)).getBytes(StandardCharsets.UTF_8));
                    break;
                }
            }
            out.writeBytes(new String[] {"\n", "\r\n", "\r", "\\\n", "\n\n"}[random.nextInt(5)]
                    .getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    private static String randomText(Random random, int length) {
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            int kind = random.nextInt(4);
            s.append(kind == 0 ? randomChar(random)
                    : kind == 1 ? (char) random.nextInt(0x10000)
                    : (char) (0x20 + random.nextInt(0x5f)));
        }
        return s.toString();
    }

    private static char randomChar(Random random) {
        return ODD_CHARS[random.nextInt(ODD_CHARS.length)];
    }

    private static String pick(Random random, String[] from) {
        return from[random.nextInt(from.length)];
    }

    private static String pick(Random random, List<String> from) {
        return from.get(random.nextInt(from.size()));
    }
}
