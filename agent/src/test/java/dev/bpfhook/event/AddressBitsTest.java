package dev.bpfhook.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class AddressBitsTest {
    @Test
    void ipv4IsItsFourBytesInNetworkOrder() throws Exception {
        InetAddress a = InetAddress.getByName("10.0.0.1");

        assertEquals(AddressBits.IPV4, AddressBits.family(a));
        assertEquals(0x0a00_0001L, AddressBits.hi(a));
        assertEquals(0, AddressBits.lo(a));
        assertEquals(0xc0a8_01feL, AddressBits.hi(InetAddress.getByName("192.168.1.254")), "no sign extension");
        assertEquals(a, AddressBits.address(AddressBits.IPV4, 0x0a00_0001L, 0));
    }

    @Test
    void ipv6IsItsSixteenBytesInNetworkOrder() throws Exception {
        InetAddress a = InetAddress.getByName("2001:db8::ff00:42:8329");

        assertEquals(AddressBits.IPV6, AddressBits.family(a));
        assertEquals(0x2001_0db8_0000_0000L, AddressBits.hi(a));
        assertEquals(0x0000_ff00_0042_8329L, AddressBits.lo(a));
        assertEquals(a, AddressBits.address(AddressBits.IPV6, AddressBits.hi(a), AddressBits.lo(a)));
    }

    @Test
    void anIpv4MappedAddressIsIpv4AsJavaSeesIt() throws Exception {
        InetAddress mapped = InetAddress.getByName("::ffff:10.1.2.3");

        assertInstanceOf(Inet4Address.class, mapped);
        assertEquals(AddressBits.IPV4, AddressBits.family(mapped));
        assertEquals(0x0a01_0203L, AddressBits.hi(mapped));
        assertEquals(true, AddressBits.isMappedIpv4(0, 0x0000_ffff_0a01_0203L));
        assertEquals(false, AddressBits.isMappedIpv4(0, 0x0000_fffe_0a01_0203L));
    }

    @Test
    void noAddressIsTheEndpointOfNone() {
        assertEquals(AddressBits.NONE, AddressBits.family(null));
        assertNull(AddressBits.address(AddressBits.NONE, 0, 0));
        assertEquals(new InetSocketAddress(0), AddressBits.endpoint(AddressBits.NONE, 0, 0, 0));
    }
}
