package dev.bpfhook.apps;

import dev.bpfhook.testing.LoopbackTraffic;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * The application the agent tests run in a child JVM. It does what stdin tells
 * it, one command per line, and answers each on stdout:
 * {@code tcp N} makes N loopback exchanges (N outbound, N inbound connections) and then
 * prints the server's port;
 * {@code slow} makes three connects of which one takes about a second (see
 * {@link LoopbackTraffic#slowConnect}) and prints the listener's port ("slow port P");
 * {@code refused N} makes N connects to a port that refuses them and prints it ("refusing port P");
 * {@code exit CODE} exits. With {@code --once} it prints one line and exits 7,
 * for comparing runs with and without the agent.
 */
public final class AgentTestApp {
    public static final int ONCE_EXIT_CODE = 7;

    private AgentTestApp() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--once")) {
            System.out.println("the application ran, pid " + ProcessHandle.current().pid());
            System.exit(ONCE_EXIT_CODE);
        }
        commands();
    }

    static void commands() throws Exception {
        System.out.println("ready " + ProcessHandle.current().pid());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] words = line.trim().split(" ");
            switch (words[0]) {
                case "tcp":
                    int n = Integer.parseInt(words[1]);
                    int port;
                    try (LoopbackTraffic.Server server = new LoopbackTraffic.Server(LoopbackTraffic.IPV4)) {
                        port = server.port();
                        for (int i = 0; i < n; i++) {
                            LoopbackTraffic.exchange(server, LoopbackTraffic.IPV4, LoopbackTraffic.payload(50), 25);
                        }
                    }
                    System.out.println("done tcp " + n);
                    System.out.println("port " + port);
                    break;
                case "slow":
                    int slowPort = LoopbackTraffic.slowConnect(LoopbackTraffic.IPV4);
                    System.out.println("done slow");
                    System.out.println("slow port " + slowPort);
                    break;
                case "refused":
                    int refusals = Integer.parseInt(words[1]);
                    int refusingPort;
                    try (SocketChannel closed = LoopbackTraffic.closedPort(LoopbackTraffic.IPV4)) {
                        refusingPort = ((InetSocketAddress) closed.getLocalAddress()).getPort();
                        for (int i = 0; i < refusals; i++) {
                            LoopbackTraffic.refusedConnect(LoopbackTraffic.IPV4, refusingPort);
                        }
                    }
                    System.out.println("done refused " + refusals);
                    System.out.println("refusing port " + refusingPort);
                    break;
                case "jfr-initialized":
                    System.out.println("jfr-initialized " + jdk.jfr.FlightRecorder.isInitialized());
                    break;
                case "exit":
                    System.out.println("exit " + words[1]);
                    System.exit(Integer.parseInt(words[1]));
                    break;
                default:
                    System.out.println("unknown command " + line);
            }
        }
    }
}
