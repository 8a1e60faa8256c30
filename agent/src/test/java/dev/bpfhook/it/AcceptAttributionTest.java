package dev.bpfhook.it;

import static dev.bpfhook.testing.KernelTests.assertCount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.bpfhook.container.CgroupV2;
import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.kernel.Hook;
import dev.bpfhook.kernel.HookSettings;
import dev.bpfhook.kernel.HookStatus;
import dev.bpfhook.pipeline.Monitor;
import dev.bpfhook.testing.AttachedPrograms;
import dev.bpfhook.testing.Await;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.NativeSockets;
import dev.bpfhook.testing.TestCgroup;
import dev.bpfhook.track.ConnectionTable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Which accepts each tier of the accept hook attributes to their process, with sockets made through
 * libc in a cgroup this test makes: two inbound connections, one accepted asking for the peer's
 * address (as every JVM does) and one not (accept(fd, NULL, NULL)), then the peer's address read
 * again on all four sockets with getpeername() and getsockopt(SO_PEERNAME). Each accept must be
 * reported once, with its thread, or (where the tier cannot see it) not at all.
 */
class AcceptAttributionTest {
    private static final String PEER_NAME_TIER = "cgroup/getpeername4+getpeername6";
    private static final String SYSCALL_TIER = "tracepoint/syscalls/sys_exit_accept+accept4";
    private static final String FEXIT_TIER = "fexit/inet_csk_accept";
    private static final String KRETPROBE_TIER = "kretprobe/inet_csk_accept";
    private static final int PID = (int) ProcessHandle.current().pid();

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    /** The cgroup tier: the accept that asked for the address, once; no reading of it afterwards. */
    @Test
    void thePeerNameTierAttributesTheAcceptsThatAskForThePeersAddressAndNothingElse() throws Exception {
        Accepts seen = acceptTwice(SYSCALL_TIER, PEER_NAME_TIER);
        assertEquals(Map.of(seen.askingCookie, seen.tid), seen.tidByCookie,
                "one accept event, for the accept that asked for the address: " + seen.events);
    }

    /** The syscall tier: both accepts, once each. */
    @Test
    void theSyscallTierAttributesEveryAccept() throws Exception {
        Accepts seen = acceptTwice(PEER_NAME_TIER, SYSCALL_TIER);
        assertEquals(Map.of(seen.askingCookie, seen.tid, seen.notAskingCookie, seen.tid), seen.tidByCookie,
                "an accept event for each accept: " + seen.events);
    }

    /**
     * A monitor of the whole host pays for host-wide hooks anyway: it uses the syscall tier first, to see
     * the accepts that do not ask for the address too.
     */
    @Test
    void aMonitorOfTheWholeHostUsesTheSyscallTierAndSeesEveryAccept() throws Exception {
        Path root = CgroupV2.find().orElseThrow().mount();
        Accepts seen = acceptTwice(cgroup -> new HookSettings(root, CgroupV2.id(root), 0, 1 << 20, 4096, false)
                .withoutTiers(Set.of(FEXIT_TIER, KRETPROBE_TIER)), SYSCALL_TIER);
        assertEquals(Map.of(seen.askingCookie, seen.tid, seen.notAskingCookie, seen.tid), seen.tidByCookie,
                "an accept event for each accept: " + seen.events);
    }

    /** What one run saw: the accept events' threads by socket cookie, and what the test made. */
    private static final class Accepts {
        final Map<Long, Integer> tidByCookie = new TreeMap<>();
        final List<ConnectionEvent> events = new ArrayList<>();
        long askingCookie;
        long notAskingCookie;
        int tid;
    }

    /**
     * Watching the test's cgroup, without one tier, and without the trampoline and kprobe tiers, which come
     * first where a kernel has them: the tier under test is then chosen on any kernel.
     */
    private static Accepts acceptTwice(String disabledTier, String expectedTier) throws Exception {
        return acceptTwice(cgroup -> new HookSettings(cgroup.directory(), cgroup.id(), cgroup.level(), 1 << 20, 4096,
                false).withoutTiers(Set.of(disabledTier, FEXIT_TIER, KRETPROBE_TIER)), expectedTier);
    }

    /** The settings of a run, for the cgroup it makes its connections in. */
    private interface Watching {
        HookSettings settings(TestCgroup cgroup) throws IOException;
    }

    private static Accepts acceptTwice(Watching watching, String expectedTier) throws Exception {
        Set<Long> programsBefore = AttachedPrograms.ours();
        List<ConnectionEvent> events = Collections.synchronizedList(new ArrayList<>());
        Accepts seen = new Accepts();
        try (TestCgroup cgroup = TestCgroup.create("accepts")) {
            try (Monitor monitor = Monitor.start(watching.settings(cgroup), new ConnectionTable(4096, 1024),
                    List.of(events::add))) {
                HookStatus accept = monitor.hooks().stream().filter(h -> h.hook() == Hook.INBOUND_ACCEPT)
                        .findFirst().orElseThrow();
                assertEquals(expectedTier, accept.tier() == null ? null : accept.tier().name(), accept.toString());
                List<Integer> sockets = new ArrayList<>();
                cgroup.enter();
                try {
                    seen.tid = NativeSockets.tid();
                    int listener = NativeSockets.listener();
                    sockets.add(listener);
                    int port = NativeSockets.port(listener);
                    sockets.add(NativeSockets.connect(port));
                    int asking = NativeSockets.accept(listener, true);
                    sockets.add(asking);
                    sockets.add(NativeSockets.connect(port));
                    int notAsking = NativeSockets.accept(listener, false);
                    sockets.add(notAsking);
                    seen.askingCookie = NativeSockets.cookie(asking);
                    seen.notAskingCookie = NativeSockets.cookie(notAsking);
                    for (int fd : sockets.subList(1, sockets.size())) {
                        NativeSockets.readPeer(fd);
                    }
                } finally {
                    sockets.forEach(NativeSockets::close);
                    cgroup.leave();
                }
                long cgroupId = cgroup.id();
                assertCount(4, Await.counters(monitor, cgroupId, c -> c.closed() == 4).byCgroup().get(cgroupId)
                        .closed(), "both ends of both connections closed");
            }
        }
        assertEquals(Set.of(), AttachedPrograms.leftOver(programsBefore), "bpfhook programs left in the kernel");
        synchronized (events) {
            // this process's: a monitor of the whole host also sees the other processes' accepts
            seen.events.addAll(events.stream().filter(e -> e.kind() == EventKind.ACCEPT && e.pid() == PID)
                    .collect(Collectors.toList()));
        }
        for (ConnectionEvent e : seen.events) {
            Integer before = seen.tidByCookie.put(e.socketCookie(), e.tid());
            assertNull(before, "one accept event per socket: " + seen.events);
        }
        return seen;
    }
}
