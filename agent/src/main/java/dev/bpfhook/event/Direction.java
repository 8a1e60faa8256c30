package dev.bpfhook.event;

/** enum bh_direction: which side opened the connection. */
public enum Direction {
    UNKNOWN,
    OUTBOUND,
    INBOUND;

    /** values() copies the array on every call. */
    private static final Direction[] BY_CODE = values();

    public static Direction of(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : UNKNOWN;
    }
}
