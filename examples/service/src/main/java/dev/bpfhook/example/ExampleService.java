package dev.bpfhook.example;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import sun.misc.Signal;

/**
 * A small HTTP service, JDK only, that makes known TCP and UDP connections for the bpfhook agent
 * to see. Prints one ready line with the port it listens on; runs until stdin closes or SIGTERM.
 *
 * <pre>java -jar example-service.jar --port PORT [--peer http://HOST:PORT] [--bind ADDRESS]</pre>
 */
public final class ExampleService {

    private static final int THREADS = 4;

    private final HttpServer server;
    private final ExecutorService executor;
    private final long pid;
    private final AtomicBoolean stopped = new AtomicBoolean();

    private ExampleService(HttpServer server, ExecutorService executor, long pid) {
        this.server = server;
        this.executor = executor;
        this.pid = pid;
    }

    public static void main(String[] args) {
        Options options;
        ExampleService service;
        try {
            options = Options.parse(args);
            if (options.help) {
                System.out.println(Options.USAGE);
                return;
            }
            service = start(options);
        } catch (Options.UsageException e) {
            System.err.println("example-service: " + e.getMessage());
            System.exit(2);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(service::stopAndSay, "example-service-shutdown"));
        exitZeroOnSigterm();
        // a parent process reads the port from this line, so it must leave the buffer now
        System.out.println(service.readyLine());
        System.out.flush();
        if (!options.ignoreStdin) {
            waitForEndOfStdin();
            System.exit(0); // runs the shutdown hook
        }
        // else the server's non-daemon threads keep the JVM running until SIGTERM
    }

    /** Listens on the options' address and port and serves the endpoints. */
    static ExampleService start(Options options) throws Options.UsageException {
        long pid = ProcessHandle.current().pid();
        InetSocketAddress address = new InetSocketAddress(options.bind, options.port);
        HttpServer server;
        try {
            server = HttpServer.create(address, 50);
        } catch (IOException e) {
            throw new Options.UsageException("cannot listen on " + hostPort(address) + ": " + e.getMessage(),
                    "pick another --port (0 picks a free one) or --bind address");
        }
        ExecutorService executor = Executors.newFixedThreadPool(THREADS, namedThreads());
        server.setExecutor(executor);
        server.createContext("/", new Endpoints(options, pid));
        server.start();
        return new ExampleService(server, executor, pid);
    }

    /** The port actually listened on (the one picked when --port was 0). */
    int port() {
        return server.getAddress().getPort();
    }

    String readyLine() {
        return "example-service listening on " + hostPort(server.getAddress()) + " pid " + pid;
    }

    /** Stops listening and closes open exchanges at once; later calls do nothing. */
    void stop() {
        if (stopped.compareAndSet(false, true)) {
            server.stop(0);
            executor.shutdownNow();
        }
    }

    private void stopAndSay() {
        stop();
        System.out.println("example-service stopped");
        System.out.flush();
    }

    /**
     * Without this the JVM still runs the shutdown hook on SIGTERM but exits with 143; with it,
     * SIGTERM is an ordinary System.exit(0), which also runs every other hook (an agent's final
     * report). sun.misc.Signal is in the JDK's jdk.unsupported module, present in every JDK 11+.
     */
    private static void exitZeroOnSigterm() {
        try {
            Signal.handle(new Signal("TERM"), signal -> System.exit(0));
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // -Xrs, or SIGTERM already taken: the default handling (hook, status 143) remains
        }
    }

    /** Blocks until the parent closes stdin; whatever is typed into it is ignored. */
    private static void waitForEndOfStdin() {
        byte[] buffer = new byte[256];
        try {
            InputStream in = System.in;
            while (in.read(buffer) != -1) {
                // not a command channel: only the end matters
            }
        } catch (IOException e) {
            // a stdin that cannot be read (e.g. closed before start) counts as closed
        }
    }

    private static String hostPort(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        if (address.getAddress() instanceof Inet6Address) {
            host = "[" + host + "]";
        }
        return host + ":" + address.getPort();
    }

    private static ThreadFactory namedThreads() {
        AtomicInteger next = new AtomicInteger(1);
        return runnable -> new Thread(runnable, "example-service-http-" + next.getAndIncrement());
    }
}
