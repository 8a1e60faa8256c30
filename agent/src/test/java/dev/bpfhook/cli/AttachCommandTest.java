package dev.bpfhook.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** When the attach command tells the operator about the JDK's own warning (JEP 451) in the target's stderr. */
class AttachCommandTest {
    @Test
    void jdk21AndLaterWarnUnlessStartedWithTheFlag() {
        assertTrue(AttachCommand.warnsOfDynamicLoading("21", ""));
        assertTrue(AttachCommand.warnsOfDynamicLoading("25", "-Xmx1g -Dapp=1"));
        assertFalse(AttachCommand.warnsOfDynamicLoading("25", "-Xmx1g -XX:+EnableDynamicAgentLoading"));
        assertFalse(AttachCommand.warnsOfDynamicLoading(" 21 ", "-XX:+EnableDynamicAgentLoading"));
    }

    @Test
    void theLastOfTheFlagsCounts() {
        assertTrue(AttachCommand.warnsOfDynamicLoading("25",
                "-XX:+EnableDynamicAgentLoading -XX:-EnableDynamicAgentLoading"));
        assertFalse(AttachCommand.warnsOfDynamicLoading("25",
                "-XX:-EnableDynamicAgentLoading -XX:+EnableDynamicAgentLoading"));
    }

    @Test
    void olderOrUnknownJdksDoNotWarn() {
        assertFalse(AttachCommand.warnsOfDynamicLoading("11", ""));
        assertFalse(AttachCommand.warnsOfDynamicLoading("17", ""));
        assertFalse(AttachCommand.warnsOfDynamicLoading("20", ""));
        assertFalse(AttachCommand.warnsOfDynamicLoading("1.8", ""));
        assertFalse(AttachCommand.warnsOfDynamicLoading("", ""));
    }
}
