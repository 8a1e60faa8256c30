package dev.bpfhook.report;

import dev.bpfhook.event.AddressText;
import dev.bpfhook.event.Direction;
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
        return AddressText.withPort(endpoint.getAddress(), endpoint.getPort());
    }

    /**
     * "local -> remote" when we opened the connection, "local <- remote" when the
     * peer did, "local <-> remote" when that is not known (open before the monitor).
     */
    public static String pair(InetSocketAddress local, InetSocketAddress remote, Direction direction) {
        String arrow = direction == Direction.INBOUND ? " <- " : direction == Direction.OUTBOUND ? " -> " : " <-> ";
        return format(local) + arrow + format(remote);
    }
}
