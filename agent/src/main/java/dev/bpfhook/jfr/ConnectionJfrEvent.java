package dev.bpfhook.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.StackTrace;
import jdk.jfr.Unsigned;

/**
 * The fields every bpfhook connection event has: who (process, thread, cgroup,
 * container, namespace) and which connection (protocol, direction, ends). The
 * kernel's own timestamp is kept, as JFR stamps the event when the agent reads
 * it, a few milliseconds later.
 */
@Category({"bpfhook", "Connections"})
@Enabled(false) // on only where a recording's settings say so (jmx-config/bpfhook.jfc): free otherwise
@StackTrace(false) // committed by the agent's ring thread: its stack says nothing about the connection
abstract class ConnectionJfrEvent extends Event {
    @Label("Kernel Timestamp")
    @Description("When the kernel saw it: CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns)")
    @Unsigned
    long kernelTimestamp;

    @Label("Socket Cookie")
    @Description("The kernel's socket cookie: one connection's key across all its events")
    @Unsigned
    long socketCookie;

    @Label("PID")
    @Description("Process that connected or accepted; 0 when not known")
    int pid;

    @Label("TID")
    @Description("Thread that connected or accepted; 0 when not known")
    int tid;

    @Label("Process Name")
    @Description("The kernel's name (comm) of the thread that connected or accepted")
    String processName;

    @Label("Java Thread")
    @Description("The Java thread's name, when the thread belongs to this JVM (its first 15 characters when the "
            + "thread ended before the agent could look it up)")
    String javaThread;

    @Label("Cgroup ID")
    @Description("cgroup v2 id (inode of its directory)")
    @Unsigned
    long cgroupId;

    @Label("Cgroup")
    @Description("cgroup path below the cgroup v2 root")
    String cgroup;

    @Label("Container ID")
    @Description("Full id of the container the cgroup belongs to; empty for the host")
    String containerId;

    @Label("Network Namespace Cookie")
    @Description("bpf_get_netns_cookie of the socket's network namespace")
    @Unsigned
    long netnsCookie;

    @Label("Protocol")
    @Description("TCP or UDP")
    String protocol;

    @Label("Direction")
    @Description("OUTBOUND (this side connected), INBOUND (a peer connected here) or UNKNOWN")
    String direction;

    @Label("Local Address")
    String localAddress;

    @Label("Local Port")
    int localPort;

    @Label("Remote Address")
    String remoteAddress;

    @Label("Remote Port")
    int remotePort;
}
