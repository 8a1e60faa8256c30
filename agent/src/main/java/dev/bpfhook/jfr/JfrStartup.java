package dev.bpfhook.jfr;

import java.lang.management.ManagementFactory;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;

/**
 * With -XX:StartFlightRecording the JVM starts Flight Recorder on its main thread, right after the
 * agent's premain, while the agent's loader thread may already register its events. On JDK 17 the
 * two can deadlock for good (each waits for a class initialization in jdk.jfr the other holds up:
 * seen in a test, with the application's main thread hung). So the agent lets such a startup
 * recording finish starting before it touches Flight Recorder, only reading a volatile flag
 * meanwhile. Without one, nothing waits: a recording started later (jcmd JFR.start) finds the
 * events registered long before.
 */
public final class JfrStartup {
    private static final long WAIT_MS = 10_000;

    private JfrStartup() {
    }

    /** Returns once a recording asked for on the command line runs (or after a bounded wait). */
    public static void awaitCommandLineRecording() throws InterruptedException {
        if (!recordingOnCommandLine()) {
            return;
        }
        long end = System.nanoTime() + WAIT_MS * 1_000_000;
        while (!FlightRecorder.isInitialized() && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        while (FlightRecorder.isInitialized() && !running() && System.nanoTime() < end) {
            Thread.sleep(10);
        }
    }

    private static boolean running() {
        for (Recording r : FlightRecorder.getFlightRecorder().getRecordings()) {
            if (r.getState() == RecordingState.RUNNING) {
                return true;
            }
        }
        return false;
    }

    private static boolean recordingOnCommandLine() {
        for (String argument : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (argument.startsWith("-XX:StartFlightRecording")) {
                return true;
            }
        }
        return false;
    }
}
