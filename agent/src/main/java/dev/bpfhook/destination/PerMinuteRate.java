package dev.bpfhook.destination;

/** Counts occurrences over the last minute in sixty one-second slots; not thread-safe. */
final class PerMinuteRate {
    private static final int SLOTS = 60;
    private final long[] second = new long[SLOTS];
    private final int[] count = new int[SLOTS];

    void record(long nowNs) {
        long s = nowNs / 1_000_000_000L;
        int slot = (int) Math.floorMod(s, (long) SLOTS);
        if (second[slot] != s) {
            second[slot] = s;
            count[slot] = 0;
        }
        count[slot]++;
    }

    void add(PerMinuteRate other) {
        for (int i = 0; i < SLOTS; i++) {
            if (other.second[i] == second[i]) {
                count[i] += other.count[i];
            } else if (other.second[i] > second[i]) {
                second[i] = other.second[i];
                count[i] = other.count[i];
            }
        }
    }

    /** Occurrences in the sixty seconds up to and including the second of {@code nowNs}. */
    long lastMinute(long nowNs) {
        long s = nowNs / 1_000_000_000L;
        long total = 0;
        for (int i = 0; i < SLOTS; i++) {
            if (second[i] > s - SLOTS && second[i] <= s) {
                total += count[i];
            }
        }
        return total;
    }
}
