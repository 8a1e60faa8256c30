package dev.bpfhook.jmx;

import dev.bpfhook.event.Abi;
import dev.bpfhook.event.KernelCounters;
import dev.bpfhook.event.KernelStats;

/** struct bh_counters and bh_stats as the tests want them: named fields, zero unless set. */
final class TestCounters {
    private final long[] words = new long[Abi.Counters.WORDS];

    private TestCounters() {
    }

    static TestCounters counters() {
        return new TestCounters();
    }

    /** A cgroup with {@code open} TCP connections established and not closed. */
    static KernelCounters active(long open) {
        return counters().connectAttempts(open).outbound(open).build();
    }

    /** A cgroup whose {@code n} connections are all closed: active 0. */
    static KernelCounters idle(long n) {
        return counters().connectAttempts(n).outbound(n).closed(n).build();
    }

    static KernelStats stats(long submitted, long dropped, long countersFull, long closedUntracked) {
        long[] words = new long[Abi.Stats.WORDS];
        words[Abi.Stats.EVENTS_SUBMITTED] = submitted;
        words[Abi.Stats.EVENTS_DROPPED] = dropped;
        words[Abi.Stats.COUNTERS_FULL] = countersFull;
        words[Abi.Stats.CLOSED_UNTRACKED] = closedUntracked;
        return new KernelStats(words);
    }

    TestCounters connectAttempts(long v) {
        return set(Abi.Counters.CONNECT_ATTEMPTS, v);
    }

    TestCounters udpConnects(long v) {
        return set(Abi.Counters.UDP_CONNECTS, v);
    }

    TestCounters outbound(long v) {
        return set(Abi.Counters.OUTBOUND_ESTABLISHED, v);
    }

    TestCounters inbound(long v) {
        return set(Abi.Counters.INBOUND_ACCEPTED, v);
    }

    /** All failed connects, and those of the four known reasons (the rest are "other"). */
    TestCounters failed(long all, long refused, long timedOut, long unreachable, long reset) {
        set(Abi.Counters.FAILED_CONNECTS, all);
        set(Abi.Counters.FAILED_REFUSED, refused);
        set(Abi.Counters.FAILED_TIMED_OUT, timedOut);
        set(Abi.Counters.FAILED_UNREACHABLE, unreachable);
        return set(Abi.Counters.FAILED_RESET, reset);
    }

    TestCounters closed(long v) {
        return set(Abi.Counters.CLOSED, v);
    }

    TestCounters bytes(long sent, long received) {
        set(Abi.Counters.BYTES_SENT, sent);
        return set(Abi.Counters.BYTES_RECEIVED, received);
    }

    TestCounters retransmits(long v) {
        return set(Abi.Counters.RETRANSMITS, v);
    }

    TestCounters preexisting(long v) {
        return set(Abi.Counters.PREEXISTING, v);
    }

    KernelCounters build() {
        return new KernelCounters(words);
    }

    private TestCounters set(int word, long value) {
        words[word] = value;
        return this;
    }
}
