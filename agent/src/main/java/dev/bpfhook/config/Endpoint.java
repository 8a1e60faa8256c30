package dev.bpfhook.config;

import java.util.Locale;
import java.util.Objects;

/**
 * A TCP address to serve on: a host as the user wrote it (never resolved here) and a port.
 * Written {@code port}, {@code host:port} or {@code [ipv6]:port}; without a host it is {@value #DEFAULT_HOST}.
 * Immutable.
 */
public final class Endpoint {
    public static final String DEFAULT_HOST = "127.0.0.1";

    private static final int MAX_HOST = 253;

    private final String host;
    private final int port;

    private Endpoint(String host, int port) {
        this.host = host;
        this.port = port;
    }

    /**
     * @param host a host name, an IPv4 address or an IPv6 address (without brackets)
     * @throws IllegalArgumentException if the host or port is not valid
     */
    public static Endpoint of(String host, int port) {
        Objects.requireNonNull(host, "host");
        String problem = host.isEmpty() ? "no host; give a host name or IP address"
                : host.indexOf(':') >= 0 ? ipv6Problem(host) : hostProblem(host);
        if (problem == null && (port < 1 || port > 65535)) {
            problem = "port " + port + " out of range 1-65535";
        }
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return new Endpoint(host, port);
    }

    /**
     * Parses {@code port}, {@code host:port} or {@code [ipv6]:port}, without any DNS lookup.
     *
     * @throws ConfigException with a one-line message saying what is wrong and how to write it; it does not name
     *                         the option: a caller prefixes it
     */
    public static Endpoint parse(String text) throws ConfigException {
        if (text == null || text.isEmpty()) {
            throw new ConfigException("no address; write a port or host:port, e.g. 8080 or 127.0.0.1:8080");
        }
        String host;
        String portText;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                throw new ConfigException(quoted(text) + " has no closing ']'; write an IPv6 address as [address]:port,"
                        + " e.g. [::1]:8080");
            }
            host = text.substring(1, close);
            String rest = text.substring(close + 1);
            if (host.isEmpty()) {
                throw new ConfigException(quoted(text) + " has no address between '[' and ']'; write e.g. [::1]:8080");
            }
            if (host.indexOf(':') < 0) {
                throw new ConfigException(quoted(text) + ": brackets are for IPv6 addresses like [::1]; write a host"
                        + " name or IPv4 address without them, e.g. 127.0.0.1:8080");
            }
            if (rest.isEmpty()) {
                throw new ConfigException(quoted(text) + " has no port; write [address]:port, e.g. [::1]:8080");
            }
            if (rest.charAt(0) != ':') {
                throw new ConfigException(quoted(text) + " needs ':' between ']' and the port, e.g. [::1]:8080");
            }
            String problem = ipv6Problem(host);
            if (problem != null) {
                throw new ConfigException(problem);
            }
            portText = rest.substring(1);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                host = DEFAULT_HOST;
                portText = text;
            } else if (text.indexOf(':') != colon) {
                throw new ConfigException(quoted(text) + " looks like an IPv6 address without brackets; write it as "
                        + AgentOptions.shown("[" + text.substring(0, colon) + "]" + text.substring(colon)));
            } else {
                host = text.substring(0, colon);
                portText = text.substring(colon + 1);
                if (host.isEmpty()) {
                    throw new ConfigException(quoted(text) + " has no host before ':'; write just the port for "
                            + DEFAULT_HOST + ", or host:port");
                }
                String problem = hostProblem(host);
                if (problem != null) {
                    throw new ConfigException(problem);
                }
            }
        }
        if (portText.isEmpty()) {
            throw new ConfigException(quoted(text) + " has no port after ':'; write host:port, e.g. localhost:8080");
        }
        long port = AgentOptions.asciiLong(portText);
        if (port == AgentOptions.NOT_A_NUMBER) {
            throw new ConfigException("port " + quoted(portText) + " is not a number from 1 to 65535");
        }
        if (port < 1 || port > 65535) {
            throw new ConfigException("port " + AgentOptions.shown(portText) + " out of range 1-65535");
        }
        return new Endpoint(host, (int) port);
    }

    /** The host as written, without the brackets of an IPv6 address. */
    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /**
     * Whether the host is a loopback address, decided from its text alone (no DNS): {@code localhost},
     * an IPv4 address 127.x.x.x, {@code ::1} in any spelling, or an IPv4-mapped ::ffff:127.x.x.x.
     */
    public boolean isLoopback() {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.equals("localhost") || h.equals("localhost.")) {
            return true;
        }
        int[] v4 = ipv4(h);
        if (v4 != null) {
            return v4[0] == 127;
        }
        int[] v6 = ipv6(h);
        if (v6 == null) {
            return false;
        }
        for (int i = 0; i < 5; i++) {
            if (v6[i] != 0) {
                return false;
            }
        }
        if (v6[5] == 0 && v6[6] == 0) {
            return v6[7] == 1;
        }
        return v6[5] == 0xffff && (v6[6] >> 8) == 127;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Endpoint && ((Endpoint) o).host.equals(host) && ((Endpoint) o).port == port;
    }

    @Override
    public int hashCode() {
        return host.hashCode() * 31 + port;
    }

    /** {@code host:port}, or {@code [host]:port} for an IPv6 address: the form {@link #parse} reads. */
    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    private static String quoted(String text) {
        return "'" + AgentOptions.shown(text) + "'";
    }

    /** Why {@code host} is not a host name or IPv4 address; null if it is one. */
    private static String hostProblem(String host) {
        boolean dottedDigits = true;
        boolean digits = false;
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'
                    || c == '_')) {
                return "host " + quoted(host) + " is not a host name or IP address";
            }
            dottedDigits &= c >= '0' && c <= '9' || c == '.';
            digits |= c >= '0' && c <= '9';
        }
        if (dottedDigits && digits) {
            return ipv4(host) != null ? null : "host " + quoted(host) + " is not an IPv4 address like 127.0.0.1";
        }
        String labels = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        if (host.length() > MAX_HOST || labels.isEmpty() || labels.startsWith(".") || labels.contains("..")) {
            return "host " + quoted(host) + " is not a host name or IP address";
        }
        return null;
    }

    /** Why {@code host} is not an IPv6 address; null if it is one. */
    private static String ipv6Problem(String host) {
        return ipv6(host) != null ? null : "host " + quoted(host) + " is not an IPv6 address like ::1";
    }

    /** The four octets of a dotted-quad IPv4 address (ASCII digits only), or null. */
    static int[] ipv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        int[] octets = new int[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3) {
                return null;
            }
            int v = 0;
            for (int j = 0; j < p.length(); j++) {
                char c = p.charAt(j);
                if (c < '0' || c > '9') {
                    return null;
                }
                v = v * 10 + (c - '0');
            }
            if (v > 255) {
                return null;
            }
            octets[i] = v;
        }
        return octets;
    }

    /**
     * The eight 16-bit groups of an IPv6 address (with "::", an IPv4 tail like ::ffff:1.2.3.4 and a zone like
     * %eth0 allowed), or null.
     */
    static int[] ipv6(String s) {
        int percent = s.indexOf('%');
        if (percent >= 0) {
            String zone = s.substring(percent + 1);
            if (zone.isEmpty()) {
                return null;
            }
            for (int i = 0; i < zone.length(); i++) {
                char c = zone.charAt(i);
                if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'
                        || c == '_')) {
                    return null;
                }
            }
            s = s.substring(0, percent);
        }
        int[] tail4 = null;
        if (s.indexOf('.') >= 0) {
            int colon = s.lastIndexOf(':');
            if (colon < 0) {
                return null;
            }
            tail4 = ipv4(s.substring(colon + 1));
            if (tail4 == null) {
                return null;
            }
            // keep the ':' so that "::1.2.3.4" stays "::" plus the two groups appended below
            s = s.substring(0, colon + 1) + "0:0";
        }
        int gap = s.indexOf("::");
        if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) {
            return null;
        }
        int[] head = groups(gap >= 0 ? s.substring(0, gap) : s);
        int[] rest = gap >= 0 ? groups(s.substring(gap + 2)) : new int[0];
        if (head == null || rest == null) {
            return null;
        }
        if (gap < 0 ? head.length != 8 : head.length + rest.length > 7) {
            return null;
        }
        int[] out = new int[8];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(rest, 0, out, 8 - rest.length, rest.length);
        if (tail4 != null) {
            out[6] = tail4[0] << 8 | tail4[1];
            out[7] = tail4[2] << 8 | tail4[3];
        }
        return out;
    }

    /** "1:ab:0" as groups; "" is no groups; null if a group is empty or not 1-4 hex digits. */
    private static int[] groups(String s) {
        if (s.isEmpty()) {
            return new int[0];
        }
        String[] parts = s.split(":", -1);
        if (parts.length > 8) {
            return null;
        }
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 4) {
                return null;
            }
            int v = 0;
            for (int j = 0; j < p.length(); j++) {
                char c = p.charAt(j);
                int d = c >= '0' && c <= '9' ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                if (d < 0) {
                    return null;
                }
                v = v << 4 | d;
            }
            out[i] = v;
        }
        return out;
    }
}
