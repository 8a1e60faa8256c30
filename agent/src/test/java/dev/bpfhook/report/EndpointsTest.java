package dev.bpfhook.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bpfhook.event.AddressText;
import dev.bpfhook.event.Direction;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;

class EndpointsTest {
    @Test
    void ipv4WithPort() {
        assertEquals("10.0.0.1:80", Endpoints.format(at("10.0.0.1", 80)));
        assertEquals("142.251.46.142:443", Endpoints.format(at("142.251.46.142", 443)));
        assertEquals("0.0.0.0:0", Endpoints.format(at("0.0.0.0", 0)));
    }

    @Test
    void ipv6InBracketsWithPort() {
        assertEquals("[2001:db8::1]:443", Endpoints.format(at("2001:db8:0:0:0:0:0:1", 443)));
        assertEquals("[::1]:8080", Endpoints.format(at("0:0:0:0:0:0:0:1", 8080)));
    }

    @Test
    void loopback() {
        assertEquals("::1", ipv6("0:0:0:0:0:0:0:1"));
    }

    @Test
    void allZeroIsDoubleColon() {
        assertEquals("::", ipv6("0:0:0:0:0:0:0:0"));
        assertEquals("[::]:0", Endpoints.format(at("::", 0)));
    }

    @Test
    void longestRunIsCompressed() {
        assertEquals("2001:db8::1", ipv6("2001:db8:0:0:0:0:0:1"));
        assertEquals("fe80::1:0:0:1", ipv6("fe80:0:0:0:1:0:0:1"));
        assertEquals("2001:0:0:1::1", ipv6("2001:0:0:1:0:0:0:1"));
    }

    @Test
    void onATieTheFirstRunIsCompressed() {
        assertEquals("2001:db8::1:0:0:1", ipv6("2001:db8:0:0:1:0:0:1"));
        assertEquals("::1:2:3:4:0:0", ipv6("0:0:1:2:3:4:0:0"));
        assertEquals("1::2:3:0:0:4", ipv6("1:0:0:2:3:0:0:4"));
    }

    @Test
    void singleZeroGroupIsNotCompressed() {
        assertEquals("2001:db8:0:1:1:1:1:1", ipv6("2001:db8:0:1:1:1:1:1"));
        assertEquals("1:0:2:0:3:0:4:0", ipv6("1:0:2:0:3:0:4:0"));
    }

    @Test
    void runsAtEitherEnd() {
        assertEquals("fe80::", ipv6("fe80:0:0:0:0:0:0:0"));
        assertEquals("::ffff:1", ipv6("0:0:0:0:0:0:ffff:1"));
    }

    @Test
    void lowercaseHexWithoutLeadingZeros() {
        assertEquals("2001:db8:ab:cdef:1:a:ff00:1", ipv6("2001:0DB8:00AB:CDEF:0001:000A:FF00:0001"));
    }

    @Test
    void pairArrowPointsAwayFromTheOpener() {
        InetSocketAddress local = at("10.0.2.15", 45678);
        InetSocketAddress remote = at("142.251.46.142", 443);

        assertEquals("10.0.2.15:45678 -> 142.251.46.142:443", Endpoints.pair(local, remote, Direction.OUTBOUND));
        assertEquals("10.0.2.15:45678 <- 142.251.46.142:443", Endpoints.pair(local, remote, Direction.INBOUND));
        assertEquals("10.0.2.15:45678 <-> 142.251.46.142:443", Endpoints.pair(local, remote, Direction.UNKNOWN));
    }

    @Test
    void pairOfIpv6Endpoints() {
        assertEquals("[2001:db8::15]:8080 <- [2001:db8::2]:51000",
                Endpoints.pair(at("2001:db8::15", 8080), at("2001:db8::2", 51000), Direction.INBOUND));
    }

    private static String ipv6(String literal) {
        byte[] bytes = address(literal).getAddress();
        assertEquals(16, bytes.length, literal);
        return AddressText.ipv6(bytes);
    }

    private static InetSocketAddress at(String literal, int port) {
        return new InetSocketAddress(address(literal), port);
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal); // a literal: parsed, never looked up
        } catch (UnknownHostException e) {
            throw new AssertionError(literal, e);
        }
    }
}
