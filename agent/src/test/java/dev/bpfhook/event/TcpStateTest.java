package dev.bpfhook.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Kernel numbering from include/net/tcp_states.h. */
class TcpStateTest {
    @Test
    void mapsKernelNumbers() {
        assertEquals(TcpState.ESTABLISHED, TcpState.of(1));
        assertEquals(TcpState.SYN_SENT, TcpState.of(2));
        assertEquals(TcpState.SYN_RECV, TcpState.of(3));
        assertEquals(TcpState.FIN_WAIT1, TcpState.of(4));
        assertEquals(TcpState.FIN_WAIT2, TcpState.of(5));
        assertEquals(TcpState.TIME_WAIT, TcpState.of(6));
        assertEquals(TcpState.CLOSE, TcpState.of(7));
        assertEquals(TcpState.CLOSE_WAIT, TcpState.of(8));
        assertEquals(TcpState.LAST_ACK, TcpState.of(9));
        assertEquals(TcpState.LISTEN, TcpState.of(10));
        assertEquals(TcpState.CLOSING, TcpState.of(11));
        assertEquals(TcpState.NEW_SYN_RECV, TcpState.of(12));
        assertEquals(TcpState.BOUND_INACTIVE, TcpState.of(13));
    }

    @Test
    void unknownNumbersAreUnknown() {
        assertEquals(TcpState.UNKNOWN, TcpState.of(0));
        assertEquals(TcpState.UNKNOWN, TcpState.of(14));
        assertEquals(TcpState.UNKNOWN, TcpState.of(255));
        assertEquals(TcpState.UNKNOWN, TcpState.of(-1));
    }

    @Test
    void afterHandshakeOnlyForStatesPastTheHandshake() {
        Set<TcpState> after = EnumSet.of(TcpState.ESTABLISHED, TcpState.FIN_WAIT1, TcpState.FIN_WAIT2,
                TcpState.TIME_WAIT, TcpState.CLOSE_WAIT, TcpState.LAST_ACK, TcpState.CLOSING);
        for (TcpState s : TcpState.values()) {
            if (after.contains(s)) {
                assertTrue(s.afterHandshake(), s.name());
            } else {
                assertFalse(s.afterHandshake(), s.name());
            }
        }
    }
}
