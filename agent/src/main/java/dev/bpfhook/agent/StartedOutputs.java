package dev.bpfhook.agent;

import java.util.ArrayList;
import java.util.List;

/**
 * The outputs that started, for the shutdown hook to close, and whether the JVM has begun to exit.
 * The loader starts outputs while the application runs, and a short-lived application may exit at
 * any moment of it. The hook never waits for the loader: it closes what started so far, and an
 * output that finishes starting after that is closed at once instead of kept. Kept, nothing would
 * close it, and the JVM would wait at exit for its threads (an HTTP server's selector sits in a
 * native call, which holds up HotSpot's exit by up to 300 ms).
 */
final class StartedOutputs {
    private final List<AgentOutput> started = new ArrayList<>();
    private boolean closing;

    /** True once {@link #closeAll} began: the loader then starts nothing more. */
    synchronized boolean closing() {
        return closing;
    }

    /** Keeps a started output for {@link #closeAll}; when that began already, closes it now and says false. */
    boolean keep(AgentOutput output) {
        synchronized (this) {
            if (!closing) {
                started.add(output);
                return true;
            }
        }
        closeQuietly(output);
        return false;
    }

    /** The names of the outputs kept so far, in the order they started. */
    synchronized List<String> names() {
        List<String> names = new ArrayList<>();
        for (AgentOutput output : started) {
            names.add(output.name());
        }
        return names;
    }

    /** Closes the outputs kept, in the order they started; from now on none is kept. */
    void closeAll() {
        List<AgentOutput> toClose;
        synchronized (this) {
            closing = true;
            toClose = new ArrayList<>(started);
            started.clear();
        }
        for (AgentOutput output : toClose) {
            closeQuietly(output);
        }
    }

    private static void closeQuietly(AgentOutput output) {
        try {
            output.close();
        } catch (RuntimeException e) {
            // closing one output must not keep the others, or the hooks, open
        }
    }
}
