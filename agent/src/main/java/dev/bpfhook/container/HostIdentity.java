package dev.bpfhook.container;

/**
 * The monitor's own cgroup and network namespace. Until containers are
 * resolved by name, a connection counts as a container's ([CTR]) when its
 * cgroup or its network namespace differs from these.
 */
public final class HostIdentity {
    private final long cgroupId;
    private final long netnsCookie;

    /** @param netnsCookie 0 when the kernel cannot tell (then only cgroups are compared) */
    public HostIdentity(long cgroupId, long netnsCookie) {
        this.cgroupId = cgroupId;
        this.netnsCookie = netnsCookie;
    }

    public boolean isContainer(long connectionCgroupId, long connectionNetnsCookie) {
        boolean otherCgroup = connectionCgroupId != 0 && connectionCgroupId != cgroupId;
        boolean otherNetns = netnsCookie != 0 && connectionNetnsCookie != 0 && connectionNetnsCookie != netnsCookie;
        return otherCgroup || otherNetns;
    }

    public long cgroupId() {
        return cgroupId;
    }

    public long netnsCookie() {
        return netnsCookie;
    }
}
