package dev.bpfhook.jfr;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * The Java name of a thread of this JVM, by its kernel thread id. The JDK has no
 * API from a native tid to a Thread, but its thread dump prints both
 * ({@code "name" #12 ... nid=0x3a1f}); the dump is taken through the
 * DiagnosticCommand MBean when an unknown tid appears, and cached. A thread that
 * ended before the dump (events are read a few milliseconds late), or a native
 * thread the dump does not list, gets the kernel's name for it, which HotSpot
 * sets to the Java name cut to 15 characters.
 *
 * <p>A thread dump stops the application at a safepoint for as long as it takes (10 ms for 500
 * threads with deep stacks, measured here), so dumps are rare and bounded: at most one a second, and
 * after a dump that took d, none for 1000 d (at most 0.1% of the time stopped for them, however many
 * threads the application has or starts); a tid that a dump did not list never asks for another.
 *
 * <p>Not thread-safe: used by the ring thread only, once per event, so the names found last are
 * kept in a small table by tid, in front of the map (no lock, no boxed key per event).
 */
final class JavaThreadNames {
    private static final long MIN_REFRESH_NANOS = 1_000_000_000L;
    /** After a dump that took d, the next waits 1000 d: at most 0.1% of the time in dumps. */
    private static final long DUMP_TIME_FACTOR = 1000;
    private static final int MAX_CACHED = 10_000;
    private static final int RECENT_SLOTS = 256;
    private static final Pattern THREAD = Pattern.compile("^\"(.*)\" .*\\bnid=(0x[0-9a-f]+|\\d+)", Pattern.MULTILINE);

    private final int ownPid = (int) ProcessHandle.current().pid();
    private final Supplier<String> threadDump;
    private final LongSupplier clock;
    private final Map<Integer, String> names = new HashMap<>();
    /** Tids a dump did not list (native threads, threads that ended): they never ask for another dump. */
    private final Set<Integer> unlisted = new HashSet<>();
    /*
     * the latest answers, by tid modulo the slots (the kernel's name for a tid no dump listed, until the
     * next dump); tid 0 (never looked up) marks an empty slot
     */
    private final int[] recentTids = new int[RECENT_SLOTS];
    private final String[] recentNames = new String[RECENT_SLOTS];
    private long nextRefresh;
    private long dumps;
    private boolean unavailable;

    JavaThreadNames() {
        this(JavaThreadNames::hotSpotThreadDump, System::nanoTime);
    }

    /** With another source of thread dumps and another clock (nanoseconds): for tests. */
    JavaThreadNames(Supplier<String> threadDump, LongSupplier clock) {
        this.threadDump = threadDump;
        this.clock = clock;
        this.nextRefresh = clock.getAsLong();
    }

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
        if (name == null && !unlisted.contains(tid)) {
            if (unavailable || clock.getAsLong() - nextRefresh < 0) {
                return comm; // no dump now: asked again at the thread's next event
            }
            refresh();
            name = names.get(tid);
            if (name == null) {
                unlisted.add(tid);
            }
        }
        if (name == null) {
            name = comm; // not listed: a native thread, or one that ended before the dump
        }
        recentTids[slot] = tid;
        recentNames[slot] = name;
        return name;
    }

    /** Thread dumps taken so far. */
    long dumps() {
        return dumps;
    }

    private void refresh() {
        long start = clock.getAsLong();
        String dump;
        try {
            dump = threadDump.get();
        } catch (RuntimeException | LinkageError e) {
            unavailable = true; // not HotSpot, or no DiagnosticCommand: names stay empty
            return;
        } finally {
            dumps++;
            long took = clock.getAsLong() - start;
            nextRefresh = start + Math.max(MIN_REFRESH_NANOS, took * DUMP_TIME_FACTOR);
        }
        if (names.size() > MAX_CACHED) {
            names.clear();
        }
        if (unlisted.size() > MAX_CACHED) {
            unlisted.clear();
        }
        Arrays.fill(recentTids, 0); // a tid may name another thread now
        Matcher m = THREAD.matcher(dump);
        while (m.find()) {
            String nid = m.group(2);
            int tid = nid.startsWith("0x") ? Integer.parseInt(nid.substring(2), 16) : Integer.parseInt(nid);
            names.put(tid, m.group(1));
            unlisted.remove(tid);
        }
    }

    private static String hotSpotThreadDump() {
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            return (String) server.invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
                    "threadPrint", new Object[] {new String[0]}, new String[] {String[].class.getName()});
        } catch (javax.management.JMException e) {
            throw new IllegalStateException(e);
        }
    }
}
