package dev.bpfhook.tools;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import dev.bpfhook.tools.LoopbackServers.RefusingPort;
import dev.bpfhook.tools.LoopbackServers.TcpServer;
import dev.bpfhook.tools.LoopbackServers.UdpEchoServer;

/**
 * Makes a known amount of real loopback traffic against servers in this same
 * process, then prints what a bpfhook monitor watching this process should count.
 *
 * <p>Everything runs sequentially on one client thread, and each connection is
 * closed on both sides before the next one starts, so the counts are exact.
 */
public final class TrafficGenerator {

    static final List<String> TYPES = Collections.unmodifiableList(
            Arrays.asList("tcp", "http", "udp", "refused", "ipv6"));
    static final int DEFAULT_REQUESTS = 10;
    /** Caps TIME_WAIT build-up: each TCP connection leaves one for a minute. */
    static final int MAX_REQUESTS = 10_000;

    private static final String USAGE = String.join("\n",
            "usage: traffic-gen [--auto] [--type tcp|http|udp|refused|ipv6] [--requests N] [--help]",
            "",
            "Makes real traffic on loopback only, against servers started in this same process",
            "on ephemeral ports, then prints what a bpfhook monitor watching this process",
            "should count. Run it while the monitor is running and compare the numbers.",
            "",
            "  --auto          run all five types in sequence, N connections each",
            "  --type TYPE     run one type (default: tcp)",
            "  --requests N    connections per type, 1.." + MAX_REQUESTS + " (default: " + DEFAULT_REQUESTS + ")",
            "  --help          show this help",
            "",
            "Types:",
            "  tcp      connect to a TCP echo server on 127.0.0.1, send 64 bytes, read the echo",
            "  http     one GET / per TCP connection to an HTTP/1.1 server on 127.0.0.1",
            "  udp      connect() a UDP socket to an echo server on 127.0.0.1, one datagram each way",
            "  refused  connect to a 127.0.0.1 port that is bound but not listening",
            "  ipv6     like tcp, on ::1 (skipped if ::1 is not available)",
            "");

    private static final InetAddress IPV4_LOOPBACK = address("127.0.0.1", 127, 0, 0, 1);
    private static final InetAddress IPV6_LOOPBACK =
            address("::1", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);

    private final Options options;
    private TcpServer tcpServer;
    private TcpServer httpServer;
    private UdpEchoServer udpServer;
    private RefusingPort refusingPort;
    private TcpServer ipv6Server;
    /** Why ::1 could not be used, or null. */
    private String ipv6Unavailable;

    private TrafficGenerator(Options options) {
        this.options = options;
    }

    public static void main(String[] args) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (UsageException e) {
            System.err.println("traffic-gen: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (options.help) {
            System.out.print(USAGE);
            return;
        }
        try {
            new TrafficGenerator(options).run();
        } catch (IOException e) {
            System.err.println("traffic-gen: " + e.getMessage());
            System.exit(1);
        } catch (InterruptedException e) {
            System.err.println("traffic-gen: interrupted");
            System.exit(1);
        }
    }

    private void run() throws IOException, InterruptedException {
        long pid = ProcessHandle.current().pid();
        List<TypeCounts> results = new ArrayList<>();
        try {
            startServers();
            System.out.println("traffic-gen: pid " + pid + ", servers on " + describeServers());
            if (ipv6Unavailable != null) {
                System.out.println("traffic-gen: ipv6 will be skipped: ::1 is not available ("
                        + ipv6Unavailable + ")");
            }
            for (String type : options.types()) {
                results.add(runType(type));
            }
        } finally {
            stopServers();
        }
        printSummary(pid, results);
    }

    // ------------------------------------------------------------------ servers

    /** Starts only the servers the chosen types need. */
    private void startServers() throws IOException {
        List<String> types = options.types();
        try {
            if (types.contains("tcp")) {
                tcpServer = new TcpServer("tcp echo", IPV4_LOOPBACK, LoopbackServers::echo);
            }
            if (types.contains("http")) {
                httpServer = new TcpServer("http", IPV4_LOOPBACK, LoopbackServers::http);
            }
            if (types.contains("udp")) {
                udpServer = new UdpEchoServer(IPV4_LOOPBACK);
            }
            if (types.contains("refused")) {
                refusingPort = new RefusingPort(IPV4_LOOPBACK);
            }
        } catch (IOException e) {
            throw new IOException("cannot start a server on 127.0.0.1: " + e.getMessage(), e);
        }
        if (types.contains("ipv6")) {
            try {
                ipv6Server = new TcpServer("tcp echo (ipv6)", IPV6_LOOPBACK, LoopbackServers::echo);
            } catch (IOException e) {
                // IPv6 disabled or absent is a property of the machine, not an error
                ipv6Unavailable = e.getMessage();
            }
        }
    }

