package dev.bpfhook.jmx;

/** bpfhook:type=Cgroup,path=...: one cgroup's connections, from counters kept in the kernel. */
@Description("The connections of one cgroup (bpfhook)")
public interface CgroupMXBean extends ConnectionCounters {
    @Description("Path below the cgroup v2 root")
    String getPath();

    @Description("The cgroup's id (inode of its directory)")
    long getCgroupId();

    @Description("Whether the cgroup belongs to a container (Docker, containerd, CRI-O, Podman or a Kubernetes pod)")
    boolean isContainer();

    @Description("Full container id, when the cgroup belongs to a container; empty otherwise")
    String getContainerId();

    @Description("Container runtime (docker, containerd, cri-o, podman, kubernetes), when known; empty otherwise")
    String getRuntime();

    @Description("Kubernetes pod UID, when the cgroup belongs to a pod; empty otherwise")
    String getPodUid();

    @Description("systemd service name, when the cgroup is a service's; empty otherwise")
    String getService();

    @Description("UDP connect() calls")
    @Metric(Metric.COUNTER)
    long getUdpConnects();

    @Description("TCP connections that ended after being established")
    @Metric(Metric.COUNTER)
    long getClosedConnections();

    @Description("TCP segments retransmitted, summed at close")
    @Metric(Metric.COUNTER)
    long getRetransmits();
}
