package dev.bpfhook.destination;

import dev.bpfhook.event.Direction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The kept destinations' statistics, found from a record's own fields (direction, cgroup, address
 * bits, port) without making a key or an address object. Why not {@code HashMap<DestinationKey,
 * DestinationStats>}: the tracker looks a destination up for most events, and a lookup there needed
 * a new key object each time; here a {@link DestinationKey} is made once, when its destination is
 * first kept.
 *
 * <p>Open addressing with linear probing over a power-of-two table at most half full, with each
 * slot's hash kept so that a probe compares keys only when the hashes agree. Destinations leave
 * only in bulk, when the tracker folds the least busy ones away (about once a second at most):
 * {@link #removeAll} rebuilds the table. Not thread-safe.
 */
final class DestinationIndex {
    private static final int MIN_CAPACITY = 16;

    private DestinationKey[] keys;
    private DestinationStats[] values;
    private int[] hashes;
    private int mask;
    private int size;
    /** Kept destinations by direction (ordinal), so that the tracker need not count them. */
    private final int[] counts = new int[Direction.values().length];

    DestinationIndex() {
        allocate(MIN_CAPACITY);
    }

    /**
     * The statistics of the destination with these fields, the address as bits (see AddressBits), or
     * null when it is not kept.
     */
    DestinationStats get(Direction direction, long cgroupId, int family, long hi, long lo, int port) {
        int hash = DestinationKey.hash(direction, cgroupId, family, hi, lo, port);
        for (int i = hash & mask; ; i = (i + 1) & mask) {
            DestinationKey k = keys[i];
            if (k == null) {
                return null;
            }
            if (hashes[i] == hash && k.is(direction, cgroupId, family, hi, lo, port)) {
                return values[i];
            }
        }
    }

    DestinationStats get(DestinationKey key) {
        return get(key.direction(), key.cgroupId(), key.family(), key.addressHi(), key.addressLo(), key.port());
    }

    /** Keeps {@code stats} for {@code key}, which must not be kept yet. */
    void add(DestinationKey key, DestinationStats stats) {
        insert(key, stats);
        size++;
        counts[key.direction().ordinal()]++;
        if (size > (mask + 1) / 2) {
            rebuild(keys.length * 2);
        }
    }

    /** Forgets the destinations of {@code gone}, all at once. */
    void removeAll(Collection<DestinationKey> gone) {
        if (gone.isEmpty()) {
            return;
        }
        Set<DestinationKey> set = new HashSet<>(gone);
        DestinationKey[] oldKeys = keys;
        DestinationStats[] oldValues = values;
        allocate(keys.length);
        size = 0;
        Arrays.fill(counts, 0);
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != null && !set.contains(oldKeys[i])) {
                add(oldKeys[i], oldValues[i]);
            }
        }
    }

    void clear() {
        allocate(MIN_CAPACITY);
        size = 0;
        Arrays.fill(counts, 0);
    }

    int size() {
        return size;
    }

    /** Kept destinations of one direction. */
    int count(Direction direction) {
        return counts[direction.ordinal()];
    }

    /** The kept destinations of one direction, in no particular order. */
    List<DestinationKey> keys(Direction direction) {
        List<DestinationKey> list = new ArrayList<>(count(direction));
        for (DestinationKey k : keys) {
            if (k != null && k.direction() == direction) {
                list.add(k);
            }
        }
        return list;
    }

    void forEach(BiConsumer<DestinationKey, DestinationStats> action) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                action.accept(keys[i], values[i]);
            }
        }
    }

    private void insert(DestinationKey key, DestinationStats stats) {
        int hash = key.hashCode();
        int i = hash & mask;
        while (keys[i] != null) {
            i = (i + 1) & mask;
        }
        keys[i] = key;
        values[i] = stats;
        hashes[i] = hash;
    }

    private void rebuild(int capacity) {
        DestinationKey[] oldKeys = keys;
        DestinationStats[] oldValues = values;
        allocate(capacity);
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != null) {
                insert(oldKeys[i], oldValues[i]);
            }
        }
    }

    private void allocate(int capacity) {
        keys = new DestinationKey[capacity];
        values = new DestinationStats[capacity];
        hashes = new int[capacity];
        mask = capacity - 1;
    }
}
