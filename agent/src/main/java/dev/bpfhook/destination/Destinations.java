package dev.bpfhook.destination;

import java.util.Collections;
import java.util.List;

/** All destinations at one moment, each direction sorted by connections, "other" last. */
public final class Destinations {
    private final List<Destination> outbound;
    private final List<Destination> inbound;
    private final long folded;
    private final DestinationSettings settings;

    Destinations(List<Destination> outbound, List<Destination> inbound, long folded, DestinationSettings settings) {
        this.outbound = Collections.unmodifiableList(outbound);
        this.inbound = Collections.unmodifiableList(inbound);
        this.folded = folded;
        this.settings = settings;
    }

    /** Remote endpoints this service connects to. */
    public List<Destination> outbound() {
        return outbound;
    }

    /** Local ports peers connect to. */
    public List<Destination> inbound() {
        return inbound;
    }

    /** Destinations folded into "other" because they were not among the top ones. */
    public long folded() {
        return folded;
    }

    public DestinationSettings settings() {
        return settings;
    }
}
