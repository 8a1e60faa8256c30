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
import java.util.HashMap;
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
    private final Map<Long, OpenConnection> open = new HashMap<>();
    /* the open connections in the order of their latest activity: the least recent is evicted first */
    private OpenConnection leastRecent;
    private OpenConnection mostRecent;
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
            remember(new OpenConnection(event).snapshot());
            return event;
        }
        Long key = cookie; // boxed once for the lookups below
        OpenConnection c = open.get(key);
        boolean closed = event.kind() == EventKind.STATE && event.newState() == TcpState.CLOSE;
        if (c == null) {
            c = new OpenConnection(event);
            if (closed) {
                remember(c.snapshot());
                return event;
            }
            open.put(key, c);
            link(c);
            if (open.size() > maxOpen) {
                OpenConnection oldest = leastRecent;
                unlink(oldest);
                open.remove(oldest.socketCookie);
                evicted++;
            }
            return event;
        }
        c.update(event); // in place: most events of a connection allocate nothing here
        unlink(c);
        if (closed) {
            open.remove(key);
            remember(c.snapshot());
        } else {
            link(c); // the most recently active now
        }
        return c.complete(event);
    }

    /** Open TCP connections, most recently active first. */
    public synchronized List<Connection> open() {
        List<Connection> list = new ArrayList<>(open.size());
        for (OpenConnection c = mostRecent; c != null; c = c.older) {
            list.add(c.snapshot());
        }
        return list;
    }

    public synchronized int openCount() {
        return open.size();
    }

    /** The latest {@code limit} connections, open or ended, most recent first. */
    public synchronized List<Connection> recent(int limit) {
        List<Connection> all = new ArrayList<>(open.size() + ended.size());
        for (OpenConnection c = leastRecent; c != null; c = c.newer) {
            all.add(c.snapshot());
        }
        all.addAll(ended);
        all.sort(Comparator.comparingLong(Connection::lastEventNs).reversed());
        return all.size() > limit ? new ArrayList<>(all.subList(0, limit)) : all;
    }

    /**
     * The connection of a cookie as the table knows it now: open, or the one that ended last (for the
     * listeners after the table, the connection of the event they hold); null when neither.
     */
    public synchronized Connection find(long cookie) {
        OpenConnection c = open.get(cookie);
        if (c != null) {
            return c.snapshot();
        }
        Connection last = ended.peekFirst();
        return last != null && last.socketCookie() == cookie ? last : null;
    }

    /** The connection that ended last (for listeners after the table: the one of the event they hold). */
    public synchronized Connection lastEnded() {
        return ended.peekFirst();
    }

    /** Open connections dropped from the table because it was full. */
    public synchronized long evicted() {
        return evicted;
    }

    private void link(OpenConnection c) {
        c.older = mostRecent;
        c.newer = null;
        if (mostRecent != null) {
            mostRecent.newer = c;
        } else {
            leastRecent = c;
        }
        mostRecent = c;
    }

    private void unlink(OpenConnection c) {
        if (c.older != null) {
            c.older.newer = c.newer;
        } else {
            leastRecent = c.newer;
        }
        if (c.newer != null) {
            c.newer.older = c.older;
        } else {
            mostRecent = c.older;
        }
        c.older = null;
        c.newer = null;
    }

    private void remember(Connection c) {
        ended.addFirst(c);
        if (ended.size() > maxEnded) {
            ended.removeLast();
        }
    }
}
