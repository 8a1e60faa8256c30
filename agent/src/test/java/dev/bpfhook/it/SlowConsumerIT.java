package dev.bpfhook.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.apps.LoadTestApp;
import dev.bpfhook.testing.ChildJvm;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.TestCgroup;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Listeners that cannot keep up with the events: a remote JMX client whose notification listener never
 * returns (so it never fetches again); a listener inside the JVM that never returns, which holds the
 * agent's notification thread itself; a Flight Recorder recording on a disk too slow for it. None may slow
 * the application or the ring-buffer consumer: the application makes all its connections, every event
 * reaches the agent, the counts are exact, and each notification the agent could not send is counted in
 * NotificationsDropped.
 */
class SlowConsumerIT {
    private static final long TIMEOUT_MS = 30_000;
    private static final int EXCHANGES = 1_000;
    /** Events of one loopback exchange with both ends watched (client 6: connect and 5 states; server 6). */
    private static final int EVENTS_PER_EXCHANGE = 12; // with states=all
    /**
     * Exchanges for the slow disk, enough that JFR certainly cannot keep them all. With states=all and
     * StateChange on, each gives JFR about 1.5 KB (10 StateChange of about 115 bytes, 2 ConnectionClosed, a
     * Connect and an Accept, as jfr summary shows): 4000 make 6 MB. JFR keeps at most its memory
     * (memorysize=1m) and what the disk took while it was slow, at most 64 KB/s for THROTTLED_AT_MOST_MS:
     * 1 + 3.75 MB. (With 1000, a host on which they took 9 s would have lost nothing.)
     */
    private static final int DISK_EXCHANGES = 4_000;
    private static final long THROTTLED_AT_MOST_MS = 60_000;
    /** ConnectionNotifier's queue, and the one notification held by the stuck listener. */
    private static final int QUEUED = 4096;
    private static final int IN_FLIGHT = 1;
    private static final String[] COUNTERS = {"EventsReceived", "DroppedEvents", "NotificationsSent",
        "NotificationsDropped", "OutboundConnections"};
    /**
     * Notifications at any rate, and a ring large enough that a busy machine cannot make the kernel drop
     * events: every event produced must then be received, which only a consumer that is never held can do.
     */
    private static final String OPTIONS = "jmx.notifications=on,jmx.notifications.rate=100000,ring=16M,states=all";

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    /**
     * A remote client whose listener never returns, so that its connector never fetches again: the agent
     * goes on sending (the connector's buffer drops what the client does not fetch), and every event is
     * either sent or counted as dropped. The client's own RMI connections are events of the child too, at
     * moments of RMI's choosing (its idle connections close after 15 s): hence at least, not exactly, the
     * exchanges' events.
     */
    @Test
    void aRemoteClientThatStopsFetchingStallsNeitherTheApplicationNorTheRing() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        CountDownLatch releaseRemote = new CountDownLatch(1);
        AtomicInteger remoteHeard = new AtomicInteger();
        try (TestCgroup cgroup = TestCgroup.create("slow");
             ChildJvm child = ChildJvm.builder(LoadTestApp.class.getName()).agent(ChildJvm.agentJar(), OPTIONS)
                     .jvmArg("-Dcom.sun.management.jmxremote.port=" + port)
                     .jvmArg("-Dcom.sun.management.jmxremote.rmi.port=" + port)
                     .jvmArg("-Dcom.sun.management.jmxremote.host=127.0.0.1")
                     .jvmArg("-Djava.rmi.server.hostname=127.0.0.1")
                     .jvmArg("-Dcom.sun.management.jmxremote.authenticate=false")
                     .jvmArg("-Dcom.sun.management.jmxremote.ssl=false")
                     .inCgroup(cgroup.directory()).start()) {
            LoadTestApp.Driver app = new LoadTestApp.Driver(child);
            assertEquals("agent RUNNING", app.ask("agent", "agent ", TIMEOUT_MS), child.describe());
            // the child has made no connection yet: nothing is on its way to the counters
            Map<String, Long> start = app.mbean(COUNTERS);
            JMXConnector remote = JMXConnectorFactory.connect(
                    new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + port + "/jmxrmi"));
            try {
                remote.getMBeanServerConnection().addNotificationListener(
                        new ObjectName("bpfhook:type=ConnectionMonitor"), (n, handback) -> {
                            remoteHeard.incrementAndGet();
                            try {
                                releaseRemote.await();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }, null, null);
                app.ask("exchanges " + EXCHANGES, "done exchanges", TIMEOUT_MS);
                Map<String, Long> a = minus(app.mbeanWhen(m -> {
                    Map<String, Long> d = minus(m, start);
                    return d.get("EventsReceived") >= (long) EVENTS_PER_EXCHANGE * EXCHANGES
                            && d.get("NotificationsSent") + d.get("NotificationsDropped") == d.get("EventsReceived");
                }, COUNTERS), start);

                assertEquals(EXCHANGES, a.get("OutboundConnections"), "outbound counted " + a);
                assertTrue(a.get("EventsReceived") >= (long) EVENTS_PER_EXCHANGE * EXCHANGES,
                        "every event of the exchanges received " + a);
                assertEquals(0, a.get("DroppedEvents"), "nothing dropped in the kernel " + a);
                assertEquals(a.get("EventsReceived"), a.get("NotificationsSent") + a.get("NotificationsDropped"),
                        "every event sent as a notification or counted as dropped " + a);
                assertTrue(a.get("NotificationsSent") > 0, "notifications still sent " + a);
                System.out.println("SlowConsumerIT: remote client stuck " + a + "; it heard " + remoteHeard.get());
            } finally {
                releaseRemote.countDown();
                remote.close();
            }
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
        }
    }

    /**
     * A listener in the JVM that never returns holds the agent's notification thread itself: the first
     * notification stays in it, the queue fills, and every later event is counted as dropped, while the
     * application and the ring go on. The child has no remote JMX: the exchanges are its only connections,
     * so nothing is sent before the listener is there, and every count is exact.
     */
    @Test
    void aListenerInTheJvmThatNeverReturnsHoldsOnlyTheNotificationThread() throws Exception {
        try (TestCgroup cgroup = TestCgroup.create("slowlocal");
             ChildJvm child = ChildJvm.builder(LoadTestApp.class.getName()).agent(ChildJvm.agentJar(), OPTIONS)
                     .inCgroup(cgroup.directory()).start()) {
            LoadTestApp.Driver app = new LoadTestApp.Driver(child);
            assertEquals("agent RUNNING", app.ask("agent", "agent ", TIMEOUT_MS), child.describe());
            app.ask("block-notifications", "blocking", TIMEOUT_MS);
            app.ask("exchanges " + EXCHANGES, "done exchanges", TIMEOUT_MS);
            long events = (long) EVENTS_PER_EXCHANGE * EXCHANGES;
            Map<String, Long> b = app.mbeanWhen(m -> m.get("EventsReceived") >= events
                    && m.get("NotificationsDropped") >= events - QUEUED - IN_FLIGHT, COUNTERS);

            assertEquals(EXCHANGES, b.get("OutboundConnections"), "outbound counted " + b);
            assertEquals(events, b.get("EventsReceived"), "every event of the exchanges received " + b);
            assertEquals(0, b.get("DroppedEvents"), "nothing dropped in the kernel " + b);
            assertEquals(0, b.get("NotificationsSent"), "nothing sent: the first notification is in the listener " + b);
            assertEquals(events - QUEUED - IN_FLIGHT, b.get("NotificationsDropped"),
                    "the queue full, one in the listener, every other event counted as dropped " + b);
            System.out.println("SlowConsumerIT: sender stuck " + b);
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
        }
    }

    /**
     * A Flight Recorder recording on a disk that takes 64 KB a second: the JVM's recorder thread waits on
     * every write, and JFR's 1 MB of buffers fill up at once. The agent commits its JFR events on the ring
     * thread, so this must not slow it: every event is received, none dropped, the application makes all
     * its connections. What JFR could not write it counts itself, in a jdk.DataLoss event, once the disk
     * is fast again and the recording is written at exit.
     */
    @Test
    void aRecordingOnASlowDiskStallsNeitherTheApplicationNorTheRing(@TempDir Path dir) throws Exception {
        try (TestCgroup cgroup = TestCgroup.create("slowdisk"); SlowDisk disk = SlowDisk.create(dir)) {
            Path recording = disk.mount().resolve("bpfhook.jfr");
            Path settings = Paths.get("..", "jmx-config", "bpfhook.jfc").toAbsolutePath();
            Map<String, Long> counts;
            try (ChildJvm child = ChildJvm.builder(LoadTestApp.class.getName())
                    .agent(ChildJvm.agentJar(), "ring=16M,states=all")
                    .jvmArg("-XX:FlightRecorderOptions:repository=" + disk.mount().resolve("repository")
                            + ",memorysize=1m")
                    // every transition recorded (states=all, StateChange on): far more than JFR's buffers hold
                    .jvmArg("-XX:StartFlightRecording:settings=default,settings=" + settings
                            + ",+bpfhook.StateChange#enabled=true,filename=" + recording)
                    .inCgroup(cgroup.directory()).start()) {
                LoadTestApp.Driver app = new LoadTestApp.Driver(child);
                assertEquals("agent RUNNING", app.ask("agent", "agent ", TIMEOUT_MS), child.describe());
                disk.throttle(child.pid());
                long throttled = System.nanoTime();

                app.ask("exchanges " + DISK_EXCHANGES, "done exchanges", TIMEOUT_MS);
                counts = app.mbeanWhen(m -> m.get("EventsReceived") >= (long) EVENTS_PER_EXCHANGE * DISK_EXCHANGES,
                        "EventsReceived", "DroppedEvents", "OutboundConnections");
                disk.release(); // the recording is written at exit: let it be
                long throttledMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - throttled);
                assertTrue(throttledMs < THROTTLED_AT_MOST_MS, "the disk was slow for " + throttledMs + " ms: it may "
                        + "have taken everything JFR was given (see DISK_EXCHANGES)");
                child.send("exit 0");
                assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
            }
            assertEquals(DISK_EXCHANGES, counts.get("OutboundConnections"), "outbound counted " + counts);
            assertEquals((long) EVENTS_PER_EXCHANGE * DISK_EXCHANGES, counts.get("EventsReceived"),
                    "every event of the exchanges received, and no other " + counts);
            assertEquals(0, counts.get("DroppedEvents"), "nothing dropped in the kernel " + counts);

            Map<String, Integer> recorded = new TreeMap<>();
            for (RecordedEvent e : RecordingFile.readAllEvents(recording)) {
                String type = e.getEventType().getName();
                if (type.startsWith("bpfhook.") || type.equals("jdk.DataLoss")) {
                    recorded.merge(type, 1, Integer::sum);
                }
            }
            System.out.println("SlowConsumerIT: JFR to a slow disk: agent " + counts + ", recorded " + recorded);
            int connects = recorded.getOrDefault("bpfhook.Connect", 0);
            assertTrue(connects > 0 && connects < DISK_EXCHANGES, "the agent's events reached JFR, and the slow disk "
                    + "lost some of them: " + recorded);
            // What JFR itself drops is its own to count (jdk.DataLoss, usually present, but it can be lost with
            // the rest on a disk this slow): not asserted here. Ours is that the ring and the application go on.
        }
    }

    /**
     * A disk that writes 64 KB a second, for one process: an ext4 file system in a loop device, mounted
     * with {@code sync} so that every write goes to the device at once (not to the page cache), and a
     * cgroup v1 blkio limit on that device for the process that {@link #throttle}s. Undone on close.
     */
    static final class SlowDisk implements AutoCloseable {
        private static final long BYTES_PER_SECOND = 64 * 1024;

        private final List<Runnable> undo = new ArrayList<>();
        private Path mount;
        private Path blkio;
        private String device;

        static SlowDisk create(Path dir) throws Exception {
            Optional<Path> blkioRoot = blkioHierarchy();
            if (!blkioRoot.isPresent()) {
                String why = "no cgroup v1 blkio hierarchy to throttle a disk with";
                if (KernelTests.inCi()) {
                    throw new AssertionError("CI=true: " + why);
                }
                Assumptions.assumeTrue(false, why);
            }
            SlowDisk disk = new SlowDisk();
            try {
                Path image = dir.resolve("disk.img");
                run("truncate", "-s", "64M", image.toString());
                String loop = run("losetup", "--find", "--show", image.toString()).trim();
                disk.undo.add(() -> quietly("losetup", "-d", loop));
                run("mkfs.ext4", "-q", "-F", loop);
                disk.mount = Files.createDirectory(dir.resolve("mnt"));
                run("mount", "-o", "sync", loop, disk.mount.toString());
                disk.undo.add(() -> unmount(disk.mount));
                disk.device = Files.readString(Paths.get("/sys/block", Paths.get(loop).getFileName().toString(),
                        "dev")).trim();
                disk.blkio = Files.createDirectory(blkioRoot.get().resolve("bpfhook-test-slowdisk-"
                        + ProcessHandle.current().pid()));
                disk.undo.add(() -> removeCgroup(disk.blkio));
                Files.writeString(disk.blkio.resolve("blkio.throttle.write_bps_device"),
                        disk.device + " " + BYTES_PER_SECOND);
                return disk;
            } catch (Exception | AssertionError e) {
                disk.close();
                throw e;
            }
        }

        Path mount() {
            return mount;
        }

        /** From now on the process writes to this disk at the slow rate. */
        void throttle(long pid) throws IOException {
            Files.writeString(blkio.resolve("cgroup.procs"), Long.toString(pid));
        }

        /** Lifts the limit and lets the page cache take writes again; the process stays in the cgroup. */
        void release() throws IOException, InterruptedException {
            Files.writeString(blkio.resolve("blkio.throttle.write_bps_device"), device + " 0");
            run("mount", "-o", "remount,async", mount.toString());
        }

        @Override
        public void close() {
            for (int i = undo.size() - 1; i >= 0; i--) {
                undo.get(i).run();
            }
        }

        private static Optional<Path> blkioHierarchy() throws IOException {
            for (String line : Files.readAllLines(Paths.get("/proc/self/mountinfo"))) {
                String[] parts = line.split(" - ");
                String[] before = parts[0].split(" ");
                String[] after = parts.length > 1 ? parts[1].split(" ") : new String[0];
                if (after.length >= 3 && after[0].equals("cgroup")
                        && Arrays.asList(after[2].split(",")).contains("blkio")) {
                    return Optional.of(Paths.get(before[4]));
                }
            }
            return Optional.empty();
        }

        /** A cgroup can be removed once its last process is gone, which the kernel notes a moment later. */
        private static void removeCgroup(Path cgroup) {
            for (int attempt = 0; attempt < 100; attempt++) {
                try {
                    Files.deleteIfExists(cgroup);
                    return;
                } catch (IOException busy) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                }
            }
        }

        /** A process killed a moment ago may still hold files on it: retry, bounded. */
        private static void unmount(Path mount) {
            for (int attempt = 0; attempt < 100; attempt++) {
                try {
                    run("umount", mount.toString());
                    return;
                } catch (Exception busy) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                }
            }
            quietly("umount", "--lazy", mount.toString());
        }

        private static void quietly(String... command) {
            try {
                run(command);
            } catch (Exception e) {
                System.err.println("SlowDisk cleanup: " + e.getMessage());
            }
        }

        private static String run(String... command) throws IOException, InterruptedException {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " failed: " + out);
            }
            return out;
        }
    }

    private static Map<String, Long> minus(Map<String, Long> later, Map<String, Long> earlier) {
        Map<String, Long> delta = new TreeMap<>();
        later.forEach((k, v) -> delta.put(k, v - earlier.get(k)));
        return delta;
    }
}
