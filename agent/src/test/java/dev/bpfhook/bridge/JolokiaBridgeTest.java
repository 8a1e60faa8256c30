package dev.bpfhook.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.bpfhook.testing.Http;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.management.ObjectName;
import org.jolokia.jvmagent.JolokiaServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Jolokia's services start with the first request, not with the agent (see {@link LazyJolokia}). */
class JolokiaBridgeTest {
    @Test
    void servicesStartWithTheFirstRequestAndStopWithTheBridge() throws Exception {
        Set<ObjectName> before = jolokiaMBeans();
        List<String> errors = new ArrayList<>();
        JolokiaBridge bridge = JolokiaBridge.start(loopback(), null, errors::add);
        try {
            assertFalse(bridge.servicesStarted(), "nothing asked yet");
            assertEquals(before, jolokiaMBeans(), "Jolokia's MBeans come with its services");

            HttpResponse<String> version = Http.get(bridge.url() + "version", null);
            assertEquals(200, version.statusCode(), version.body());
            assertTrue(version.body().contains("\"agent\""), version.body());
            assertTrue(version.body().contains(bridge.url()), "the agent's address, as Jolokia tells it: "
                    + version.body());
            assertTrue(bridge.servicesStarted());
            assertTrue(jolokiaMBeans().size() > before.size(), "Jolokia's own MBeans: " + jolokiaMBeans());

            HttpResponse<String> read = Http.get(bridge.url() + "read/java.lang:type=Runtime/Uptime", null);
            assertEquals(200, read.statusCode(), read.body());
            assertTrue(read.body().contains("\"status\":200"), read.body());
        } finally {
            bridge.close();
        }
        assertFalse(bridge.servicesStarted());
        assertEquals(before, jolokiaMBeans(), "stopped with the bridge");
        assertEquals(List.of(), errors);
    }

    @Test
    void aBridgeNeverAskedStopsWithoutStartingThem() throws Exception {
        Set<ObjectName> before = jolokiaMBeans();
        JolokiaBridge bridge = JolokiaBridge.start(loopback(), null, e -> { });
        bridge.close();
        assertFalse(bridge.servicesStarted());
        assertEquals(before, jolokiaMBeans());
    }

    @Test
    void aPolicyOfTheOperatorsOwnIsTheOneRequestsMeet(@TempDir Path dir) throws Exception {
        Path policy = Files.writeString(dir.resolve("policy.xml"), "<restrict><deny><mbean>"
                + "<name>java.lang:type=Runtime</name><attribute>Uptime</attribute></mbean></deny></restrict>");
        JolokiaBridge bridge = JolokiaBridge.start(loopback(), policy.toFile(), e -> { });
        try {
            String denied = Http.get(bridge.url() + "read/java.lang:type=Runtime/Uptime", null).body();
            assertTrue(denied.contains("\"status\":403"), denied);
            String allowed = Http.get(bridge.url() + "read/java.lang:type=Runtime/VmName", null).body();
            assertTrue(allowed.contains("\"status\":200"), allowed);
        } finally {
            bridge.close();
        }
    }

    @Test
    void aPolicyOfTheOperatorsOwnIsReadAtStart(@TempDir Path dir) throws Exception {
        Path policy = Files.writeString(dir.resolve("policy.xml"), "<restrict><mbean>");
        BridgeException e = assertThrows(BridgeException.class,
                () -> JolokiaBridge.start(loopback(), policy.toFile(), m -> { }));
        assertTrue(e.getMessage().startsWith("jolokia did not start: "), e.getMessage());
    }

    @Test
    void servicesThatCannotStartAreToldOnceAndEveryRequestIsAnswered503(@TempDir Path dir) throws Exception {
        // a broken policy read late (as only the bundled one is) makes the start fail at the first request
        Path policy = Files.writeString(dir.resolve("policy.xml"), "<restrict><mbean>");
        Map<String, String> settings = new HashMap<>();
        settings.put("policyLocation", policy.toUri().toString());
        List<String> errors = new ArrayList<>();
        LazyJolokia jolokia = new LazyJolokia(new JolokiaServerConfig(settings).getJolokiaConfig(),
                new JolokiaBridge.QuietLog(errors::add), false, "http://127.0.0.1/jolokia/", false);
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/jolokia/", jolokia);
        http.start();
        try {
            String url = "http://127.0.0.1:" + http.getAddress().getPort() + "/jolokia/version";
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> answer = Http.get(url, null);
                assertEquals(503, answer.statusCode());
                assertEquals("jolokia did not start; the application's log (stderr) says why\n", answer.body());
            }
            assertEquals(1, errors.size(), errors.toString());
            assertTrue(errors.get(0).contains("Cannot parse policy file"), "the reason, in the log: " + errors);
            assertFalse(jolokia.started());
        } finally {
            http.stop(0);
            jolokia.close();
        }
    }

    private static HttpEndpoint loopback() {
        return new HttpEndpoint("127.0.0.1", 0, true, null, null, (File) null, null);
    }

    private static Set<ObjectName> jolokiaMBeans() throws Exception {
        return ManagementFactory.getPlatformMBeanServer().queryNames(new ObjectName("jolokia:*"), null);
    }
}
