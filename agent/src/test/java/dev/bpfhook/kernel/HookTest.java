package dev.bpfhook.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class HookTest {
    private static final String PEER_NAME = "cgroup/getpeername4+getpeername6";
    private static final String SYSCALLS = "tracepoint/syscalls/sys_exit_accept+accept4";

    @Test
    void anAgentWatchingACgroupTriesTheCgroupAcceptTierBeforeTheHostWideSyscallTracepoints() {
        assertEquals(List.of("fexit/inet_csk_accept", "kretprobe/inet_csk_accept", PEER_NAME, SYSCALLS),
                names(Hook.INBOUND_ACCEPT.tiers(false)));
    }

    @Test
    void aMonitorWatchingTheWholeHostTriesThePartialTierLast() {
        assertEquals(List.of("fexit/inet_csk_accept", "kretprobe/inet_csk_accept", SYSCALLS, PEER_NAME),
                names(Hook.INBOUND_ACCEPT.tiers(true)));
    }

    @Test
    void onlyTheAcceptHookHasAPartialTier() {
        for (Hook hook : Hook.values()) {
            long partial = hook.tiers().stream().filter(Hook.Tier::isPartial).count();
            assertEquals(hook == Hook.INBOUND_ACCEPT ? 1 : 0, partial, hook.label());
            if (hook != Hook.INBOUND_ACCEPT) {
                assertEquals(hook.tiers(), hook.tiers(true), hook.label() + " keeps its order for the whole host");
            }
        }
    }

    private static List<String> names(List<Hook.Tier> tiers) {
        return tiers.stream().map(Hook.Tier::name).collect(Collectors.toList());
    }
}
