package dev.bpfhook.destination;

import dev.bpfhook.event.AddressBits;
import dev.bpfhook.event.ConnectFailure;
import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.Direction;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.EventListener;
import dev.bpfhook.event.EventRecord;
import dev.bpfhook.event.Protocol;
import dev.bpfhook.event.TcpState;
import dev.bpfhook.track.Connection;
import dev.bpfhook.track.ConnectionTable;
import dev.bpfhook.track.Evictions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Aggregates TCP connections per destination (see {@link DestinationKey}) from the event stream:
 * connect latency, failures by reason, accept wait, lifetime, bytes, retransmits, churn. Latencies
 * are differences of the kernel's own timestamps of two events of one connection, found through
 * the connection table, which must see each event first: the ring thread hands over records the
 * table has joined ({@link #onRecord}), which carry what the table knows of their connection.
 *
 * <p>Bounded: per direction, the {@code top} destinations with the most connections (established
 * plus failed) are kept; whenever more than twice that many are tracked, the others are folded into
 * that direction's "other" entry, for good, and counted. A destination folded away starts again
 * from zero if it comes back. Every later event of a connection counts where its start did: a close or
 * accept of a connection begun while its destination was kept, but folded since, counts in "other".
 *
 * <p>Events arrive on the ring thread; readers call from others: every method is synchronized.
 */
public final class DestinationTracker implements EventListener {
    private static final long RANK_INTERVAL_NS = 1_000_000_000L;

    private final ConnectionTable table;
    private DestinationSettings settings;
    private final DestinationIndex kept = new DestinationIndex();
    private final Map<Direction, DestinationStats> other = new EnumMap<>(Direction.class);
    private long folded;
    private long lastRankNs;
    /** When {@link #reset} last forgot everything (kernel clock); never: the start of time. */
    private long resetNs = Long.MIN_VALUE;
    /** What {@link #onEvent} hands to {@link #onRecord}: the event as a record. */
    private final EventRecord given = new EventRecord();

    public DestinationTracker(ConnectionTable table, DestinationSettings settings) {
        this.table = table;
        this.settings = settings;
    }

    /** An event the table has joined: the table completes it as it completes the ring thread's record. */
    @Override
    public synchronized void onEvent(ConnectionEvent e) {
        if (e.protocol() != Protocol.TCP) {
            return;
        }
        track(table.describe(given.load(e)));
    }

    /**
     * A record the table has just joined, which carries its connection's start and handshake: the
     * ring thread's way, with no lookup in the table and no allocation unless a destination is new.
     */
    public synchronized void onRecord(EventRecord e) {
        track(e);
    }

    /**
     * {@link #onRecord} for {@code records[0]} to {@code records[count - 1]}, in order, under one hold of
     * the tracker's lock (see {@link ConnectionTable#joinAll}), then the connections their joins evicted.
     *
     * @param count at most 64
     * @param evictions what the table's joinAll of these records evicted, or null
     * @return a bit for each record whose tracking failed with an exception: bit i for {@code records[i]}
     */
    public synchronized long onRecords(EventRecord[] records, int count, Evictions evictions) {
        long failed = 0;
        for (int i = 0; i < count; i++) {
            try {
                track(records[i]);
            } catch (RuntimeException e) {
                failed |= 1L << i;
            }
        }
        for (int i = 0; evictions != null && i < evictions.count(); i++) {
            untrack(evictions.get(i));
        }
        return failed;
    }

    /**
     * An established connection the table evicted: its close will come as one whose start is unknown,
     * which counts nowhere (see onTransition), so it leaves its destination's open connections now, and
     * is counted as evicted there, the figures its close would have added (closed, bytes, lifetime)
     * missing. A connection evicted before its handshake completed counted only its attempt: nothing
     * to take back.
     */
    private void untrack(Evictions.Evicted c) {
        if (c.establishedNs() == 0 || c.direction() == Direction.UNKNOWN) {
            return;
        }
        DestinationStats ofDestination = keptStats(c.direction(), c.cgroupId(), c.remoteFamily(), c.remoteAddressHi(),
                c.remoteAddressLo(), c.remotePort(), c.localPort());
        DestinationStats s = counting(ofDestination, c.establishedNs(), c.atNs(), c.direction());
        if (s != null) {
            s.evicted++;
        }
    }

    private void track(EventRecord e) {
        if (e.protocol() != Protocol.TCP) {
            return;
        }
        long now = e.timestampNs();
        if (e.kind() == EventKind.CONNECT) {
            outbound(e, now, now).attempts++;
        } else if (e.kind() == EventKind.ACCEPT) {
            long establishedNs = e.connectionEstablishedNs();
            DestinationStats s = establishedNs > 0 && now >= establishedNs ? inbound(e, establishedNs, now) : null;
            if (s != null) {
                s.acceptWaitUs.record((now - establishedNs) / 1000);
            }
        } else if (e.kind() == EventKind.STATE) {
            onTransition(e, now);
        }
        if (now - lastRankNs > RANK_INTERVAL_NS) {
            rank();
            lastRankNs = now;
        }
    }

    private void onTransition(EventRecord e, long now) {
        TcpState from = e.oldState();
        TcpState to = e.newState();
        if (e.isConnected()) {
            DestinationStats s = outbound(e, e.connectionStartNs(), now);
            if (s == null) {
                return; // connected before the last reset: its attempt was forgotten with it
            }
            s.established++;
            s.newConnections.record(now);
            long latencyNs = Connection.connectLatencyNs(e.connectionPreexisting(), e.connectionStartNs(), now);
            if (latencyNs >= 0) {
                long micros = latencyNs / 1000;
                s.connectLatencyUs.record(micros);
                if (micros >= settings.slowConnectMicros()) { // at the threshold counts, as in JFR
                    s.slowConnects++;
                }
            }
        } else if (to == TcpState.ESTABLISHED && from == TcpState.SYN_RECV) {
            DestinationStats s = inbound(e, now, now);
            s.established++;
            s.newConnections.record(now);
        } else if (e.isFailedConnect()) {
            DestinationStats s = outbound(e, e.connectionStartNs(), now);
            if (s != null) {
                s.failed[ConnectFailure.ofErrno(e.error()).ordinal()]++;
            }
        } else if (to == TcpState.CLOSE) {
            long establishedNs = e.connectionEstablishedNs();
            if (establishedNs == 0 || e.direction() == Direction.UNKNOWN) {
                return; // its start was not seen here (opened before the monitor): not a destination's
            }
            DestinationStats s = e.direction() == Direction.OUTBOUND ? outbound(e, establishedNs, now)
                    : inbound(e, establishedNs, now);
            if (s == null) {
                return; // established before the last reset, which forgot it
            }
            s.closed++;
            s.bytesSent += e.bytesSent();
            s.bytesReceived += e.bytesReceived();
            s.retransmits += e.retransmits();
            s.lifetimeMs.record((now - establishedNs) / 1_000_000);
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
        kept.forEach((key, stats) -> (key.direction() == Direction.OUTBOUND ? outbound : inbound)
                .add(new Destination(key, stats, now, settings)));
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

    /**
     * Forgets every destination's figures, "other" and the folded count included. What connections begun
     * before it do later is counted nowhere: their starts are forgotten.
     */
    public synchronized void reset() {
        kept.clear();
        other.clear();
        folded = 0;
        resetNs = System.nanoTime(); // the clock of the kernel's timestamps (CLOCK_MONOTONIC)
    }

    /** Destinations held now, "other" included: what bounds this tracker's memory. */
    synchronized int trackedCount() {
        return kept.size() + other.size();
    }

    /** The statistics of the record's remote address and port (in its cgroup): see {@link #counting}. */
    private DestinationStats outbound(EventRecord e, long sinceNs, long now) {
        DestinationStats s = keptStats(Direction.OUTBOUND, e.cgroupId(), e.remoteFamily(), e.remoteAddressHi(),
                e.remoteAddressLo(), e.remotePort(), e.localPort());
        if (s == null && sinceNs >= now) {
            s = keep(DestinationKey.outbound(e.cgroupId(), e.remote().getAddress(), e.remotePort()), now);
        }
        return counting(s, sinceNs, now, Direction.OUTBOUND);
    }

    /** The statistics of the record's local port (in its cgroup): see {@link #counting}. */
    private DestinationStats inbound(EventRecord e, long sinceNs, long now) {
        DestinationStats s = keptStats(Direction.INBOUND, e.cgroupId(), e.remoteFamily(), e.remoteAddressHi(),
                e.remoteAddressLo(), e.remotePort(), e.localPort());
        if (s == null && sinceNs >= now) {
            s = keep(DestinationKey.inbound(e.cgroupId(), e.localPort()), now);
        }
        return counting(s, sinceNs, now, Direction.INBOUND);
    }

    /**
     * The kept statistics of a connection's destination, or null: outbound ones by remote address and port,
     * inbound ones by local port (the remote end left out), in the connection's cgroup. Looked up from the
     * endpoints as bits, without a key object: this runs for most records.
     */
    private DestinationStats keptStats(Direction direction, long cgroupId, int remoteFamily, long remoteHi,
            long remoteLo, int remotePort, int localPort) {
        return direction == Direction.OUTBOUND
                ? kept.get(Direction.OUTBOUND, cgroupId, remoteFamily, remoteHi, remoteLo, remotePort)
                : kept.get(Direction.INBOUND, cgroupId, AddressBits.NONE, 0, 0, localPort);
    }

    /**
     * Where an event of a connection that began at {@code sinceNs} counts: in the same statistics as the
     * connection's start, so that a destination's established and closed, or attempts and outcomes, stay
     * in one place. {@code kept} are the destination's kept statistics, made by the caller when the event is
     * the connection's first ({@code sinceNs == now}) and there were none.
     * <ul>
     * <li>{@code kept}, when they counted since the connection began, or the event is its first;</li>
     * <li>nowhere (null) when the connection began before the last {@link #reset}, which forgot its start;</li>
     * <li>else "other": the destination was folded there since the connection began (and may have come back
     * since, with statistics of its own that did not count this connection's start).</li>
     * </ul>
     */
    private DestinationStats counting(DestinationStats kept, long sinceNs, long now, Direction direction) {
        DestinationStats s;
        if (kept != null && (kept.sinceNs <= sinceNs || sinceNs >= now)) {
            s = kept;
            // records of two CPUs can come a little out of time order: a first event may be older
            s.sinceNs = Math.min(s.sinceNs, sinceNs);
        } else if (sinceNs < resetNs) {
            return null;
        } else {
            s = other(direction, now);
        }
        s.lastActivityNs = now;
        return s;
    }

    /** New statistics kept for {@code key}, a destination not kept yet, counting from {@code now}. */
    private DestinationStats keep(DestinationKey key, long now) {
        if (kept.count(key.direction()) >= 2L * settings.top()) {
            rank();
        }
        DestinationStats s = new DestinationStats();
        s.sinceNs = now;
        kept.add(key, s);
        return s;
    }

    private DestinationStats other(Direction direction, long now) {
        DestinationStats s = other.computeIfAbsent(direction, d -> new DestinationStats());
        s.lastActivityNs = now;
        return s;
    }

    /** Keeps the top destinations of each direction, folds the rest into "other". */
    private void rank() {
        List<DestinationKey> gone = new ArrayList<>();
        for (Direction direction : new Direction[] {Direction.OUTBOUND, Direction.INBOUND}) {
            if (kept.count(direction) <= settings.top()) {
                continue;
            }
            List<DestinationKey> keys = kept.keys(direction);
            keys.sort(Comparator.comparingLong((DestinationKey k) -> kept.get(k).connections()).reversed()
                    .thenComparing(Comparator.comparingLong((DestinationKey k) -> kept.get(k).lastActivityNs)
                            .reversed()));
            for (DestinationKey k : keys.subList(settings.top(), keys.size())) {
                DestinationStats s = kept.get(k);
                other(direction, s.lastActivityNs).add(s);
                gone.add(k);
                folded++;
            }
        }
        kept.removeAll(gone);
    }
}
