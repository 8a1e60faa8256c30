package dev.bpfhook.jmx;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.event.Abi;
import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.EventDecoder;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.TcpState;
import dev.bpfhook.track.Connection;
import dev.bpfhook.track.ConnectionTable;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

/** The filter of findConnections: a port, an address literal, address:port, or empty for all. */
class ConnectionFilterTest {
    /** 10.0.0.1:45678 -> 10.0.0.2:8080 */
    private static final Connection V4 = connection(at("10.0.0.1", 45678), at("10.0.0.2", 8080));
    /** [::1]:8080 <- [::1]:50000 */
    private static final Connection V6 = connection(at("::1", 8080), at("::1", 50000));
    /** [2001:db8::5]:33000 -> [2001:db8::1]:443 */
    private static final Connection V6_GLOBAL = connection(at("2001:db8::5", 33000), at("2001:db8::1", 443));

    // ---- empty ----

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {" ", "\t "})
    void emptyOrNullMatchesEveryConnection(String filter) {
        ConnectionFilter f = ConnectionFilter.parse(filter);

        assertTrue(f.test(V4));
        assertTrue(f.test(V6));
        assertTrue(f.test(V6_GLOBAL));
    }

    // ---- port ----

    @Test
    void portMatchesTheRemotePort() {
        assertTrue(ConnectionFilter.parse("8080").test(V4));
    }

    @Test
    void portMatchesTheLocalPort() {
        assertTrue(ConnectionFilter.parse("45678").test(V4));
        assertTrue(ConnectionFilter.parse("8080").test(V6));
    }

    @Test
    void portMatchesNoConnectionWithoutIt() {
        assertFalse(ConnectionFilter.parse("8081").test(V4));
        assertFalse(ConnectionFilter.parse("443").test(V6));
    }

    @Test
    void portSurroundedBySpacesIsStillAPort() {
        assertTrue(ConnectionFilter.parse(" 443 ").test(V6_GLOBAL));
        assertFalse(ConnectionFilter.parse(" 443 ").test(V4));
    }

    @Test
    void portsZeroAnd65535AreAccepted() {
        assertFalse(ConnectionFilter.parse("0").test(V4));
        assertFalse(ConnectionFilter.parse("65535").test(V4));
        assertTrue(ConnectionFilter.parse("65535").test(connection(at("10.0.0.1", 65535), at("10.0.0.2", 1))));
    }

    // ---- IPv4 ----

    @Test
    void ipv4AddressMatchesTheLocalOrRemoteAddress() {
        assertTrue(ConnectionFilter.parse("10.0.0.1").test(V4));
        assertTrue(ConnectionFilter.parse("10.0.0.2").test(V4));
        assertFalse(ConnectionFilter.parse("10.0.0.3").test(V4));
        assertFalse(ConnectionFilter.parse("10.0.0.1").test(V6));
    }

    @Test
    void ipv4AddressAndPortMustMatchTheSameEnd() {
        assertTrue(ConnectionFilter.parse("10.0.0.2:8080").test(V4));
        assertTrue(ConnectionFilter.parse("10.0.0.1:45678").test(V4));
        assertFalse(ConnectionFilter.parse("10.0.0.1:8080").test(V4), "10.0.0.1 is local, 8080 is remote");
        assertFalse(ConnectionFilter.parse("10.0.0.2:45678").test(V4), "10.0.0.2 is remote, 45678 is local");
    }

    // ---- IPv6 ----

    @Test
    void ipv6WithoutBracketsMatches() {
        assertTrue(ConnectionFilter.parse("::1").test(V6));
        assertTrue(ConnectionFilter.parse("2001:db8::1").test(V6_GLOBAL));
        assertFalse(ConnectionFilter.parse("::1").test(V6_GLOBAL));
        assertFalse(ConnectionFilter.parse("::1").test(V4));
    }

    @Test
    void ipv6InBracketsMatches() {
        assertTrue(ConnectionFilter.parse("[::1]").test(V6));
        assertTrue(ConnectionFilter.parse("[2001:db8::5]").test(V6_GLOBAL));
        assertFalse(ConnectionFilter.parse("[::1]").test(V6_GLOBAL));
    }

    @Test
    void ipv6InAnyWrittenFormMatchesTheSameAddress() {
        assertTrue(ConnectionFilter.parse("[0:0:0:0:0:0:0:1]").test(V6));
        assertTrue(ConnectionFilter.parse("2001:DB8:0:0:0:0:0:1").test(V6_GLOBAL));
    }

    @Test
    void ipv6InBracketsWithPortMustMatchTheSameEnd() {
        assertTrue(ConnectionFilter.parse("[::1]:8080").test(V6));
        assertTrue(ConnectionFilter.parse("[::1]:50000").test(V6));
        assertTrue(ConnectionFilter.parse("[2001:db8::1]:443").test(V6_GLOBAL));
        assertFalse(ConnectionFilter.parse("[2001:db8::5]:443").test(V6_GLOBAL), "::5 is local, 443 is remote");
        assertFalse(ConnectionFilter.parse("[::1]:8081").test(V6));
    }

    @Test
    void ipv6WithoutBracketsAndATrailingNumberIsAnAddressNotAPort() {
        ConnectionFilter f = ConnectionFilter.parse("::1:8080"); // the address 0:0:0:0:0:0:1:8080

        assertFalse(f.test(V6));
        assertTrue(f.test(connection(at("::1:8080", 1), at("::1", 2))));
    }

    // ---- IPv4-mapped ----

    @Test
    void ipv4MappedConnectionFromTheDecoderMatchesAnIpv4Filter() {
        Connection mapped = decodedIpv6Connection(mapped(127, 0, 0, 1), 50000, mapped(127, 0, 0, 1), 8080);
        assertInstanceOf(Inet4Address.class, mapped.local().getAddress(), "the decoder's promise");

        assertTrue(ConnectionFilter.parse("127.0.0.1").test(mapped));
        assertTrue(ConnectionFilter.parse("127.0.0.1:8080").test(mapped));
        assertFalse(ConnectionFilter.parse("127.0.0.2").test(mapped));
    }

    @Test
    void ipv4MappedFilterMatchesAnIpv4Connection() {
        assertTrue(ConnectionFilter.parse("::ffff:10.0.0.2").test(V4));
        assertTrue(ConnectionFilter.parse("[::ffff:10.0.0.2]:8080").test(V4));
        assertFalse(ConnectionFilter.parse("[::ffff:10.0.0.2]:45678").test(V4));
    }

    // ---- rejected ----

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "example.com", "example.com:80", "[localhost]", "[localhost]:80",
        "my-host:8080", "localhost6"})
    void hostNamesAreRejectedAsNotAPort(String filter) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConnectionFilter.parse(filter));

        assertTrue(e.getMessage().contains("is not a port"), e.getMessage());
        assertTrue(e.getMessage().contains("'" + filter + "'"), "names the filter: " + e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"70000", "65536", "-1", "8080x", "x8080", "99999999999", "[::1]x", "[::1]:", "[::1]:x",
        "[::1]:70000", "[::1", "10.0.0.1:", "10.0.0.1:70000", "10.0.0.1:-1", ":8080", "1:2:3", "::1%lo",
        "10.0.0", "10.0.0.1.5", "8080 8081"})
    void badPortsAndMalformedAddressesAreRejected(String filter) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConnectionFilter.parse(filter));

        assertTrue(e.getMessage().contains("is not a port"), e.getMessage());
    }

    /**
     * With a hosts file that resolves every name below, a parse that looked one
     * up would succeed: rejection proves that none was looked up. Run in a child
     * JVM, since the JDK reads jdk.net.hosts.file once per JVM.
     */
    @Test
    void hostNamesAreRejectedWithoutALookup(@TempDir Path dir) throws Exception {
        List<String> lines = parseInChildJvm(dir, "localhost", "example.com", "example.com:80", "[localhost]:80");

        assertEquals(Arrays.asList("control example.com=10.9.9.9", "localhost rejected", "example.com rejected",
                "example.com:80 rejected", "[localhost]:80 rejected"), lines);
    }

    /**
     * "300.1.2.3" looks like an IPv4 literal, but InetAddress.getByName reads only
     * 0-255 as one and looks anything else up as a host name (DNS); a resolver that
     * answered made it a filter for whatever address came back. Such text is now
     * rejected without a lookup.
     */
    @Test
    void ipv4WithAnOctetOver255IsRejectedWithoutALookup(@TempDir Path dir) throws Exception {
        List<String> lines = parseInChildJvm(dir, "300.1.2.3", "10.0.0.256:80", "[999.1.1.1]");

        assertEquals(Arrays.asList("control example.com=10.9.9.9", "300.1.2.3 rejected", "10.0.0.256:80 rejected",
                "[999.1.1.1] rejected"), lines);
    }

    /** Parses each filter in a JVM whose every host name lookup answers 10.9.9.9. */
    private static List<String> parseInChildJvm(Path dir, String... filters) throws Exception {
        Path hosts = dir.resolve("hosts");
        StringBuilder names = new StringBuilder("10.9.9.9 example.com");
        for (String f : filters) {
            names.append(' ').append(f.replaceAll("^\\[|\\](:\\d+)?$|:\\d+$", ""));
        }
        Files.write(hosts, (names + "\n").getBytes(UTF_8));
        List<String> command = new ArrayList<>(Arrays.asList(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djdk.net.hosts.file=" + hosts, "-cp", System.getProperty("java.class.path"),
                ParseInChild.class.getName()));
        command.addAll(Arrays.asList(filters));
        Path stderr = dir.resolve("stderr");
        Process p = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM ended");
        assertEquals(0, p.exitValue(), out + new String(Files.readAllBytes(stderr), UTF_8));
        return Arrays.asList(out.strip().split("\\R"));
    }

    /** The child JVM: proves the hosts file answers, then parses each argument. */
    static final class ParseInChild {
        public static void main(String[] args) throws UnknownHostException {
            System.out.println("control example.com=" + InetAddress.getByName("example.com").getHostAddress());
            for (String filter : args) {
                try {
                    ConnectionFilter.parse(filter);
                    System.out.println(filter + " accepted");
                } catch (IllegalArgumentException e) {
                    System.out.println(filter + (e.getMessage().contains("is not a port") ? " rejected" : " " + e));
                }
            }
        }
    }

    // ---- helpers ----

    /** An address literal (never a lookup: every caller passes digits or colons). */
    static InetSocketAddress at(String literal, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(literal), port);
        } catch (UnknownHostException e) {
            throw new AssertionError(literal, e);
        }
    }

    /** An established TCP connection between two ends, as the connection table holds it. */
    static Connection connection(InetSocketAddress local, InetSocketAddress remote) {
        ConnectionTable table = new ConnectionTable(10, 10);
        table.join(ConnectionEvent.builder(EventKind.STATE).socketCookie(1).timestampNs(1).local(local)
                .remote(remote).states(TcpState.SYN_SENT, TcpState.ESTABLISHED).build());
        return table.open().get(0);
    }

    private static byte[] mapped(int a, int b, int c, int d) {
        byte[] bytes = new byte[16];
        bytes[10] = (byte) 0xff;
        bytes[11] = (byte) 0xff;
        bytes[12] = (byte) a;
        bytes[13] = (byte) b;
        bytes[14] = (byte) c;
        bytes[15] = (byte) d;
        return bytes;
    }

    /** A struct bh_event of an AF_INET6 socket, through the real decoder and connection table. */
    private static Connection decodedIpv6Connection(byte[] local, int localPort, byte[] remote, int remotePort) {
        ByteBuffer record = ByteBuffer.allocate(Abi.Event.SIZE).order(ByteOrder.nativeOrder());
        record.putLong(Abi.Event.SOCKET_COOKIE, 9);
        record.put(Abi.Event.KIND, (byte) EventKind.STATE.code());
        record.put(Abi.Event.FAMILY, (byte) 10); // AF_INET6
        record.put(Abi.Event.PROTOCOL, (byte) 6); // IPPROTO_TCP
        record.put(Abi.Event.DIRECTION, (byte) 1); // OUTBOUND
        record.put(Abi.Event.OLD_STATE, (byte) TcpState.SYN_SENT.ordinal());
        record.put(Abi.Event.NEW_STATE, (byte) TcpState.ESTABLISHED.ordinal());
        record.putShort(Abi.Event.LOCAL_PORT, (short) localPort);
        record.putShort(Abi.Event.REMOTE_PORT, (short) remotePort);
        for (int i = 0; i < 16; i++) {
            record.put(Abi.Event.LOCAL_ADDR + i, local[i]);
            record.put(Abi.Event.REMOTE_ADDR + i, remote[i]);
        }
        ConnectionEvent e = new EventDecoder().decode(record, 0, Abi.Event.SIZE);
        ConnectionTable table = new ConnectionTable(10, 10);
        table.join(e);
        return table.open().get(0);
    }
}
