package dev.bpfhook.jmx;

import static dev.bpfhook.jmx.ConnectionFilterTest.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.Direction;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.TcpState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import javax.management.MBeanNotificationInfo;
import javax.management.Notification;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Connection-event notifications: sent by a thread of their own, at most a
 * rate a second, and every event offered is either sent or counted as dropped.
 * Only counts are asserted, never how long anything took.
 */
class ConnectionNotifierTest {
    private static final long TIMEOUT_MS = 10_000;
    /** Only a guard against a hang: offering 4106 events takes milliseconds. */
    private static final long HANG_MS = 30_000;
    private static final int QUEUE = 4096; // ConnectionNotifier's queue
    private static final ObjectName SOURCE = JmxExporter.monitorName();

    private final List<ConnectionNotifier> notifiers = new ArrayList<>();

    @AfterEach
    void close() {
        notifiers.forEach(ConnectionNotifier::close);
    }

    @Test
    void moreEventsThanTheRateInOneSecondSendTheRateAndDropTheRest() {
        ConnectionNotifier notifier = notifier(5);
        AtomicInteger heard = new AtomicInteger();
        notifier.addNotificationListener((n, handback) -> heard.incrementAndGet(), null, null);

        for (int i = 0; i < 20; i++) {
            notifier.onEvent(connect(i).build());
        }

        await(() -> notifier.sent() + notifier.dropped() == 20, "all 20 events sent or dropped");
        assertEquals(5, notifier.sent());
        assertEquals(15, notifier.dropped());
        assertEquals(5, heard.get(), "listeners got exactly what was sent");
    }

    /**
     * The limit is per second, not for good: once a second has passed since the
     * window began, events are sent again. The sleep only guarantees that a
     * second has passed; what is asserted are counts.
     */
    @Test
    void theLimitStartsAgainInTheNextSecond() throws InterruptedException {
        ConnectionNotifier notifier = notifier(2);
        for (int i = 0; i < 5; i++) {
            notifier.onEvent(connect(i).build());
        }
        await(() -> notifier.sent() + notifier.dropped() == 5, "the first 5 sent or dropped");
        assertEquals(2, notifier.sent());

        Thread.sleep(1_100);
        notifier.onEvent(connect(5).build());

        await(() -> notifier.sent() + notifier.dropped() == 6, "the 6th sent or dropped");
        assertEquals(3, notifier.sent());
        assertEquals(3, notifier.dropped());
    }

    @Test
    void underTheRateEveryEventIsSentAndNoneDropped() {
        ConnectionNotifier notifier = notifier(1000);
        AtomicInteger heard = new AtomicInteger();
        notifier.addNotificationListener((n, handback) -> heard.incrementAndGet(), null, null);

        for (int i = 0; i < 300; i++) {
            notifier.onEvent(connect(i).build());
        }

        await(() -> notifier.sent() == 300, "300 sent");
        assertEquals(0, notifier.dropped());
        assertEquals(300, heard.get());
    }

    @Test
    void notificationTypeFollowsTheEventKind() {
        ConnectionNotifier notifier = notifier(100);
        List<Notification> received = listen(notifier);

        notifier.onEvent(connect(1).build());
        notifier.onEvent(ConnectionEvent.builder(EventKind.ACCEPT).socketCookie(2).build());
        notifier.onEvent(ConnectionEvent.builder(EventKind.STATE).socketCookie(1)
                .states(TcpState.SYN_SENT, TcpState.ESTABLISHED).build());
        notifier.onEvent(ConnectionEvent.builder(EventKind.EXISTING).socketCookie(3).build());

        await(() -> received.size() == 4, "4 notifications");
        List<String> types = new ArrayList<>();
        List<Long> sequence = new ArrayList<>();
        synchronized (received) {
            for (Notification n : received) {
                types.add(n.getType());
                sequence.add(n.getSequenceNumber());
                assertEquals(SOURCE, n.getSource());
            }
        }
        assertEquals(Arrays.asList("bpfhook.connection.connect", "bpfhook.connection.accept",
                "bpfhook.connection.state", "bpfhook.connection.existing"), types);
        assertEquals(Arrays.asList(1L, 2L, 3L, 4L), sequence);
    }

    @Test
    void notificationInfoDeclaresTheFourTypes() {
        MBeanNotificationInfo[] infos = notifier(100).getNotificationInfo();

        assertEquals(1, infos.length);
        assertEquals(Notification.class.getName(), infos[0].getName());
        assertEquals(new HashSet<>(Arrays.asList("bpfhook.connection.connect", "bpfhook.connection.accept",
                "bpfhook.connection.state", "bpfhook.connection.existing")),
                new HashSet<>(Arrays.asList(infos[0].getNotifTypes())));
    }

