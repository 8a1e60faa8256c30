package dev.bpfhook.report;

import dev.bpfhook.destination.Destination;
import dev.bpfhook.destination.DestinationSettings;
import dev.bpfhook.destination.Destinations;
import dev.bpfhook.destination.HistogramSnapshot;
import dev.bpfhook.event.ConnectFailure;
import dev.bpfhook.event.Direction;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The Destinations section of the standalone monitor's report (--top N): per direction the
 * destinations with the most connections, then "other", everything beyond them folded together.
 * One row each, and below a row the failures by reason, and the cgroup when the rows come from
 * more than one.
 */
final class DestinationReport {
    private static final String LINE = "--------------------------------------------------------------------------------";
    private static final String HEADER = "  %-24s %6s %6s %6s %6s %7s %7s %8s %7s%n";
    private static final String ROW = "    %-22s %6d %6d %6d %6d %7s %7s %8s %7d%s%n";

    private final Attribution attribution;

    DestinationReport(Attribution attribution) {
        this.attribution = attribution;
    }

    void append(StringBuilder out, Destinations d) {
        DestinationSettings settings = d.settings();
        out.append(String.format("Destinations (top %d per direction, most connections first):%n", settings.top()));
        out.append(LINE).append('\n');
        boolean showCgroup = cgroups(d) > 1;
        boolean churn = direction(out, "OUTBOUND", d.outbound(), showCgroup);
        churn |= direction(out, "INBOUND", d.inbound(), showCgroup);
        if (d.folded() > 0) {
            out.append(String.format("  %d destination%s folded into other%n", d.folded(), d.folded() == 1 ? "" : "s"));
        }
        out.append("  p50, p99: outbound connect() to established, inbound time in the accept queue\n");
        if (churn) {
            out.append(String.format("  CHURN: over %d new in the last minute with a median lifetime under %d ms%n",
                    settings.churnNewPerMinute(), settings.churnMedianLifetimeMs()));
        }
    }

    /** @return whether a row is flagged as churning */
    private boolean direction(StringBuilder out, String title, List<Destination> rows, boolean showCgroup) {
        if (rows.isEmpty()) {
            out.append("  ").append(title).append(": none\n");
            return false;
        }
        out.append(String.format(Locale.ROOT, HEADER, title, "Conns", "Estab", "Failed", "Active", "p50 ms", "p99 ms",
                "Life p50", "New/min"));
        boolean churn = false;
        for (Destination row : rows) {
            HistogramSnapshot latency = row.key().direction() == Direction.INBOUND ? row.acceptWaitUs()
                    : row.connectLatencyUs();
            out.append(String.format(Locale.ROOT, ROW, row.key().label(), row.connections(), row.established(),
                    row.failedTotal(), row.active(), millis(latency, 0.5), millis(latency, 0.99),
                    lifetime(row.lifetimeMs()), row.newLastMinute(), row.churning() ? "  CHURN" : ""));
            churn |= row.churning();
            String detail = detail(row, showCgroup);
            if (!detail.isEmpty()) {
                out.append("      ").append(detail).append('\n');
            }
        }
        return churn;
    }

    private String detail(Destination row, boolean showCgroup) {
        List<String> parts = new ArrayList<>();
        if (showCgroup && !row.key().isOther()) {
            parts.add("cgroup " + attribution.cgroupName(row.key().cgroupId()));
        }
        if (row.failedTotal() > 0) {
            StringBuilder reasons = new StringBuilder("failed:");
            String sep = " ";
            for (ConnectFailure reason : ConnectFailure.values()) {
                long n = row.failed().get(reason);
                if (n > 0) {
                    reasons.append(sep).append(reason.text()).append(' ').append(n);
                    sep = ", ";
                }
            }
            parts.add(reasons.toString());
        }
        return String.join("; ", parts);
    }

    private static int cgroups(Destinations d) {
        Set<Long> ids = new HashSet<>();
        for (List<Destination> rows : List.of(d.outbound(), d.inbound())) {
            for (Destination row : rows) {
                if (!row.key().isOther()) {
                    ids.add(row.key().cgroupId());
                }
            }
        }
        return ids.size();
    }

    /** A quantile of microseconds in milliseconds, with about three significant digits; "-" when none. */
    static String millis(HistogramSnapshot micros, double q) {
        if (micros.count() == 0) {
            return "-";
        }
        double ms = micros.quantile(q) / 1000.0;
        return String.format(Locale.ROOT, ms < 10 ? "%.2f" : ms < 100 ? "%.1f" : "%.0f", ms);
    }

    /** The median of milliseconds in a readable unit: "<1 ms", "250 ms", "1.5 s", "2.0 min", "1.2 h"; "-" when none. */
    static String lifetime(HistogramSnapshot millis) {
        if (millis.count() == 0) {
            return "-";
        }
        double ms = millis.quantile(0.5);
        if (ms < 1) {
            return "<1 ms";
        }
        if (ms < 1000) {
            return String.format(Locale.ROOT, "%.0f ms", ms);
        }
        if (ms < 60_000) {
            return String.format(Locale.ROOT, "%.1f s", ms / 1000);
        }
        if (ms < 3_600_000) {
            return String.format(Locale.ROOT, "%.1f min", ms / 60_000);
        }
        return String.format(Locale.ROOT, "%.1f h", ms / 3_600_000);
    }
}
