package dev.bpfhook.jfr;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.ParseException;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;

/**
 * The standalone monitor's --jfr FILE: a recording of this JVM with the
 * settings of jmx-config/bpfhook.jfc, the same file users give their own JVMs,
 * written to FILE when the session ends.
 */
public final class SessionRecording implements AutoCloseable {
    static final String SETTINGS = "/dev/bpfhook/jmx-config/bpfhook.jfc";

    private final Recording recording;

    private SessionRecording(Recording recording) {
        this.recording = recording;
    }

    public static SessionRecording start(Path file) throws IOException {
        Configuration settings;
        try (InputStream in = SessionRecording.class.getResourceAsStream(SETTINGS)) {
            if (in == null) {
                throw new IOException("the JFR settings " + SETTINGS + " are missing from the jar; rebuild it");
            }
            try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
                settings = Configuration.create(reader);
            }
        } catch (ParseException e) {
            throw new IOException("the JFR settings in the jar do not parse: " + e.getMessage());
        }
        Recording recording = new Recording(settings);
        recording.setName("bpfhook");
        recording.setToDisk(true);
        // written by JFR itself when the recording stops: also when the JVM ends on Ctrl-C or SIGTERM, where
        // JFR's own shutdown hook stops every recording, before or while the monitor's hook closes this one
        recording.setDestination(file);
        recording.setDumpOnExit(true);
        recording.start();
        return new SessionRecording(recording);
    }

    /**
     * Stops the recording, which writes it to the file. One that JFR stopped already (the JVM is ending) is
     * being written by JFR's own shutdown hook: left to it, as closing it would take its data away.
     */
    @Override
    public void close() throws IOException {
        if (recording.getState() != RecordingState.RUNNING) {
            return;
        }
        try {
            recording.stop();
        } finally {
            recording.close();
        }
    }
}
