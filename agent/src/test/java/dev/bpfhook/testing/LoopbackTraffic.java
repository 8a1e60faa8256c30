package dev.bpfhook.testing;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Real connections on loopback with a known shape, so that tests can predict
 * every number the kernel reports. A TCP exchange: the client sends
 * {@code request} bytes, the server answers {@code response} bytes, the client
 * half-closes, the server sees EOF and closes, the client sees EOF and closes.
 * Sockets are opened for one address family explicitly (IPv4 sockets go
 * through cgroup/connect4, IPv6 ones through connect6).
 */
public final class LoopbackTraffic {
    public static final InetAddress IPV4 = address("127.0.0.1");
    public static final InetAddress IPV6 = address("::1");

    private LoopbackTraffic() {
    }

    /** A TCP server answering exchanges one connection at a time, on its own thread. */
    public static final class Server implements AutoCloseable {
        private final ServerSocketChannel channel;
        private final ExecutorService acceptor = Executors.newSingleThreadExecutor();

        public Server(InetAddress address) throws IOException {
            channel = ServerSocketChannel.open(family(address));
            channel.bind(new InetSocketAddress(address, 0));
        }

        public int port() throws IOException {
            return ((InetSocketAddress) channel.getLocalAddress()).getPort();
        }

        /** Serves one exchange in the background; the future ends when the server closed its side. */
        public Future<Integer> serveOne(int request, byte[] response) {
            return acceptor.submit(() -> {
                try (SocketChannel peer = channel.accept()) {
                    readExactly(peer, request);
                    peer.write(ByteBuffer.wrap(response));
                    readToEof(peer);
                    return ((InetSocketAddress) peer.getRemoteAddress()).getPort();
                }
            });
        }

        @Override
        public void close() throws IOException {
            acceptor.shutdownNow();
            channel.close();
        }
    }

    /**
     * One full exchange with {@code server}: returns the client's local port once
     * both sides have closed.
     */
    public static int exchange(Server server, InetAddress address, byte[] request, int response) throws Exception {
        Future<Integer> served = server.serveOne(request.length, new byte[response]);
        int localPort;
        try (SocketChannel client = SocketChannel.open(family(address))) {
            client.connect(new InetSocketAddress(address, server.port()));
            localPort = ((InetSocketAddress) client.getLocalAddress()).getPort();
            client.write(ByteBuffer.wrap(request));
            readExactly(client, response);
            client.shutdownOutput();
            readToEof(client);
        }
        int seenByServer = served.get(10, TimeUnit.SECONDS);
        if (seenByServer != localPort) {
            throw new IllegalStateException("server saw port " + seenByServer + ", client used " + localPort);
        }
        return localPort;
    }

    /**
     * Three connects to a listener whose accept queue is full after two, the third of which takes
     * about a second: the kernel drops a SYN that finds the accept queue full, a connection is
     * accepted meanwhile, and the client's kernel resends the SYN after its initial retransmission
     * timeout (one second, TCP_TIMEOUT_INIT), which then completes the handshake. Each step waits for
     * the kernel to report the one before (two connections queued, one SYN dropped), and the listener
     * must have dropped that one SYN only: had the accept come after the resent SYN, that would have been
     * dropped too and the connect taken three seconds. Everything is closed on return. Returns the
     * listener's port.
     */
    public static int slowConnect(InetAddress address) throws IOException, InterruptedException {
        List<SocketChannel> sockets = new ArrayList<>();
        try (ServerSocketChannel listener = ServerSocketChannel.open(family(address))) {
            listener.bind(new InetSocketAddress(address, 0), 1); // full with 2 queued: the kernel allows backlog + 1
            InetSocketAddress to = (InetSocketAddress) listener.getLocalAddress();
            for (int i = 0; i < 2; i++) {
                SocketChannel queued = SocketChannel.open(family(address));
                sockets.add(queued);
                queued.connect(to);
            }
            // the client returns from connect() once it has the SYN-ACK; the listener queues the connection
            // when it has the last ACK
            AcceptQueue.await(to, q -> q.queued() == 2 && q.drops() == 0, "two connections queued");
            SocketChannel slow = SocketChannel.open(family(address));
            sockets.add(slow);
            slow.configureBlocking(false);
            if (slow.connect(to)) {
                throw new IllegalStateException("connected at once: the accept queue was not full");
            }
            AcceptQueue.await(to, q -> q.drops() >= 1, "the third connect's SYN dropped");
            sockets.add(listener.accept()); // room for the resent SYN
            slow.configureBlocking(true);
            slow.finishConnect();
            sockets.add(listener.accept());
            sockets.add(listener.accept());
            AcceptQueue after = AcceptQueue.of(to);
            if (after.drops() != 1) {
                throw new IllegalStateException("the listener dropped " + after.drops() + " SYNs, not one: the accept "
                        + "came after the resent SYN (" + after + ")");
            }
            return to.getPort();
        } finally {
            for (SocketChannel c : sockets) {
                c.close();
            }
        }
    }

    /** A loopback port that is bound but not listening: a connect to it is refused. */
    public static SocketChannel closedPort(InetAddress address) throws IOException {
        SocketChannel holder = SocketChannel.open(family(address));
        holder.bind(new InetSocketAddress(address, 0));
        return holder;
    }

    /** Connects to a refusing port; fails unless the kernel refuses. */
    public static void refusedConnect(InetAddress address, int port) throws IOException {
        try (SocketChannel client = SocketChannel.open(family(address))) {
            client.connect(new InetSocketAddress(address, port));
            throw new IllegalStateException("connect to " + port + " was not refused");
        } catch (ConnectException expected) {
            // refused, as intended
        }
    }

    /** UDP connect() plus one datagram; returns the local port. */
    public static int udpConnect(InetAddress address, int port) throws IOException {
        try (DatagramChannel udp = DatagramChannel.open(family(address))) {
            udp.connect(new InetSocketAddress(address, port));
            udp.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            return ((InetSocketAddress) udp.getLocalAddress()).getPort();
        }
    }

    public static byte[] payload(int size) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) i;
        }
        return bytes;
    }

    private static void readExactly(SocketChannel channel, int size) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(size);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new IOException("EOF after " + buffer.position() + " of " + size + " bytes");
            }
        }
    }

    private static void readToEof(SocketChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(256);
        while (channel.read(buffer) >= 0) {
            if (buffer.position() > 0) {
                throw new IOException("unexpected bytes before EOF");
            }
        }
    }

    private static ProtocolFamily family(InetAddress address) {
        return address.getAddress().length == 4 ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6;
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
