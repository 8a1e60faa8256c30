package dev.bpfhook.bridge;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that serve one endpoint's HTTP exchanges (the JDK server's executor): at most {@link #THREADS}
 * daemon threads ({@code NAME-1}, ...), made when needed and ended after a minute without work, and at most
 * {@link #WAITING} exchanges waiting for one. The server closes the connection of an exchange beyond that, at
 * once, rather than the agent growing threads or a backlog for whoever opens connections.
 *
 * <p>An exchange gets {@link #EXCHANGE_TIMEOUT_SECONDS} from the moment a thread takes it: to read the request,
 * answer it, and have the answer taken. Past that its thread is interrupted, and the channel it waits on closes
 * (the JDK server reads and writes in blocking mode on interruptible socket channels), so a client that trickles
 * its request, never sends the body it announced, or stops reading its answer holds a thread that long, never for
 * ever. Each request on a connection is timed on its own: a client that takes its answers slowly, each within the
 * timeout, is served. The JDK's own limits for this ({@code sun.net.httpserver.maxReqTime}, {@code maxRspTime})
 * are system properties, and would change every HTTP server of the application too.
 */
final class HttpWorkers extends ThreadPoolExecutor {
    static final int THREADS = 4;
    static final int WAITING = 4;
    static final long EXCHANGE_TIMEOUT_SECONDS = 30;
    private static final long IDLE_SECONDS = 60;

    private final long timeoutMillis;
    private final ScheduledThreadPoolExecutor timeouts;

    /** The threads of the endpoint called {@code name}. */
    HttpWorkers(String name) {
        this(name, TimeUnit.SECONDS.toMillis(EXCHANGE_TIMEOUT_SECONDS));
    }

    HttpWorkers(String name, long timeoutMillis) {
        super(THREADS, THREADS, IDLE_SECONDS, TimeUnit.SECONDS, new ArrayBlockingQueue<>(WAITING),
                numbered(name), new AbortPolicy());
        allowCoreThreadTimeOut(true);
        this.timeoutMillis = timeoutMillis;
        this.timeouts = new ScheduledThreadPoolExecutor(1, daemon(name + "-timeouts"));
        timeouts.setRemoveOnCancelPolicy(true); // a finished exchange leaves nothing behind
        timeouts.setKeepAliveTime(IDLE_SECONDS, TimeUnit.SECONDS);
        timeouts.allowCoreThreadTimeOut(true);
    }

    @Override
    public void execute(Runnable exchange) {
        super.execute(new TimedExchange(exchange));
    }

    /** Once the last worker has ended: no exchange is left to time. */
    @Override
    protected void terminated() {
        timeouts.shutdownNow();
    }

    /** One exchange, whose thread is interrupted if it still runs at its timeout. */
    private final class TimedExchange implements Runnable {
        private final Runnable exchange;
        private Thread runner; // guarded by this: the timeout interrupts only while the exchange runs

        TimedExchange(Runnable exchange) {
            this.exchange = exchange;
        }

        @Override
        public void run() {
            synchronized (this) {
                runner = Thread.currentThread();
            }
            ScheduledFuture<?> timeout = timeouts.schedule(this::interruptRunner, timeoutMillis, TimeUnit.MILLISECONDS);
            try {
                exchange.run();
            } finally {
                timeout.cancel(false);
                synchronized (this) {
                    runner = null;
                }
                Thread.interrupted(); // a timeout that came as the exchange ended must not reach the next one
            }
        }

        private synchronized void interruptRunner() {
            if (runner != null) {
                runner.interrupt();
            }
        }
    }

    private static ThreadFactory numbered(String name) {
        AtomicInteger number = new AtomicInteger();
        return r -> daemon(name + "-" + number.incrementAndGet()).newThread(r);
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
