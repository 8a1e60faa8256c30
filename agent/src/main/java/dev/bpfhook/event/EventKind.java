package dev.bpfhook.event;

/** enum bh_event_kind. */
public enum EventKind {
    /** connect() on a TCP or UDP socket. */
    CONNECT(1),
    /** accept() returned an inbound TCP connection. */
    ACCEPT(2),
    /** A TCP state transition. */
    STATE(3),
    /** A connection that was open before the monitor started, listed once at start. */
    EXISTING(4);

    private final int code;

    EventKind(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The kind for a code, or null for a code this agent does not know. */
    public static EventKind of(int code) {
        for (EventKind kind : values()) {
            if (kind.code == code) {
                return kind;
            }
        }
        return null;
    }
}