    private String describeServers() {
        List<String> parts = new ArrayList<>();
        if (tcpServer != null) {
            parts.add(LoopbackServers.format(tcpServer.address()) + " (tcp echo)");
        }
        if (httpServer != null) {
            parts.add(LoopbackServers.format(httpServer.address()) + " (http)");
        }
        if (udpServer != null) {
            parts.add(LoopbackServers.format(udpServer.address()) + " (udp echo)");
        }
        if (refusingPort != null) {
            parts.add(LoopbackServers.format(refusingPort.address()) + " (bound, not listening: refused)");
        }
        if (ipv6Server != null) {
            parts.add(LoopbackServers.format(ipv6Server.address()) + " (tcp echo)");
        }
        return String.join(", ", parts);
    }

    /** Best effort: by now every connection is finished; only listening sockets remain. */
    private void stopServers() {
        for (AutoCloseable server : Arrays.asList(tcpServer, httpServer, udpServer, refusingPort, ipv6Server)) {
            if (server == null) {
                continue;
            }
            try {
                server.close();
            } catch (Exception e) {
                System.err.println("traffic-gen: warning: closing a server: " + e.getMessage());
            }
        }
    }

    // ------------------------------------------------------------------ traffic

    /** One connection made by the client; see {@link TrafficClient}. */
    private interface OneConnection {
        void make(InetSocketAddress target, TypeCounts counts) throws IOException;
    }

    private TypeCounts runType(String type) throws IOException, InterruptedException {
        TypeCounts counts = new TypeCounts(type, !type.equals("udp"));
        switch (type) {
            case "tcp":
                runAgainst(tcpServer, counts, TrafficClient::tcpEcho);
                break;
            case "http":
                runAgainst(httpServer, counts, TrafficClient::httpGet);
                break;
            case "udp":
                runUdp(counts);
                break;
            case "refused":
                runRefused(counts);
                break;
            case "ipv6":
                if (ipv6Server == null) {
                    counts.skippedBecause = "::1 is not available";
                } else {
                    runAgainst(ipv6Server, counts, TrafficClient::tcpEcho);
                }
                break;
            default:
                throw new IllegalArgumentException("no such type: " + type); // parse() rejects these
        }
        return counts;
    }

    /** N connections to a TCP server, each waited for until the server closed its side. */
    private void runAgainst(TcpServer server, TypeCounts counts, OneConnection connection)
            throws IOException, InterruptedException {
        announce(counts.type, server.address());
        for (int i = 1; i <= options.requests; i++) {
            int establishedBefore = counts.established;
            try {
                connection.make(server.address(), counts);
            } catch (IOException e) {
                boolean connected = counts.established > establishedBefore;
                throw failedAt(counts.type, i, connected ? withServerSide(server, e) : e);
            }
            if (counts.established > establishedBefore) {
                try {
                    server.awaitConnectionClosed();
                } catch (IOException e) {
                    throw failedAt(counts.type, i, e);
                }
            }
        }
        counts.accepted = server.accepted();
    }

    /**
     * A client-side failure is often just the symptom (e.g. an empty echo) of a
     * server-side one, so add the server's own error to the message when it has one.
     */
    private static IOException withServerSide(TcpServer server, IOException clientFailure)
            throws InterruptedException {
        try {
            server.awaitConnectionClosed();
            return clientFailure;
        } catch (IOException serverFailure) {
            return new IOException(clientFailure.getMessage() + "; " + serverFailure.getMessage(), clientFailure);
        }
    }

    private void runUdp(TypeCounts counts) throws IOException {
        announce(counts.type, udpServer.address());
        for (int i = 1; i <= options.requests; i++) {
            try {
                TrafficClient.udpEcho(udpServer.address(), counts);
                udpServer.checkFailure();
            } catch (IOException e) {
                throw failedAt(counts.type, i, e);
            }
        }
    }

    private void runRefused(TypeCounts counts) throws IOException {
        announce(counts.type, refusingPort.address());
        for (int i = 1; i <= options.requests; i++) {
            try {
                TrafficClient.refusedConnect(refusingPort.address(), counts);
            } catch (IOException e) {
                throw failedAt(counts.type, i, e);
            }
        }
    }

