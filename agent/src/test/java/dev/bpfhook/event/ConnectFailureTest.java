package dev.bpfhook.event;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** errno of SYN_SENT -> CLOSE to a reason (Linux errno numbers). */
class ConnectFailureTest {
    @Test
    void connectionRefused111() {
        assertEquals(ConnectFailure.REFUSED, ConnectFailure.ofErrno(111));
    }

    @Test
    void timedOut110() {
        assertEquals(ConnectFailure.TIMED_OUT, ConnectFailure.ofErrno(110));
    }

    @Test
    void hostUnreachable113AndNetworkUnreachable101() {
        assertEquals(ConnectFailure.UNREACHABLE, ConnectFailure.ofErrno(113));
        assertEquals(ConnectFailure.UNREACHABLE, ConnectFailure.ofErrno(101));
    }

    @Test
    void reset104() {
        assertEquals(ConnectFailure.RESET, ConnectFailure.ofErrno(104));
    }

    @Test
    void noErrorIsAClosureByThisHost() {
        assertEquals(ConnectFailure.CLOSED_LOCALLY, ConnectFailure.ofErrno(0));
        assertEquals("closed locally", ConnectFailure.CLOSED_LOCALLY.text());
    }

    @Test
    void everythingElseIsOther() {
        for (int errno : new int[] {1, 13, 99, 100, 102, 103, 105, 112, 114, 115, 65535, -111}) {
            assertEquals(ConnectFailure.OTHER, ConnectFailure.ofErrno(errno), "errno " + errno);
        }
    }

    @Test
    void textsForReports() {
        assertEquals("refused", ConnectFailure.REFUSED.text());
        assertEquals("timed out", ConnectFailure.TIMED_OUT.text());
        assertEquals("unreachable", ConnectFailure.UNREACHABLE.text());
        assertEquals("reset", ConnectFailure.RESET.text());
        assertEquals("other", ConnectFailure.OTHER.text());
    }
}
