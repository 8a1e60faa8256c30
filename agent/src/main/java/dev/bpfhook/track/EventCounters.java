package dev.bpfhook.track;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What happened to records after the kernel committed them: received, not
 * decodable, or refused by a listener. With the kernel's own drop counter these
 * account for every event produced.
 */
public final class EventCounters {
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong decodeErrors = new AtomicLong();
    private final AtomicLong listenerErrors = new AtomicLong();
    private final AtomicLong notEmitted = new AtomicLong();

    public void received() {
        received.incrementAndGet();
    }

    /** {@code n} records received: a consumer counts a batch at once, not each record. */
    public void received(long n) {
        if (n != 0) {
            received.addAndGet(n);
        }
    }

    public void decodeError() {
        decodeErrors.incrementAndGet();
    }

    public void listenerError() {
        listenerErrors.incrementAndGet();
    }

    public void notEmitted() {
        notEmitted.incrementAndGet();
    }

    /** Events counted and tracked but not handed to the outputs while emission was paused. */
    public long notEmittedCount() {
        return notEmitted.get();
    }

    /** Records read from the ring, decodable or not. */
    public long receivedCount() {
        return received.get();
    }

    public long decodeErrorCount() {
        return decodeErrors.get();
    }

    public long listenerErrorCount() {
        return listenerErrors.get();
    }
}
