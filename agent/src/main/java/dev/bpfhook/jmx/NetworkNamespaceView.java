package dev.bpfhook.jmx;

/** One network namespace's MBean: its counters in the latest snapshot. */
final class NetworkNamespaceView implements NetworkNamespaceMXBean {
    private final long cookie;
    private final boolean own;
    private final CounterView counters;

    NetworkNamespaceView(long cookie, boolean own, MonitorState state) {
        this.cookie = cookie;
        this.own = own;
        this.counters = new CounterView(state, s -> s.byNetns().get(cookie));
    }

    @Override
    public long getCookie() {
        return cookie;
    }

    @Override
    public boolean isOwnNamespace() {
        return own;
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
    public long getFailedConnections() {
        return counters.now().failedConnects();
    }

    @Override
    public long getBytesSent() {
        return counters.now().bytesSent();
    }

    @Override
    public long getBytesReceived() {
        return counters.now().bytesReceived();
    }
}
