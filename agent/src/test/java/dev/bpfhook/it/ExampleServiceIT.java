package dev.bpfhook.it;

import static dev.bpfhook.testing.ReportFile.number;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.testing.ChildJvm;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.ReportFile;
import dev.bpfhook.testing.TestCgroup;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The setup of examples/service/README.md: service A with the agent in a cgroup
 * of its own calls service B, which runs beside it in another cgroup. A's
 * report must hold exactly A's connections.
 */
class ExampleServiceIT {
    private static final long TIMEOUT_MS = 30_000;

    @TempDir
    Path dir;

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void agentInServiceAReportsExactlyItsCallsToB() throws Exception {
        Path serviceJar = Paths.get("..", "examples", "service", "target", "example-service.jar").toAbsolutePath();
        assertTrue(serviceJar.toFile().isFile(), "build the example first (mvn verify builds it): " + serviceJar);
        ReportFile report = new ReportFile(dir.resolve("a.jsonl"));
        try (TestCgroup cgroupA = TestCgroup.create("service-a");
             TestCgroup cgroupB = TestCgroup.create("service-b");
             ChildJvm b = ChildJvm.jvm().inCgroup(cgroupB.directory())
                     .startCommand(List.of("-jar", serviceJar.toString(), "--port", "0"))) {
            int portB = listeningPort(b);
            try (ChildJvm a = ChildJvm.jvm().inCgroup(cgroupA.directory())
                    .agent(ChildJvm.agentJar(), "report=" + report.path() + ",report.interval=3600")
                    .startCommand(List.of("-jar", serviceJar.toString(), "--port", "0",
                            "--peer", "http://127.0.0.1:" + portB, "--udp-peer-port", "9"))) {
                int portA = listeningPort(a);
                report.awaitStart(TIMEOUT_MS, a);

                assertEquals("fanout n=5 ok=5 failed=0", get(portA, "/fanout?n=5"));
                assertEquals("udp n=3", get(portA, "/udp?n=3"));

                a.closeStdin();
                assertEquals(0, a.waitFor(TIMEOUT_MS), a.describe());
                assertEquals("", a.stderr(), "the agent is silent when all is well");
            }
        }
        String last = report.lastReport();
        assertEquals(5, number(last, "outbound_established"), "A's calls to B: " + last);
        assertEquals(5, number(last, "connect_attempts"), last);
        assertEquals(2, number(last, "inbound_accepted"), "the test's two requests to A: " + last);
        assertEquals(3, number(last, "udp_connects"), last);
        assertEquals(7, number(last, "closed"), last);
        assertEquals(0, number(last, "active_connections"), last);
        assertEquals(0, number(last, "failed_connects"), last);
        assertEquals(10, number(last, "total_connections"), last);
        assertEquals(0, number(last, "events_lost"), last);
    }

    private static int listeningPort(ChildJvm service) throws InterruptedException {
        String ready = service.awaitStdout(l -> l.startsWith("example-service listening on "), TIMEOUT_MS);
        String address = ready.split(" ")[3];
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    /** One request on one connection, closed by both sides: the way the README's curl calls it. */
    private static String get(int port, String path) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            String body = response.substring(response.indexOf("\r\n\r\n") + 4).trim();
            return body;
        }
    }
}
