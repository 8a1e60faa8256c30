package dev.bpfhook.report;

import dev.bpfhook.container.ContainerInfo;
import dev.bpfhook.destination.Destination;
import dev.bpfhook.destination.Destinations;
import dev.bpfhook.destination.HistogramSnapshot;
import dev.bpfhook.event.ConnectFailure;
import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.KernelCounters;
import dev.bpfhook.event.TcpState;
import dev.bpfhook.track.MonitorSnapshot;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/** --json output: one object per line, with a "type" of start, event or report. */
public final class JsonLines {
    private final Attribution attribution;

    public JsonLines(Attribution attribution) {
        this.attribution = attribution;
    }

    /** @param hooks one "hook=tier (not ...)" description per hook */
    public String start(String scope, long scopeId, List<String> hooks) {
        StringJoiner list = new StringJoiner(",", "[", "]");
        for (String hook : hooks) {
            StringBuilder quoted = new StringBuilder();
            Json.quote(quoted, hook);
            list.add(quoted);
        }
        return new Json().field("type", "start").field("scope", scope).field("scope_cgroup_id", scopeId)
                .raw("hooks", list.toString()).toString();
    }

    public String event(ConnectionEvent e) {
        Json json = new Json().field("type", "event")
                .field("kind", e.kind().name())
                .field("timestamp_ns", e.timestampNs())
                .field("socket_cookie", e.socketCookie())
                .field("pid", e.pid())
                .field("tid", e.tid())
                .field("comm", e.comm())
                .field("cgroup_id", e.cgroupId())
                .field("cgroup", attribution.cgroupName(e.cgroupId()))
                .field("netns_cookie", e.netnsCookie())
                .field("container", attribution.isContainer(e.cgroupId(), e.netnsCookie()));
        container(json, attribution.container(e.cgroupId()));
        json.field("protocol", e.protocol().name())
                .field("direction", e.direction().name())
                .field("local", Endpoints.format(e.local()))
                .field("remote", Endpoints.format(e.remote()));
        if (e.kind() == EventKind.EXISTING) {
            json.field("state", e.newState().name());
        }
        if (e.kind() == EventKind.STATE) {
            json.field("old_state", e.oldState().name()).field("new_state", e.newState().name());
            if (e.isFailedConnect()) {
                json.field("error", e.error()).field("failure", ConnectFailure.ofErrno(e.error()).name());
            }
            if (e.newState() == TcpState.CLOSE && !e.isFailedConnect()) {
                json.field("bytes_sent", e.bytesSent()).field("bytes_received", e.bytesReceived())
                        .field("srtt_us", e.srttUs()).field("retransmits", e.retransmits());
            }
        }
        return json.toString();
    }

    public String report(MonitorSnapshot s) {
        return report(s, 0);
    }

    /** @param linesNotWritten lines the writer of these reports could not take (its queue was full) */
    public String report(MonitorSnapshot s, long linesNotWritten) {
        return reportFields(s, linesNotWritten).toString();
    }

    /** With the destinations (the standalone monitor's --top) as "destinations". */
    public String report(MonitorSnapshot s, long linesNotWritten, Destinations destinations) {
        return reportFields(s, linesNotWritten).raw("destinations", destinations(destinations)).toString();
    }

    private Json reportFields(MonitorSnapshot s, long linesNotWritten) {
        StringJoiner cgroups = new StringJoiner(",", "[", "]");
        for (Map.Entry<Long, KernelCounters> e : s.byCgroup().entrySet()) {
            Json cgroup = new Json().field("cgroup_id", e.getKey())
                    .field("cgroup", attribution.cgroupName(e.getKey()))
                    .field("container", attribution.isContainerCgroup(e.getKey()));
            container(cgroup, attribution.container(e.getKey()));
            cgroups.add(counters(cgroup, e.getValue()).toString());
        }
        StringJoiner namespaces = new StringJoiner(",", "[", "]");
        for (Map.Entry<Long, KernelCounters> e : s.byNetns().entrySet()) {
            namespaces.add(counters(new Json().field("netns_cookie", e.getKey())
                    .field("container", attribution.isContainerNetns(e.getKey())), e.getValue()).toString());
        }
        return counters(new Json().field("type", "report"), s.total())
                .field("open_in_table", s.open().size())
                .field("events_received", s.eventsReceived())
                .field("events_lost", s.eventsLost())
                .field("events_dropped_in_kernel", s.kernelStats().eventsDropped())
                .field("events_undecodable", s.decodeErrors())
                .field("counter_updates_lost", s.kernelStats().countersFull())
                .field("missed_hook_runs", s.missedHookRuns())
                .field("closed_untracked", s.kernelStats().closedUntracked())
                .field("lines_not_written", linesNotWritten)
                .raw("cgroups", cgroups.toString())
                .raw("network_namespaces", namespaces.toString());
    }

