package dev.bpfhook.report;

import dev.bpfhook.container.ContainerInfo;
import dev.bpfhook.event.ConnectFailure;
import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.TcpState;

/**
 * One line per event for --show-events, e.g.
 * {@code STATE   PID:4242     java            TCP 127.0.0.1:45678 -> 127.0.0.1:8080 SYN_SENT -> ESTABLISHED}.
 * Endpoints are always local first; the arrow points from the side that opened
 * the connection: {@code ->} outbound, {@code <-} inbound.
 */
public final class EventLine {
    private final Attribution attribution;

    public EventLine(Attribution attribution) {
        this.attribution = attribution;
    }

    public String format(ConnectionEvent e) {
        StringBuilder line = new StringBuilder(160);
        line.append(String.format("%-7s PID:%-8s %-15s %s %s", e.kind(), e.pid() == 0 ? "-" : Integer.toString(e.pid()),
                e.comm().isEmpty() ? "-" : e.comm(), e.protocol(), endpoints(e)));
        if (e.kind() == EventKind.EXISTING) {
            line.append(' ').append(e.newState()).append(" (open before the monitor started)");
        }
        if (e.kind() == EventKind.STATE) {
            line.append(' ').append(e.oldState()).append(" -> ").append(e.newState());
            if (e.isFailedConnect()) {
                line.append(" (").append(failure(e.error())).append(')');
            } else if (e.newState() == TcpState.CLOSE) {
                line.append(String.format(" sent=%dB received=%dB rtt=%dus retrans=%d", e.bytesSent(),
                        e.bytesReceived(), e.srttUs(), e.retransmits()));
            }
        }
        line.append(" cgroup=").append(attribution.cgroupName(e.cgroupId()));
        ContainerInfo container = attribution.container(e.cgroupId());
        if (container.isContainer()) {
            line.append(" container=").append(container.label());
        }
        if (attribution.isContainer(e.cgroupId(), e.netnsCookie())) {
            line.append(" [CTR]");
        }
        return line.toString();
    }

    static String endpoints(ConnectionEvent e) {
        if (e.kind() == EventKind.CONNECT) {
            return "-> " + Endpoints.format(e.remote()); // not bound yet: only the destination is known
        }
        return Endpoints.pair(e.local(), e.remote(), e.direction());
    }

    static String failure(int errno) {
        ConnectFailure reason = ConnectFailure.ofErrno(errno);
        return reason == ConnectFailure.OTHER ? "failed, errno " + errno : reason.text();
    }
}
