package dev.bpfhook.kernel;

import java.util.Arrays;

/**
 * The kernel's counters (struct bh_counters) per (cgroup id, network-namespace cookie) pair, summed
 * over CPUs: map counters, and one pair, the configured hot pair (bh_config.hot_*: the watched cgroup
 * in the agent's own namespace), in map hot_counters, where the kernel counts it instead. Read as one
 * table: the hot pair is an entry like any other once it has counted.
 */
public final class CounterMaps {
    private final PerCpuMap table;
    private final PerCpuMap hot;
    private final long[] hotKey;

    /** @param hot the hot pair's counters, or null when no pair is hot */
    CounterMaps(PerCpuMap table, PerCpuMap hot, long hotCgroupId, long hotNetnsCookie) {
        this.table = table;
        this.hot = hotCgroupId != 0 ? hot : null;
        this.hotKey = new long[] {hotCgroupId, hotNetnsCookie};
    }

    /** Every pair that has counted, with its counters; called from one thread at a time. */
    public void forEach(PerCpuMap.EntryVisitor visitor) {
        table.forEach(visitor);
        long[] sums = hotSums();
        if (sums != null) {
            visitor.visit(hotKey.clone(), sums);
        }
    }

    /** One pair's counters, or null when it has not counted. */
    public long[] lookup(long cgroupId, long netnsCookie) {
        return isHot(cgroupId, netnsCookie) ? hotSums() : table.lookup(cgroupId, netnsCookie);
    }

    /**
     * Removes a pair, whose counters start again from zero if it counts again; false when absent. The
     * hot pair stays: its counters are not in the table, and it is the watched cgroup's own.
     */
    public boolean delete(long cgroupId, long netnsCookie) {
        return !isHot(cgroupId, netnsCookie) && table.delete(cgroupId, netnsCookie);
    }

    private boolean isHot(long cgroupId, long netnsCookie) {
        return hot != null && cgroupId == hotKey[0] && netnsCookie == hotKey[1];
    }

    /** The hot pair's counters, or null when there is none or it has not counted yet (as a table's absent key). */
    private long[] hotSums() {
        if (hot == null) {
            return null;
        }
        long[] sums = hot.lookup(0);
        return sums == null || Arrays.stream(sums).allMatch(w -> w == 0) ? null : sums;
    }
}
