package dev.bpfhook.jfr;

import dev.bpfhook.destination.DestinationSettings;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import jdk.jfr.Description;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;
import jdk.jfr.SettingControl;
import jdk.jfr.Timespan;

/**
 * The {@code connectThreshold} setting of bpfhook.SlowConnect: a connect is recorded when it took
 * at least this long. It reads and combines like JFR's own duration threshold ("100 ms", "1 s",
 * "0 ns", "infinity"; of several recordings the lowest wins), but applies to the connect latency
 * measured in the kernel: JFR's own {@code threshold} compares the duration of the Java event,
 * which for an event made after the fact is zero, and a setting of that name is shadowed by it.
 */
@Name("bpfhook.settings.ConnectThreshold")
@Label("Connect Threshold")
@Description("Record connects that took at least this long")
@Timespan
final class ConnectThresholdSetting extends SettingControl {
    static final String DEFAULT = DestinationSettings.DEFAULT_SLOW_CONNECT_MS + " ms";
    private static final String INFINITY = "infinity";

    private volatile long nanos = parse(DEFAULT);
    private volatile String value = DEFAULT;

    @Override
    public String combine(Set<String> values) {
        String lowest = null;
        long min = Long.MAX_VALUE;
        for (String v : values) {
            long n = parse(v);
            if (n >= 0 && (lowest == null || n < min)) {
                lowest = v;
                min = n;
            }
        }
        return lowest != null ? lowest : DEFAULT;
    }

    /**
     * An unreadable value is ignored, as JFR ignores one of its own thresholds. Null comes from
     * JDK 17 (and older) when recordings set different values: its JFR calls {@link #combine} but
     * drops the result (fixed by JDK 21); the values of the running recordings are read and
     * combined here instead.
     */
    @Override
    public void setValue(String text) {
        String v = text != null ? text : combine(valuesOfRunningRecordings());
        long n = parse(v);
        if (n >= 0) {
            nanos = n;
            value = v;
        }
    }

    @Override
    public String getValue() {
        return value;
    }

    private static Set<String> valuesOfRunningRecordings() {
        Set<String> values = new HashSet<>();
        for (Recording r : FlightRecorder.getFlightRecorder().getRecordings()) {
            Map<String, String> settings = r.getSettings();
            String v = settings.get(SlowConnectEvent.NAME + "#" + SlowConnectEvent.THRESHOLD);
            if (r.getState() == RecordingState.RUNNING && v != null
                    && "true".equals(settings.get(SlowConnectEvent.NAME + "#enabled"))) {
                values.add(v);
            }
        }
        return values;
    }

    boolean reached(long latencyNs) {
        return latencyNs >= nanos;
    }

    /** Nanoseconds of "20 ms", "20ms", "1 s", "infinity" (Long.MAX_VALUE); -1 when not a timespan. */
    static long parse(String text) {
        if (text == null) {
            return -1;
        }
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.equals(INFINITY)) {
            return Long.MAX_VALUE;
        }
        int unitAt = 0;
        while (unitAt < s.length() && Character.isDigit(s.charAt(unitAt))) {
            unitAt++;
        }
        if (unitAt == 0 || unitAt > 18) {
            return -1;
        }
        long amount = Long.parseLong(s.substring(0, unitAt));
        long unit = unitNanos(s.substring(unitAt).trim());
        if (unit < 0) {
            return -1;
        }
        return amount > Long.MAX_VALUE / unit ? Long.MAX_VALUE : amount * unit;
    }

    private static long unitNanos(String unit) {
        switch (unit) {
            case "ns":
                return 1L;
            case "us":
                return 1_000L;
            case "ms":
                return 1_000_000L;
            case "s":
                return 1_000_000_000L;
            case "m":
                return 60_000_000_000L;
            case "h":
                return 3_600_000_000_000L;
            case "d":
                return 86_400_000_000_000L;
            default:
                return -1;
        }
    }
}
