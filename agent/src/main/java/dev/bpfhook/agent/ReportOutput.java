package dev.bpfhook.agent;

import dev.bpfhook.config.AgentConfig;
import dev.bpfhook.kernel.HookStatus;
import dev.bpfhook.report.JsonLines;
import dev.bpfhook.report.LineFile;
import dev.bpfhook.report.LineOutput;
import dev.bpfhook.report.LineWriter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * report=stderr|FILE: JSON lines, a "start" line, a "report" line every
 * report.interval seconds and a last one at shutdown, and with events=on one
 * line per event. Lines go through a bounded queue on their own thread, so a
 * slow disk never stalls the ring-buffer thread; what the queue cannot take, or
 * the file refuses, is counted in the next report. A file follows log rotation
 * (see LineFile).
 */
final class ReportOutput implements AgentOutput {
    private static final int QUEUE = 1 << 16;
    private static final int RECENT = 10;

    private final AgentLog log;
    private LineWriter writer;
    private ScheduledExecutorService timer;
    private AgentContext context;
    private JsonLines json;

    ReportOutput(AgentLog log) {
        this.log = log;
    }

    @Override
    public String name() {
        return "report";
    }

    @Override
    public void start(AgentContext context) throws IOException {
        this.context = context;
        AgentConfig config = context.config();
        LineOutput out = config.report() == AgentConfig.Report.FILE
                ? LineFile.open(config.reportFile().get()) : LineOutput.of(System.err, "stderr");
        writer = new LineWriter(out, QUEUE, message -> log.warn("report: " + message));
        json = new JsonLines(context.attribution());
        List<String> hooks = new ArrayList<>();
        for (HookStatus h : context.monitor().hooks()) {
            hooks.add(h.toString());
        }
        writer.print(json.start(context.scope().name(), context.scope().id(), hooks));
        if (config.events()) {
            context.monitor().addListener(e -> writer.print(json.event(e)));
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bpfhook-report");
            t.setDaemon(true);
            return t;
        });
        long interval = config.reportIntervalSec();
        timer.scheduleAtFixedRate(this::report, interval, interval, TimeUnit.SECONDS);
    }

    private void report() {
        try {
            writer.print(json.report(context.monitor().snapshot(RECENT), writer.notWritten(),
                    context.monitor().destinations().snapshot()));
        } catch (RuntimeException e) {
            // a report that cannot be made now is made at the next interval
        }
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
        if (writer != null) {
            report();
            writer.close();
        }
    }
}
