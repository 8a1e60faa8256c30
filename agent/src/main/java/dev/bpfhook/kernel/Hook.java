package dev.bpfhook.kernel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A job the kernel side does, and the tiers that can do it, best first (for a
 * watched cgroup; see {@link #tiers(boolean)}). The loader uses the first tier
 * the running kernel loads and attaches.
 */
public enum Hook {
    OUTBOUND_CONNECT("outbound", true, "",
            new Tier("cgroup/connect4+connect6", Attach.CGROUP, "bh_connect4", "bh_connect6")),
    TCP_STATE("tcp-state", true, "",
            new Tier("tp_btf/inet_sock_set_state", Attach.GLOBAL, "bh_state_btf"),
            new Tier("tracepoint/sock/inet_sock_set_state", Attach.GLOBAL, "bh_state_tp")),
    INBOUND_ACCEPT("accept", false, "inbound connections are counted but carry no process",
            new Tier("fexit/inet_csk_accept", Attach.GLOBAL, "bh_accept_fexit"),
            new Tier("kretprobe/inet_csk_accept", Attach.GLOBAL, "bh_accept_kretprobe"),
            Tier.partial("cgroup/getpeername4+getpeername6", Attach.CGROUP, "bh_getpeername4", "bh_getpeername6"),
            new Tier("tracepoint/syscalls/sys_exit_accept+accept4", Attach.GLOBAL, "bh_accept_exit", "bh_accept4_exit")),
    /**
     * Needed only by the classic state tracepoint, which cannot create a socket's cookie: without it,
     * inbound connections' events there cannot be joined. tp_btf creates cookies itself.
     */
    PASSIVE_COOKIES("cookies", false, "inbound connections' state events cannot be joined to their accept",
            new Tier("sockops", Attach.CGROUP, "bh_sockops")),
    EXISTING_CONNECTIONS("existing", false, "connections open before the start are neither listed nor tracked, "
            + "and their close is counted as untracked",
            new Tier("iter/tcp", Attach.RUN_ONCE, "bh_iter_tcp"));

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

    /**
     * The tiers in the order the loader tries them. A partial tier comes after the complete ones
     * when the whole host is watched: a host-wide monitor pays for host-wide hooks anyway, and should
     * see everything. When a cgroup is watched it keeps its place, ahead of the host-wide tiers after
     * it, whose cost would fall on every other service of the host.
     */
    public List<Tier> tiers(boolean wholeHost) {
        if (!wholeHost) {
            return tiers;
        }
        List<Tier> ordered = new ArrayList<>();
        tiers.stream().filter(t -> !t.partial).forEach(ordered::add);
        tiers.stream().filter(t -> t.partial).forEach(ordered::add);
        return Collections.unmodifiableList(ordered);
    }

    /** How a tier's programs are attached. */
    enum Attach {
        /** to the monitored cgroup: sees only its subtree */
        CGROUP,
        /** where the program's section says (tracepoint, probe): sees the whole host */
        GLOBAL,
        /** an iterator, run once right after every other hook is attached, then detached */
        RUN_ONCE
    }

    /** One way of doing a hook's job: programs that load and attach together. */
    public static final class Tier {
        private final String name;
        private final Attach attach;
        private final List<String> programs;
        private final boolean partial;

        Tier(String name, Attach attach, String... programs) {
            this(name, attach, false, programs);
        }

        private Tier(String name, Attach attach, boolean partial, String... programs) {
            this.name = name;
            this.attach = attach;
            this.partial = partial;
            this.programs = Collections.unmodifiableList(Arrays.asList(programs));
        }

        /** A tier that sees only part of what its hook is for (see {@link Hook#tiers(boolean)}). */
        static Tier partial(String name, Attach attach, String... programs) {
            return new Tier(name, attach, true, programs);
        }

        /** Whether it sees only part of what its hook is for. */
        boolean isPartial() {
            return partial;
        }

        public String name() {
            return name;
        }

        Attach attach() {
            return attach;
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
