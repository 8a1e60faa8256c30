package dev.bpfhook.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Both services in this JVM on loopback; requests are written by hand so each is one connection. */
class ExampleServiceTest {

    private static final long PID = ProcessHandle.current().pid();

    private final List<ExampleService> started = new ArrayList<>();

    @AfterEach
    void stopAll() {
        started.forEach(ExampleService::stop);
    }

    @Test
    void helloAnswersWithThePidAndReadyLineNamesThePort() throws Exception {
        ExampleService service = start("--port", "0");
        assertEquals("example-service listening on 127.0.0.1:" + service.port() + " pid " + PID, service.readyLine());
        assertEquals("200 hello from " + PID + "\n", get(service.port(), "GET /hello"));
    }

    @Test
    void fanoutCallsThePeerOncePerRequestedCall() throws Exception {
        try (CountingPeer peer = new CountingPeer(true)) {
            ExampleService a = start("--port", "0", "--peer", "http://127.0.0.1:" + peer.port());
            assertEquals("200 fanout n=5 ok=5 failed=0\n", get(a.port(), "GET /fanout?n=5"));
            assertEquals(5, peer.accepted.get());
        }
    }

    @Test
    void fanoutBetweenTwoServices() throws Exception {
        ExampleService b = start("--port", "0");
        ExampleService a = start("--port", "0", "--peer", "http://127.0.0.1:" + b.port());
        assertEquals("200 fanout n=3 ok=3 failed=0\n", get(a.port(), "GET /fanout?n=3"));
    }

    /** HttpURLConnection would have retried each of these on a second connection. */
    @Test
    void aPeerThatHangsUpCostsOneConnectionPerCall() throws Exception {
        try (CountingPeer peer = new CountingPeer(false)) {
            ExampleService a = start("--port", "0", "--peer", "http://127.0.0.1:" + peer.port());
            assertEquals("200 fanout n=3 ok=0 failed=3\n", get(a.port(), "GET /fanout?n=3"));
            assertEquals(3, peer.accepted.get());
        }
    }

    @Test
    void refusedCallsAreCountedAsFailed() throws Exception {
        int closedPort;
        try (ServerSocket unused = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = unused.getLocalPort();
        }
        ExampleService a = start("--port", "0", "--peer", "http://127.0.0.1:" + closedPort);
        assertEquals("200 fanout n=2 ok=0 failed=2\n", get(a.port(), "GET /fanout?n=2"));
    }

    @Test
    void rejectsBadCountsAndMissingPeer() throws Exception {
        ExampleService alone = start("--port", "0");
        assertEquals("400 no peer configured\n", get(alone.port(), "GET /fanout?n=1"));
        assertEquals("400 no peer configured\n", get(alone.port(), "GET /udp?n=1"));

        ExampleService a = start("--port", "0", "--peer", "http://127.0.0.1:" + alone.port());
        assertEquals("400 n must be a whole number from 1 to 1000, got '0'\n", get(a.port(), "GET /fanout?n=0"));
        assertEquals("400 n must be a whole number from 1 to 1000, got '1001'\n", get(a.port(), "GET /fanout?n=1001"));
        assertEquals("400 n must be a whole number from 1 to 1000, got 'x'\n", get(a.port(), "GET /fanout?n=x"));
        assertEquals("400 n must be a whole number from 1 to 1000, got none\n", get(a.port(), "GET /fanout"));
        assertEquals("400 no UDP peer port configured; start with --udp-peer-port PORT\n", get(a.port(), "GET /udp?n=1"));
    }

    @Test
    void everythingElseIsNotFound() throws Exception {
        ExampleService service = start("--port", "0");
        String notFound = "404 not found; try GET /hello, /fanout?n=N or /udp?n=N\n";
        assertEquals(notFound, get(service.port(), "GET /"));
        assertEquals(notFound, get(service.port(), "GET /helloo"));
        assertEquals(notFound, get(service.port(), "POST /hello"));
    }

    @Test
    void udpSendsOneDatagramPerRequestedSocket() throws Exception {
        try (DatagramSocket receiver = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            receiver.setSoTimeout(2_000);
            ExampleService b = start("--port", "0");
            ExampleService a = start("--port", "0", "--peer", "http://127.0.0.1:" + b.port(),
                    "--udp-peer-port", String.valueOf(receiver.getLocalPort()));
            assertEquals("200 udp n=3\n", get(a.port(), "GET /udp?n=3"));
            List<Integer> sourcePorts = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                DatagramPacket packet = new DatagramPacket(new byte[100], 100);
                receiver.receive(packet);
                assertEquals("udp " + i + " of 3 from " + PID + "\n",
                        new String(packet.getData(), 0, packet.getLength(), StandardCharsets.UTF_8));
                sourcePorts.add(packet.getPort());
            }
            assertEquals(3, sourcePorts.stream().distinct().count(), "one new socket per datagram");
            receiver.setSoTimeout(200);
            try {
                receiver.receive(new DatagramPacket(new byte[100], 100));
                throw new AssertionError("a fourth datagram arrived");
            } catch (SocketTimeoutException expected) {
                // exactly three
            }
        }
    }

    private ExampleService start(String... args) throws Exception {
        ExampleService service = ExampleService.start(Options.parse(args));
        started.add(service);
        return service;
    }

    /**
     * Sends "METHOD PATH" without asking for close and reads until the server closes: returns
     * "STATUS BODY". Reading to the end also checks that the service closes every connection.
     */
    private static String get(int port, String requestLine) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2_000);
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write((requestLine + " HTTP/1.1\r\nHost: test\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String status = response.substring(response.indexOf(' ') + 1, response.indexOf(' ') + 4);
            assertTrue(response.contains("\r\nConnection: close\r\n"), response);
            return status + " " + response.substring(response.indexOf("\r\n\r\n") + 4);
        }
    }

    /** A peer on loopback that counts connections and answers 200 or hangs up without a word. */
    private static final class CountingPeer implements AutoCloseable {
        final AtomicInteger accepted = new AtomicInteger();
        private final ServerSocket server;
        private final Thread thread;

        CountingPeer(boolean answer) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            thread = new Thread(() -> serve(answer), "counting-peer");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void serve(boolean answer) {
            while (true) {
                try (Socket client = server.accept()) {
                    accepted.incrementAndGet();
                    readRequestHead(client.getInputStream());
                    if (answer) {
                        client.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
                                + "Connection: close\r\n\r\nhi\n").getBytes(StandardCharsets.US_ASCII));
                    }
                } catch (IOException e) {
                    return; // closed by the test
                }
            }
        }

        private static void readRequestHead(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            for (int c = in.read(); c != -1; c = in.read()) {
                head.write(c);
                if (head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                    return;
                }
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
