package dev.bpfhook.pipeline;

import dev.bpfhook.destination.DestinationSettings;
import dev.bpfhook.destination.DestinationTracker;
import dev.bpfhook.event.Abi;
import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.EventDecoder;
import dev.bpfhook.event.EventListener;
import dev.bpfhook.event.EventRecord;
import dev.bpfhook.event.KernelCounters;
import dev.bpfhook.event.KernelStats;
import dev.bpfhook.kernel.BpfException;
import dev.bpfhook.kernel.HookSettings;
import dev.bpfhook.kernel.HookStatus;
import dev.bpfhook.kernel.KernelHooks;
import dev.bpfhook.kernel.ProgramStats;
import dev.bpfhook.kernel.ReaderSleep;
import dev.bpfhook.kernel.RecordSink;
import dev.bpfhook.kernel.RecordStages;
import dev.bpfhook.kernel.RingBuffer;
import dev.bpfhook.track.ConnectionTable;
import dev.bpfhook.track.EventCounters;
import dev.bpfhook.track.Evictions;
import dev.bpfhook.track.MonitorSnapshot;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The one data path: kernel hooks, then the ring-buffer thread that decodes
 * each record, joins it to its connection in the table (which completes it
 * with the process and direction) and hands it to the listeners.
 * Start it, read snapshots, close it; closing stops the thread and detaches
 * every hook.
 */
public final class Monitor implements AutoCloseable {
    /**
     * How long the ring thread waits for records when the kernel did not wake it (it does only past a
     * backlog): 20 ms while records come, doubling while none do, up to 50 ms. A wakeup costs about
     * 70 us of CPU on a VM (timer, two context switches), so an idle agent waking 100 times a second
     * took 0.7 to 1% of a CPU (measured); polling, it wakes 20 times, and once idle it sleeps long (see
     * sleepLong). Under load, waits of 10 ms took
     * 0.5 us more of the agent's CPU per loopback connection than 20 ms (3.3-4.0 against 2.7-3.3 us,
     * four churns each), and 50 ms no less than 20 (1.4 against 1.4-1.6 us, six alternating rounds, a
     * later build); a longer wait would let a burst fill more of the ring before the kernel's backlog
     * wakeup. Bounds an idle event's delay.
     */
    static final int POLL_MIN_MS = 20;
    static final int POLL_MAX_MS = 50;
    /** Empty polls, the last ones at the longest wait, before the ring thread sleeps long: about 0.2 s of nothing. */
    private static final int EMPTY_POLLS_BEFORE_LONG_SLEEP = 5;
    /**
     * The long sleep of an idle ring thread (see sleepLong). The kernel wakes it for the first record: no
     * record is known to wait for its end.
     */
    static final int LONG_SLEEP_MS = 1000;
    private static final int FINAL_RECENT = 100;
    private static final int PUBLISH_RECEIVED_EVERY = 1024;
    /** Records joined and tracked under one lock of the table and of the destinations (at most 64). */
    static final int BATCH = 64;
    private static final EventListener[] NO_LISTENERS = new EventListener[0];

