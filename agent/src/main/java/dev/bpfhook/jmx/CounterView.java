package dev.bpfhook.jmx;

import dev.bpfhook.event.KernelCounters;
import dev.bpfhook.track.MonitorSnapshot;
import java.util.Optional;
import java.util.function.Function;

/** Reads one set of kernel counters out of the latest snapshot; zero while there is none. */
final class CounterView {
    private final MonitorState state;
    private final Function<MonitorSnapshot, KernelCounters> select;

    CounterView(MonitorState state, Function<MonitorSnapshot, KernelCounters> select) {
        this.state = state;
        this.select = select;
    }

    KernelCounters now() {
        Optional<MonitorSnapshot> snapshot = state.snapshot();
        if (!snapshot.isPresent()) {
            return KernelCounters.ZERO;
        }
        KernelCounters c = select.apply(snapshot.get());
        return c == null ? KernelCounters.ZERO : c;
    }
}
