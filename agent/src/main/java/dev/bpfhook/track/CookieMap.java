package dev.bpfhook.track;

/**
 * A hash map from socket cookies (any long, 0 included) to values, with the keys kept as primitive
 * longs. Why not {@code HashMap<Long, V>}: every lookup boxed the cookie (cookies are far past the
 * small values Long caches), every put allocated a node, and each lookup chased two pointers; at
 * millions of events a second that was the largest single cost of the connection table.
 *
 * <p>Open addressing with linear probing over a power-of-two table at most half full. Removal moves
 * the later entries of the probe chain back into the gap (no tombstones), so lookups stay short
 * however many connections came and went. Grows, never shrinks. Not thread-safe.
 */
final class CookieMap<V> {
    private static final int MIN_CAPACITY = 16;

    private long[] keys;
    /** null marks an empty slot; so null values cannot be stored. */
    private Object[] values;
    private int mask;
    private int size;

    CookieMap() {
        allocate(MIN_CAPACITY);
    }

    int size() {
        return size;
    }

    /** The value of {@code key}, or null. */
    V get(long key) {
        for (int i = home(key, mask); ; i = (i + 1) & mask) {
            Object v = values[i];
            if (v == null || keys[i] == key) {
                return value(v);
            }
        }
    }

    /** Maps {@code key} to {@code value} (not null); returns the value it replaced, or null. */
    V put(long key, V value) {
        if (value == null) {
            throw new NullPointerException("null values cannot be stored");
        }
        int i = home(key, mask);
        while (values[i] != null) {
            if (keys[i] == key) {
                V old = value(values[i]);
                values[i] = value;
                return old;
            }
            i = (i + 1) & mask;
        }
        keys[i] = key;
        values[i] = value;
        if (++size > (mask + 1) / 2) {
            grow();
        }
        return null;
    }

    /** Removes {@code key}; returns its value, or null when it was not there. */
    V remove(long key) {
        int i = home(key, mask);
        while (values[i] != null && keys[i] != key) {
            i = (i + 1) & mask;
        }
        V removed = value(values[i]);
        if (removed == null) {
            return null;
        }
        closeGap(i);
        size--;
        return removed;
    }

    /**
     * Empties slot {@code gap} and keeps every key findable: each later key of the chain moves back
     * into the gap when its home slot is not between the gap and where it is now.
     */
    private void closeGap(int gap) {
        for (int i = (gap + 1) & mask; values[i] != null; i = (i + 1) & mask) {
            int home = home(keys[i], mask);
            if (((i - home) & mask) >= ((i - gap) & mask)) {
                keys[gap] = keys[i];
                values[gap] = values[i];
                gap = i;
            }
        }
        values[gap] = null;
    }

    private void grow() {
        long[] oldKeys = keys;
        Object[] oldValues = values;
        allocate(oldValues.length * 2);
        for (int j = 0; j < oldValues.length; j++) {
            if (oldValues[j] != null) {
                int i = home(oldKeys[j], mask);
                while (values[i] != null) {
                    i = (i + 1) & mask;
                }
                keys[i] = oldKeys[j];
                values[i] = oldValues[j];
            }
        }
    }

    private void allocate(int capacity) {
        keys = new long[capacity];
        values = new Object[capacity];
        mask = capacity - 1;
    }

    /** Slots, used or not: for tests of growth. */
    int capacity() {
        return values.length;
    }

    /**
     * Where the probe for {@code key} starts. Cookies come from a kernel counter, so consecutive
     * sockets have consecutive cookies: a multiplicative hash spreads them over the whole table.
     */
    static int home(long key, int mask) {
        long h = key * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h ^ h >>> 32) & mask;
    }

    @SuppressWarnings("unchecked")
    private static <V> V value(Object v) {
        return (V) v;
    }
}