    private final KernelHooks hooks;
    private final ConnectionTable table;
    private final DestinationTracker destinations;
    /** Aggregators added to the built-in ones (the table, the destinations): every event, always. */
    private volatile EventListener[] trackers = NO_LISTENERS;
    /** Outputs that emit per-event records (JFR, notifications, event lines): skipped while paused. */
    private volatile EventListener[] listeners = NO_LISTENERS;
    /*
     * Both arrays are copied on each add (under addLock; the ring thread never takes it), so that
     * the ring thread iterates plain arrays: no iterator per event, no lock.
     */
    private final Object addLock = new Object();
    private volatile boolean emitting = true;
    private final EventCounters counters = new EventCounters();
    /** Used under ringLock only, like the batch and receivedInDrain. */
    private final EventDecoder decoder = new EventDecoder();
    /**
     * Records are decoded into these objects, reused from batch to batch: the table completes them and
     * the destinations read them, a batch at a time; an immutable event is made of one only for
     * listeners (see deliver).
     */
    private final EventRecord[] batch = newBatch();
    private int batched;
    /** The connections the batch's join evicted from the full table, for the destinations (under ringLock). */
    private final Evictions evictions = new Evictions();
    /**
     * Records received and not yet added to the shared counter, which is updated once
     * PUBLISH_RECEIVED_EVERY records were delivered and at the end of each drain, not per record.
     */
    private long receivedInDrain;
    private final RecordSink sink = this::dispatch;
    /** Records read from the ring, put back in time order (the kernel stages some per CPU); under ringLock. */
    private final RecordOrder order;
    /** The kernel's staged records; null where it writes each straight to the ring. */
    private final RecordStages stages;
    /** Null where the programs' .bss cannot be mapped: the ring thread then polls while idle. */
    private final ReaderSleep readerSleep;
    private final Thread ringThread;
    /** Held while reading the ring, so that close() cannot unmap it under a reader. */
    private final Object ringLock = new Object();
    private volatile boolean running = true;
    /**
     * Readers of the kernel's maps (snapshots, statistics) take the read side; close() the write
     * side before it frees them. Kept apart from ringLock: a slow listener holds the ring thread,
     * and must not stall a JMX client reading counters.
     */
    private final ReentrantReadWriteLock mapsLock = new ReentrantReadWriteLock();
    private boolean mapsOpen = true;
    private volatile boolean fallingAsleep;
    private volatile long longSleeps;
    private volatile MonitorSnapshot lastSnapshot;
    /**
     * Counters of cgroups dropped from the kernel's table, in all and per network namespace, so that no
     * total goes backwards. Guarded by this monitor's lock, which a snapshot's read of the table takes
     * too: a retired cgroup's counts are in the table or here, never in both or neither.
     */
    private KernelCounters retired = KernelCounters.ZERO;
    private final Map<Long, KernelCounters> retiredByNetns = new HashMap<>();

    private Monitor(KernelHooks hooks, ConnectionTable table, DestinationSettings destinationSettings) {
        this.hooks = hooks;
        this.stages = hooks.stages().orElse(null);
        this.readerSleep = hooks.readerSleep().orElse(null);
        this.order = new RecordOrder(sink, hooks.ringBuffer()::release);
        this.table = table;
        this.destinations = new DestinationTracker(table, destinationSettings);
        this.ringThread = new Thread(this::consume, "bpfhook-ring");
        this.ringThread.setDaemon(true);
    }

    /**
     * Loads and attaches the kernel side and starts consuming events.
     *
     * @param extraListeners called on the ring thread with each event as the connection table completed it
     */
    public static Monitor start(HookSettings settings, ConnectionTable table, List<EventListener> extraListeners)
            throws BpfException {
        return start(settings, table, DestinationSettings.defaults(), extraListeners);
    }

    /**
     * As {@link #start(HookSettings, ConnectionTable, List)}, with per-destination statistics kept
     * as {@code destinationSettings} say.
     */
    public static Monitor start(HookSettings settings, ConnectionTable table, DestinationSettings destinationSettings,
            List<EventListener> extraListeners) throws BpfException {
        KernelHooks hooks = KernelHooks.start(settings);
        try {
            Monitor monitor = new Monitor(hooks, table, destinationSettings);
            for (EventListener listener : extraListeners) {
                monitor.addListener(listener);
            }
            monitor.ringThread.start();
            return monitor;
        } catch (RuntimeException | Error e) {
            hooks.close(); // e.g. no thread to be had (a container's pids limit): nothing stays attached
            throw e;
        }
    }

    /** Adds a listener, called on the ring thread from the next event on, while emission is on. */
    public void addListener(EventListener listener) {
        synchronized (addLock) {
            listeners = plus(listeners, listener);
        }
    }

    /** Adds an aggregator, called on the ring thread for every event, before the listeners. */
    public void addTracker(EventListener tracker) {
        synchronized (addLock) {
            trackers = plus(trackers, tracker);
        }
    }

    private static EventRecord[] newBatch() {
        EventRecord[] records = new EventRecord[BATCH];
        for (int i = 0; i < BATCH; i++) {
            records[i] = new EventRecord();
        }
        return records;
    }

    private static EventListener[] plus(EventListener[] all, EventListener one) {
        EventListener[] more = Arrays.copyOf(all, all.length + 1);
        more[all.length] = one;
        return more;
    }

    /**
     * Pauses or resumes the per-event outputs (the listeners). Counting, the connection table and
     * the trackers go on; events not handed out are counted (EventCounters.notEmittedCount).
     */
    public void setEmitting(boolean on) {
        emitting = on;
    }

    public boolean emitting() {
        return emitting;
    }

    public List<HookStatus> hooks() {
        return hooks.hooks();
    }

