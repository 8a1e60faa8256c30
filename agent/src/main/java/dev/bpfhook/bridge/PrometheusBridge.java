package dev.bpfhook.bridge;

import io.prometheus.jmx.JmxCollector;
import io.prometheus.metrics.config.PrometheusProperties;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.BindException;

/**
 * /metrics for Prometheus: the Prometheus JMX exporter's collector over the
 * platform MBeanServer with the rules of jmx-config/bpfhook-exporter.yaml (or
 * the operator's file), served by the client library's HTTP server. It reads
 * the bpfhook MBeans by name only, like any JMX client. The Destination MBeans
 * are served beside the rules, whatever they are, as real histograms
 * ({@link DestinationCollector}).
 */
public final class PrometheusBridge implements AutoCloseable {
    static final String DEFAULT_RULES = "/dev/bpfhook/jmx-config/bpfhook-exporter.yaml";

    private final HTTPServer server;

    private PrometheusBridge(HTTPServer server) {
        this.server = server;
    }

    /**
     * @param loopback whether {@code host} is a loopback address; any other needs credentials
     * @param user     basic-authentication user, or null for none
     * @param rules    the exporter's YAML, or null for the bundled bpfhook rules
     */
    public static PrometheusBridge start(String host, int port, boolean loopback, String user, String password,
            File rules) throws BridgeException {
        if (!loopback && user == null) {
            throw new BridgeException("prometheus on " + host + " (not loopback) needs credentials: set prometheus.user "
                    + "and prometheus.password (basic_auth in the scrape config), or bind to 127.0.0.1");
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
        try {
            // the library's defaults, not its configuration: HTTPServer.builder() reads the application's
            // prometheus.properties and io.prometheus.* system properties, whose port (of the application's
            // own metrics server) would win over ours, and whose filters could hide every bpfhook metric
            return new PrometheusBridge(HTTPServer.builder(PrometheusProperties.builder().build()).hostname(host)
                    .port(port).registry(registry).authenticator(new HttpGuard("bpfhook", user, password, true))
                    .buildAndStart());
        } catch (BindException e) {
            throw new BridgeException("prometheus cannot listen on " + host + ":" + port + " (" + e.getMessage()
                    + "); choose another port with prometheus=PORT, or prometheus=off");
        } catch (IOException | RuntimeException | LinkageError e) {
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
        return server.getPort();
    }

    @Override
    public void close() {
        server.close();
    }
}
