package dev.bpfhook.example;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;

/** The command line of the example service, checked completely before anything listens. */
final class Options {

    static final String USAGE = String.join("\n",
            "usage: java -jar example-service.jar --port PORT [--peer http://HOST:PORT] [--bind ADDRESS]",
            "                                     [--udp-peer-port PORT] [--ignore-stdin]",
            "  --port PORT           port to listen on; 0 picks a free one (the ready line tells which)",
            "  --bind ADDRESS        address to listen on (default 127.0.0.1)",
            "  --peer URL            another example service, http://HOST:PORT, called by /fanout",
            "  --udp-peer-port PORT  UDP port on the peer's host that /udp sends datagrams to",
            "  --ignore-stdin        keep running when stdin closes (background jobs, containers);",
            "                        stop with SIGTERM instead",
            "endpoints: GET /hello, GET /fanout?n=N, GET /udp?n=N (N from 1 to 1000)");

    /** A problem the person starting the service can fix; the message is "problem; fix". */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String problem, String fix) {
            super(problem + "; " + fix);
        }
    }

    final int port;
    final InetAddress bind;
    /** Host of --peer as written in the URL (an IPv6 literal keeps its brackets), or null. */
    final String peerHost;
    final int peerPort;
    /** 0 when --udp-peer-port was not given. */
    final int udpPeerPort;
    final boolean ignoreStdin;
    final boolean help;

    private Options(int port, InetAddress bind, String peerHost, int peerPort, int udpPeerPort,
                    boolean ignoreStdin, boolean help) {
        this.port = port;
        this.bind = bind;
        this.peerHost = peerHost;
        this.peerPort = peerPort;
        this.udpPeerPort = udpPeerPort;
        this.ignoreStdin = ignoreStdin;
        this.help = help;
    }

    boolean hasPeer() {
        return peerHost != null;
    }

    /** Base URL of the peer, e.g. "http://127.0.0.1:8082". */
    String peerUrl() {
        return "http://" + peerHost + ":" + peerPort;
    }

    static Options parse(String[] args) throws UsageException {
        Integer port = null;
        String bind = "127.0.0.1";
        String peer = null;
        int udpPeerPort = 0;
        boolean ignoreStdin = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "-h":
                case "--help":
                    return new Options(0, null, null, 0, 0, false, true);
                case "--ignore-stdin":
                    ignoreStdin = true;
                    break;
                case "--port":
                    port = parsePort(arg, value(args, ++i, arg), 0);
                    break;
                case "--bind":
                    bind = value(args, ++i, arg);
                    break;
                case "--peer":
                    peer = value(args, ++i, arg);
                    break;
                case "--udp-peer-port":
                    udpPeerPort = parsePort(arg, value(args, ++i, arg), 1);
                    break;
                default:
                    throw new UsageException("unknown argument '" + arg + "'", "see --help");
            }
        }
        if (port == null) {
            throw new UsageException("--port is required", "add --port PORT (0 picks a free port)");
        }
        String peerHost = null;
        int peerPort = 0;
        if (peer != null) {
            URI uri = parsePeer(peer);
            peerHost = uri.getHost();
            peerPort = uri.getPort() == -1 ? 80 : uri.getPort();
        }
        return new Options(port, resolveBind(bind), peerHost, peerPort, udpPeerPort, ignoreStdin, false);
    }

    private static String value(String[] args, int i, String option) throws UsageException {
        if (i >= args.length || args[i].startsWith("--")) {
            throw new UsageException(option + " needs a value", "see --help");
        }
        return args[i];
    }

    private static int parsePort(String option, String text, int min) throws UsageException {
        try {
            int port = Integer.parseInt(text);
            if (port >= min && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below, with the range
        }
        throw new UsageException(option + " '" + text + "' is not a port",
                "give a number from " + min + " to 65535");
    }

    private static InetAddress resolveBind(String bind) throws UsageException {
        try {
            return InetAddress.getByName(bind);
        } catch (UnknownHostException e) {
            throw new UsageException("--bind '" + bind + "' is not an address",
                    "give an address of this host, e.g. 127.0.0.1 or 0.0.0.0");
        }
    }

    /** Only a plain http://HOST[:PORT] is accepted: the service appends the paths itself. */
    private static URI parsePeer(String peer) throws UsageException {
        String fix = "give it as http://HOST:PORT, e.g. http://127.0.0.1:8082";
        URI uri;
        try {
            uri = new URI(peer);
        } catch (URISyntaxException e) {
            throw new UsageException("--peer '" + peer + "' is not a URL", fix);
        }
        boolean pathless = uri.getRawPath() == null || uri.getRawPath().isEmpty() || uri.getRawPath().equals("/");
        if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null || !pathless
                || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw new UsageException("--peer '" + peer + "' is not a plain http://HOST:PORT URL", fix);
        }
        return uri;
    }
}
