package dev.bpfhook.agent;

import dev.bpfhook.jfr.JfrRecorder;
import dev.bpfhook.jfr.JfrStartup;
import dev.bpfhook.track.MonitorSnapshot;
import java.util.Optional;
import java.util.function.Supplier;

/** jfr=on: Flight Recorder events for every connection event, recorded when a recording enables them. */
final class JfrOutput implements AgentOutput {
    private final Supplier<Optional<MonitorSnapshot>> snapshots;
    private JfrRecorder recorder;

    JfrOutput(Supplier<Optional<MonitorSnapshot>> snapshots) {
        this.snapshots = snapshots;
    }

    @Override
    public String name() {
        return "jfr";
    }

    @Override
    public void start(AgentContext context) throws InterruptedException {
        JfrStartup.awaitCommandLineRecording();
        recorder = new JfrRecorder(context.attribution(), context.monitor().table(),
                () -> Optional.of(context.monitor().destinations().snapshot()), snapshots);
        context.monitor().addListener(recorder);
    }

    @Override
    public void close() {
        if (recorder != null) {
            recorder.close();
        }
    }
}
