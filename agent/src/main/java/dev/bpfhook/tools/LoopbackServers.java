package dev.bpfhook.tools;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The servers the generator talks to. They live in the generator's own process on
 * ephemeral loopback ports, so every connection has this pid on both ends and the
 * generator knows exactly what it made.
 */
final class LoopbackServers {

    static final int TIMEOUT_MS = 5_000;

    private LoopbackServers() {
    }

    /** Formats an address the way people type it: 127.0.0.1:80, [::1]:80. */
    static String format(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        String host;
        if (ip instanceof Inet6Address) {
            // the JDK spells ::1 as 0:0:0:0:0:0:0:1; people type ::1
            host = "[" + (ip.isLoopbackAddress() ? "::1" : ip.getHostAddress()) + "]";
        } else {
            host = ip.getHostAddress();
        }
        return host + ":" + address.getPort();
    }

    /** What a TCP server does with one accepted connection. */
    interface Handler {
        void handle(Socket connection) throws IOException;
    }

    /** Echoes everything until the client half-closes; reading to EOF leaves nothing unread, so close() sends FIN, not RST. */
    static void echo(Socket connection) throws IOException {
        InputStream in = connection.getInputStream();
        OutputStream out = connection.getOutputStream();
        byte[] buffer = new byte[4096];
        int n;
        while ((n = in.read(buffer)) != -1) {
            out.write(buffer, 0, n);
        }
        out.flush();
    }

    static final byte[] HTTP_BODY = "bpfhook traffic-gen\n".getBytes(StandardCharsets.US_ASCII);

    /** A minimal HTTP/1.1 server: one request per connection, always "Connection: close". */
    static void http(Socket connection) throws IOException {
        boolean get = readHttpHead(connection.getInputStream()).startsWith("GET ");
        String head = get
                ? "HTTP/1.1 200 OK\r\n"
                        + "Content-Type: text/plain\r\n"
                        + "Content-Length: " + HTTP_BODY.length + "\r\n"
                        + "Connection: close\r\n\r\n"
                : "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        OutputStream out = connection.getOutputStream();
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        if (get) {
            out.write(HTTP_BODY);
        }
        out.flush();
    }

    /** Reads the request line and headers, up to the blank line that ends them. */
    private static String readHttpHead(InputStream raw) throws IOException {
        InputStream in = new BufferedInputStream(raw);
        StringBuilder head = new StringBuilder();
        while (!endsWith(head, "\r\n\r\n")) {
            int b = in.read();
            if (b == -1) {
                throw new IOException("http client closed before finishing its request");
            }
            if (head.length() >= 8192) {
                throw new IOException("http request head longer than 8192 bytes");
            }
            head.append((char) b);
        }
        return head.toString();
    }

    private static boolean endsWith(StringBuilder text, String suffix) {
        int start = text.length() - suffix.length();
        return start >= 0 && text.indexOf(suffix, start) == start;
    }

    /**
     * A TCP server that handles one connection at a time on its own thread and
     * signals after it has closed its side, so the client can wait for that before
     * making the next connection.
     */
    static final class TcpServer implements AutoCloseable {
        private final String name;
        private final ServerSocket listener;
        private final Handler handler;
        private final Thread thread;
        private final Semaphore closedConnections = new Semaphore(0);
        private final AtomicInteger accepted = new AtomicInteger();
        private volatile IOException failure;

        TcpServer(String name, InetAddress address, Handler handler) throws IOException {
            this.name = name;
            this.handler = handler;
            this.listener = new ServerSocket();
            try {
                listener.bind(new InetSocketAddress(address, 0));
            } catch (IOException e) {
                listener.close();
                throw e;
            }
            this.thread = new Thread(this::serve, "traffic-gen " + name + " server");
            thread.setDaemon(true); // never keep the JVM alive if something goes wrong
            thread.start();
        }

        InetSocketAddress address() {
            return (InetSocketAddress) listener.getLocalSocketAddress();
        }

        String name() {
            return name;
        }

        int accepted() {
            return accepted.get();
        }

        private void serve() {
            while (true) {
                Socket connection;
                try {
                    connection = listener.accept();
                } catch (IOException e) {
                    if (!listener.isClosed()) {
                        failure = e;
                    }
                    return; // closed by close(): normal shutdown
                }
                accepted.incrementAndGet();
                try (connection) {
                    connection.setSoTimeout(TIMEOUT_MS);
                    handler.handle(connection);
                } catch (IOException e) {
                    failure = e;
                }
                // released only after try-with-resources closed the socket
                closedConnections.release();
            }
        }

        /** Waits until the server has finished and closed one more connection. */
        void awaitConnectionClosed() throws IOException, InterruptedException {
            if (!closedConnections.tryAcquire(TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                throw new IOException(name + " server at " + format(address())
                        + " did not close its side within " + TIMEOUT_MS / 1000 + " s");
            }
            checkFailure();
        }

        private void checkFailure() throws IOException {
            IOException e = failure;
            if (e != null) {
                throw new IOException(name + " server at " + format(address()) + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
            try {
                thread.join(TIMEOUT_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A UDP echo server: sends every datagram back to its sender. */
    static final class UdpEchoServer implements AutoCloseable {
        private final DatagramSocket socket;
        private final Thread thread;
        private volatile IOException failure;

        UdpEchoServer(InetAddress address) throws IOException {
            socket = new DatagramSocket(new InetSocketAddress(address, 0));
            thread = new Thread(this::serve, "traffic-gen udp server");
            thread.setDaemon(true);
            thread.start();
        }

        InetSocketAddress address() {
            return (InetSocketAddress) socket.getLocalSocketAddress();
        }

        private void serve() {
            byte[] buffer = new byte[2048];
            while (true) {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                try {
                    socket.receive(packet);
                    // replies go by sendto() on this unconnected socket: no extra UDP connect
                    socket.send(new DatagramPacket(packet.getData(), packet.getLength(),
                            packet.getSocketAddress()));
                } catch (IOException e) {
                    if (!socket.isClosed()) {
                        failure = e;
                    }
                    return;
                }
            }
        }

        void checkFailure() throws IOException {
            IOException e = failure;
            if (e != null) {
                throw new IOException("udp server at " + format(address()) + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            socket.close();
            try {
                thread.join(TIMEOUT_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Holds a loopback port bound but never listening: connects to it are refused,
     * and because it stays bound (without SO_REUSEADDR) nothing else can start
     * listening on it while the generator runs.
     */
    static final class RefusingPort implements AutoCloseable {
        private final Socket holder = new Socket();

        RefusingPort(InetAddress address) throws IOException {
            try {
                holder.setReuseAddress(false);
                holder.bind(new InetSocketAddress(address, 0));
            } catch (IOException e) {
                holder.close();
                throw e;
            }
        }

        InetSocketAddress address() {
            return (InetSocketAddress) holder.getLocalSocketAddress();
        }

        @Override
        public void close() throws IOException {
            holder.close();
        }
    }
}
