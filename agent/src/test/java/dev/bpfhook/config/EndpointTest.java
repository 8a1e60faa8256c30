package dev.bpfhook.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EndpointTest {

    @Test
    void portOnlyIsOnTheDefaultHost() throws ConfigException {
        Endpoint e = Endpoint.parse("8778");

        assertEquals("127.0.0.1", e.host());
        assertEquals(8778, e.port());
        assertEquals("127.0.0.1:8778", e.toString());
    }

    @Test
    void hostAndPortKeepTheHostAsGiven() throws ConfigException {
        assertEquals("0.0.0.0", Endpoint.parse("0.0.0.0:9404").host());
        assertEquals("LocalHost", Endpoint.parse("LocalHost:1").host());
        assertEquals("metrics.example.com", Endpoint.parse("metrics.example.com:65535").host());
        assertEquals(65535, Endpoint.parse("metrics.example.com:65535").port());
        assertEquals("my_host-1", Endpoint.parse("my_host-1:80").host());
        assertEquals(80, Endpoint.parse("host:0080").port());
    }

    @Test
    void ipv6InBrackets() throws ConfigException {
        Endpoint e = Endpoint.parse("[::1]:8778");

        assertEquals("::1", e.host());
        assertEquals(8778, e.port());
        assertEquals("[::1]:8778", e.toString());
        assertEquals("fe80::1%eth0", Endpoint.parse("[fe80::1%eth0]:80").host());
        assertEquals("::ffff:10.0.0.1", Endpoint.parse("[::ffff:10.0.0.1]:80").host());
        assertEquals("2001:DB8:0:0:0:0:0:1", Endpoint.parse("[2001:DB8:0:0:0:0:0:1]:80").host());
        assertEquals("::", Endpoint.parse("[::]:80").host());
    }

    @Test
    void toStringParsesBack() throws ConfigException {
        for (String text : new String[] {"127.0.0.1:1", "[::1]:8778", "example.com:443", "[fe80::1%eth0]:80"}) {
            Endpoint e = Endpoint.parse(text);
            assertEquals(text, e.toString());
            assertEquals(e, Endpoint.parse(e.toString()));
            assertEquals(e.hashCode(), Endpoint.parse(e.toString()).hashCode());
        }
        assertEquals(Endpoint.parse("8778"), Endpoint.parse("127.0.0.1:8778"));
        assertNotEquals(Endpoint.parse("8778"), Endpoint.parse("localhost:8778"), "no resolution");
        assertNotEquals(Endpoint.parse("8778"), Endpoint.parse("8779"));
    }

    @Test
    void hostWithoutPort() {
        assertMessage("'host:' has no port after ':'; write host:port, e.g. localhost:8080", "host:");
        assertMessage("'[::1]' has no port; write [address]:port, e.g. [::1]:8080", "[::1]");
        assertMessage("'[::1]:' has no port after ':'; write host:port, e.g. localhost:8080", "[::1]:");
    }

    @Test
    void portWithoutHost() {
        assertMessage("':80' has no host before ':'; write just the port for 127.0.0.1, or host:port", ":80");
        assertMessage("'[]:80' has no address between '[' and ']'; write e.g. [::1]:8080", "[]:80");
    }

    @Test
    void unclosedOrMisusedBrackets() {
        assertMessage("'[::1' has no closing ']'; write an IPv6 address as [address]:port, e.g. [::1]:8080", "[::1");
        assertMessage("'[::1]80' needs ':' between ']' and the port, e.g. [::1]:8080", "[::1]80");
        assertMessage("'[1.2.3.4]:80': brackets are for IPv6 addresses like [::1]; write a host name or IPv4 address "
                + "without them, e.g. 127.0.0.1:8080", "[1.2.3.4]:80");
        assertMessage("'::1:80' looks like an IPv6 address without brackets; write it as [::1]:80", "::1:80");
    }

    @Test
    void portOutOfRange() {
        assertMessage("port 0 out of range 1-65535", "1.2.3.4:0");
        assertMessage("port 0 out of range 1-65535", "0");
        assertMessage("port 65536 out of range 1-65535", "65536");
        assertMessage("port 70000 out of range 1-65535", "localhost:70000");
        assertMessage("port -1 out of range 1-65535", "-1");
        assertMessage("port 99999999999999999999999 out of range 1-65535", "99999999999999999999999");
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "80a", "+80", "8 0", "\u0668\u0660", "\uff18\uff10", "0x50", "80.0"})
    void portNotAnAsciiNumber(String port) {
        assertMessage("port '" + port + "' is not a number from 1 to 65535", "host:" + port);
    }

    @Test
    void badHosts() {
        assertMessage("host '999.1.1.1' is not an IPv4 address like 127.0.0.1", "999.1.1.1:80");
        assertMessage("host '1.2.3' is not an IPv4 address like 127.0.0.1", "1.2.3:80");
        assertMessage("host '127' is not an IPv4 address like 127.0.0.1", "127:80");
        assertMessage("host 'a b' is not a host name or IP address", "a b:80");
        assertMessage("host 'a..b' is not a host name or IP address", "a..b:80");
        assertMessage("host '.' is not a host name or IP address", ".:80");
        assertMessage("host 'h\\u0000' is not a host name or IP address", "h\u0000:80");
        assertMessage("host 'caf\u00e9' is not a host name or IP address", "caf\u00e9:80");
        assertMessage("host '::g' is not an IPv6 address like ::1", "[::g]:80");
        assertMessage("host '1::2::3' is not an IPv6 address like ::1", "[1::2::3]:80");
        assertMessage("host '1:2:3:4:5:6:7:8:9' is not an IPv6 address like ::1", "[1:2:3:4:5:6:7:8:9]:80");
        assertMessage("host '::1%' is not an IPv6 address like ::1", "[::1%]:80");
    }

    @Test
    void emptyText() {
        assertMessage("no address; write a port or host:port, e.g. 8080 or 127.0.0.1:8080", "");
        ConfigException e = assertThrows(ConfigException.class, () -> Endpoint.parse(null));
        assertEquals("no address; write a port or host:port, e.g. 8080 or 127.0.0.1:8080", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"8778", "127.0.0.1:1", "127.1.2.3:1", "127.255.255.254:1", "localhost:1", "LOCALHOST:1",
            "localhost.:1", "[::1]:1", "[0:0:0:0:0:0:0:1]:1", "[0000::0001]:1", "[::ffff:127.0.0.1]:1",
            "[::1%lo]:1"})
    void loopback(String text) throws ConfigException {
        assertTrue(Endpoint.parse(text).isLoopback(), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0:1", "10.0.0.1:1", "128.0.0.1:1", "126.255.255.255:1", "[::]:1", "[::2]:1",
            "[1::1]:1", "[::ffff:10.0.0.1]:1", "[::127.0.0.1]:1", "example.com:1", "localhost.example.com:1",
            "127.0.0.1.nip.io:1", "my-localhost:1"})
    void notLoopback(String text) throws ConfigException {
        assertFalse(Endpoint.parse(text).isLoopback(), text);
    }

    @Test
    void ofChecksHostAndPort() {
        assertEquals("[::1]:80", Endpoint.of("::1", 80).toString());
        assertTrue(Endpoint.of("localhost", 80).isLoopback());
        assertEquals("port 0 out of range 1-65535",
                assertThrows(IllegalArgumentException.class, () -> Endpoint.of("localhost", 0)).getMessage());
        assertEquals("host 'a b' is not a host name or IP address",
                assertThrows(IllegalArgumentException.class, () -> Endpoint.of("a b", 80)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Endpoint.of("", 80));
        assertThrows(IllegalArgumentException.class, () -> Endpoint.of("[::1]", 80));
    }

    private static void assertMessage(String expected, String text) {
        ConfigException e = assertThrows(ConfigException.class, () -> Endpoint.parse(text));
        assertEquals(expected, e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }
}