    public ConnectionTable table() {
        return table;
    }

    /** Per-destination statistics: connect latency, failures, lifetime, churn. */
    public DestinationTracker destinations() {
        return destinations;
    }

    public EventCounters eventCounters() {
        return counters;
    }

    /**
     * The ring the kernel writes events into: for its wait counters, and for a producer of
     * benchmark or test records that writes into it. Only this monitor's thread reads it.
     */
    public RingBuffer ringBuffer() {
        return hooks.ringBuffer();
    }

    /** Consumes every record made until now, on the caller's thread; for a final report. */
    public void flush() {
        synchronized (ringLock) {
            if (running) {
                long now = System.nanoTime();
                boolean allFlushed = stages == null || stages.flushAll();
                drain(hooks.ringBuffer(), allFlushed ? now : completeBefore());
            }
        }
    }

    /**
     * Counters read from the kernel now, with the table and loss accounting.
     * After close, the last snapshot taken before the maps were freed.
     */
    public MonitorSnapshot snapshot(int recentLimit) {
        mapsLock.readLock().lock();
        try {
            return mapsOpen ? readSnapshot(recentLimit) : lastSnapshot;
        } finally {
            mapsLock.readLock().unlock();
        }
    }

    private MonitorSnapshot readSnapshot(int recentLimit) {
        KernelStats stats = new KernelStats(orZeros(hooks.globalStats().lookup(0), Abi.Stats.WORDS));
        KernelCounters retiredNow;
        Map<Long, KernelCounters> byCgroup = new LinkedHashMap<>();
        Map<Long, KernelCounters> byNetns = new LinkedHashMap<>();
        synchronized (this) {
            hooks.counters().forEach((key, words) -> {
                KernelCounters c = new KernelCounters(words);
                byCgroup.merge(key[0], c, KernelCounters::plus);
                byNetns.merge(key[1], c, KernelCounters::plus);
            });
            // a namespace keeps its retired cgroups' counts while any cgroup still counts in it; once none
            // does, the namespace is gone from the view (its MBean goes), and its retired counts with it
            retiredByNetns.keySet().retainAll(byNetns.keySet());
            retiredByNetns.forEach((netns, c) -> byNetns.merge(netns, c, KernelCounters::plus));
            retiredNow = retired;
        }
        long missedRuns = 0;
        for (ProgramStats p : hooks.programStats()) {
            missedRuns += p.missedRuns();
        }
        return new MonitorSnapshot(byCgroup, byNetns, retiredNow, stats, missedRuns, counters, table, recentLimit);
    }

    /**
     * Drops a cgroup that is gone and idle from the kernel's counter table, so the
     * table stays bounded, and keeps its counts in the totals and in its network
     * namespace's (which other cgroups may still count in).
     *
     * @return false when the kernel had no counters for it
     */
    public boolean retireCgroup(long cgroupId) {
        mapsLock.readLock().lock();
        try {
            synchronized (this) {
                if (!mapsOpen) {
                    return false;
                }
                List<long[]> keys = new ArrayList<>();
                hooks.counters().forEach((key, words) -> {
                    if (key[0] == cgroupId) {
                        keys.add(key);
                    }
                });
                boolean any = false;
                for (long[] key : keys) {
                    // read again just before the delete: the kernel may have counted in between
                    long[] words = hooks.counters().lookup(key[0], key[1]);
                    if (words != null && hooks.counters().delete(key[0], key[1])) {
                        KernelCounters gone = new KernelCounters(words);
                        retired = retired.plus(gone);
                        retiredByNetns.merge(key[1], gone, KernelCounters::plus);
                        any = true;
                    }
                }
                return any;
            }
        } finally {
            mapsLock.readLock().unlock();
        }
    }

    /**
     * Each attached program's run count and time (counted while kernel.bpf_stats_enabled=1) and the
     * runs the kernel skipped (counted always).
     */
    public List<ProgramStats> programStats() {
        mapsLock.readLock().lock();
        try {
            return mapsOpen ? hooks.programStats() : java.util.Collections.emptyList();
        } finally {
            mapsLock.readLock().unlock();
        }
    }

    private static long[] orZeros(long[] words, int size) {
        return words != null ? words : new long[size];
    }

