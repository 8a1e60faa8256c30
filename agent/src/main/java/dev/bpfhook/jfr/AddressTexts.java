package dev.bpfhook.jfr;

import java.net.InetAddress;

/**
 * The text of recently seen addresses ("10.0.0.9", "2001:db8::1"): formatting an address, an IPv6
 * one above all, costs more than committing the event it goes into. The decoder hands out the same
 * address objects again and again, so a slot holds the latest address object whose identity hashed
 * to it: a look-up costs no hashing of the address's value (16 bytes for IPv6), and a miss costs
 * one formatting, never a wrong text.
 *
 * <p>Not thread-safe: used by the ring thread only.
 */
final class AddressTexts {
    private static final int SLOTS = 256;

    private final InetAddress[] keys = new InetAddress[SLOTS];
    private final String[] texts = new String[SLOTS];

    String of(InetAddress address) {
        int slot = System.identityHashCode(address) & (SLOTS - 1);
        if (keys[slot] == address) {
            return texts[slot];
        }
        String text = address.getHostAddress();
        keys[slot] = address;
        texts[slot] = text;
        return text;
    }
}
