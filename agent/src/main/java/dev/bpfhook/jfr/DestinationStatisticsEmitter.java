package dev.bpfhook.jfr;

import dev.bpfhook.destination.Destination;
import dev.bpfhook.destination.Destinations;
import dev.bpfhook.destination.HistogramSnapshot;
import dev.bpfhook.event.ConnectFailure;
import dev.bpfhook.report.Attribution;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/** The periodic DestinationStatistics events: one per destination kept, and one per direction's "other". */
final class DestinationStatisticsEmitter {
    private final Attribution attribution;
    private final Supplier<Optional<Destinations>> destinations;

    DestinationStatisticsEmitter(Attribution attribution, Supplier<Optional<Destinations>> destinations) {
        this.attribution = attribution;
        this.destinations = destinations;
    }

    /** Called by Flight Recorder, on its own thread, each period of a recording that enables the event. */
    void emit() {
        Optional<Destinations> now = destinations.get();
        if (!now.isPresent()) {
            return;
        }
        emit(now.get().outbound());
        emit(now.get().inbound());
    }

    private void emit(List<Destination> list) {
        for (Destination d : list) {
            DestinationStatisticsEvent s = new DestinationStatisticsEvent();
            s.direction = d.key().direction().name();
            s.destination = d.key().label();
            s.cgroupId = d.key().cgroupId();
            s.cgroup = d.key().isOther() ? "" : attribution.cgroupName(d.key().cgroupId());
            s.containerId = d.key().isOther() ? "" : attribution.container(d.key().cgroupId()).id();
            s.connections = d.connections();
            s.attempts = d.attempts();
            s.established = d.established();
            s.failed = d.failedTotal();
            s.failedRefused = d.failed().get(ConnectFailure.REFUSED);
            s.failedTimedOut = d.failed().get(ConnectFailure.TIMED_OUT);
            s.failedUnreachable = d.failed().get(ConnectFailure.UNREACHABLE);
            s.failedReset = d.failed().get(ConnectFailure.RESET);
            s.failedClosedLocally = d.failed().get(ConnectFailure.CLOSED_LOCALLY);
            s.failedOther = d.failed().get(ConnectFailure.OTHER);
            s.active = d.active();
            s.evicted = d.evicted();
            s.closed = d.closed();
            s.slowConnects = d.slowConnects();
            s.connectLatencyP50 = quantile(d.connectLatencyUs(), 0.5);
            s.connectLatencyP99 = quantile(d.connectLatencyUs(), 0.99);
            s.connectLatencyMax = d.connectLatencyUs().max();
            s.acceptWaitP50 = quantile(d.acceptWaitUs(), 0.5);
            s.acceptWaitP99 = quantile(d.acceptWaitUs(), 0.99);
            s.lifetimeP50 = quantile(d.lifetimeMs(), 0.5);
            s.bytesSent = d.bytesSent();
            s.bytesReceived = d.bytesReceived();
            s.retransmits = d.retransmits();
            s.newLastMinute = d.newLastMinute();
            s.churning = d.churning();
            s.commit();
        }
    }

    private static long quantile(HistogramSnapshot h, double q) {
        return Math.round(h.quantile(q));
    }
}
