package dev.bpfhook.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import org.junit.jupiter.api.Test;

class ConnectThresholdSettingTest {
    @Test
    void readsTimespansAsJfrWritesThem() {
        assertEquals(100_000_000L, ConnectThresholdSetting.parse("100 ms"));
        assertEquals(20_000_000L, ConnectThresholdSetting.parse("20ms"));
        assertEquals(1_000_000_000L, ConnectThresholdSetting.parse(" 1 s "));
        assertEquals(0, ConnectThresholdSetting.parse("0 ns"));
        assertEquals(250_000L, ConnectThresholdSetting.parse("250 us"));
        assertEquals(300_000_000_000L, ConnectThresholdSetting.parse("5 m"));
        assertEquals(7_200_000_000_000L, ConnectThresholdSetting.parse("2 h"));
        assertEquals(86_400_000_000_000L, ConnectThresholdSetting.parse("1 d"));
        assertEquals(Long.MAX_VALUE, ConnectThresholdSetting.parse("infinity"));
        assertEquals(Long.MAX_VALUE, ConnectThresholdSetting.parse("999999999 d"), "saturates");
    }

    @Test
    void rejectsWhatIsNoTimespan() {
        for (String bad : Arrays.asList(null, "", "ms", "100", "-1 ms", "1.5 s", "10 parsecs", "1 msec",
                "9999999999999999999 ns")) {
            assertEquals(-1, ConnectThresholdSetting.parse(bad), String.valueOf(bad));
        }
    }

    @Test
    void theLowestOfSeveralRecordingsWinsAndUnreadableOnesAreIgnored() {
        ConnectThresholdSetting setting = new ConnectThresholdSetting();

        assertEquals("20 ms", setting.combine(new LinkedHashSet<>(Arrays.asList("1 s", "20 ms", "bad", "infinity"))));
        assertEquals(ConnectThresholdSetting.DEFAULT, setting.combine(Collections.singleton("bad")));
        assertEquals(ConnectThresholdSetting.DEFAULT, setting.combine(Collections.emptySet()));
    }

    @Test
    void aConnectAtTheThresholdIsSlowAndAnUnreadableValueKeepsThePreviousOne() {
        ConnectThresholdSetting setting = new ConnectThresholdSetting();
        assertEquals("100 ms", setting.getValue(), "the default is the agent's slow-connect threshold");

        setting.setValue("250 ms");
        assertTrue(setting.reached(250_000_000L));
        assertFalse(setting.reached(249_999_999L));

        setting.setValue("soon");
        assertEquals("250 ms", setting.getValue());
        assertTrue(setting.reached(250_000_000L));
    }
}
