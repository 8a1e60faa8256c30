package dev.bpfhook.testing;

import dev.bpfhook.event.ConnectionEvent;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/** What kernel tests look for in the events a monitor's listener collected. */
public final class Events {
    private Events() {
    }

    /**
     * The events that match, in order; read under the list's lock, as a listener on the ring thread may still
     * add to a synchronized list.
     */
    public static List<ConnectionEvent> select(List<ConnectionEvent> events, Predicate<ConnectionEvent> filter) {
        synchronized (events) {
            return events.stream().filter(filter).collect(Collectors.toList());
        }
    }
}