    private void consume() {
        RingBuffer ring = hooks.ringBuffer();
        int timeoutMs = POLL_MIN_MS;
        int emptyPolls = 0;
        while (running) {
            int consumed = 0;
            boolean waiting = false;
            try {
                synchronized (ringLock) {
                    if (running) {
                        consumed = drain(ring, completeBefore());
                        waiting = waiting();
                    }
                }
            } catch (RuntimeException | Error e) {
                // the decoder's or the batch's own failure (the outputs' are caught and counted one by one):
                // the records it was handed count as received, the ring goes on after them (see
                // RingBuffer.read and RecordOrder.release), and a dead ring thread would drop every later event
                consumed = 0;
            }
            if (consumed > 0) {
                timeoutMs = POLL_MIN_MS; // more may have come meanwhile: read again at once
                emptyPolls = 0;
            } else if (waiting) {
                timeoutMs = POLL_MIN_MS; // records wait to be handed on at the next look: no longer sleep
                emptyPolls = 0;
                ring.await(timeoutMs);
            } else if (emptyPolls++ < EMPTY_POLLS_BEFORE_LONG_SLEEP || !sleepLong(ring)) {
                ring.await(timeoutMs); // idle, but not long enough yet (or it cannot sleep long)
                timeoutMs = Math.min(2 * timeoutMs, POLL_MAX_MS);
            }
        }
    }

    /**
     * Whether every record to come will wake the ring thread: the flag can be set, and no CPU stages records
     * (a staged record commits nothing to the ring until its stage is flushed). Under ringLock.
     */
    private boolean maySleepLong() {
        return readerSleep != null && running && (stages == null || (!stages.anyWanted() && !stages.anyStaged()));
    }

    /**
     * An idle wakeup costs the ring thread about 70 us of CPU on a VM; 20 a second while nothing comes were
     * 2 ms of CPU a second. So once nothing came for a while, the thread sets reader_sleeps, with which every
     * program commits its record with the kernel's own wakeup rule (it wakes the reader for the first record
     * it has not read), and sleeps long. A program may have read the flag unset just as it was set, and
     * commit its record without a wakeup: so the thread waits a poll's time first, then looks whether
     * anything was reserved since its last read, and reads it instead of sleeping. Programs that reserve
     * their record before they read the flag (all but the stages' flush, which cannot be preempted) show in
     * that look even when held off their CPU. Called again while nothing comes.
     *
     * @return false, not having waited, where it may not sleep long (see maySleepLong)
     */
    private boolean sleepLong(RingBuffer ring) {
        synchronized (ringLock) { // the flag and the stages are mapped memory, which close() unmaps under this lock
            if (!maySleepLong()) {
                return false;
            }
            readerSleep.set(true);
            fallingAsleep = true;
        }
        try {
            ring.await(POLL_MAX_MS);
            synchronized (ringLock) { // the ring is mapped memory, which close() unmaps under this lock
                fallingAsleep = false;
                if (!running || ring.hasUnread()) {
                    return true; // committed without a wakeup, or still being written: read now, not after the sleep
                }
            }
            longSleeps++; // one writer: this thread
            ring.await(LONG_SLEEP_MS);
        } finally {
            synchronized (ringLock) {
                fallingAsleep = false;
                if (mapsOpen) {
                    readerSleep.set(false);
                }
            }
        }
        return true;
    }

    /** Whether the ring thread is in the short wait before a long sleep (see sleepLong), the flag set. */
    public boolean fallingAsleep() {
        return fallingAsleep;
    }

    /** The long sleeps the ring thread began (see sleepLong). */
    public long longSleeps() {
        return longSleeps;
    }

    /** Whether the ring thread sleeps long now, to be woken by the kernel for the next record. */
    public boolean sleepingLong() {
        mapsLock.readLock().lock();
        try {
            return mapsOpen && readerSleep != null && readerSleep.isSet();
        } finally {
            mapsLock.readLock().unlock();
        }
    }

    /**
     * The time before which every record is in the ring: the stages' word (which flushes the CPUs whose
     * records waited), or with no stages, any time. System.nanoTime is CLOCK_MONOTONIC on Linux, the clock
     * of the records' timestamps (bpf_ktime_get_ns).
     */
    private long completeBefore() {
        return stages == null ? Long.MAX_VALUE : stages.completeBefore(System.nanoTime());
    }

    /** Whether records wait to be handed on: held back here, or staged in the kernel. */
    private boolean waiting() {
        return order.held() > 0 || (stages != null && stages.anyStaged());
    }

