package dev.bpfhook.report;

import dev.bpfhook.container.ContainerInfo;
import dev.bpfhook.container.ContainerResolver;
import dev.bpfhook.container.HostIdentity;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * How outputs name a connection's cgroup and container. A connection is a
 * container's when its cgroup resolves to a container (Docker, containerd,
 * CRI-O, Podman, a Kubernetes pod) or its network namespace is not the host's.
 */
public final class Attribution {
    private static final int MAX_CACHED = 4096;

    private final HostIdentity host;
    private final LongFunction<String> cgroupNames;
    private final Map<Long, ContainerInfo> containers = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, ContainerInfo> eldest) {
            return size() > MAX_CACHED;
        }
    };

    public Attribution(HostIdentity host, LongFunction<String> cgroupNames) {
        this.host = host;
        this.cgroupNames = cgroupNames;
    }

    public String cgroupName(long cgroupId) {
        return cgroupNames.apply(cgroupId);
    }

    /** The container (or service) a cgroup belongs to; HOST when none. Cached per cgroup id. */
    public synchronized ContainerInfo container(long cgroupId) {
        ContainerInfo info = containers.get(cgroupId);
        if (info == null) {
            String name = cgroupName(cgroupId);
            info = ContainerResolver.resolve(name);
            if (!name.startsWith("cgroup:")) { // an unknown id may get its name later
                containers.put(cgroupId, info);
            }
        }
        return info;
    }

    public boolean isContainer(long cgroupId, long netnsCookie) {
        return container(cgroupId).isContainer() || host.isOtherNetns(netnsCookie);
    }

    /** A cgroup's counters belong to a container when the cgroup resolves to one. */
    public boolean isContainerCgroup(long cgroupId) {
        return container(cgroupId).isContainer();
    }

    /** A network namespace that is not the host's is a container's. */
    public boolean isContainerNetns(long netnsCookie) {
        return host.isOtherNetns(netnsCookie);
    }
}
