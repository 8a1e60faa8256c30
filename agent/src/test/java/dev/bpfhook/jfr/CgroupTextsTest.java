package dev.bpfhook.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bpfhook.container.HostIdentity;
import dev.bpfhook.report.Attribution;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CgroupTextsTest {
    private static final long SECOND = CgroupTexts.RECHECK_NS;
    private static final String CONTAINER = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private final Map<Long, String> names = new HashMap<>();
    private final Map<Long, Integer> lookups = new HashMap<>();
    private final CgroupTexts texts = new CgroupTexts(new Attribution(new HostIdentity(1), id -> {
        lookups.merge(id, 1, Integer::sum);
        return names.getOrDefault(id, "cgroup:" + id);
    }));

    @Test
    void aCgroupIsNamedOnceASecondOfKernelTime() {
        names.put(7L, "/system.slice/shop.service");

        for (long ns = 0; ns < SECOND; ns += SECOND / 10) {
            assertEquals("/system.slice/shop.service", texts.name(7, ns));
        }
        int inTheFirstSecond = lookups.get(7L);
        names.put(7L, "/system.slice/renamed.service");
        assertEquals("/system.slice/renamed.service", texts.name(7, SECOND));

        assertEquals(lookups.get(7L), inTheFirstSecond + 1, "one look-up more, a second later");
    }

    @Test
    void eventsOfSeveralCgroupsInTurnDoNotNameThemAgain() {
        names.put(7L, "/a.slice");
        names.put(8L, "/docker/" + CONTAINER);

        texts.name(7, 0);
        texts.name(8, 0);
        Map<Long, Integer> afterTheFirst = new HashMap<>(lookups);
        for (int i = 0; i < 100; i++) {
            assertEquals("/a.slice", texts.name(7, i));
            assertEquals("", texts.containerId(7, i), "the host");
            assertEquals("/docker/" + CONTAINER, texts.name(8, i));
            assertEquals(CONTAINER, texts.containerId(8, i));
        }

        assertEquals(afterTheFirst, lookups);
    }

    @Test
    void aClockThatWentBackNamesItAgain() {
        names.put(7L, "/a.slice");
        texts.name(7, 5 * SECOND);
        names.put(7L, "/b.slice");

        assertEquals("/b.slice", texts.name(7, SECOND));
    }

    @Test
    void cgroupZeroIsNamedLikeAnyOther() {
        assertEquals("cgroup:0", texts.name(0, 0), "an empty slot's id is 0 too: not taken for a cached name");
    }
}
