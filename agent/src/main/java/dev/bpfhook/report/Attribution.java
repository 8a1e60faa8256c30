package dev.bpfhook.report;

import dev.bpfhook.container.HostIdentity;
import java.util.function.LongFunction;

/** How outputs name a connection's cgroup and decide whether it is a container's. */
public final class Attribution {
    private final HostIdentity host;
    private final LongFunction<String> cgroupNames;

    public Attribution(HostIdentity host, LongFunction<String> cgroupNames) {
        this.host = host;
        this.cgroupNames = cgroupNames;
    }

    public String cgroupName(long cgroupId) {
        return cgroupNames.apply(cgroupId);
    }

    public boolean isContainer(long cgroupId, long netnsCookie) {
        return host.isContainer(cgroupId, netnsCookie);
    }

    /** A container's counters are keyed by cgroup; its namespace is not known from the cgroup alone. */
    public boolean isContainerCgroup(long cgroupId) {
        return host.isContainer(cgroupId, 0);
    }
}
