package dev.bpfhook.track;

import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.EventRecord;
import dev.bpfhook.event.Protocol;
import dev.bpfhook.event.TcpState;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;

/**
 * The connections the monitor knows, built from the event stream: open ones
 * by socket cookie, and a bounded list of the latest that ended (including UDP
 * connects, which have no lifecycle here). Bounded on both sides: past
 * {@code maxOpen}, the least recently active open connection is evicted, counted, and told to the
 * trackers after the table (see {@link Evictions}).
 *
 * <p>Events arrive on the ring thread; readers (reports, MBeans) call from
 * others, so every method is synchronized (uncontended almost always).
 *
 * <p>Joining an event allocates nothing once the table is warm: open connections
 * are in a primitive map by cookie, each is updated in place, and the object of a
 * connection the table forgot (pushed out of the ended list, or evicted) is reused
 * for a new one. Readers get immutable {@link Connection} snapshots.
 */
public final class ConnectionTable {
    /**
     * Forgotten connection objects kept for reuse, at most: enough for a burst of new connections,
     * little enough not to hold the memory of a past peak of open ones.
     */
    private static final int MAX_SPARE = 1024;

    private final int maxOpen;
    private final int maxEnded;
    private final CookieMap<OpenConnection> open = new CookieMap<>();
    /* the open connections in the order of their latest activity: the least recent is evicted first */
    private OpenConnection leastRecent;
    private OpenConnection mostRecent;
    /** Connections that ended, the latest first; they never change again. */
    private final Deque<OpenConnection> ended = new ArrayDeque<>();
    /* forgotten connection objects, linked by their older field */
    private OpenConnection spare;
    private int spareCount;
    private long evicted;
    /** What {@link #join(ConnectionEvent)} joins: the event as a record. */
    private final EventRecord joining = new EventRecord();

    public ConnectionTable(int maxOpen, int maxEnded) {
        if (maxOpen < 1 || maxEnded < 1) {
            throw new IllegalArgumentException("table sizes must be positive");
        }
        this.maxOpen = maxOpen;
        this.maxEnded = maxEnded;
    }

    /**
     * Enters the event in its connection and returns it completed with what the connection's earlier
     * events told (the process, the direction), for the listeners after the table: the event itself
     * when it lacked nothing.
     */
    public synchronized ConnectionEvent join(ConnectionEvent event) {
        EventRecord r = joining.load(event);
        enter(r, null);
        return r.completed() ? r.toEvent() : event;
    }

    /**
     * Enters the record in its connection, completes it in place with what the connection's earlier
     * events told (see {@link EventRecord#complete}), and notes in it the connection's start and
     * handshake, for the trackers after the table.
     */
    public synchronized void join(EventRecord event) {
        enter(event, null);
    }

    /**
     * Joins {@code records[0]} to {@code records[count - 1]} in order, as {@link #join(EventRecord)}
     * each, under one hold of the table's lock: the ring thread's way (a lock per record cost about a
     * tenth of its time per event).
     *
     * @param count at most 64
     * @param evictions told the connections these joins evict from a full table (cleared first), for the
     *                  trackers after the table; null when no one needs them
     * @return a bit for each record whose join failed with an exception: bit i for {@code records[i]}
     */
    public synchronized long joinAll(EventRecord[] records, int count, Evictions evictions) {
        if (evictions != null) {
            evictions.clear();
        }
        long failed = 0;
        for (int i = 0; i < count; i++) {
            try {
                enter(records[i], evictions);
            } catch (RuntimeException e) {
                failed |= 1L << i;
            }
        }
        return failed;
    }

    private void enter(EventRecord event, Evictions evictions) {
        long cookie = event.socketCookie();
        if (event.protocol() == Protocol.UDP || cookie == 0) {
            // nothing to join later: a UDP connect, or a socket without a cookie (classic tracepoint tier)
            OpenConnection c = connectionOf(event);
            c.describe(event);
            remember(c);
            return;
        }
        // a close ends the connection: take it out of the map with the same probe that finds it. An accept of a
        // socket already closed (reset by its peer in the accept queue) comes after the close: it opens nothing.
        boolean closed = event.newState() == TcpState.CLOSE
                && (event.kind() == EventKind.STATE || event.kind() == EventKind.ACCEPT);
        OpenConnection c = closed ? open.remove(cookie) : open.get(cookie);
        if (c == null) {
            c = connectionOf(event);
            c.describe(event);
            if (closed) {
                remember(c);
                return;
            }
            open.put(cookie, c);
            link(c);
            if (open.size() > maxOpen) {
                OpenConnection oldest = leastRecent;
                unlink(oldest);
                open.remove(oldest.socketCookie);
                evicted++;
                Evictions.Evicted told = evictions != null ? evictions.next() : null;
                if (told != null) {
                    oldest.evictedInto(told, event.timestampNs());
                }
                recycle(oldest);
            }
            return;
        }
        c.update(event);
        unlink(c);
        if (closed) {
            remember(c);
        } else {
            link(c); // the most recently active now
        }
        c.complete(event);
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
        for (OpenConnection c : ended) {
            all.add(c.snapshot());
        }
        all.sort(Comparator.comparingLong(Connection::lastEventNs).reversed());
        return all.size() > limit ? new ArrayList<>(all.subList(0, limit)) : all;
    }

    /**
     * The connection of a cookie as the table knows it now: open, or the one that ended last (for the
     * listeners after the table, the connection of the event they hold); null when neither. The ring
     * thread joins a batch of records before its listeners see the first of them (see joinAll), so a
     * listener finds the connection as of the batch's end: what the record itself carries (its
     * completion, the connection's start and handshake) is as of the record.
     */
    public synchronized Connection find(long cookie) {
        OpenConnection c = known(cookie);
        return c != null ? c.snapshot() : null;
    }

    /**
     * Completes {@code r}, the record of an event the table has already joined, and notes its
     * connection's start and handshake in it, as {@link #join(EventRecord)} did for the ring thread's
     * record: for listeners that are handed events rather than records. A record of a connection the
     * table does not know stays as it is.
     */
    public synchronized EventRecord describe(EventRecord r) {
        OpenConnection c = known(r.socketCookie());
        if (c != null) {
            c.complete(r);
        }
        return r;
    }

    /** Open, or the one that ended last (the connection of the event a listener after the table holds). */
    private OpenConnection known(long cookie) {
        OpenConnection c = open.get(cookie);
        if (c != null) {
            return c;
        }
        OpenConnection last = ended.peekFirst();
        return last != null && last.socketCookie == cookie ? last : null;
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

    private void remember(OpenConnection c) {
        ended.addFirst(c);
        if (ended.size() > maxEnded) {
            recycle(ended.removeLast());
        }
    }

    /** A connection object for {@code first}, the first event of a connection: a spare one if there is one. */
    private OpenConnection connectionOf(EventRecord first) {
        OpenConnection c = spare;
        if (c == null) {
            return new OpenConnection(first);
        }
        spare = c.older;
        spareCount--;
        c.reset(first);
        return c;
    }

    /** Keeps the object of a connection the table no longer knows, for a later one. */
    private void recycle(OpenConnection c) {
        if (spareCount < MAX_SPARE) {
            c.older = spare;
            spare = c;
            spareCount++;
        }
    }
}
