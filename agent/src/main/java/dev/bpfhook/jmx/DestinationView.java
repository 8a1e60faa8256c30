package dev.bpfhook.jmx;

import dev.bpfhook.destination.Destination;
import dev.bpfhook.destination.DestinationKey;
import dev.bpfhook.destination.Destinations;
import dev.bpfhook.event.ConnectFailure;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One destination's MBean: its figures in the latest (briefly cached) destinations snapshot. */
final class DestinationView implements DestinationMXBean {
    private final DestinationKey key;
    private final String cgroupPath;
    private final String container;
    private final MonitorState state;

    DestinationView(DestinationKey key, String cgroupPath, String container, MonitorState state) {
        this.key = key;
        this.cgroupPath = cgroupPath;
        this.container = container;
        this.state = state;
    }

    /** The destination now; all zeros when it is no longer kept (its MBean goes at the next sweep). */
    private Destination now() {
        Destinations all = state.destinations().orElse(null);
        if (all != null) {
            List<Destination> list = key.direction() == dev.bpfhook.event.Direction.OUTBOUND ? all.outbound()
                    : all.inbound();
            for (Destination d : list) {
                if (d.key().equals(key)) {
                    return d;
                }
            }
        }
        return Destination.empty(key);
    }

    @Override
    public String getDirection() {
        return key.direction().name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public String getDestination() {
        return key.label();
    }

    @Override
    public String getCgroupPath() {
        return cgroupPath;
    }

    @Override
    public String getContainer() {
        return container;
    }

    @Override
    public long getConnections() {
        return now().connections();
    }

    @Override
    public long getConnectAttempts() {
        return now().attempts();
    }

    @Override
    public long getEstablished() {
        return now().established();
    }

    @Override
    public long getFailed() {
        return now().failedTotal();
    }

    @Override
    public Map<String, Long> getFailedByReason() {
        Map<String, Long> byReason = new LinkedHashMap<>();
        for (Map.Entry<ConnectFailure, Long> e : now().failed().entrySet()) {
            byReason.put(e.getKey().text(), e.getValue());
        }
        return byReason;
    }

    @Override
    public long getClosed() {
        return now().closed();
    }

    @Override
    public long getActive() {
        return now().active();
    }

    @Override
    public long getEvicted() {
        return now().evicted();
    }

    @Override
    public long getBytesSent() {
        return now().bytesSent();
    }

    @Override
    public long getBytesReceived() {
        return now().bytesReceived();
    }

    @Override
    public long getRetransmits() {
        return now().retransmits();
    }

    @Override
    public long getSlowConnects() {
        return now().slowConnects();
    }

    @Override
    public long getNewConnectionsPerMinute() {
        return now().newLastMinute();
    }

    @Override
    public boolean isChurning() {
        return now().churning();
    }

    @Override
    public double getConnectLatencyP50Millis() {
        return now().connectLatencyMillis(0.5);
    }

    @Override
    public double getConnectLatencyP99Millis() {
        return now().connectLatencyMillis(0.99);
    }

    @Override
    public double getConnectLatencyMaxMillis() {
        return now().connectLatencyUs().max() / 1000.0;
    }

    @Override
    public double getLifetimeP50Millis() {
        return now().lifetimeMs().quantile(0.5);
    }

    @Override
    public HistogramInfo getConnectLatency() {
        return HistogramInfo.of(now().connectLatencyUs());
    }

    @Override
    public HistogramInfo getAcceptWait() {
        return HistogramInfo.of(now().acceptWaitUs());
    }

    @Override
    public HistogramInfo getLifetime() {
        return HistogramInfo.of(now().lifetimeMs());
    }
}
