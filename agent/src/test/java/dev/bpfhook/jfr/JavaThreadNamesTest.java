package dev.bpfhook.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class JavaThreadNamesTest {
    private static final long MILLISECOND = 1_000_000L;
    private static final long SECOND = 1_000_000_000L;
    /** Two threads as HotSpot's thread dump prints them. */
    private static final String DUMP = "\"worker-1\" #12 daemon prio=5 os_prio=0 cpu=1.00ms elapsed=2.00s tid=0x00007f nid=0x65 "
            + "waiting on condition  [0x00007f]\n"
            + "\"a name longer than fifteen\" #13 prio=5 os_prio=0 cpu=1.00ms elapsed=2.00s tid=0x00007f nid=0x66 runnable\n";
    private final int ownPid = (int) ProcessHandle.current().pid();

    @Test
    void findsTheJavaNameOfAThreadOfThisJvmByItsKernelThreadId() throws Exception {
        AtomicInteger tid = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            tid.set(ownTid());
            started.countDown();
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "a Java name longer than fifteen characters");
        t.start();
        started.await();
        try {
            JavaThreadNames names = new JavaThreadNames();
            assertEquals("a Java name longer than fifteen characters", names.nameOf(ownPid, tid.get(), "a Java name lon"));
            assertEquals("a Java name longer than fifteen characters", names.nameOf(ownPid, tid.get(), "a Java name lon"),
                    "the second time from the table");
        } finally {
            done.countDown();
            t.join();
        }
    }

    /** A tid no dump lists (a native thread, one that ended) gets its kernel name, and asks for one dump only. */
    @Test
    void aThreadTheDumpDoesNotListAsksForOneDumpOnly() {
        long[] now = {0};
        JavaThreadNames names = new JavaThreadNames(() -> DUMP, () -> now[0]);
        assertEquals("worker-1", names.nameOf(ownPid, 101, "worker-1"), "listed");
        assertEquals(1, names.dumps());
        now[0] += 5 * SECOND;
        assertEquals("native-io", names.nameOf(ownPid, 999, "native-io"), "not listed: the kernel's name");
        assertEquals(2, names.dumps());
        now[0] += 5 * SECOND;
        assertEquals("native-io", names.nameOf(ownPid, 999, "native-io"));
        assertEquals(2, names.dumps(), "the same unlisted tid asks for no second dump");
        assertEquals("worker-1", names.nameOf(ownPid, 101, "worker-1"));
        assertEquals(2, names.dumps(), "a listed tid is remembered");
        assertEquals("a name longer than fifteen", names.nameOf(ownPid, 102, "a name longer t"),
                "the full name of a thread the last dump listed");
        assertEquals(2, names.dumps());
    }

    /**
     * A dump stops the application at a safepoint: after one that took d, the next waits 1000 d (at least a
     * second), whatever new threads appear meanwhile.
     */
    @Test
    void dumpsWaitAThousandTimesAsLongAsTheLastOneTook() {
        long[] now = {0};
        long slowDump = 3 * MILLISECOND; // 3 s to wait
        JavaThreadNames names = new JavaThreadNames(() -> {
            now[0] += slowDump;
            return DUMP;
        }, () -> now[0]);
        names.nameOf(ownPid, 101, "worker-1");
        assertEquals(1, names.dumps());
        now[0] = 2 * SECOND;
        assertEquals("new-thread", names.nameOf(ownPid, 103, "new-thread"), "too soon: the kernel's name");
        assertEquals(1, names.dumps(), "no dump 2 s after one that took 3 ms");
        now[0] = 3 * SECOND + MILLISECOND;
        names.nameOf(ownPid, 103, "new-thread");
        assertEquals(2, names.dumps(), "3 s later, the same thread's next event takes the next dump");
    }

    @Test
    void threadsOfOtherProcessesHaveNoJavaName() {
        assertEquals("", new JavaThreadNames().nameOf(ownPid + 1, 1234, "curl"));
        assertEquals("", new JavaThreadNames().nameOf(ownPid, 0, ""), "no thread");
    }

    /** The kernel's id of the calling thread: /proc/thread-self links to "pid/task/tid". */
    private static int ownTid() {
        try {
            String link = Files.readSymbolicLink(Paths.get("/proc/thread-self")).toString();
            return Integer.parseInt(link.substring(link.lastIndexOf('/') + 1));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
