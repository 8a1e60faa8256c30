package dev.bpfhook.jfr;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * The Java name of a thread of this JVM, by its kernel thread id. The JDK has no
 * API from a native tid to a Thread, but its thread dump prints both
 * ({@code "name" #12 ... nid=0x3a1f}); the dump is taken through the
 * DiagnosticCommand MBean when an unknown tid appears, at most once a second,
 * and cached. A thread that ended before the dump (events are read a few
 * milliseconds late) gets the kernel's name for it, which HotSpot sets to the
 * Java name cut to 15 characters.
 *
 * <p>Not thread-safe: used by the ring thread only, once per event, so the names found last are
 * kept in a small table by tid, in front of the map (no lock, no boxed key per event).
 */
final class JavaThreadNames {
    private static final long MIN_REFRESH_NANOS = 1_000_000_000L;
    private static final int MAX_CACHED = 10_000;
    private static final int RECENT_SLOTS = 256;
    private static final Pattern THREAD = Pattern.compile("^\"(.*)\" .*\\bnid=(0x[0-9a-f]+|\\d+)", Pattern.MULTILINE);

    private final int ownPid = (int) ProcessHandle.current().pid();
    private final Map<Integer, String> names = new HashMap<>();
    /* the latest names found, by tid modulo the slots; tid 0 (never looked up) marks an empty slot */
    private final int[] recentTids = new int[RECENT_SLOTS];
    private final String[] recentNames = new String[RECENT_SLOTS];
    private long lastRefresh = System.nanoTime() - MIN_REFRESH_NANOS;
    private boolean unavailable;

    /**
     * The Java thread name of {@code tid} in process {@code pid}, else its kernel name {@code comm};
     * empty when the thread is not one of this JVM's.
     */
    String nameOf(int pid, int tid, String comm) {
        if (pid != ownPid || tid == 0) {
            return "";
        }
        int slot = tid & (RECENT_SLOTS - 1);
        if (recentTids[slot] == tid) {
            return recentNames[slot];
        }
        String name = names.get(tid);
        if (name == null && !unavailable && System.nanoTime() - lastRefresh >= MIN_REFRESH_NANOS) {
            refresh();
            name = names.get(tid);
        }
        if (name == null) {
            return comm; // not remembered: a later dump may still find the thread
        }
        recentTids[slot] = tid;
        recentNames[slot] = name;
        return name;
    }

    private void refresh() {
        lastRefresh = System.nanoTime();
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            String dump = (String) server.invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
                    "threadPrint", new Object[] {new String[0]}, new String[] {String[].class.getName()});
            if (names.size() > MAX_CACHED) {
                names.clear();
            }
            Arrays.fill(recentTids, 0); // a tid may name another thread now
            Matcher m = THREAD.matcher(dump);
            while (m.find()) {
                String nid = m.group(2);
                int tid = nid.startsWith("0x") ? Integer.parseInt(nid.substring(2), 16) : Integer.parseInt(nid);
                names.put(tid, m.group(1));
            }
        } catch (Exception | LinkageError e) {
            unavailable = true; // not HotSpot, or no DiagnosticCommand: names stay empty
        }
    }
}
