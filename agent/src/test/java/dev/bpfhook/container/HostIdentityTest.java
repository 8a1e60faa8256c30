package dev.bpfhook.container;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HostIdentityTest {
    private final HostIdentity host = new HostIdentity(100, 4026531840L);

    @Test
    void sameCgroupAndNamespaceIsHost() {
        assertFalse(host.isContainer(100, 4026531840L));
    }

    @Test
    void otherCgroupIsContainer() {
        assertTrue(host.isContainer(200, 4026531840L));
    }

    @Test
    void otherNamespaceIsContainer() {
        assertTrue(host.isContainer(100, 4026532000L));
    }

    @Test
    void unknownIdsCountAsHost() {
        assertFalse(host.isContainer(0, 0));
        assertFalse(host.isContainer(100, 0));
        assertFalse(host.isContainer(0, 4026531840L));
    }

    @Test
    void namespacesAreIgnoredWhenOwnCookieIsUnknown() {
        HostIdentity noNetns = new HostIdentity(100, 0);

        assertFalse(noNetns.isContainer(100, 4026532000L));
        assertTrue(noNetns.isContainer(200, 4026532000L));
    }
}
