package dev.bpfhook.bridge;

import com.sun.net.httpserver.HttpServer;
import io.prometheus.jmx.JmxCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.BindException;
import java.security.GeneralSecurityException;
import javax.net.ssl.SSLContext;

/**
 * /metrics for Prometheus: the Prometheus JMX exporter's collector over the
 * platform MBeanServer with the rules of jmx-config/bpfhook-exporter.yaml (or
 * the operator's file), served by the client library's handlers on a server of
 * our own ({@link MetricsHttpServer}). It reads the bpfhook MBeans by name
 * only, like any JMX client. The Destination MBeans are served beside the
 * rules, whatever they are, as real histograms ({@link DestinationCollector}).
 */
public final class PrometheusBridge implements AutoCloseable {
    static final String DEFAULT_RULES = "/dev/bpfhook/jmx-config/bpfhook-exporter.yaml";

    private final HttpServer server;
    private final HttpWorkers workers;
    private final boolean https;

    private PrometheusBridge(HttpServer server, HttpWorkers workers, boolean https) {
        this.server = server;
        this.workers = workers;
        this.https = https;
    }

    /** @param rules the exporter's YAML, or null for the bundled bpfhook rules */
    public static PrometheusBridge start(HttpEndpoint endpoint, File rules) throws BridgeException {
        endpoint.requireCredentialsOffLoopback("prometheus", " (basic_auth in the scrape config)");
        SSLContext tls = null;
        if (endpoint.keystore != null) {
            try {
                tls = Keystores.tlsContext(endpoint.keystore, endpoint.keystorePassword);
            } catch (IOException | GeneralSecurityException e) {
                throw new BridgeException("prometheus keystore " + endpoint.keystore + " cannot be used: "
                        + e.getMessage() + "; check prometheus.tls.keystore and prometheus.tls.password");
            }
        }
        JmxCollector collector;
        try {
            collector = rules != null ? new JmxCollector(rules) : bundledCollector();
        } catch (IOException | RuntimeException | javax.management.MalformedObjectNameException e) {
            throw new BridgeException("prometheus rules " + (rules != null ? rules : DEFAULT_RULES)
                    + " cannot be used: " + e.getMessage() + "; fix prometheus.config");
        }
        PrometheusRegistry registry = new PrometheusRegistry();
        collector.register(registry);
        DestinationCollector.registerBeside(collector, registry);
        // not the library's HTTPServer: its up to ten threads, once held by ten slow clients, left its server
        // taking no other connection until one let go, and its scrapes log a client gone with a stack trace
        HttpWorkers workers = new HttpWorkers("bpfhook-prometheus");
        try {
            return new PrometheusBridge(MetricsHttpServer.start(endpoint.host, endpoint.port, tls, registry,
                    new HttpGuard("bpfhook", endpoint.user, endpoint.password, true), workers), workers, tls != null);
        } catch (BindException e) {
            workers.shutdownNow();
            throw endpoint.cannotListen("prometheus", e);
        } catch (IOException | RuntimeException | LinkageError e) {
            workers.shutdownNow();
            throw new BridgeException("prometheus did not start: " + e);
        }
    }

    private static JmxCollector bundledCollector() throws IOException, javax.management.MalformedObjectNameException {
        try (InputStream in = PrometheusBridge.class.getResourceAsStream(DEFAULT_RULES)) {
            if (in == null) {
                throw new IOException("missing from the jar; rebuild it");
            }
            return new JmxCollector(in);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Whether it serves HTTPS. */
    public boolean https() {
        return https;
    }

    /** The server closes every connection, so no thread waits on a client; one still working is interrupted. */
    @Override
    public void close() {
        try {
            server.stop(0);
        } finally {
            workers.shutdownNow();
        }
    }
}
