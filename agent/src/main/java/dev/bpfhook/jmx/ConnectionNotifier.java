package dev.bpfhook.jmx;

import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.EventListener;
import dev.bpfhook.report.Endpoints;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.MBeanNotificationInfo;
import javax.management.Notification;
import javax.management.NotificationBroadcasterSupport;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.CompositeDataSupport;
import javax.management.openmbean.CompositeType;
import javax.management.openmbean.OpenDataException;
import javax.management.openmbean.OpenType;
import javax.management.openmbean.SimpleType;

/**
 * JMX notifications for connection events, for clients that subscribe to
 * bpfhook:type=ConnectionMonitor. Opt-in (jmx.notifications=on) and limited to
 * a rate: the ring thread only offers events to a bounded queue; a daemon thread
 * sends them, at most {@code perSecond} a second. Whatever is not sent is counted.
 */
public final class ConnectionNotifier extends NotificationBroadcasterSupport implements EventListener, AutoCloseable {
    public static final String TYPE_PREFIX = "bpfhook.connection.";
    private static final int QUEUE = 4096;
    private static final CompositeType EVENT_TYPE = eventType();

    private final ObjectName source;
    private final int perSecond;
    private final BlockingQueue<ConnectionEvent> queue = new ArrayBlockingQueue<>(QUEUE);
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final Thread sender;
    private volatile boolean running = true;
    private long sequence;

    public ConnectionNotifier(ObjectName source, int perSecond) {
        super(new MBeanNotificationInfo(new String[] {TYPE_PREFIX + "connect", TYPE_PREFIX + "accept",
                TYPE_PREFIX + "state", TYPE_PREFIX + "existing"}, Notification.class.getName(),
                "A connection event: a connect, an accept, a TCP state change, or a connection open at start"));
        this.source = source;
        this.perSecond = perSecond;
        this.sender = new Thread(this::send, "bpfhook-jmx-notify");
        this.sender.setDaemon(true);
        this.sender.start();
    }

    @Override
    public void onEvent(ConnectionEvent event) {
        if (!queue.offer(event)) {
            dropped.incrementAndGet();
        }
    }

    public long sent() {
        return sent.get();
    }

    public long dropped() {
        return dropped.get();
    }

    @Override
    public void close() {
        running = false;
        sender.interrupt();
    }

    private void send() {
        long windowStart = System.nanoTime();
        int inWindow = 0;
        while (running) {
            ConnectionEvent e;
            try {
                e = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException interrupted) {
                return;
            }
            if (e == null) {
                continue;
            }
            long now = System.nanoTime();
            if (now - windowStart >= 1_000_000_000L) {
                windowStart = now;
                inWindow = 0;
            }
            if (inWindow >= perSecond) {
                dropped.incrementAndGet();
                continue;
            }
            inWindow++;
            Notification n = new Notification(TYPE_PREFIX + e.kind().name().toLowerCase(java.util.Locale.ROOT), source,
                    ++sequence, System.currentTimeMillis(), message(e));
            n.setUserData(data(e));
            sendNotification(n);
            sent.incrementAndGet();
        }
    }

    private static String message(ConnectionEvent e) {
        return e.kind() + " pid " + e.pid() + " " + e.protocol() + " " + Endpoints.pair(e.local(), e.remote(), e.direction())
                + (e.kind() == EventKind.STATE ? " " + e.oldState() + " -> " + e.newState() : "");
    }

    private static CompositeData data(ConnectionEvent e) {
        try {
            return new CompositeDataSupport(EVENT_TYPE, new String[] {"kind", "socketCookie", "pid", "tid", "command",
                "cgroupId", "protocol", "direction", "local", "remote", "oldState", "newState", "error",
                "bytesSent", "bytesReceived"}, new Object[] {e.kind().name(), e.socketCookie(), e.pid(), e.tid(),
                e.comm(), e.cgroupId(), e.protocol().name(), e.direction().name(), Endpoints.format(e.local()),
                Endpoints.format(e.remote()), e.oldState().name(), e.newState().name(), e.error(), e.bytesSent(),
                e.bytesReceived()});
        } catch (OpenDataException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private static CompositeType eventType() {
        String[] names = {"kind", "socketCookie", "pid", "tid", "command", "cgroupId", "protocol", "direction", "local",
            "remote", "oldState", "newState", "error", "bytesSent", "bytesReceived"};
        OpenType<?>[] types = {SimpleType.STRING, SimpleType.LONG, SimpleType.INTEGER, SimpleType.INTEGER,
            SimpleType.STRING, SimpleType.LONG, SimpleType.STRING, SimpleType.STRING, SimpleType.STRING,
            SimpleType.STRING, SimpleType.STRING, SimpleType.STRING, SimpleType.INTEGER, SimpleType.LONG,
            SimpleType.LONG};
        try {
            return new CompositeType("bpfhook.ConnectionEvent", "A connection event seen by bpfhook", names, names, types);
        } catch (OpenDataException impossible) {
            throw new IllegalStateException(impossible);
        }
    }
}
