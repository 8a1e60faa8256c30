package dev.bpfhook.event;

/** struct bh_stats summed over CPUs: the kernel side's own health. */
public final class KernelStats {
    public static final KernelStats ZERO = new KernelStats(new long[Abi.Stats.WORDS]);

    private final long[] words;

    public KernelStats(long[] words) {
        if (words.length < Abi.Stats.WORDS) {
            throw new IllegalArgumentException("struct bh_stats has " + Abi.Stats.WORDS + " words, got " + words.length);
        }
        this.words = words.clone();
    }

    /** Records committed to the ring buffer. */
    public long eventsSubmitted() {
        return words[Abi.Stats.EVENTS_SUBMITTED];
    }

    /** Records lost because the ring buffer was full. */
    public long eventsDropped() {
        return words[Abi.Stats.EVENTS_DROPPED];
    }

    /** Counter updates lost because a counter map was full. */
    public long countersFull() {
        return words[Abi.Stats.COUNTERS_FULL];
    }

    /** Closes of connections opened before the monitor started (or evicted from its table). */
    public long closedUntracked() {
        return words[Abi.Stats.CLOSED_UNTRACKED];
    }
}
