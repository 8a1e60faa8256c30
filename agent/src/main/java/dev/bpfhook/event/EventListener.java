package dev.bpfhook.event;

/**
 * Receives every decoded event on the ring-buffer thread. Must return quickly
 * and must not block: a slow listener delays every other one. An exception is
 * caught and counted, never propagated.
 */
@FunctionalInterface
public interface EventListener {
    void onEvent(ConnectionEvent event);

    /**
     * Whether this listener takes the next event. One that would only drop it (nothing records, nobody
     * waits) says no: when no listener takes an event, the ring thread makes no event object for it.
     * Asked on the ring thread before each event, so it must be cheap (a flag, not a lookup).
     */
    default boolean wantsEvents() {
        return true;
    }

    /**
     * Whether this listener takes the ring thread's record itself ({@link #onRecord}) rather than an
     * immutable event: for a listener that reads what it needs during the call and keeps nothing of the
     * record. Then no event object is made for it, and the record also tells its connection's start and
     * handshake, as the connection table noted them.
     */
    default boolean takesRecords() {
        return false;
    }

    /**
     * The record of the next event, for a listener that {@link #takesRecords()}: read it during the call
     * only, and never change it (the listeners after this one read it too).
     */
    default void onRecord(EventRecord record) {
        onEvent(record.toEvent());
    }
}
