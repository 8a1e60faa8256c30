package dev.bpfhook.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.bpfhook.event.AddressBits;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class AddressTextsTest {
    private final AddressTexts texts = new AddressTexts();

    /** The text of the address as a record carries it: as bits. */
    private String of(InetAddress a) {
        return texts.of(AddressBits.family(a), AddressBits.hi(a), AddressBits.lo(a));
    }

    @Test
    void theSameAddressGetsTheSameTextObjectAgain() throws Exception {
        InetAddress v6 = InetAddress.getByName("2001:db8::1");

        String first = of(v6);

        assertEquals("2001:db8::1", first, "the short form, as every output writes it");
        assertSame(first, of(v6), "formatted once");
    }

    @Test
    void addressesThatShareASlotEachGetTheirOwnText() throws Exception {
        // more addresses than slots: some share one, and a shared slot must never answer with another's text
        InetAddress[] addresses = new InetAddress[1000];
        for (int i = 0; i < addresses.length; i++) {
            addresses[i] = InetAddress.getByName("10.0." + (i >> 8) + "." + (i & 255));
        }
        for (int round = 0; round < 2; round++) {
            for (InetAddress a : addresses) {
                assertEquals(a.getHostAddress(), of(a));
            }
        }
    }

    @Test
    void noAddressHasNoText() {
        assertEquals("", texts.of(AddressBits.NONE, 0, 0));
    }

    @Test
    void anEqualAddressInAnotherObjectGetsTheSameText() throws Exception {
        assertEquals("0.0.0.0", of(InetAddress.getByName("0.0.0.0")));
        assertEquals("::", of(InetAddress.getByName("::")), "not the IPv4 any-address's text");
        assertEquals("0.0.0.0", of(InetAddress.getByAddress(new byte[4])));
    }
}
