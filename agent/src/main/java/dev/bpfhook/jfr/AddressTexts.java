package dev.bpfhook.jfr;

import dev.bpfhook.event.AddressBits;
import dev.bpfhook.event.AddressText;

/**
 * The text of recently seen addresses ("10.0.0.9", "2001:db8::1"), by their bits (see
 * {@link AddressBits}): formatting an address, an IPv6 one above all, costs more than committing the
 * event it goes into, and a record carries its addresses as bits, so no address object is made for
 * a text already known. A slot holds the latest address whose bits hashed to it: a miss costs one
 * formatting, never a wrong text.
 *
 * <p>Not thread-safe: used by the ring thread only.
 */
final class AddressTexts {
    private static final int SLOTS = 256;

    private final int[] families = new int[SLOTS];
    private final long[] his = new long[SLOTS];
    private final long[] los = new long[SLOTS];
    private final String[] texts = new String[SLOTS];

    /** The text of the address of these bits; "" for none. */
    String of(int family, long hi, long lo) {
        if (family == AddressBits.NONE) {
            return "";
        }
        long h = (hi * 0x9E37_79B9_7F4A_7C15L ^ lo * 0xC2B2_AE3D_27D4_EB4FL) + family;
        int slot = (int) (h ^ h >>> 29 ^ h >>> 47) & (SLOTS - 1);
        if (families[slot] == family && his[slot] == hi && los[slot] == lo) {
            return texts[slot];
        }
        String text = AddressText.of(AddressBits.address(family, hi, lo));
        families[slot] = family; // never NONE (0), the family of an empty slot
        his[slot] = hi;
        los[slot] = lo;
        texts[slot] = text;
        return text;
    }
}
