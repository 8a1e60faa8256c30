package dev.bpfhook.tools;

import java.io.IOException;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The client side: each method makes exactly one connection (or one UDP socket),
 * finishes it completely, and records what happened in a {@link TypeCounts}.
 * A connect that fails is counted, not fatal; any other I/O problem is an
 * IOException for the caller.
 */
final class TrafficClient {

    /** 64 known bytes, so the echo can be checked byte for byte. */
    static final byte[] PAYLOAD = payload(64);

    private static final int TIMEOUT_MS = LoopbackServers.TIMEOUT_MS;

    private TrafficClient() {
    }

    private static byte[] payload(int size) {
        byte[] pattern = "bpfhook traffic-gen payload; ".getBytes(StandardCharsets.US_ASCII);
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = pattern[i % pattern.length];
        }
        return bytes;
    }

    /** Connects, sends the payload, half-closes, and reads the echo up to the server's EOF. */
    static void tcpEcho(InetSocketAddress server, TypeCounts counts) throws IOException {
        Socket socket = connect(server, counts, false);
        if (socket == null) {
            return;
        }
        try (socket) {
            socket.getOutputStream().write(PAYLOAD);
            counts.bytesOut += PAYLOAD.length;
            // half-close: tells the echo server we are done, so it closes its side
            socket.shutdownOutput();
            byte[] echo = socket.getInputStream().readAllBytes();
            counts.bytesIn += echo.length;
            if (!Arrays.equals(echo, PAYLOAD)) {
                throw new IOException("echo from " + LoopbackServers.format(server) + " was " + echo.length
                        + " bytes that do not match the " + PAYLOAD.length + " sent");
            }
        }
    }

    /** One GET / on its own connection; reads the whole response up to the server's close. */
    static void httpGet(InetSocketAddress server, TypeCounts counts) throws IOException {
        Socket socket = connect(server, counts, false);
        if (socket == null) {
            return;
        }
        try (socket) {
            byte[] request = ("GET / HTTP/1.1\r\n"
                    + "Host: " + LoopbackServers.format(server) + "\r\n"
                    + "User-Agent: bpfhook-traffic-gen\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            socket.getOutputStream().write(request);
            counts.bytesOut += request.length;
            byte[] response = socket.getInputStream().readAllBytes();
            counts.bytesIn += response.length;
            String statusLine = firstLine(response);
            if (!statusLine.startsWith("HTTP/1.1 200 ")) {
                throw new IOException("http server at " + LoopbackServers.format(server) + " answered '"
                        + statusLine + "' instead of 200 OK");
            }
        }
    }

    /** A connect to a port nobody listens on; the expected outcome is "connection refused". */
    static void refusedConnect(InetSocketAddress target, TypeCounts counts) throws IOException {
        Socket socket = connect(target, counts, true);
        if (socket != null) {
            socket.close(); // unexpectedly accepted: counted as established, warned about
        }
    }

    /** One UDP socket: connect() (the event a monitor counts), one datagram out, its echo back. */
    static void udpEcho(InetSocketAddress server, TypeCounts counts) throws IOException {
        counts.made++;
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.setSoTimeout(TIMEOUT_MS);
            // the SocketAddress form reports a failed connect; connect(InetAddress, int) would hide it
            socket.connect(server);
            counts.udpConnects++;
            socket.send(new DatagramPacket(PAYLOAD, PAYLOAD.length));
            counts.bytesOut += PAYLOAD.length;
            byte[] buffer = new byte[2048];
            DatagramPacket echo = new DatagramPacket(buffer, buffer.length);
            socket.receive(echo);
            counts.bytesIn += echo.getLength();
            if (!Arrays.equals(Arrays.copyOf(buffer, echo.getLength()), PAYLOAD)) {
                throw new IOException("udp echo from " + LoopbackServers.format(server) + " was "
                        + echo.getLength() + " bytes that do not match the " + PAYLOAD.length + " sent");
            }
        }
    }

    /**
     * Makes one TCP connect attempt and counts its outcome. Returns the connected
     * socket (with a read timeout), or null if the connect failed. An outcome other
     * than the expected one is reported on stderr, so it is seen next to the summary.
     */
    private static Socket connect(InetSocketAddress target, TypeCounts counts, boolean expectRefused)
            throws IOException {
        counts.made++;
        Socket socket = new Socket();
        try {
            socket.setSoTimeout(TIMEOUT_MS); // for reads later; connect has its own timeout
            socket.connect(target, TIMEOUT_MS);
        } catch (IOException e) {
            socket.close();
            counts.failed++;
            // ConnectException is what the JDK throws for ECONNREFUSED
            boolean refused = e instanceof ConnectException;
            if (refused) {
                counts.refused++;
            }
            if (!(refused && expectRefused)) {
                warn(counts.type + ": connect to " + LoopbackServers.format(target) + " failed: " + e.getMessage());
            }
            return null;
        }
        counts.established++;
        if (expectRefused) {
            warn(counts.type + ": connect to " + LoopbackServers.format(target)
                    + " unexpectedly succeeded (expected connection refused)");
        }
        return socket;
    }

    private static String firstLine(byte[] response) {
        String text = new String(response, StandardCharsets.US_ASCII);
        int end = text.indexOf("\r\n");
        return end < 0 ? text : text.substring(0, end);
    }

    private static void warn(String message) {
        System.err.println("traffic-gen: warning: " + message);
    }
}
