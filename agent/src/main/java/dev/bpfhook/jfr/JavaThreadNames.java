package dev.bpfhook.jfr;

import java.lang.management.ManagementFactory;
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
 */
final class JavaThreadNames {
    private static final long MIN_REFRESH_NANOS = 1_000_000_000L;
    private static final int MAX_CACHED = 10_000;
    private static final Pattern THREAD = Pattern.compile("^\"(.*)\" .*\\bnid=(0x[0-9a-f]+|\\d+)", Pattern.MULTILINE);

    private final int ownPid = (int) ProcessHandle.current().pid();
    private final Map<Integer, String> names = new HashMap<>();
    private long lastRefresh = System.nanoTime() - MIN_REFRESH_NANOS;
    private boolean unavailable;

    /**
     * The Java thread name of {@code tid} in process {@code pid}, else its kernel name {@code comm};
     * empty when the thread is not one of this JVM's.
     */
    synchronized String nameOf(int pid, int tid, String comm) {
        if (pid != ownPid || tid == 0) {
            return "";
        }
        String name = names.get(tid);
        if (name == null && !unavailable && System.nanoTime() - lastRefresh >= MIN_REFRESH_NANOS) {
            refresh();
            name = names.get(tid);
        }
        return name != null ? name : comm;
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
