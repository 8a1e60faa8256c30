package dev.bpfhook.jfr;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.SettingDefinition;
import jdk.jfr.Timespan;

@Name(SlowConnectEvent.NAME)
@Label("Slow Connect")
@Description("An outbound TCP connect that took at least the connectThreshold setting to be established")
final class SlowConnectEvent extends ConnectionJfrEvent {
    static final String NAME = "bpfhook.SlowConnect";
    /** The setting's name in a .jfc; not "threshold", which every JFR event has already. */
    static final String THRESHOLD = "connectThreshold";

    @Label("Destination")
    @Description("Remote address and port, as the destination statistics name it")
    String destination;

    @Label("Connect Latency")
    @Description("From the connect() call to ESTABLISHED, by the kernel's timestamps")
    @Timespan(Timespan.NANOSECONDS)
    long latency;

    /** Evaluated by shouldCommit(): {@link #latency} must be set before. */
    @Label("Connect Threshold")
    @Description("Record connects that took at least this long")
    @Name(THRESHOLD)
    @SettingDefinition
    protected boolean connectThreshold(ConnectThresholdSetting threshold) {
        return threshold.reached(latency);
    }
}
