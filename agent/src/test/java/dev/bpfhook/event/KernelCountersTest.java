package dev.bpfhook.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** struct bh_counters words, in the header's order: index = offset / 8. */
class KernelCountersTest {
    private static final int WORDS = 15; // 120 bytes / 8

    /** Every field set to a distinct value, in the order of struct bh_counters. */
    private static KernelCounters sample() {
        return new KernelCounters(new long[] {
            100, // 0 connect_attempts
            7, // 8 udp_connects
            80, // 16 outbound_established
            30, // 24 inbound_accepted
            20, // 32 failed_connects
            9, // 40 failed_refused
            4, // 48 failed_timed_out
            3, // 56 failed_unreachable
            1, // 64 failed_reset
            95, // 72 closed
            5000, // 80 bytes_sent
            7000, // 88 bytes_received
            12, // 96 retransmits
            6, // 104 preexisting
            2, // 112 failed_closed_locally
        });
    }

    @Test
    void readsEveryFieldAtItsOffset() {
        KernelCounters c = sample();

        assertEquals(100, c.connectAttempts());
        assertEquals(7, c.udpConnects());
        assertEquals(80, c.outboundEstablished());
        assertEquals(30, c.inboundAccepted());
        assertEquals(20, c.failedConnects());
        assertEquals(9, c.failed(ConnectFailure.REFUSED));
        assertEquals(4, c.failed(ConnectFailure.TIMED_OUT));
        assertEquals(3, c.failed(ConnectFailure.UNREACHABLE));
        assertEquals(1, c.failed(ConnectFailure.RESET));
        assertEquals(95, c.closed());
        assertEquals(5000, c.bytesSent());
        assertEquals(7000, c.bytesReceived());
        assertEquals(12, c.retransmits());
        assertEquals(6, c.preexisting());
        assertEquals(2, c.failed(ConnectFailure.CLOSED_LOCALLY));
    }

    @Test
    void activeIsEstablishedPlusAcceptedPlusPreexistingMinusClosed() {
        assertEquals(80 + 30 + 6 - 95, sample().activeConnections());
    }

    @Test
    void totalIsEstablishedPlusAcceptedPlusUdpConnects() {
        assertEquals(80 + 30, sample().tcpConnections());
        assertEquals(80 + 30 + 7, sample().totalConnections());
    }

    @Test
    void failedOtherIsFailedMinusTheNamedReasons() {
        assertEquals(20 - 9 - 4 - 3 - 1 - 2, sample().failed(ConnectFailure.OTHER));
    }

    @Test
    void plusAddsEveryWord() {
        long[] ones = new long[WORDS];
        for (int i = 0; i < WORDS; i++) {
            ones[i] = i + 1;
        }
        KernelCounters sum = sample().plus(new KernelCounters(ones));

        assertEquals(101, sum.connectAttempts());
        assertEquals(9, sum.udpConnects());
        assertEquals(83, sum.outboundEstablished());
        assertEquals(34, sum.inboundAccepted());
        assertEquals(25, sum.failedConnects());
        assertEquals(15, sum.failed(ConnectFailure.REFUSED));
        assertEquals(11, sum.failed(ConnectFailure.TIMED_OUT));
        assertEquals(11, sum.failed(ConnectFailure.UNREACHABLE));
        assertEquals(10, sum.failed(ConnectFailure.RESET));
        assertEquals(105, sum.closed());
        assertEquals(5011, sum.bytesSent());
        assertEquals(7012, sum.bytesReceived());
        assertEquals(25, sum.retransmits());
    }

    @Test
    void plusZeroChangesNothingAndLeavesOperandsAlone() {
        KernelCounters a = sample();
        KernelCounters sum = a.plus(KernelCounters.ZERO);

        assertEquals(100, sum.connectAttempts());
        assertEquals(12, sum.retransmits());
        assertEquals(100, a.connectAttempts());
        assertEquals(0, KernelCounters.ZERO.connectAttempts());
    }

    @Test
    void copiesTheArrayItIsGiven() {
        long[] words = new long[WORDS];
        words[0] = 5;
        KernelCounters c = new KernelCounters(words);
        words[0] = 6;

        assertEquals(5, c.connectAttempts());
    }

    @Test
    void constructorRejectsTooShortArrays() {
        assertThrows(IllegalArgumentException.class, () -> new KernelCounters(new long[WORDS - 1]));
        assertThrows(IllegalArgumentException.class, () -> new KernelCounters(new long[0]));
    }
}
