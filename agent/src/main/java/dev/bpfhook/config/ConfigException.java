package dev.bpfhook.config;

/** A user's option or value is wrong; the message names the cause and the fix, in one line. */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
