package dev.bpfhook.jmx;

import dev.bpfhook.destination.Destinations;
import dev.bpfhook.track.MonitorSnapshot;
import java.util.List;
import java.util.Optional;

/** What the MBeans read: the agent's state and, while it runs, its snapshots. Implemented by the agent. */
public interface MonitorState {
    /** STARTING, RUNNING, DEGRADED or DISABLED. */
    String state();

    /** Why it is not RUNNING; empty when it is. */
    String reason();

    /** The watched cgroup's path below the cgroup v2 root, or empty before it is known. */
    String scope();

    long scopeCgroupId();

    List<HookInfo> hooks();

    /** A recent snapshot (cached briefly, so that a console reading many attributes reads the kernel once). */
    Optional<MonitorSnapshot> snapshot();

    boolean kernelStatsEnabled();

    List<ProgramInfo> programs();

    /** Drops a removed, idle cgroup's kernel counters; its counts stay in the totals. */
    boolean retireCgroup(long cgroupId);

    /** Per-destination statistics (cached briefly), while the monitor runs. */
    Optional<Destinations> destinations();

    /*
     * Run-time control, the ConnectionMonitor's operations. Each logs one line and returns it;
     * each throws IllegalStateException (with the agent's state and reason) when the monitor does
     * not run, and IllegalArgumentException for a value out of range.
     */

    String setDestinationTop(int top);

    String setSlowConnectThresholdMillis(long millis);

    String resetDestinationStatistics();

    /** Pauses (false) or resumes (true) the per-event outputs; counting goes on. */
    String setEventEmission(boolean on);

    boolean eventEmission();

    /** Events not handed to the outputs while emission was paused. */
    long eventsNotEmitted();

    /**
     * Detaches the agent from the kernel and the JVM: hooks, outputs and these MBeans go, as at the JVM's exit,
     * and a later attach may load it again.
     */
    String detach();
}
