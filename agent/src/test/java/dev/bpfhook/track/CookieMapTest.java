package dev.bpfhook.track;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CookieMapTest {
    private final CookieMap<String> map = new CookieMap<>();

    @Test
    void putGetAndRemoveOneKey() {
        assertNull(map.put(42, "a"));

        assertEquals("a", map.get(42));
        assertEquals(1, map.size());
        assertEquals("a", map.remove(42));
        assertNull(map.get(42));
        assertNull(map.remove(42), "removing again finds nothing");
        assertEquals(0, map.size());
    }

    @Test
    void putReplacesAndReturnsTheFormerValue() {
        map.put(7, "a");

        assertEquals("a", map.put(7, "b"));
        assertEquals("b", map.get(7));
        assertEquals(1, map.size());
    }

    @Test
    void zeroNegativeAndExtremeKeysAreKeysLikeAnyOther() {
        long[] keys = {0, -1, Long.MIN_VALUE, Long.MAX_VALUE, 1};
        for (long k : keys) {
            map.put(k, "v" + k);
        }

        for (long k : keys) {
            assertEquals("v" + k, map.get(k));
        }
        assertNull(map.get(2));
        assertEquals(keys.length, map.size());
    }

    @Test
    void nullValuesAreRefused() {
        assertThrows(NullPointerException.class, () -> map.put(1, null));
    }

    @Test
    void growsPastHalfFullAndKeepsEveryKey() {
        int initial = map.capacity();
        for (long k = 1; k <= 10_000; k++) {
            map.put(k, "v" + k);
            assertTrue(map.size() <= map.capacity() / 2, "never more than half full");
        }

        assertTrue(map.capacity() > initial);
        for (long k = 1; k <= 10_000; k++) {
            assertEquals("v" + k, map.get(k));
        }
        assertNull(map.get(10_001));
    }

    @Test
    void keysOfOneHomeSlotAreAllFoundAndRemovingOneKeepsTheOthersFindable() {
        int mask = map.capacity() - 1;
        List<Long> colliding = keysWithHome(3, mask, 4);
        for (long k : colliding) {
            map.put(k, "v" + k);
        }

        assertEquals("v" + colliding.get(1), map.remove(colliding.get(1)), "a key in the middle of the chain");
        assertEquals("v" + colliding.get(0), map.remove(colliding.get(0)), "the head of the chain");

        assertNull(map.get(colliding.get(0)));
        assertNull(map.get(colliding.get(1)));
        assertEquals("v" + colliding.get(2), map.get(colliding.get(2)));
        assertEquals("v" + colliding.get(3), map.get(colliding.get(3)));
        assertEquals(2, map.size());
    }

    @Test
    void aChainThatWrapsPastTheLastSlotSurvivesRemovals() {
        int mask = map.capacity() - 1;
        List<Long> atEnd = keysWithHome(mask, mask, 3); // the chain runs over the end into slots 0 and 1
        long homeZero = keysWithHome(0, mask, 1).get(0); // its own home is taken by the chain: it moves on
        for (long k : atEnd) {
            map.put(k, "v" + k);
        }
        map.put(homeZero, "zero");

        map.remove(atEnd.get(0));

        assertEquals("v" + atEnd.get(1), map.get(atEnd.get(1)));
        assertEquals("v" + atEnd.get(2), map.get(atEnd.get(2)));
        assertEquals("zero", map.get(homeZero));
        map.remove(atEnd.get(2));
        assertEquals("zero", map.get(homeZero));
        assertEquals("v" + atEnd.get(1), map.get(atEnd.get(1)));
    }

    @Test
    void behavesLikeAHashMapUnderRandomChurn() {
        Map<Long, String> model = new HashMap<>();
        Random random = new Random(20261126);
        for (int i = 0; i < 200_000; i++) {
            long key = random.nextInt(500); // few keys: long probe chains, many removals inside them
            int op = random.nextInt(3);
            if (op == 0) {
                assertEquals(model.put(key, "v" + i), map.put(key, "v" + i));
            } else if (op == 1) {
                assertEquals(model.remove(key), map.remove(key));
            } else {
                assertEquals(model.get(key), map.get(key));
            }
            assertEquals(model.size(), map.size());
        }
        for (long k = 0; k < 500; k++) {
            assertEquals(model.get(k), map.get(k));
        }
    }

    /** The first {@code n} keys from 1 up whose probe starts at {@code slot}. */
    private static List<Long> keysWithHome(int slot, int mask, int n) {
        List<Long> keys = new ArrayList<>();
        for (long k = 1; keys.size() < n; k++) {
            if (CookieMap.home(k, mask) == slot) {
                keys.add(k);
            }
        }
        return keys;
    }
}
