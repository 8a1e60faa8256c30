package dev.bpfhook.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HostIdentityTest {
    private final HostIdentity host = new HostIdentity(4026531840L);

    @Test
    void anotherNetworkNamespaceIsNotTheHosts() {
        assertTrue(host.isOtherNetns(4026532000L));
    }

    @Test
    void theHostsOwnNamespaceIsNotOther() {
        assertFalse(host.isOtherNetns(4026531840L));
    }

    @Test
    void anUnknownCookieOnEitherSideDecidesNothing() {
        assertFalse(host.isOtherNetns(0), "the connection's namespace unknown");
        assertFalse(new HostIdentity(0).isOtherNetns(4026532000L), "the host's namespace unknown");
    }

    @Test
    void keepsWhatItWasGiven() {
        assertEquals(4026531840L, host.hostNetnsCookie());
    }
}
