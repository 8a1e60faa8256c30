package dev.bpfhook.track;

import dev.bpfhook.event.KernelCounters;
import dev.bpfhook.event.KernelStats;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything the monitor knows at one moment: the kernel's exact counters by
 * cgroup and by network namespace, the connection table, and what was lost on
 * the way. Outputs render this; they never reach back into the kernel.
 */
public final class MonitorSnapshot {
    private final Map<Long, KernelCounters> byCgroup;
    private final Map<Long, KernelCounters> byNetns;
    private final KernelStats kernelStats;
    private final long eventsReceived;
    private final long decodeErrors;
    private final long listenerErrors;
    private final List<Connection> open;
    private final List<Connection> recent;
    private final long tableEvicted;
    private final KernelCounters retired;
    private final long missedHookRuns;

    public MonitorSnapshot(Map<Long, KernelCounters> byCgroup, Map<Long, KernelCounters> byNetns,
            KernelStats kernelStats, EventCounters events, ConnectionTable table, int recentLimit) {
        this(byCgroup, byNetns, KernelCounters.ZERO, kernelStats, 0, events, table, recentLimit);
    }

    /**
     * @param retired        the counters of cgroups that are gone, no longer in {@code byCgroup}
     * @param missedHookRuns runs of the attached programs that the kernel skipped, summed
     */
    public MonitorSnapshot(Map<Long, KernelCounters> byCgroup, Map<Long, KernelCounters> byNetns,
            KernelCounters retired, KernelStats kernelStats, long missedHookRuns, EventCounters events,
            ConnectionTable table, int recentLimit) {
        this.retired = retired;
        this.byCgroup = Collections.unmodifiableMap(new LinkedHashMap<>(byCgroup));
        this.byNetns = Collections.unmodifiableMap(new LinkedHashMap<>(byNetns));
        this.kernelStats = kernelStats;
        this.missedHookRuns = missedHookRuns;
        this.eventsReceived = events.receivedCount();
        this.decodeErrors = events.decodeErrorCount();
        this.listenerErrors = events.listenerErrorCount();
        this.open = table.open();
        this.recent = table.recent(recentLimit);
        this.tableEvicted = table.evicted();
    }

    /** Exact counters per cgroup id. */
    public Map<Long, KernelCounters> byCgroup() {
        return byCgroup;
    }

    /** Exact counters per network-namespace cookie. */
    public Map<Long, KernelCounters> byNetns() {
        return byNetns;
    }

    /** The sum over all cgroups, removed ones included: every connection of the scope, counted once. */
    public KernelCounters total() {
        KernelCounters sum = retired;
        for (KernelCounters c : byCgroup.values()) {
            sum = sum.plus(c);
        }
        return sum;
    }

    public KernelStats kernelStats() {
        return kernelStats;
    }

    public long eventsReceived() {
        return eventsReceived;
    }

    /** Events produced and not delivered: dropped in the kernel, undecodable, or refused by a listener. */
    public long eventsLost() {
        return kernelStats.eventsDropped() + decodeErrors + listenerErrors;
    }

    /**
     * Runs of our programs that the kernel skipped because BPF was already running on that CPU
     * (recursion_misses): their events and counter updates are lost, so counts may be short. Not
     * part of {@link #eventsLost()}: a skipped run may have had no event to send.
     */
    public long missedHookRuns() {
        return missedHookRuns;
    }

    public long decodeErrors() {
        return decodeErrors;
    }

    public long listenerErrors() {
        return listenerErrors;
    }

    /** Open connections in the table, most recently active first. */
    public List<Connection> open() {
        return open;
    }

    /** The latest connections, open or ended, most recent first. */
    public List<Connection> recent() {
        return recent;
    }

    /** What removed cgroups counted before they were dropped from the kernel's table. */
    public KernelCounters retired() {
        return retired;
    }

    public long tableEvicted() {
        return tableEvicted;
    }
}