    private void announce(String type, InetSocketAddress target) {
        System.out.println("traffic-gen: " + type + ": " + options.requests + " x "
                + LoopbackServers.format(target));
    }

    private IOException failedAt(String type, int i, IOException cause) {
        return new IOException(type + " connection " + i + " of " + options.requests + ": "
                + cause.getMessage(), cause);
    }

    // ------------------------------------------------------------------ summary

    private static final String ROW = "  %-8s%6s%13s%9s%5s%11s%10s%n";

    private static void printSummary(long pid, List<TypeCounts> results) {
        TypeCounts total = new TypeCounts("total", false);
        int tcpAttempts = 0;
        System.out.println();
        System.out.println("TRAFFIC SUMMARY (pid " + pid + ")");
        System.out.printf(ROW, "type", "made", "established", "refused", "udp", "bytes-out", "bytes-in");
        for (TypeCounts counts : results) {
            if (counts.skippedBecause != null) {
                System.out.printf("  %-8sskipped: %s%n", counts.type, counts.skippedBecause);
                continue;
            }
            printRow(counts);
            total.add(counts);
            tcpAttempts += counts.tcpConnectAttempts();
        }
        printRow(total);
        System.out.println("Expected in a monitor watching this process (client and servers are both this pid):");
        printExpected("connect attempts (TCP):", String.valueOf(tcpAttempts));
        printExpected("outbound established:", String.valueOf(total.established));
        printExpected("inbound accepted:", String.valueOf(total.accepted));
        printExpected("failed connects:", total.failed + " (refused " + total.refused + ")");
        printExpected("UDP connects:", String.valueOf(total.udpConnects));
    }

    private static void printRow(TypeCounts c) {
        System.out.printf(ROW, c.type, c.made, c.established, c.refused, c.udpConnects, c.bytesOut, c.bytesIn);
    }

    private static void printExpected(String label, String value) {
        System.out.printf("  %-26s%s%n", label, value);
    }

    // ------------------------------------------------------------------ options

    private static InetAddress address(String name, int... bytes) {
        byte[] raw = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            raw[i] = (byte) bytes[i];
        }
        try {
            return InetAddress.getByAddress(name, raw); // literal bytes: no name lookup
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // only for a wrong byte count
        }
    }

    /** A mistake on the command line; the message names the problem and the fix. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** The parsed command line. */
    static final class Options {
        boolean help;
        boolean auto;
        String type;
        int requests = DEFAULT_REQUESTS;

        List<String> types() {
            if (auto) {
                return TYPES;
            }
            return Collections.singletonList(type == null ? "tcp" : type);
        }

        static Options parse(String[] args) throws UsageException {
            Options options = new Options();
            if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
                options.help = true; // help wins over anything else on the line
                return options;
            }
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                int eq = arg.indexOf('=');
                String name = arg.startsWith("--") && eq > 0 ? arg.substring(0, eq) : arg;
                String value = name.equals(arg) ? null : arg.substring(eq + 1);
                switch (name) {
                    case "--auto":
                        if (value != null) {
                            throw new UsageException("--auto takes no value; write just --auto");
                        }
                        options.auto = true;
                        break;
                    case "--type":
                        options.type = parseType(value != null ? value : next(args, ++i, name));
                        break;
                    case "--requests":
                        options.requests = parseRequests(value != null ? value : next(args, ++i, name));
                        break;
                    default:
                        throw new UsageException("unknown option '" + arg + "'; see --help for the options");
                }
            }
            if (options.auto && options.type != null) {
                throw new UsageException("--auto already runs every type; drop --type, or drop --auto to run only "
                        + options.type);
            }
            return options;
        }

        private static String next(String[] args, int i, String option) throws UsageException {
            if (i >= args.length) {
                throw new UsageException(option + " needs a value; " + hintFor(option));
            }
            return args[i];
        }

        private static String hintFor(String option) {
            return option.equals("--type")
                    ? "use one of " + String.join(", ", TYPES)
                    : "use a whole number from 1 to " + MAX_REQUESTS;
        }

        private static String parseType(String value) throws UsageException {
            if (!TYPES.contains(value)) {
                throw new UsageException("unknown type '" + value + "'; " + hintFor("--type"));
            }
            return value;
        }

        private static int parseRequests(String value) throws UsageException {
            int n;
            try {
                n = Integer.parseInt(value.trim());
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 1 || n > MAX_REQUESTS) {
                throw new UsageException("bad --requests '" + value + "'; " + hintFor("--requests"));
            }
            return n;
        }
    }
}
