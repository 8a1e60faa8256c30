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

    /** Indexed by code (values() would copy its array on every call). */
    private static final EventKind[] BY_CODE = byCode();

    private final int code;

    EventKind(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    private static EventKind[] byCode() {
        int max = 0;
        for (EventKind kind : values()) {
            max = Math.max(max, kind.code);
        }
        EventKind[] byCode = new EventKind[max + 1];
        for (EventKind kind : values()) {
            byCode[kind.code] = kind;
        }
        return byCode;
    }

    /** The kind for a code, or null for a code this agent does not know. */
    public static EventKind of(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
