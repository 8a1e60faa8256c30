package dev.bpfhook.destination;

import dev.bpfhook.event.ConnectFailure;
import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.Direction;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.EventListener;
import dev.bpfhook.event.Protocol;
import dev.bpfhook.event.TcpState;
import dev.bpfhook.track.Connection;
import dev.bpfhook.track.ConnectionTable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Aggregates TCP connections per destination (see {@link DestinationKey}) from the event stream:
 * connect latency, failures by reason, accept wait, lifetime, bytes, retransmits, churn. Latencies
 * are differences of the kernel's own timestamps of two events of one connection, found through
 * the connection table (which must see each event first).
 *
 * <p>Bounded: per direction, the {@code top} destinations with the most connections (established
 * plus failed) are kept; whenever more than twice that many are tracked, the others are folded into
 * that direction's "other" entry, for good, and counted. A destination folded away starts again
 * from zero if it comes back. A close or accept of a destination not kept is counted in "other".
 *
 * <p>Events arrive on the ring thread; readers call from others: every method is synchronized.
 */
public final class DestinationTracker implements EventListener {
    private static final long RANK_INTERVAL_NS = 1_000_000_000L;

    private final ConnectionTable table;
    private DestinationSettings settings;
    private final Map<DestinationKey, DestinationStats> kept = new HashMap<>();
    private final Map<Direction, DestinationStats> other = new EnumMap<>(Direction.class);
    private long folded;
    private long lastRankNs;

    public DestinationTracker(ConnectionTable table, DestinationSettings settings) {
        this.table = table;
        this.settings = settings;
    }

    @Override
    public synchronized void onEvent(ConnectionEvent e) {
        if (e.protocol() != Protocol.TCP) {
            return;
        }
        long now = e.timestampNs();
        if (e.kind() == EventKind.CONNECT) {
            stats(outbound(e), true, now).attempts++;
        } else if (e.kind() == EventKind.ACCEPT) {
            Connection c = table.find(e.socketCookie());
            if (c != null && c.establishedNs() > 0 && now >= c.establishedNs()) {
                stats(inbound(e), false, now).acceptWaitUs.record((now - c.establishedNs()) / 1000);
            }
        } else if (e.kind() == EventKind.STATE) {
            onTransition(e, now);
        }
        if (now - lastRankNs > RANK_INTERVAL_NS) {
            rank();
            lastRankNs = now;
        }
    }

    private void onTransition(ConnectionEvent e, long now) {
        TcpState from = e.oldState();
        TcpState to = e.newState();
        if (to == TcpState.ESTABLISHED && from == TcpState.SYN_SENT) {
            DestinationStats s = stats(outbound(e), true, now);
            s.established++;
            s.newConnections.record(now);
            Connection c = table.find(e.socketCookie());
            long latencyNs = c == null ? -1 : c.connectLatencyNs(now);
            if (latencyNs >= 0) {
                long micros = latencyNs / 1000;
                s.connectLatencyUs.record(micros);
                if (micros >= settings.slowConnectMicros()) { // at the threshold counts, as in JFR
                    s.slowConnects++;
                }
            }
        } else if (to == TcpState.ESTABLISHED && from == TcpState.SYN_RECV) {
            DestinationStats s = stats(inbound(e), true, now);
            s.established++;
            s.newConnections.record(now);
        } else if (to == TcpState.CLOSE && from == TcpState.SYN_SENT) {
            stats(outbound(e), true, now).failed[ConnectFailure.ofErrno(e.error()).ordinal()]++;
        } else if (to == TcpState.CLOSE) {
            Connection c = table.find(e.socketCookie());
            if (c == null || c.establishedNs() == 0 || e.direction() == Direction.UNKNOWN) {
                return; // its start was not seen here (opened before the monitor): not a destination's
            }
            DestinationStats s = stats(e.direction() == Direction.OUTBOUND ? outbound(e) : inbound(e), false, now);
            s.closed++;
            s.bytesSent += e.bytesSent();
            s.bytesReceived += e.bytesReceived();
            s.retransmits += e.retransmits();
            s.lifetimeMs.record((now - c.establishedNs()) / 1_000_000);
        }
    }

