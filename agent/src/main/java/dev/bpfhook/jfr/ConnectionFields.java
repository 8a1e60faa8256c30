package dev.bpfhook.jfr;

import dev.bpfhook.event.EventRecord;
import dev.bpfhook.report.Attribution;

/**
 * Fills the fields every connection event has ({@link ConnectionJfrEvent}) from a kernel event.
 * Flight Recorder copies each string into the recording, so its texts need not be new objects:
 * the Java thread name, the cgroup path, the container id and the address texts are looked up once
 * and reused, as building them per event would cost more than the commit itself.
 *
 * <p>Not thread-safe: used by the ring thread only.
 */
final class ConnectionFields {
    private final JavaThreadNames threads = new JavaThreadNames();
    private final CgroupTexts cgroups;
    private final AddressTexts addresses = new AddressTexts();

    ConnectionFields(Attribution attribution) {
        this.cgroups = new CgroupTexts(attribution);
    }

    /** The fields of the kernel event {@code e}. */
    void fill(ConnectionJfrEvent target, EventRecord e) {
        target.kernelTimestamp = e.timestampNs();
        target.socketCookie = e.socketCookie();
        target.pid = e.pid();
        target.tid = e.tid();
        target.processName = e.comm();
        target.javaThread = threads.nameOf(e.pid(), e.tid(), e.comm());
        target.cgroupId = e.cgroupId();
        target.cgroup = cgroups.name(e.cgroupId(), e.timestampNs());
        target.containerId = cgroups.containerId(e.cgroupId(), e.timestampNs());
        target.netnsCookie = e.netnsCookie();
        target.protocol = e.protocol().name();
        target.direction = e.direction().name();
        target.localAddress = addresses.of(e.localFamily(), e.localAddressHi(), e.localAddressLo());
        target.localPort = e.localPort();
        target.remoteAddress = addresses.of(e.remoteFamily(), e.remoteAddressHi(), e.remoteAddressLo());
        target.remotePort = e.remotePort();
    }
}
