package dev.bpfhook.jfr;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Timespan;

@Name("bpfhook.ConnectFailed")
@Label("Connect Failed")
@Description("A TCP connect of the watched cgroup failed (SYN_SENT, or a simultaneous open's SYN_RECV, to CLOSE), "
        + "with the reason")
final class ConnectFailedEvent extends ConnectionJfrEvent {
    @Label("Reason")
    @Description("refused, timed out, unreachable, reset or other")
    String reason;

    @Label("Errno")
    @Description("The socket's error number (111 ECONNREFUSED, 110 ETIMEDOUT, ...)")
    int errno;

    @Label("Time to Failure")
    @Description("From the connect to the failure; N/A when the connect was not seen")
    @Timespan(Timespan.NANOSECONDS)
    long timeToFailure; // not "duration": every JFR event has that field already
}
