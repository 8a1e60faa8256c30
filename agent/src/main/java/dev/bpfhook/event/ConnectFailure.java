package dev.bpfhook.event;

/**
 * Why a connect failed, from the socket's errno when SYN_SENT (or a simultaneous open's SYN_RECV) ended
 * in CLOSE. No errno at all means this host closed the socket before the handshake: the application gave
 * up (a Java connect timeout closes the socket while its SYN waits for an answer), or no local port was
 * free. A reset that answers the SYN is REFUSED (ECONNREFUSED); RESET is a simultaneous open reset in
 * SYN_RECV, the one connect the kernel fails with ECONNRESET.
 */
public enum ConnectFailure {
    REFUSED("refused"),
    TIMED_OUT("timed out"),
    UNREACHABLE("unreachable"),
    RESET("reset"),
    CLOSED_LOCALLY("closed locally"),
    OTHER("other");

    private static final int ECONNRESET = 104;
    private static final int ENETUNREACH = 101;
    private static final int ETIMEDOUT = 110;
    private static final int ECONNREFUSED = 111;
    private static final int EHOSTUNREACH = 113;

    private final String text;

    ConnectFailure(String text) {
        this.text = text;
    }

    public String text() {
        return text;
    }

    public static ConnectFailure ofErrno(int errno) {
        switch (errno) {
            case ECONNREFUSED:
                return REFUSED;
            case ETIMEDOUT:
                return TIMED_OUT;
            case EHOSTUNREACH:
            case ENETUNREACH:
                return UNREACHABLE;
            case ECONNRESET:
                return RESET;
            case 0:
                return CLOSED_LOCALLY;
            default:
                return OTHER;
        }
    }
}
