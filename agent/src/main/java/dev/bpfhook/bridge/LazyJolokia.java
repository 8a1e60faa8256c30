package dev.bpfhook.bridge;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.jolokia.jvmagent.handler.JolokiaHttpHandler;
import org.jolokia.server.core.config.Configuration;
import org.jolokia.server.core.restrictor.RestrictorFactory;
import org.jolokia.server.core.service.JolokiaServiceManagerFactory;
import org.jolokia.server.core.service.api.JolokiaContext;
import org.jolokia.server.core.service.api.JolokiaServiceManager;
import org.jolokia.server.core.service.api.LogHandler;
import org.jolokia.server.core.service.api.Restrictor;
import org.jolokia.server.core.service.impl.ClasspathServiceCreator;

/**
 * Jolokia's request handler, made when the first request that passed the guard comes: Jolokia's services (the
 * access policy, the serializers, the request handlers, its own MBeans) cost about 0.4 s of CPU and 20 MiB in
 * every JVM the agent starts in, and most JVMs are never asked. What {@code JolokiaServer} does at start, done
 * then, on the worker thread of that request (the requests that come meanwhile wait for it).
 *
 * <p>An access policy of the operator's own is read at once, so that a mistake in it is told at start, not at
 * the first request; the bundled one is known good. If the services cannot start, that is one line with the
 * reason through the log, and every request is answered 503.
 */
final class LazyJolokia implements HttpHandler, AutoCloseable {
    private final Configuration config;
    private final LogHandler log;
    private final String url;
    private final boolean secured;
    private Restrictor restrictor; // guarded by this
    private JolokiaServiceManager services; // guarded by this
    private volatile HttpHandler handler;
    private String failure; // guarded by this
    private boolean closed; // guarded by this

    /**
     * @param readPolicyNow whether to read the access policy now (one of the operator's own)
     * @param url           the address Jolokia tells its clients it answers at
     * @param secured       whether requests need credentials
     * @throws RuntimeException from Jolokia when the policy cannot be read or parsed
     */
    LazyJolokia(Configuration config, LogHandler log, boolean readPolicyNow, String url, boolean secured) {
        this.config = config;
        this.log = log;
        this.url = url;
        this.secured = secured;
        if (readPolicyNow) {
            restrictor = withOurClassLoader(() -> RestrictorFactory.createRestrictor(config, log));
        }
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        HttpHandler jolokia = handler;
        if (jolokia == null) {
            jolokia = start();
        }
        if (jolokia != null) {
            jolokia.handle(exchange);
        } else {
            refuse(exchange);
        }
    }

    /** Jolokia's handler, started now if it was not; null when it could not start or the bridge is closed. */
    private synchronized HttpHandler start() {
        if (handler != null || closed || failure != null) {
            return handler;
        }
        try {
            handler = withOurClassLoader(() -> {
                if (restrictor == null) {
                    restrictor = RestrictorFactory.createRestrictor(config, log);
                }
                services = JolokiaServiceManagerFactory.createJolokiaServiceManager(config, log, restrictor, null);
                services.addServices(new ClasspathServiceCreator(LazyJolokia.class.getClassLoader(), "services"));
                JolokiaContext context = services.start();
                context.getAgentDetails().updateAgentParameters(url, secured);
                return new JolokiaHttpHandler(context);
            });
        } catch (RuntimeException | LinkageError e) {
            // the reason goes to the operator's log only: answers carry no exception, as Jolokia's own do not
            failure = "jolokia did not start; the application's log (stderr) says why";
            log.error("did not start, every request is answered 503", e);
            stopServices();
        }
        return handler;
    }

    private void refuse(HttpExchange exchange) throws IOException {
        byte[] body = (whyRefused() + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(503, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private synchronized String whyRefused() {
        return closed ? "jolokia is stopping" : failure;
    }

    /** Whether Jolokia's services were started (by a request). */
    synchronized boolean started() {
        return services != null;
    }

    /** Stops Jolokia's services if a request started them; later requests are answered 503. */
    @Override
    public synchronized void close() {
        closed = true;
        handler = null;
        stopServices();
    }

    private void stopServices() {
        if (services != null) {
            try {
                services.stop();
            } finally {
                services = null;
            }
        }
    }

    /** Jolokia finds its services and the bundled policy through the context class loader: ours. */
    private static <T> T withOurClassLoader(Supplier<T> action) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(LazyJolokia.class.getClassLoader());
        try {
            return action.get();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }
}
