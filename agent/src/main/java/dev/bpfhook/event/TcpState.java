package dev.bpfhook.event;

/** The kernel's TCP states (include/net/tcp_states.h), by their kernel numbers. */
public enum TcpState {
    UNKNOWN,
    ESTABLISHED,
    SYN_SENT,
    SYN_RECV,
    FIN_WAIT1,
    FIN_WAIT2,
    TIME_WAIT,
    CLOSE,
    CLOSE_WAIT,
    LAST_ACK,
    LISTEN,
    CLOSING,
    NEW_SYN_RECV,
    BOUND_INACTIVE;

    /** values() copies the array on every call, and of() runs twice per event. */
    private static final TcpState[] BY_CODE = values();

    public static TcpState of(int code) {
        return code > 0 && code < BY_CODE.length ? BY_CODE[code] : UNKNOWN;
    }

    /** States a connection reaches only after its handshake completed. */
    public boolean afterHandshake() {
        switch (this) {
            case ESTABLISHED:
            case FIN_WAIT1:
            case FIN_WAIT2:
            case TIME_WAIT:
            case CLOSE_WAIT:
            case LAST_ACK:
            case CLOSING:
                return true;
            default:
                return false;
        }
    }
}
