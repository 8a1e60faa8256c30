package dev.bpfhook.report;

import dev.bpfhook.event.Direction;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Addresses as people write them: 10.0.0.1:80, [2001:db8::1]:443 (RFC 5952
 * short form, where Java would print 2001:db8:0:0:0:0:0:1). Never a DNS lookup.
 * IPv4-mapped IPv6 addresses already come out of the decoder as IPv4.
 */
public final class Endpoints {
    private Endpoints() {
    }

    public static String format(InetSocketAddress endpoint) {
        InetAddress address = endpoint.getAddress();
        byte[] bytes = address.getAddress();
        if (bytes.length == 4) {
            return address.getHostAddress() + ":" + endpoint.getPort();
        }
        return "[" + ipv6(bytes) + "]:" + endpoint.getPort();
    }

    /**
     * "local -> remote" when we opened the connection, "local <- remote" when the
     * peer did, "local <-> remote" when that is not known (open before the monitor).
     */
    public static String pair(InetSocketAddress local, InetSocketAddress remote, Direction direction) {
        String arrow = direction == Direction.INBOUND ? " <- " : direction == Direction.OUTBOUND ? " -> " : " <-> ";
        return format(local) + arrow + format(remote);
    }

    static String ipv6(byte[] bytes) {
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
