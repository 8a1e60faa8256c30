package dev.bpfhook.bridge;

/** A bridge could not start; the message says why and how to fix it, in one line. */
public final class BridgeException extends Exception {
    private static final long serialVersionUID = 1L;

    public BridgeException(String message) {
        super(message);
    }
}
