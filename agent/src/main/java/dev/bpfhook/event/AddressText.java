package dev.bpfhook.event;

import java.net.InetAddress;

/**
 * An address as people write it, the same in every output: 10.0.0.1, and IPv6 in the RFC 5952 short form
 * (2001:db8::1, where Java would print 2001:db8:0:0:0:0:0:1). Never a DNS lookup.
 */
public final class AddressText {
    private AddressText() {
    }

    public static String of(InetAddress address) {
        byte[] bytes = address.getAddress();
        return bytes.length == 4 ? address.getHostAddress() : ipv6(bytes);
    }

    /** "10.0.0.1:80", and an IPv6 address in brackets: "[2001:db8::1]:443". */
    public static String withPort(InetAddress address, int port) {
        byte[] bytes = address.getAddress();
        return (bytes.length == 4 ? address.getHostAddress() : "[" + ipv6(bytes) + "]") + ":" + port;
    }

    /** RFC 5952: the longest run of zero groups as "::", lower-case hex, no leading zeros. */
    public static String ipv6(byte[] bytes) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
        }
        // the longest run of two or more zero groups becomes "::" (the first, on a tie)
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLength - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(groups[i]));
        }
        return out.toString();
    }
}
