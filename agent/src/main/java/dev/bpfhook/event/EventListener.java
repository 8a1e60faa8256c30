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
}
