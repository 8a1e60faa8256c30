package dev.bpfhook.event;

/**
 * Receives every decoded event on the ring-buffer thread. Must return quickly
 * and must not block: a slow listener delays every other one. An exception is
 * caught and counted, never propagated.
 */
@FunctionalInterface
public interface EventListener {
    void onEvent(ConnectionEvent event);
}