    /**
     * Reads the ring and hands on, oldest first, the records made before {@code completeBefore} (found before
     * the read began); keeps the others for a later drain. A read that did not catch up with the ring (a
     * record still being written) may have left older records behind it: then only records older than those
     * handed on before go. Under ringLock.
     *
     * @return the ring records read
     */
    private int drain(RingBuffer ring, long completeBefore) {
        try {
            int consumed = ring.read(order);
            order.release(ring.caughtUp() ? completeBefore : Long.MIN_VALUE, ring.readPosition(), sink);
            return consumed;
        } finally {
            deliverBatch();
            counters.received(receivedInDrain);
            receivedInDrain = 0;
        }
    }

    /** Decodes the record into the batch; a full batch is delivered at once. */
    private void dispatch(ByteBuffer ring, int offset, int length) {
        receivedInDrain++;
        if (!decoder.decode(ring, offset, length, batch[batched])) {
            counters.decodeError();
            return;
        }
        if (++batched == BATCH) {
            deliverBatch();
        }
    }

    /**
     * Joins and tracks the batch's records with one lock of the table and one of the destinations for
     * all, then hands each record to the listeners that take records, and one immutable event to the
     * added trackers and the listeners that want it, if any does: the one object of an event. The
     * listeners run with no lock held, so that a slow one never stalls a reader of the table.
     */
    private void deliverBatch() {
        int count = batched;
        if (count == 0) {
            return;
        }
        batched = 0;
        long failed = 0;
        try {
            failed = table.joinAll(batch, count, evictions);
        } catch (RuntimeException | Error e) {
            failed = -1L;
        }
        try {
            failed |= destinations.onRecords(batch, count, evictions);
        } catch (RuntimeException | Error e) {
            failed = -1L;
        }
        boolean emit = emitting;
        EventListener[] added = trackers;
        EventListener[] outputs = emit ? listeners : NO_LISTENERS;
        for (int i = 0; i < count; i++) {
            boolean delivered = deliver(batch[i], added, outputs);
            if (!emit) {
                counters.notEmitted();
            }
            if (!delivered || (failed & 1L << i) != 0) {
                counters.listenerError(); // once per event: it counts events not fully delivered
            }
        }
        if (receivedInDrain >= PUBLISH_RECEIVED_EVERY) {
            // counted once the listeners had them, so that a reader who sees the count sees their work
            counters.received(receivedInDrain);
            receivedInDrain = 0;
        }
    }

    /** Hands one joined record to the trackers and listeners; false when one of them failed. */
    private static boolean deliver(EventRecord r, EventListener[] added, EventListener[] outputs) {
        boolean delivered = true;
        ConnectionEvent event = null; // made on first need: when no listener wants the record, never
        for (int i = 0; i < added.length + outputs.length; i++) {
            EventListener listener = i < added.length ? added[i] : outputs[i - added.length];
            try {
                if (!listener.wantsEvents()) {
                    continue;
                }
                if (listener.takesRecords()) {
                    listener.onRecord(r);
                } else {
                    if (event == null) {
                        event = r.toEvent();
                    }
                    listener.onEvent(event);
                }
            } catch (RuntimeException | Error e) {
                // an output's failure, even an Error (a class it could not load, a full heap), costs that
                // output this event, counted; never the ring thread
                delivered = false;
            }
        }
        return delivered;
    }

    /**
     * Stops the ring thread, detaches every hook, reads the records the programs wrote until then and the
     * final counters (so that received + dropped = produced in the last snapshot too), then frees the ring
     * and the maps.
     */
    @Override
    public void close() {
        synchronized (ringLock) {
            if (!running) {
                return;
            }
            running = false; // the ring thread drains no more (it checks under this lock) and ends
        }
        hooks.ringBuffer().wakeConsumer(); // out of a long sleep at once
        try {
            ringThread.join(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        mapsLock.writeLock().lock();
        try {
            hooks.detach();
            synchronized (ringLock) {
                if (stages != null) {
                    stages.flushAll();
                }
                drain(hooks.ringBuffer(), Long.MAX_VALUE); // nothing more comes: every record held goes
            }
            lastSnapshot = readSnapshot(FINAL_RECENT); // what readers see once the maps are gone
        } finally {
            mapsOpen = false;
            try {
                synchronized (ringLock) {
                    hooks.close();
                }
            } finally {
                mapsLock.writeLock().unlock();
            }
        }
    }
}
