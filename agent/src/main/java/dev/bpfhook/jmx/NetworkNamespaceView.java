package dev.bpfhook.jmx;

/** One network namespace's MBean: its counters in the latest snapshot. */
final class NetworkNamespaceView extends CountersView implements NetworkNamespaceMXBean {
    private final long cookie;
    private final boolean own;

    NetworkNamespaceView(long cookie, boolean own, MonitorState state) {
        super(state, s -> s.byNetns().get(cookie));
        this.cookie = cookie;
        this.own = own;
    }

    @Override
    public long getCookie() {
        return cookie;
    }

    @Override
    public boolean isOwnNamespace() {
        return own;
    }
}
