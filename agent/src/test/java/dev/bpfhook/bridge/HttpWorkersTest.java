package dev.bpfhook.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.testing.Await;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The pool the agent's HTTP endpoints serve on, with exchanges that block on real loopback sockets the way the
 * JDK server's do: bounded in threads, in waiting exchanges, and in the time a client can hold a thread.
 */
class HttpWorkersTest {
    private static final long TIMEOUT_MS = 30_000;

    @Test
    void anExchangeWaitingOnASilentClientIsCutOffAtItsTimeoutAndItsChannelClosed() throws Exception {
        HttpWorkers workers = new HttpWorkers("test-cut", 200);
        try (Loopback loopback = new Loopback()) {
            SocketChannel silent = loopback.connection();
            CompletableFuture<Throwable> ended = new CompletableFuture<>();
            workers.execute(() -> ended.complete(readFails(silent)));
            Throwable cause = ended.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            assertTrue(cause instanceof ClosedByInterruptException, String.valueOf(cause));
            assertFalse(silent.isOpen(), "the interrupt closed the connection");
            Await.until(() -> workers.getActiveCount() == 0, "the thread freed");
        } finally {
            shutDown(workers);
        }
    }

    @Test
    void fourThreadsFourWaitingAndAnyMoreRefusedAtOnce() throws Exception {
        HttpWorkers workers = new HttpWorkers("test-bound", TimeUnit.MINUTES.toMillis(5));
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(2 * HttpWorkers.THREADS);
        Set<String> names = new TreeSet<>();
        List<Boolean> daemons = new ArrayList<>();
        try {
            for (int i = 0; i < HttpWorkers.THREADS + HttpWorkers.WAITING; i++) {
                workers.execute(() -> {
                    synchronized (names) {
                        names.add(Thread.currentThread().getName());
                        daemons.add(Thread.currentThread().isDaemon());
                    }
                    awaitQuietly(release);
                    done.countDown();
                });
            }
            assertThrows(RejectedExecutionException.class, () -> workers.execute(() -> { }),
                    "the ninth is refused: the server closes its connection");
            assertEquals(HttpWorkers.THREADS, workers.getLargestPoolSize());
            release.countDown();
            assertTrue(done.await(TIMEOUT_MS, TimeUnit.MILLISECONDS), "all eight ran");
            assertEquals(Set.of("test-bound-1", "test-bound-2", "test-bound-3", "test-bound-4"), names);
            assertFalse(daemons.contains(false), "daemon threads only");
            assertEquals(HttpWorkers.THREADS, workers.getLargestPoolSize());
        } finally {
            release.countDown();
            shutDown(workers);
        }
    }

    @Test
    void shutdownNowFreesAThreadBlockedOnAClientAndEndsEveryThread() throws Exception {
        HttpWorkers workers = new HttpWorkers("test-stop", TimeUnit.MINUTES.toMillis(5));
        try (Loopback loopback = new Loopback()) {
            SocketChannel silent = loopback.connection();
            CompletableFuture<Throwable> ended = new CompletableFuture<>();
            workers.execute(() -> ended.complete(readFails(silent)));
            Await.until(() -> workers.getActiveCount() == 1, "the exchange waits on its client");
            workers.shutdownNow();
            assertTrue(ended.get(TIMEOUT_MS, TimeUnit.MILLISECONDS) instanceof ClosedByInterruptException);
            assertTrue(workers.awaitTermination(TIMEOUT_MS, TimeUnit.MILLISECONDS));
            Await.until(() -> threadsNamed("test-stop").isEmpty(), "no thread of the pool left, timeouts included");
        } finally {
            shutDown(workers);
        }
    }

    // ---- helpers ----

    /** Reads one byte; null when it came, else what ended the read. */
    private static Throwable readFails(SocketChannel channel) {
        try {
            return channel.read(ByteBuffer.allocate(1)) == 1 ? null : new IOException("end of stream");
        } catch (IOException e) {
            return e;
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Set<String> threadsNamed(String prefix) {
        Set<String> names = new TreeSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(prefix + "-")) {
                names.add(t.getName());
            }
        }
        return names;
    }

    private static void shutDown(HttpWorkers workers) throws InterruptedException {
        workers.shutdownNow();
        assertTrue(workers.awaitTermination(TIMEOUT_MS, TimeUnit.MILLISECONDS), "the pool ended");
    }

    /** A loopback listener and one blocking connection to it (the server's end), as the JDK server holds it. */
    private static final class Loopback implements AutoCloseable {
        private final ServerSocketChannel listener = ServerSocketChannel.open();
        private SocketChannel client;
        private SocketChannel accepted;

        Loopback() throws IOException {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        }

        /** The server's end of a new connection, in blocking mode; the client sends nothing unless told. */
        SocketChannel connection() throws IOException {
            client = SocketChannel.open(listener.getLocalAddress());
            accepted = listener.accept();
            return accepted;
        }

        @Override
        public void close() throws IOException {
            for (java.io.Closeable c : new java.io.Closeable[] {client, accepted, listener}) {
                if (c != null) {
                    c.close();
                }
            }
        }
    }
}
