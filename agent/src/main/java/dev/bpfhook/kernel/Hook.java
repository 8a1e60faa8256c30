package dev.bpfhook.kernel;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A job the kernel side does, and the tiers that can do it, best first. The
 * loader uses the first tier the running kernel loads and attaches.
 */
public enum Hook {
    OUTBOUND_CONNECT("outbound", true, "",
            new Tier("cgroup/connect4+connect6", true, "bh_connect4", "bh_connect6")),
    TCP_STATE("tcp-state", true, "",
            new Tier("tp_btf/inet_sock_set_state", false, "bh_state_btf"),
            new Tier("tracepoint/sock/inet_sock_set_state", false, "bh_state_tp")),
    INBOUND_ACCEPT("accept", false, "inbound connections are counted but carry no process",
            new Tier("fexit/inet_csk_accept", false, "bh_accept_fexit"),
            new Tier("kretprobe/inet_csk_accept", false, "bh_accept_kretprobe"),
            new Tier("tracepoint/syscalls/sys_exit_accept+accept4", false, "bh_accept_exit", "bh_accept4_exit")),
    SOCKET_STATS("stats", false, "connections carry no bytes, RTT or retransmits",
            new Tier("sockops", true, "bh_sockops"));

    private final String label;
    private final boolean required;
    private final String withoutIt;
    private final List<Tier> tiers;

    Hook(String label, boolean required, String withoutIt, Tier... tiers) {
        this.label = label;
        this.required = required;
        this.withoutIt = withoutIt;
        this.tiers = Collections.unmodifiableList(Arrays.asList(tiers));
    }

    /** Short name used in status lines. */
    public String label() {
        return label;
    }

    /** Without a required hook the monitor cannot run; without another, it runs degraded. */
    public boolean required() {
        return required;
    }

    /** What the monitor cannot show when an optional hook has no working tier. */
    public String withoutIt() {
        return withoutIt;
    }

    public List<Tier> tiers() {
        return tiers;
    }

    /** One way of doing a hook's job: programs that load and attach together. */
    public static final class Tier {
        private final String name;
        private final boolean onCgroup;
        private final List<String> programs;

        Tier(String name, boolean onCgroup, String... programs) {
            this.name = name;
            this.onCgroup = onCgroup;
            this.programs = Collections.unmodifiableList(Arrays.asList(programs));
        }

        public String name() {
            return name;
        }

        /** Attached to the monitored cgroup rather than system-wide. */
        boolean onCgroup() {
            return onCgroup;
        }

        List<String> programs() {
            return programs;
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
