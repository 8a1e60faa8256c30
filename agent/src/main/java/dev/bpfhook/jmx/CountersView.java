package dev.bpfhook.jmx;

import dev.bpfhook.event.KernelCounters;
import dev.bpfhook.track.MonitorSnapshot;
import java.util.function.Function;

/** {@link ConnectionCounters} read from one set of kernel counters in the latest snapshot. */
abstract class CountersView implements ConnectionCounters {
    private final CounterView counters;

    CountersView(MonitorState state, Function<MonitorSnapshot, KernelCounters> select) {
        this.counters = new CounterView(state, select);
    }

    /** The counters now; zero while there is no snapshot or no entry. */
    final KernelCounters now() {
        return counters.now();
    }

    @Override
    public long getTotalConnections() {
        return now().totalConnections();
    }

    @Override
    public long getActiveConnections() {
        return now().activeConnections();
    }

    @Override
    public long getOutboundConnections() {
        return now().outboundEstablished();
    }

    @Override
    public long getInboundConnections() {
        return now().inboundAccepted();
    }

    @Override
    public long getFailedConnections() {
        return now().failedConnects();
    }

    @Override
    public long getBytesSent() {
        return now().bytesSent();
    }

    @Override
    public long getBytesReceived() {
        return now().bytesReceived();
    }
}
