package dev.bpfhook.example;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * The calls this service makes to its peer. Each one is meant to be counted by a connection
 * monitor, so each makes exactly one connection and closes it before the next one starts.
 */
final class PeerCalls {

    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    private static final int READ_TIMEOUT_MILLIS = 10_000;
    private static final int PEER_CLOSE_WAIT_MILLIS = 1_000;
    private static final int MAX_LINE = 8192;

    /** What a run of calls did; {@code firstError} is null when nothing failed. */
    static final class Outcome {
        final int succeeded;
        final int failed;
        final String firstError;

        Outcome(int succeeded, int failed, String firstError) {
            this.succeeded = succeeded;
            this.failed = failed;
            this.firstError = firstError;
        }
    }

    private final Options options;
    private final long pid;

    PeerCalls(Options options, long pid) {
        this.options = options;
        this.pid = pid;
    }

    /** Calls the peer's /hello {@code n} times, one after the other, each on a new TCP connection. */
    Outcome fanout(int n) {
        int succeeded = 0;
        String firstError = null;
        for (int i = 1; i <= n; i++) {
            String error = helloOnce();
            if (error == null) {
                succeeded++;
            } else if (firstError == null) {
                firstError = "call " + i + ": " + error;
            }
        }
        return new Outcome(succeeded, n - succeeded, firstError);
    }

    /**
     * One GET /hello on a TCP connection of its own: returns null on a 200 with its whole body,
     * else why not. A plain socket and a hand-written request, not HttpURLConnection: that one
     * silently retries a GET on a second connection when the peer closes without an answer, and
     * a monitor must see exactly one connection per call. NO_PROXY: a SOCKS proxy from the
     * system properties would make the connection go somewhere else than the peer.
     */
    private String helloOnce() {
        try (Socket socket = new Socket(Proxy.NO_PROXY)) {
            socket.connect(new InetSocketAddress(InetAddress.getByName(options.peerHost), options.peerPort),
                    CONNECT_TIMEOUT_MILLIS);
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            out.write(helloRequest().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            String error = readResponse(in);
            awaitPeerClose(socket, in);
            return error;
        } catch (IOException e) {
            return e.toString();
        } // closed here, before the next call connects
    }

    /**
     * Waits briefly for the peer to close its side, as "Connection: close" asks. Closing after
     * the peer makes this side's close final at once (no FIN_WAIT2 or TIME_WAIT here), so the
     * connection is completely gone before the next one opens. A peer that keeps the connection
     * open is closed from this side after the wait; the call still counts as answered.
     */
    private static void awaitPeerClose(Socket socket, InputStream in) throws IOException {
        socket.setSoTimeout(PEER_CLOSE_WAIT_MILLIS);
        try {
            drain(in, -1);
        } catch (SocketTimeoutException e) {
            // the peer kept it open; closing from here
        }
    }

    private String helloRequest() {
        return "GET /hello HTTP/1.1\r\n"
                + "Host: " + options.peerHost + ":" + options.peerPort + "\r\n"
                + "User-Agent: example-service/" + pid + "\r\n"
                + "Connection: close\r\n"
                + "\r\n";
    }

    /**
     * Reads the status line, the headers and the body (Content-Length bytes, else up to the
     * peer's close, which "Connection: close" asks for): null on a complete 200, else why not.
     */
    private static String readResponse(InputStream in) throws IOException {
        String statusLine = readLine(in);
        if (statusLine == null) {
            return "the peer closed the connection without an answer";
        }
        String[] status = statusLine.split(" ", 3);
        if (status.length < 2 || !status[0].startsWith("HTTP/")) {
            return "not an HTTP answer: " + statusLine;
        }
        long contentLength = -1;
        for (String header = readLine(in); header != null && !header.isEmpty(); header = readLine(in)) {
            int colon = header.indexOf(':');
            if (colon > 0 && header.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
                contentLength = parseLength(header.substring(colon + 1).trim());
            }
        }
        long read = drain(in, contentLength);
        if (contentLength >= 0 && read < contentLength) {
            return "the answer ended after " + read + " of " + contentLength + " body bytes";
        }
        return "200".equals(status[1]) ? null : "HTTP " + status[1];
    }

    private static long parseLength(String value) throws IOException {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IOException("bad Content-Length '" + value + "'");
        }
    }

    /** One header line without its CRLF, or null at the end of the stream. */
    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != -1; c = in.read()) {
            if (c == '\n') {
                int end = line.length();
                return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
            }
            if (line.length() >= MAX_LINE) {
                throw new IOException("a header line longer than " + MAX_LINE + " characters");
            }
            line.append((char) c);
        }
        return line.length() == 0 ? null : line.toString();
    }

    /** Reads up to {@code limit} bytes (all of them when negative) and returns how many came. */
    private static long drain(InputStream in, long limit) throws IOException {
        byte[] buffer = new byte[512];
        long read = 0;
        while (limit < 0 || read < limit) {
            int wanted = limit < 0 ? buffer.length : (int) Math.min(buffer.length, limit - read);
            int n = in.read(buffer, 0, wanted);
            if (n == -1) {
                break;
            }
            read += n;
        }
        return read;
    }

    /**
     * Sends {@code n} datagrams to the peer's host at {@code --udp-peer-port}, each from a new
     * socket that connect()s first (what the monitor attributes), sends one datagram and closes.
     * Stops at the first error: returns how many were sent and why it stopped.
     */
    Outcome udp(int n) {
        InetSocketAddress target;
        try {
            target = new InetSocketAddress(InetAddress.getByName(options.peerHost), options.udpPeerPort);
        } catch (IOException e) {
            return new Outcome(0, n, e.toString());
        }
        for (int i = 1; i <= n; i++) {
            try (DatagramSocket socket = new DatagramSocket()) {
                socket.connect(target);
                byte[] payload = ("udp " + i + " of " + n + " from " + pid + "\n").getBytes(StandardCharsets.UTF_8);
                socket.send(new DatagramPacket(payload, payload.length));
            } catch (IOException e) {
                return new Outcome(i - 1, n - (i - 1), "datagram " + i + ": " + e);
            }
        }
        return new Outcome(n, 0, null);
    }
}
