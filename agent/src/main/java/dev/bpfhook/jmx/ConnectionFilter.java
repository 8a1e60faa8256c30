package dev.bpfhook.jmx;

import dev.bpfhook.track.Connection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.function.Predicate;

/**
 * The filter of findConnections: empty (all), a port, an address literal
 * (never a name: no DNS from inside a service), or address:port. It matches a
 * connection when its local or its remote end matches.
 */
final class ConnectionFilter implements Predicate<Connection> {
    private final InetAddress address;
    private final int port;

    private ConnectionFilter(InetAddress address, int port) {
        this.address = address;
        this.port = port;
    }

    static ConnectionFilter parse(String text) {
        String f = text == null ? "" : text.trim();
        if (f.isEmpty()) {
            return new ConnectionFilter(null, -1);
        }
        if (f.chars().allMatch(Character::isDigit)) {
            return new ConnectionFilter(null, port(f, text));
        }
        String host = f;
        int port = -1;
        if (f.startsWith("[")) { // [v6] or [v6]:port
            int close = f.indexOf(']');
            if (close < 0) {
                throw invalid(text);
            }
            host = f.substring(1, close);
            if (close + 1 < f.length()) {
                if (f.charAt(close + 1) != ':') {
                    throw invalid(text);
                }
                port = port(f.substring(close + 2), text);
            }
        } else if (f.indexOf(':') == f.lastIndexOf(':') && f.indexOf(':') > 0) { // v4:port
            host = f.substring(0, f.indexOf(':'));
            port = port(f.substring(f.indexOf(':') + 1), text);
        }
        return new ConnectionFilter(literal(host, text), port);
    }

    @Override
    public boolean test(Connection c) {
        return matches(c.local()) || matches(c.remote());
    }

    private boolean matches(InetSocketAddress end) {
        return (address == null || address.equals(end.getAddress())) && (port < 0 || port == end.getPort());
    }

    private static int port(String digits, String text) {
        try {
            int p = Integer.parseInt(digits);
            if (p >= 0 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw invalid(text);
    }

    private static InetAddress literal(String host, String text) {
        boolean ipv4 = host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean ipv6 = host.contains(":") && host.matches("[0-9a-fA-F:.]+");
        if (!ipv4 && !ipv6) {
            throw invalid(text);
        }
        if (ipv4) { // 300.1.2.3 is no literal: getByName would look it up as a name
            for (String octet : host.split("\\.")) {
                if (Integer.parseInt(octet) > 255) {
                    throw invalid(text);
                }
            }
        }
        try {
            return InetAddress.getByName(host); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw invalid(text);
        }
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("filter '" + text + "' is not a port (8080), an address (10.0.0.1, "
                + "[::1]) or address:port (10.0.0.1:8080, [::1]:8080); leave it empty for all connections");
    }
}
