package dev.bpfhook.cli;

import dev.bpfhook.config.MonitorConfig;
import dev.bpfhook.container.CgroupNames;
import dev.bpfhook.container.CgroupScope;
import dev.bpfhook.container.HostIdentity;
import dev.bpfhook.destination.DestinationSettings;
import dev.bpfhook.destination.Destinations;
import dev.bpfhook.event.EventListener;
import dev.bpfhook.kernel.BpfException;
import dev.bpfhook.kernel.HookSettings;
import dev.bpfhook.kernel.HookStatus;
import dev.bpfhook.jfr.JfrRecorder;
import dev.bpfhook.jfr.SessionRecording;
import dev.bpfhook.kernel.NetnsCookie;
import dev.bpfhook.pipeline.Monitor;
import dev.bpfhook.report.Attribution;
import dev.bpfhook.report.EventLine;
import dev.bpfhook.report.JsonLines;
import dev.bpfhook.report.LineWriter;
import dev.bpfhook.report.MetricsReport;
import dev.bpfhook.track.ConnectionTable;
import dev.bpfhook.track.MonitorSnapshot;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Runs the monitor in the foreground: reports every interval, events as they come, a final report at the end. */
final class StandaloneMonitor {
    private static final int PRINT_QUEUE = 1 << 16;
    private static final int ENDED_CONNECTIONS_KEPT = 256;

    private final MonitorConfig config;
    private final CgroupScope scope;
    private final PrintStream out;
    private final PrintStream err;

    StandaloneMonitor(MonitorConfig config, CgroupScope scope, PrintStream out, PrintStream err) {
        this.config = config;
        this.scope = scope;
        this.out = out;
        this.err = err;
    }

    int run() throws BpfException {
        Attribution attribution = attribution();
        MetricsReport textReport = new MetricsReport(attribution, config.showContainers());
        JsonLines json = new JsonLines(attribution);
        EventLine eventLine = new EventLine(attribution);
        ConnectionTable table = new ConnectionTable(MonitorConfig.DEFAULT_CONNECTION_TABLE, ENDED_CONNECTIONS_KEPT);
        HookSettings settings = new HookSettings(scope.directory(), scope.id(), scope.level(), config.ringBytes(),
                MonitorConfig.DEFAULT_CONNECTION_TABLE, true).withBtfFile(config.btfFile().orElse(null));

        // counted down once the printer has written everything, the final report included: a Ctrl-C's shutdown
        // hook waits for it, as the JVM ends when the hooks do
        CountDownLatch finished = new CountDownLatch(1);
        try (LineWriter printer = new LineWriter(out, PRINT_QUEUE)) {
            List<EventListener> listeners = new ArrayList<>();
            if (config.showEvents() && config.json()) {
                listeners.add(e -> printer.print(json.event(e)));
            } else if (config.showEvents()) {
                listeners.add(e -> printer.print(eventLine.format(e)));
            }
            DestinationSettings destinationSettings = config.top() > 0
                    ? DestinationSettings.defaults().withTop(config.top()) : DestinationSettings.defaults();
            Monitor monitor = Monitor.start(settings, table, destinationSettings, listeners);
            SessionRecording recording = null;
            JfrRecorder recorder = null;
            if (config.jfrFile().isPresent()) {
                try {
                    recording = SessionRecording.start(config.jfrFile().get());
                    recorder = new JfrRecorder(attribution, table,
                            () -> Optional.of(monitor.destinations().snapshot()),
                            () -> java.util.Optional.ofNullable(monitor.snapshot(0)));
                    monitor.addListener(recorder);
                } catch (IOException | RuntimeException e) {
                    err.println("bpfhook: warning: no Flight Recorder recording: " + e.getMessage());
                }
            }
            CountDownLatch interrupted = new CountDownLatch(1);
            Thread shutdownHook = new Thread(() -> {
                interrupted.countDown();
                awaitQuietly(finished, 5);
            }, "bpfhook-shutdown");
            Runtime.getRuntime().addShutdownHook(shutdownHook);
            try {
                List<String> hooks = describe(monitor.hooks());
                for (HookStatus h : monitor.hooks()) {
                    if (h.missing()) {
                        err.println("bpfhook: warning: no " + h.hook().label() + " hook on this kernel, so "
                                + h.hook().withoutIt() + ": " + String.join("; ", h.skipped()));
                    }
                }
                printer.print(config.json() ? json.start(scope.name(), scope.id(), hooks)
                        : "bpfhook: watching cgroup " + scope.describe() + "; hooks: " + String.join(", ", hooks));
                loop(monitor, printer, textReport, json, interrupted);
                monitor.flush();
                printer.print(render(monitor, textReport, json, printer));
            } finally {
                monitor.close();
                finishRecording(recording, recorder);
                try {
                    Runtime.getRuntime().removeShutdownHook(shutdownHook);
                } catch (IllegalStateException shuttingDown) {
                    // Ctrl-C: the hook is running and waits for us
                }
            }
        } finally {
            finished.countDown();
        }
        return Main.OK;
    }

