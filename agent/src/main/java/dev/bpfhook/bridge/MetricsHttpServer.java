package dev.bpfhook.bridge;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.prometheus.metrics.config.PrometheusProperties;
import io.prometheus.metrics.exporter.common.PrometheusScrapeHandler;
import io.prometheus.metrics.exporter.httpserver.DefaultHandler;
import io.prometheus.metrics.exporter.httpserver.HealthyHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLContext;

/**
 * The JDK HTTP server /metrics is served on, set up as the Prometheus library's own HTTPServer sets up its
 * server ({@code /metrics}, {@code /-/healthy} and its page at {@code /}, the guard on each), with two
 * differences: the threads are {@link HttpWorkers}, and scrapes are answered through {@link ScrapeExchange}.
 */
final class MetricsHttpServer {
    /** Connections waiting to be accepted; the library's default. */
    private static final int BACKLOG = 3;

    private MetricsHttpServer() {
    }

    /**
     * Bound to {@code host:port} and serving, over HTTPS when {@code tls} is not null. The library's defaults,
     * not its configuration: its {@code PrometheusProperties.get()} reads the application's
     * prometheus.properties and io.prometheus.* system properties, whose filters could hide every bpfhook metric.
     */
    static HttpServer start(String host, int port, SSLContext tls, PrometheusRegistry registry, Authenticator guard,
            HttpWorkers workers) throws IOException {
        HttpServer server = create(new InetSocketAddress(host, port), tls);
        server.setExecutor(workers);
        PrometheusScrapeHandler scrapes = new PrometheusScrapeHandler(PrometheusProperties.builder().build(), registry);
        guarded(server, "/metrics", exchange -> scrapes.handleRequest(new ScrapeExchange(exchange)), guard);
        guarded(server, "/-/healthy", new HealthyHandler(), guard);
        guarded(server, "/", new DefaultHandler(), guard);
        // from one of the daemon workers, as the library does: the JDK's dispatcher thread takes the daemon
        // status of the thread that starts it, and a non-daemon one would keep the application's JVM from ending
        try {
            workers.submit(server::start).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.stop(0);
            throw new IOException("interrupted while the HTTP server started");
        } catch (ExecutionException e) {
            server.stop(0);
            throw new IOException("the HTTP server did not start: " + e.getCause(), e.getCause());
        }
        return server;
    }

    private static HttpServer create(InetSocketAddress address, SSLContext tls) throws IOException {
        if (tls == null) {
            return HttpServer.create(address, BACKLOG);
        }
        HttpsServer https = HttpsServer.create(address, BACKLOG);
        https.setHttpsConfigurator(new HttpsConfigurator(tls));
        return https;
    }

    private static void guarded(HttpServer server, String path, HttpHandler handler, Authenticator guard) {
        server.createContext(path, handler).setAuthenticator(guard);
    }
}
