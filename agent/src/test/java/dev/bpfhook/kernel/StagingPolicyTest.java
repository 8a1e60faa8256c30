package dev.bpfhook.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StagingPolicyTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void aCpuIsStagedFromEightRecordsPerFlushAgeUntilItFallsBelowHalfOfThat() {
        assertEquals(4000, StagingPolicy.STAGE_FROM, "eight records in 2 ms");
        StagingPolicy policy = new StagingPolicy(2);
        long[] made = {0, 0};
        long now = 5 * SECOND;
        policy.look(now, made); // notes the counts only
        assertFalse(policy.staged(0));

        now += SECOND / 10;
        made[0] += 400; // 4000 a second
        made[1] += 399;
        policy.look(now, made);
        assertTrue(policy.staged(0), "at the line");
        assertFalse(policy.staged(1), "below it");

        now += SECOND / 10;
        made[0] += 200; // 2000 a second: still staged
        made[1] += 390; // 3900: still not
        policy.look(now, made);
        assertTrue(policy.staged(0), "half the line keeps a staged CPU staged");
        assertFalse(policy.staged(1), "under the line does not stage one");

        now += SECOND / 10;
        made[0] += 199;
        policy.look(now, made);
        assertFalse(policy.staged(0), "below half: back to the ring");
    }

    @Test
    void theFirstLookOnlyNotesTheCountsAndLooksComeAWindowApart() {
        StagingPolicy policy = new StagingPolicy(1);
        long now = 7 * SECOND;
        assertTrue(policy.due(now), "the first look is due at once");
        policy.look(now, new long[] {1_000_000}); // records made before the agent came: not a rate
        assertFalse(policy.staged(0));
        assertFalse(policy.due(now + StagingPolicy.WINDOW_NS - 1));
        assertTrue(policy.due(now + StagingPolicy.WINDOW_NS));
        policy.look(now + StagingPolicy.WINDOW_NS, new long[] {1_000_000 + 80}); // 80 in 20 ms: 4000 a second
        assertTrue(policy.staged(0));
    }
}
