package dev.bpfhook.bridge;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.FutureTask;

/**
 * The JDK HTTP server Jolokia is given to serve on: every context made on it, whoever makes it, gets the
 * guard as its authenticator before it can answer a request. Requests are served by a few daemon threads
 * ({@code bpfhook-jolokia-1}, ...), each exchange for a bounded time ({@link HttpWorkers}): Jolokia's own server
 * had one thread, which one client that sent its request slowly, or never read the answer, held for ever.
 */
final class JolokiaHttpServer extends HttpServer {
    /** Connections waiting to be accepted; Jolokia's default. */
    private static final int BACKLOG = 10;

    private final HttpServer server;
    private final Authenticator guard;

    private JolokiaHttpServer(HttpServer server, Authenticator guard) {
        this.server = server;
        this.guard = guard;
    }

    /**
     * Bound to {@code host:port}, not started; HTTPS with the keystore (PKCS12 or JKS, told apart by the JDK)
     * when one is given.
     */
    static HttpServer create(String host, int port, File keystore, String keystorePassword, Authenticator guard)
            throws IOException, GeneralSecurityException {
        InetSocketAddress address = new InetSocketAddress(host, port);
        HttpServer server;
        if (keystore == null) {
            server = HttpServer.create(address, BACKLOG);
        } else {
            HttpsServer https = HttpsServer.create(address, BACKLOG);
            https.setHttpsConfigurator(new HttpsConfigurator(Keystores.tlsContext(keystore, keystorePassword)));
            server = https;
        }
        server.setExecutor(new HttpWorkers("bpfhook-jolokia"));
        return new JolokiaHttpServer(server, guard);
    }

    /**
     * Starts the server from a daemon thread: the JDK's dispatcher thread takes the daemon status of the
     * thread that starts it, and a non-daemon one would keep the application's JVM from ending.
     */
    static void startOnDaemonThread(HttpServer server) throws IOException {
        FutureTask<Void> start = new FutureTask<>(server::start, null);
        Thread starter = new Thread(start, "bpfhook-jolokia-start");
        starter.setDaemon(true);
        starter.start();
        try {
            start.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while the HTTP server started");
        } catch (ExecutionException e) {
            throw new IOException("the HTTP server did not start: " + e.getCause(), e.getCause());
        }
    }

    @Override
    public HttpContext createContext(String path, HttpHandler handler) {
        return guarded(server.createContext(path, handler));
    }

    @Override
    public HttpContext createContext(String path) {
        return guarded(server.createContext(path));
    }

    private HttpContext guarded(HttpContext context) {
        context.setAuthenticator(guard);
        return context;
    }

    @Override
    public void bind(InetSocketAddress address, int backlog) throws IOException {
        server.bind(address, backlog);
    }

    @Override
    public void start() {
        server.start();
    }

    @Override
    public void setExecutor(Executor executor) {
        server.setExecutor(executor);
    }

    @Override
    public Executor getExecutor() {
        return server.getExecutor();
    }

    /**
     * Stops serving, and the worker threads with it: the server closes every connection, so no thread waits on a
     * client, and each one still working is interrupted.
     */
    @Override
    public void stop(int delaySeconds) {
        server.stop(delaySeconds);
        if (server.getExecutor() instanceof ExecutorService) {
            ((ExecutorService) server.getExecutor()).shutdownNow();
        }
    }

    @Override
    public void removeContext(String path) {
        server.removeContext(path);
    }

    @Override
    public void removeContext(HttpContext context) {
        server.removeContext(context);
    }

    @Override
    public InetSocketAddress getAddress() {
        return server.getAddress();
    }
}