    private void loop(Monitor monitor, LineWriter printer, MetricsReport textReport, JsonLines json,
            CountDownLatch interrupted) {
        long intervalNs = TimeUnit.SECONDS.toNanos(config.metricsIntervalSec());
        long now = System.nanoTime();
        long end = config.durationSec() > 0 ? now + TimeUnit.SECONDS.toNanos(config.durationSec()) : Long.MAX_VALUE;
        long nextReport = now + intervalNs;
        while (true) {
            long wakeAt = Math.min(nextReport, end);
            long waitNs = Math.max(0, wakeAt - System.nanoTime());
            if (awaitQuietly(interrupted, waitNs)) {
                return;
            }
            if (System.nanoTime() - end >= 0) {
                return; // the final report follows
            }
            printer.print(render(monitor, textReport, json, printer));
            nextReport += intervalNs;
        }
    }

    private String render(Monitor monitor, MetricsReport textReport, JsonLines json, LineWriter printer) {
        MonitorSnapshot snapshot = monitor.snapshot(MonitorConfig.DEFAULT_RECENT);
        Optional<Destinations> destinations = config.top() > 0 ? Optional.of(monitor.destinations().snapshot())
                : Optional.empty();
        if (config.json()) {
            return destinations.isPresent() ? json.report(snapshot, 0, destinations.get()) : json.report(snapshot);
        }
        String report = textReport.render(snapshot, destinations);
        long unprinted = printer.notWritten();
        return unprinted == 0 ? report
                : report + "  (" + unprinted + " event lines not printed: the terminal could not keep up)\n";
    }

    private void finishRecording(SessionRecording recording, JfrRecorder recorder) {
        if (recorder != null) {
            recorder.close();
        }
        if (recording != null) {
            try {
                recording.close();
                err.println("bpfhook: Flight Recorder recording written to " + config.jfrFile().get());
            } catch (IOException | RuntimeException e) {
                err.println("bpfhook: warning: the recording could not be written to " + config.jfrFile().get()
                        + ": " + e.getMessage());
            }
        }
    }

    private Attribution attribution() {
        CgroupNames names = new CgroupNames(scope.hierarchy(), scope.directory());
        return new Attribution(new HostIdentity(NetnsCookie.ofHost().orElse(0)), names::nameOf);
    }

    private static List<String> describe(List<HookStatus> hooks) {
        List<String> list = new ArrayList<>();
        for (HookStatus h : hooks) {
            list.add(h.toString());
        }
        return Collections.unmodifiableList(list);
    }

    private static boolean awaitQuietly(CountDownLatch latch, long waitNs) {
        try {
            return latch.await(waitNs, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    private static void awaitQuietly(CountDownLatch latch, int seconds) {
        awaitQuietly(latch, TimeUnit.SECONDS.toNanos(seconds));
    }
}
