package dev.bpfhook.agent;

import dev.bpfhook.config.AgentConfig.LogLevel;
import java.io.PrintStream;

/**
 * The agent's voice on the application's stderr: one line per message,
 * prefixed "bpfhook:", filtered by the log= option. Deliberately not
 * java.util.logging: applications configure that, and must not see us there.
 */
final class AgentLog {
    private final PrintStream err;
    private volatile LogLevel level;

    AgentLog(PrintStream err, LogLevel level) {
        this.err = err;
        this.level = level;
    }

    void level(LogLevel newLevel) {
        level = newLevel;
    }

    void error(String message) {
        print(LogLevel.ERROR, message);
    }

    void warn(String message) {
        print(LogLevel.WARN, message);
    }

    void info(String message) {
        print(LogLevel.INFO, message);
    }

    void debug(String message) {
        print(LogLevel.DEBUG, message);
    }

    private void print(LogLevel messageLevel, String message) {
        if (level.allows(messageLevel)) {
            err.println("bpfhook: " + message);
        }
    }
}
