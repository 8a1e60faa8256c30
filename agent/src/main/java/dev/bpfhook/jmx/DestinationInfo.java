package dev.bpfhook.jmx;

import dev.bpfhook.destination.Destination;

/** One row of ConnectionMonitor's Destinations table (CompositeData): a destination at a glance. */
public final class DestinationInfo {
    private final String direction;
    private final String destination;
    private final long cgroupId;
    private final long connections;
    private final long established;
    private final long failed;
    private final long active;
    private final double connectLatencyP50Millis;
    private final double connectLatencyP99Millis;
    private final double lifetimeP50Millis;
    private final long newConnectionsPerMinute;
    private final boolean churning;

    @javax.management.ConstructorParameters({"direction", "destination", "cgroupId", "connections", "established",
        "failed", "active", "connectLatencyP50Millis", "connectLatencyP99Millis", "lifetimeP50Millis",
        "newConnectionsPerMinute", "churning"}) // rebuilt by clients' proxies
    public DestinationInfo(String direction, String destination, long cgroupId, long connections, long established,
            long failed, long active, double connectLatencyP50Millis, double connectLatencyP99Millis,
            double lifetimeP50Millis, long newConnectionsPerMinute, boolean churning) {
        this.direction = direction;
        this.destination = destination;
        this.cgroupId = cgroupId;
        this.connections = connections;
        this.established = established;
        this.failed = failed;
        this.active = active;
        this.connectLatencyP50Millis = connectLatencyP50Millis;
        this.connectLatencyP99Millis = connectLatencyP99Millis;
        this.lifetimeP50Millis = lifetimeP50Millis;
        this.newConnectionsPerMinute = newConnectionsPerMinute;
        this.churning = churning;
    }

    static DestinationInfo of(Destination d) {
        return new DestinationInfo(d.key().direction().name().toLowerCase(java.util.Locale.ROOT), d.key().label(),
                d.key().cgroupId(), d.connections(), d.established(), d.failedTotal(), d.active(),
                d.connectLatencyMillis(0.5), d.connectLatencyMillis(0.99),
                d.lifetimeMs().quantile(0.5), d.newLastMinute(), d.churning());
    }

    public String getDirection() {
        return direction;
    }

    public String getDestination() {
        return destination;
    }

    /** 0 for "other". */
    public long getCgroupId() {
        return cgroupId;
    }

    public long getConnections() {
        return connections;
    }

    public long getEstablished() {
        return established;
    }

    public long getFailed() {
        return failed;
    }

    public long getActive() {
        return active;
    }

    public double getConnectLatencyP50Millis() {
        return connectLatencyP50Millis;
    }

    public double getConnectLatencyP99Millis() {
        return connectLatencyP99Millis;
    }

    public double getLifetimeP50Millis() {
        return lifetimeP50Millis;
    }

    public long getNewConnectionsPerMinute() {
        return newConnectionsPerMinute;
    }

    public boolean isChurning() {
        return churning;
    }
}
