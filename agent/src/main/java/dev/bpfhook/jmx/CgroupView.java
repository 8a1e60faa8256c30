package dev.bpfhook.jmx;

import dev.bpfhook.container.ContainerInfo;

/** One cgroup's MBean: its counters in the latest snapshot. */
final class CgroupView extends CountersView implements CgroupMXBean {
    private final long id;
    private final String path;
    private final ContainerInfo container;

    CgroupView(long id, String path, ContainerInfo container, MonitorState state) {
        super(state, s -> s.byCgroup().get(id));
        this.id = id;
        this.path = path;
        this.container = container;
    }

    @Override
    public String getPath() {
        return path;
    }

    @Override
    public long getCgroupId() {
        return id;
    }

    @Override
    public boolean isContainer() {
        return container.isContainer();
    }

    @Override
    public String getContainerId() {
        return container.id();
    }

    @Override
    public String getRuntime() {
        return container.runtime().orElse("");
    }

    @Override
    public String getPodUid() {
        return container.podUid().orElse("");
    }

    @Override
    public String getService() {
        return container.serviceName().orElse("");
    }

    @Override
    public long getUdpConnects() {
        return now().udpConnects();
    }

    @Override
    public long getClosedConnections() {
        return now().closed();
    }

    @Override
    public long getRetransmits() {
        return now().retransmits();
    }
}
