package dev.bpfhook.it;

import static dev.bpfhook.testing.KernelTests.assertCount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.container.CgroupNames;
import dev.bpfhook.container.CgroupV2;
import dev.bpfhook.container.ContainerInfo;
import dev.bpfhook.container.HostIdentity;
import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.KernelCounters;
import dev.bpfhook.kernel.HookSettings;
import dev.bpfhook.kernel.NetnsCookie;
import dev.bpfhook.pipeline.Monitor;
import dev.bpfhook.report.Attribution;
import dev.bpfhook.report.EventLine;
import dev.bpfhook.report.JsonLines;
import dev.bpfhook.report.MetricsReport;
import dev.bpfhook.testing.Await;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.LoopbackTraffic;
import dev.bpfhook.testing.TestEnvironment;
import dev.bpfhook.track.ConnectionTable;
import dev.bpfhook.track.MonitorSnapshot;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Containers without Docker: scripts/testenv.sh's two emulated containers (network namespaces, veth,
 * Docker-named cgroups). Connections inside them must be attributed to them, host connections not.
 */
class ContainerAttributionTest {
    private static final int CONNECTIONS = 4;
    private static final int HOST_CONNECTIONS = 2;

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void connectionsInsideEmulatedContainersAreTheirs() throws Exception {
        CgroupV2 hierarchy = CgroupV2.find().orElseThrow();
        long hostNetns = NetnsCookie.ofHost().orElse(0);
        List<ConnectionEvent> events = Collections.synchronizedList(new ArrayList<>());
        try (TestEnvironment env = TestEnvironment.up()) {
            long clientCgroup = CgroupV2.id(Paths.get(env.get("TRAFFIC_GEN_CGROUP")));
            long serverCgroup = CgroupV2.id(Paths.get(env.get("TARGET_SERVER_CGROUP")));
            HookSettings host = new HookSettings(hierarchy.mount(), CgroupV2.id(hierarchy.mount()), 0, 4 << 20,
                    65536, true);
            try (Monitor monitor = Monitor.start(host, new ConnectionTable(65536, 1024), List.of(events::add))) {
                String client = "import socket\n"
                        + "for i in range(" + CONNECTIONS + "):\n"
                        + "    s = socket.create_connection(('" + env.get("SERVER_ADDRESS") + "', "
                        + env.get("SERVER_PORT") + "), timeout=5)\n"
                        + "    s.sendall(b'ping'); assert s.recv(16) == b'ping'; s.close()\n"
                        + "print('done')\n";
                assertTrue(env.exec("bpf-traffic-gen", "python3", "-c", client).contains("done"));
                try (LoopbackTraffic.Server server = new LoopbackTraffic.Server(LoopbackTraffic.IPV4)) {
                    for (int i = 0; i < HOST_CONNECTIONS; i++) {
                        LoopbackTraffic.exchange(server, LoopbackTraffic.IPV4, LoopbackTraffic.payload(8), 8);
                    }
                }

                MonitorSnapshot snapshot = Await.counters(monitor, serverCgroup, c -> c.closed() == CONNECTIONS);
                KernelCounters clientCounters = snapshot.byCgroup().get(clientCgroup);
                KernelCounters serverCounters = snapshot.byCgroup().get(serverCgroup);
                assertCount(CONNECTIONS, clientCounters.outboundEstablished(), "the client container's outbound");
                assertCount(0, clientCounters.inboundAccepted(), "the client container's inbound");
                assertCount(CONNECTIONS, serverCounters.inboundAccepted(), "the server container's inbound");
                assertCount(0, serverCounters.outboundEstablished(), "the server container's outbound");
                assertCount(CONNECTIONS * 4L, serverCounters.bytesReceived(), "payload into the server");

                CgroupNames names = new CgroupNames(hierarchy, hierarchy.mount());
                Attribution attribution = new Attribution(new HostIdentity(hostNetns), names::nameOf);
                ContainerInfo clientContainer = attribution.container(clientCgroup);
                assertEquals(env.get("TRAFFIC_GEN_ID"), clientContainer.id());
                assertEquals("docker", clientContainer.runtime().orElse(""));
                assertEquals(env.get("TARGET_SERVER_ID"), attribution.container(serverCgroup).id());

                List<ConnectionEvent> connects = copy(events).stream().filter(e -> e.kind() == EventKind.CONNECT
                        && e.cgroupId() == clientCgroup).collect(Collectors.toList());
                assertCount(CONNECTIONS, connects.size(), "connect events of the client container");
                for (ConnectionEvent e : connects) {
                    assertNotEquals(hostNetns, e.netnsCookie(), "the container's own network namespace");
                    assertEquals(8080, e.remote().getPort());
                    assertTrue(attribution.isContainer(e.cgroupId(), e.netnsCookie()));
                    assertTrue(new EventLine(attribution).format(e).endsWith(
                            "container=docker:" + env.get("TRAFFIC_GEN_ID").substring(0, 12) + " [CTR]"),
                            new EventLine(attribution).format(e));
                    assertTrue(new JsonLines(attribution).event(e).contains("\"container_id\":\""
                            + env.get("TRAFFIC_GEN_ID") + "\""));
                }
                int pid = (int) ProcessHandle.current().pid();
                List<ConnectionEvent> hostConnects = copy(events).stream().filter(e -> e.kind() == EventKind.CONNECT
                        && e.pid() == pid).collect(Collectors.toList());
                assertCount(HOST_CONNECTIONS, hostConnects.size(), "connect events of this test (the host)");
                assertFalse(hostConnects.stream().anyMatch(e -> attribution.isContainer(e.cgroupId(), e.netnsCookie())),
                        "host connections are not a container's");

                String report = new MetricsReport(attribution, true).render(snapshot);
                String clientBlock = report.substring(report.indexOf("    docker:" + env.get("TRAFFIC_GEN_ID")
                        .substring(0, 12) + " [CTR]"));
                assertTrue(clientBlock.contains("Outbound: " + CONNECTIONS + " established of " + CONNECTIONS
                        + " TCP connect attempts"), report);
                String serverBlock = report.substring(report.indexOf("    docker:" + env.get("TARGET_SERVER_ID")
                        .substring(0, 12) + " [CTR]"));
                assertTrue(serverBlock.contains("Inbound:  " + CONNECTIONS + " accepted"), report);
            }
        }
    }

    /** The host-wide ring thread keeps appending: stream a copy taken under the list's lock. */
    private static List<ConnectionEvent> copy(List<ConnectionEvent> events) {
        synchronized (events) {
            return new ArrayList<>(events);
        }
    }
}
