package dev.bpfhook.container;

/**
 * The host as the monitor knows it: the host's network namespace (the one of
 * PID 1). A connection in another network namespace is a container's even when
 * its cgroup does not say so.
 */
public final class HostIdentity {
    private final long hostNetnsCookie;

    /** @param hostNetnsCookie 0 when the kernel cannot tell (then only cgroups decide) */
    public HostIdentity(long hostNetnsCookie) {
        this.hostNetnsCookie = hostNetnsCookie;
    }

    /** Whether a connection's namespace is not the host's (false when either is unknown). */
    public boolean isOtherNetns(long netnsCookie) {
        return hostNetnsCookie != 0 && netnsCookie != 0 && netnsCookie != hostNetnsCookie;
    }

    public long hostNetnsCookie() {
        return hostNetnsCookie;
    }
}
