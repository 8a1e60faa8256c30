package dev.bpfhook.jmx;

import dev.bpfhook.container.ContainerInfo;

/** One cgroup's MBean: its counters in the latest snapshot. */
final class CgroupView implements CgroupMXBean {
    private final long id;
    private final String path;
    private final ContainerInfo container;
    private final CounterView counters;

    CgroupView(long id, String path, ContainerInfo container, MonitorState state) {
        this.id = id;
        this.path = path;
        this.container = container;
        this.counters = new CounterView(state, s -> s.byCgroup().get(id));
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
    public long getTotalConnections() {
        return counters.now().totalConnections();
    }

    @Override
    public long getActiveConnections() {
        return counters.now().activeConnections();
    }

    @Override
    public long getOutboundConnections() {
        return counters.now().outboundEstablished();
    }

    @Override
    public long getInboundConnections() {
        return counters.now().inboundAccepted();
    }

    @Override
    public long getUdpConnects() {
        return counters.now().udpConnects();
    }

    @Override
    public long getFailedConnections() {
        return counters.now().failedConnects();
    }

    @Override
    public long getClosedConnections() {
        return counters.now().closed();
    }

    @Override
    public long getBytesSent() {
        return counters.now().bytesSent();
    }

    @Override
    public long getBytesReceived() {
        return counters.now().bytesReceived();
    }

    @Override
    public long getRetransmits() {
        return counters.now().retransmits();
    }
}