    @Test
    void userDataIsCompositeDataWithTheEvent() {
        ConnectionNotifier notifier = notifier(100);
        List<Notification> received = listen(notifier);

        notifier.onEvent(ConnectionEvent.builder(EventKind.STATE).socketCookie(77).cgroupId(101)
                .process(1234, 1240, "http-client").direction(Direction.OUTBOUND)
                .local(at("10.0.0.1", 45678)).remote(at("2001:db8::1", 443))
                .states(TcpState.SYN_SENT, TcpState.CLOSE).error(111).closeStats(10, 20, 0, 0).build());

        await(() -> received.size() == 1, "one notification");
        Notification n = received.get(0);
        assertInstanceOf(CompositeData.class, n.getUserData());
        CompositeData data = (CompositeData) n.getUserData();
        assertEquals(new HashSet<>(Arrays.asList("kind", "socketCookie", "pid", "tid", "command", "cgroupId",
                "protocol", "direction", "local", "remote", "oldState", "newState", "error", "bytesSent",
                "bytesReceived")), data.getCompositeType().keySet());
        assertEquals("STATE", data.get("kind"));
        assertEquals(77L, data.get("socketCookie"));
        assertEquals(1234, data.get("pid"));
        assertEquals(1240, data.get("tid"));
        assertEquals("http-client", data.get("command"));
        assertEquals(101L, data.get("cgroupId"));
        assertEquals("TCP", data.get("protocol"));
        assertEquals("OUTBOUND", data.get("direction"));
        assertEquals("10.0.0.1:45678", data.get("local"));
        assertEquals("[2001:db8::1]:443", data.get("remote"));
        assertEquals("SYN_SENT", data.get("oldState"));
        assertEquals("CLOSE", data.get("newState"));
        assertEquals(111, data.get("error"));
        assertEquals(10L, data.get("bytesSent"));
        assertEquals(20L, data.get("bytesReceived"));
        assertEquals("STATE pid 1234 TCP 10.0.0.1:45678 -> [2001:db8::1]:443 SYN_SENT -> CLOSE", n.getMessage());
    }

    /**
     * The listener holds the sender thread, so nothing leaves the queue: the
     * queue fills, and every event after that is dropped at once, by the
     * offering thread. The offering runs under assertTimeoutPreemptively only so
     * that an onEvent that blocks fails the test instead of hanging the build.
     */
    @Test
    void fullQueueCountsDropsWithoutBlockingTheEventThread() throws InterruptedException {
        ConnectionNotifier notifier = notifier(100_000);
        CountDownLatch inListener = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        notifier.addNotificationListener((n, handback) -> {
            inListener.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, null, null);
        try {
            notifier.onEvent(connect(0).build());
            assertTrue(inListener.await(TIMEOUT_MS, TimeUnit.MILLISECONDS), "the sender is in the listener");

            assertTimeoutPreemptively(Duration.ofMillis(HANG_MS), () -> {
                for (int i = 1; i <= QUEUE + 10; i++) {
                    notifier.onEvent(connect(i).build());
                }
            }, "onEvent blocked on a full queue");

            assertEquals(10, notifier.dropped(), "counted as the events were offered, not later");
            assertEquals(0, notifier.sent(), "the first is still being delivered");
        } finally {
            release.countDown();
        }
        await(() -> notifier.sent() + notifier.dropped() == QUEUE + 11, "the queue drained");
        assertEquals(QUEUE + 1, notifier.sent());
        assertEquals(10, notifier.dropped());
    }

    // ---- helpers ----

    private ConnectionNotifier notifier(int perSecond) {
        ConnectionNotifier n = new ConnectionNotifier(SOURCE, perSecond);
        notifiers.add(n);
        return n;
    }

    private static List<Notification> listen(ConnectionNotifier notifier) {
        List<Notification> received = java.util.Collections.synchronizedList(new ArrayList<>());
        notifier.addNotificationListener((n, handback) -> received.add(n), null, null);
        return received;
    }

    private static ConnectionEvent.Builder connect(long cookie) {
        return ConnectionEvent.builder(EventKind.CONNECT).socketCookie(cookie).process(1234, 1234, "java")
                .direction(Direction.OUTBOUND).remote(at("10.0.0.2", 8080));
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TIMEOUT_MS * 1_000_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
