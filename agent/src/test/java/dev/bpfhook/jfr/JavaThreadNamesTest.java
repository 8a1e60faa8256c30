package dev.bpfhook.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class JavaThreadNamesTest {
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