    /**
     * {"top":N,"folded":F,"outbound":[...],"inbound":[...]}, each direction's destinations in the
     * order of the text report, "other" last. Latencies in whole microseconds, lifetimes in
     * milliseconds; a quantile of no values is 0 (its count says so).
     */
    String destinations(Destinations d) {
        return new Json().field("top", d.settings().top()).field("folded", d.folded())
                .field("slow_connect_us", d.settings().slowConnectMicros())
                .raw("outbound", destinationList(d.outbound()))
                .raw("inbound", destinationList(d.inbound())).toString();
    }

    private String destinationList(List<Destination> list) {
        StringJoiner array = new StringJoiner(",", "[", "]");
        for (Destination d : list) {
            Json json = new Json().field("destination", d.key().label()).field("other", d.key().isOther());
            if (!d.key().isOther()) {
                json.field("cgroup_id", d.key().cgroupId()).field("cgroup", attribution.cgroupName(d.key().cgroupId()));
                container(json, attribution.container(d.key().cgroupId()));
            }
            json.field("connections", d.connections())
                    .field("attempts", d.attempts())
                    .field("established", d.established())
                    .field("failed", d.failedTotal())
                    .field("failed_refused", d.failed().get(ConnectFailure.REFUSED))
                    .field("failed_timed_out", d.failed().get(ConnectFailure.TIMED_OUT))
                    .field("failed_unreachable", d.failed().get(ConnectFailure.UNREACHABLE))
                    .field("failed_reset", d.failed().get(ConnectFailure.RESET))
                    .field("failed_closed_locally", d.failed().get(ConnectFailure.CLOSED_LOCALLY))
                    .field("failed_other", d.failed().get(ConnectFailure.OTHER))
                    .field("active", d.active())
                    .field("closed", d.closed())
                    .field("evicted", d.evicted())
                    .field("bytes_sent", d.bytesSent())
                    .field("bytes_received", d.bytesReceived())
                    .field("retransmits", d.retransmits())
                    .field("slow_connects", d.slowConnects());
            quantiles(json, "connect", "us", d.connectLatencyUs());
            quantiles(json, "accept_wait", "us", d.acceptWaitUs());
            array.add(json.field("lifetime_count", d.lifetimeMs().count())
                    .field("lifetime_p50_ms", Math.round(d.lifetimeMs().quantile(0.5)))
                    .field("new_last_minute", d.newLastMinute())
                    .field("churning", d.churning()).toString());
        }
        return array.toString();
    }

    private static void quantiles(Json json, String name, String unit, HistogramSnapshot h) {
        json.field(name + "_count", h.count())
                .field(name + "_p50_" + unit, Math.round(h.quantile(0.5)))
                .field(name + "_p99_" + unit, Math.round(h.quantile(0.99)))
                .field(name + "_max_" + unit, h.max());
    }

    /** Container fields, present only when known: container_id, container_runtime, pod_uid, service. */
    private static void container(Json json, ContainerInfo c) {
        if (!c.id().isEmpty()) {
            json.field("container_id", c.id());
        }
        c.runtime().ifPresent(r -> json.field("container_runtime", r));
        c.podUid().ifPresent(p -> json.field("pod_uid", p));
        c.serviceName().ifPresent(s -> json.field("service", s));
    }

    private static Json counters(Json json, KernelCounters c) {
        return json.field("total_connections", c.totalConnections())
                .field("active_connections", c.activeConnections())
                .field("connect_attempts", c.connectAttempts())
                .field("outbound_established", c.outboundEstablished())
                .field("inbound_accepted", c.inboundAccepted())
                .field("udp_connects", c.udpConnects())
                .field("failed_connects", c.failedConnects())
                .field("failed_refused", c.failed(ConnectFailure.REFUSED))
                .field("failed_timed_out", c.failed(ConnectFailure.TIMED_OUT))
                .field("failed_unreachable", c.failed(ConnectFailure.UNREACHABLE))
                .field("failed_reset", c.failed(ConnectFailure.RESET))
                .field("failed_closed_locally", c.failed(ConnectFailure.CLOSED_LOCALLY))
                .field("preexisting", c.preexisting())
                .field("closed", c.closed())
                .field("bytes_sent", c.bytesSent())
                .field("bytes_received", c.bytesReceived())
                .field("retransmits", c.retransmits());
    }
}