    /** The destinations now: kept ones sorted by connections (most first), then "other" when not empty. */
    public Destinations snapshot() {
        return snapshotAt(System.nanoTime()); // the clock of the kernel's timestamps (CLOCK_MONOTONIC)
    }

    /** The destinations as of {@code now} (kernel clock), which "the last minute" counts back from. */
    synchronized Destinations snapshotAt(long now) {
        rank();
        List<Destination> outbound = new ArrayList<>();
        List<Destination> inbound = new ArrayList<>();
        for (Map.Entry<DestinationKey, DestinationStats> e : kept.entrySet()) {
            Destination d = new Destination(e.getKey(), e.getValue(), now, settings);
            (e.getKey().direction() == Direction.OUTBOUND ? outbound : inbound).add(d);
        }
        Comparator<Destination> order = Comparator.comparingLong(Destination::connections).reversed()
                .thenComparing(d -> d.key().label());
        outbound.sort(order);
        inbound.sort(order);
        for (Map.Entry<Direction, DestinationStats> e : other.entrySet()) {
            Destination d = new Destination(DestinationKey.other(e.getKey()), e.getValue(), now, settings);
            (e.getKey() == Direction.OUTBOUND ? outbound : inbound).add(d);
        }
        return new Destinations(outbound, inbound, folded, settings);
    }

    public synchronized DestinationSettings settings() {
        return settings;
    }

    /** Takes effect at once: past {@code top}, destinations are folded into "other" now. */
    public synchronized void setTop(int top) {
        settings = settings.withTop(top);
        rank();
    }

    /** Applies to connects that complete from now on. */
    public synchronized void setSlowConnectMicros(long micros) {
        settings = settings.withSlowConnectMicros(micros);
    }

    /** Forgets every destination's figures, "other" and the folded count included. */
    public synchronized void reset() {
        kept.clear();
        other.clear();
        folded = 0;
    }

    /** Destinations held now, "other" included: what bounds this tracker's memory. */
    synchronized int trackedCount() {
        return kept.size() + other.size();
    }

    private DestinationStats stats(DestinationKey key, boolean mayCreate, long now) {
        DestinationStats s = kept.get(key);
        if (s == null) {
            if (!mayCreate) {
                return other(key.direction(), now);
            }
            if (count(key.direction()) >= 2L * settings.top()) {
                rank();
            }
            s = new DestinationStats();
            kept.put(key, s);
        }
        s.lastActivityNs = now;
        return s;
    }

    private DestinationStats other(Direction direction, long now) {
        DestinationStats s = other.computeIfAbsent(direction, d -> new DestinationStats());
        s.lastActivityNs = now;
        return s;
    }

    private long count(Direction direction) {
        return kept.keySet().stream().filter(k -> k.direction() == direction).count();
    }

    /** Keeps the top destinations of each direction, folds the rest into "other". */
    private void rank() {
        for (Direction direction : new Direction[] {Direction.OUTBOUND, Direction.INBOUND}) {
            List<Map.Entry<DestinationKey, DestinationStats>> entries = new ArrayList<>();
            for (Map.Entry<DestinationKey, DestinationStats> e : kept.entrySet()) {
                if (e.getKey().direction() == direction) {
                    entries.add(e);
                }
            }
            if (entries.size() <= settings.top()) {
                continue;
            }
            entries.sort(Comparator.comparingLong((Map.Entry<DestinationKey, DestinationStats> e) ->
                    e.getValue().connections()).reversed()
                    .thenComparing(Comparator.comparingLong(
                            (Map.Entry<DestinationKey, DestinationStats> e) -> e.getValue().lastActivityNs).reversed()));
            for (Map.Entry<DestinationKey, DestinationStats> e : entries.subList(settings.top(), entries.size())) {
                other(direction, e.getValue().lastActivityNs).add(e.getValue());
                kept.remove(e.getKey());
                folded++;
            }
        }
    }

    private static DestinationKey outbound(ConnectionEvent e) {
        return DestinationKey.outbound(e.cgroupId(), e.remote().getAddress(), e.remote().getPort());
    }

    private static DestinationKey inbound(ConnectionEvent e) {
        return DestinationKey.inbound(e.cgroupId(), e.local().getPort());
    }
}
