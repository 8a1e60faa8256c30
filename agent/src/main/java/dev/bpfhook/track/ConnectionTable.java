package dev.bpfhook.track;

import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.EventListener;
import dev.bpfhook.event.Protocol;
import dev.bpfhook.event.TcpState;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The connections the monitor knows, built from the event stream: open ones
 * by socket cookie, and a bounded list of the latest that ended (including UDP
 * connects, which have no lifecycle here). Bounded on both sides: past
 * {@code maxOpen}, the oldest open connection is evicted and counted.
 *
 * <p>Events arrive on the ring thread; readers (reports, MBeans) call from
 * others, so every method is synchronized (uncontended almost always).
 */
public final class ConnectionTable implements EventListener {
    private final int maxOpen;
    private final int maxEnded;
    private final Map<Long, Connection> open = new LinkedHashMap<>();
    private final Deque<Connection> ended = new ArrayDeque<>();
    private long evicted;

    public ConnectionTable(int maxOpen, int maxEnded) {
        if (maxOpen < 1 || maxEnded < 1) {
            throw new IllegalArgumentException("table sizes must be positive");
        }
        this.maxOpen = maxOpen;
        this.maxEnded = maxEnded;
    }

    @Override
    public void onEvent(ConnectionEvent event) {
        join(event);
    }

    /**
     * Enters the event in its connection and returns it completed with what the connection's earlier
     * events told (the process, the direction), for the listeners after the table.
     */
    public synchronized ConnectionEvent join(ConnectionEvent event) {
        long cookie = event.socketCookie();
        if (event.protocol() == Protocol.UDP || cookie == 0) {
            // nothing to join later: a UDP connect, or a socket without a cookie (classic tracepoint tier)
            remember(Connection.first(event));
            return event;
        }
        Connection known = open.remove(cookie);
        Connection now = known == null ? Connection.first(event) : known.with(event);
        if (event.kind() == EventKind.STATE && event.newState() == TcpState.CLOSE) {
            remember(now);
        } else {
            open.put(cookie, now); // re-inserted: the map's order is the order of latest activity
            if (open.size() > maxOpen) {
                Iterator<Long> oldest = open.keySet().iterator();
                oldest.next();
                oldest.remove();
                evicted++;
            }
        }
        return known == null ? event : event.completedWith(new ConnectionEvent.Known(now.pid(), now.tid(), now.comm(),
                now.direction(), now.cgroupId(), now.netnsCookie(), now.local(), now.remote()));
    }

    /** Open TCP connections, most recently active first. */
    public synchronized List<Connection> open() {
        List<Connection> list = new ArrayList<>(open.values());
        java.util.Collections.reverse(list);
        return list;
    }

    public synchronized int openCount() {
        return open.size();
    }

    /** The latest {@code limit} connections, open or ended, most recent first. */
    public synchronized List<Connection> recent(int limit) {
        List<Connection> all = new ArrayList<>(open.values());
        all.addAll(ended);
        all.sort(Comparator.comparingLong(Connection::lastEventNs).reversed());
        return all.size() > limit ? new ArrayList<>(all.subList(0, limit)) : all;
    }

    /**
     * The connection of a cookie as the table knows it now: open, or the one that ended last (for the
     * listeners after the table, the connection of the event they hold); null when neither.
     */
    public synchronized Connection find(long cookie) {
        Connection c = open.get(cookie);
        if (c == null) {
            Connection last = ended.peekFirst();
            c = last != null && last.socketCookie() == cookie ? last : null;
        }
        return c;
    }

    /** The connection that ended last (for listeners after the table: the one of the event they hold). */
    public synchronized Connection lastEnded() {
        return ended.peekFirst();
    }

    /** Open connections dropped from the table because it was full. */
    public synchronized long evicted() {
        return evicted;
    }

    private void remember(Connection c) {
        ended.addFirst(c);
        if (ended.size() > maxEnded) {
            ended.removeLast();
        }
    }
}
