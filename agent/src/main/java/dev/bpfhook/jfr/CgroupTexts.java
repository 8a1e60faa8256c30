package dev.bpfhook.jfr;

import dev.bpfhook.report.Attribution;

/**
 * The cgroup path and container id of the cgroups events come from, named again after a second of
 * kernel time per cgroup (CgroupNames confirms a name at most once a second, so a fresher look
 * would see nothing new): the look-ups take locks, a clock read and, for an unknown id, build a new
 * text, which per event would cost more than the event's commit. A slot holds the latest cgroup
 * whose id hashed to it; services of a host, each in its own cgroup, do not evict one another.
 *
 * <p>Not thread-safe: used by the ring thread only.
 */
final class CgroupTexts {
    private static final int SLOT_BITS = 6;
    private static final int SLOTS = 1 << SLOT_BITS;
    static final long RECHECK_NS = 1_000_000_000L;

    private final Attribution attribution;
    private final long[] ids = new long[SLOTS];
    private final long[] resolvedNs = new long[SLOTS];
    private final String[] names = new String[SLOTS];
    private final String[] containerIds = new String[SLOTS];

    CgroupTexts(Attribution attribution) {
        this.attribution = attribution;
    }

    /** The cgroup's path below the cgroup v2 root, as of {@code nowNs} (kernel clock) at most a second ago. */
    String name(long cgroupId, long nowNs) {
        return names[resolve(cgroupId, nowNs)];
    }

    /** The full id of the cgroup's container, empty for the host; as fresh as {@link #name}. */
    String containerId(long cgroupId, long nowNs) {
        return containerIds[resolve(cgroupId, nowNs)];
    }

    private int resolve(long cgroupId, long nowNs) {
        int slot = (int) (cgroupId * 0x9E3779B97F4A7C15L >>> (64 - SLOT_BITS)); // ids are inode numbers: spread them
        // names[slot] == null: an empty slot, whatever id 0 says; a clock that went back: named again
        if (names[slot] == null || ids[slot] != cgroupId || nowNs - resolvedNs[slot] >= RECHECK_NS
                || nowNs < resolvedNs[slot]) {
            names[slot] = attribution.cgroupName(cgroupId);
            containerIds[slot] = attribution.container(cgroupId).id();
            ids[slot] = cgroupId;
            resolvedNs[slot] = nowNs;
        }
        return slot;
    }
}
