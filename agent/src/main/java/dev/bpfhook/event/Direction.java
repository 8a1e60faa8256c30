package dev.bpfhook.event;

/** enum bh_direction: which side opened the connection. */
public enum Direction {
    UNKNOWN,
    OUTBOUND,
    INBOUND;

    public static Direction of(int code) {
        return code >= 0 && code < values().length ? values()[code] : UNKNOWN;
    }
}
