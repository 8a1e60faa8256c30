package dev.bpfhook.bridge;

import com.sun.net.httpserver.HttpServer;
import java.io.File;
import java.io.IOException;
import java.net.BindException;
import java.security.GeneralSecurityException;
import java.util.HashMap;
import java.util.Map;
import org.jolokia.jvmagent.JolokiaServerConfig;
import org.jolokia.server.core.service.api.LogHandler;

/**
 * Jolokia's HTTP/JSON bridge to JMX, embedded in the agent, with a restrictive
 * access policy: reads of MBeans, and exec only of bpfhook's read-only
 * operation. Multicast discovery is off. Loopback unless told otherwise, and
 * never another address without credentials.
 *
 * <p>The HTTP server is ours, not Jolokia's: Jolokia's own puts its authenticator on its agent context only,
 * and serves the same handler unguarded under {@code /jolokia/config} (2.4), where any request, with no
 * credentials, reached every MBean the policy allows. Ours puts {@link HttpGuard} on every context made on
 * it ({@link JolokiaHttpServer}), and has one: Jolokia's request handler, whose services start with the first
 * request ({@link LazyJolokia}).
 */
public final class JolokiaBridge implements AutoCloseable {
    static final String DEFAULT_POLICY = "classpath:/dev/bpfhook/jmx-config/jolokia-access.xml";

    private static final String CONTEXT = "/jolokia";
    /** What a browser shows when it asks for the credentials; Jolokia's own name for it. */
    private static final String REALM = "jolokia";

    private final LazyJolokia jolokia;
    private final HttpServer http;
    private final String url;

    private JolokiaBridge(LazyJolokia jolokia, HttpServer http, String url) {
        this.jolokia = jolokia;
        this.http = http;
        this.url = url;
    }

    /**
     * Errors from Jolokia itself go to {@code errors}; its chatter goes nowhere.
     *
     * @param policy a Jolokia policy file, or null for the bundled read-only one
     */
    public static JolokiaBridge start(HttpEndpoint endpoint, File policy, java.util.function.Consumer<String> errors)
            throws BridgeException {
        endpoint.requireCredentialsOffLoopback("jolokia", "");
        if (policy != null && !policy.canRead()) {
            throw new BridgeException("jolokia policy file " + policy + " cannot be read; fix jolokia.policy");
        }
        if (endpoint.keystore != null && !endpoint.keystore.canRead()) {
            throw new BridgeException("jolokia keystore " + endpoint.keystore
                    + " cannot be read; fix jolokia.tls.keystore");
        }
        Map<String, String> config = new HashMap<>();
        config.put("agentContext", CONTEXT);
        config.put("discoveryEnabled", "false");
        config.put("policyLocation", policy == null ? DEFAULT_POLICY : policy.toURI().toString());
        // no stack traces or serialized exceptions in answers, even when a request asks for them
        config.put("allowErrorDetails", "false");
        // Host, Origin, JSONP, body size and nesting, and the credentials, on every context Jolokia makes
        HttpGuard guard = new HttpGuard(REALM, endpoint.user, endpoint.password, policy == null);
        HttpServer http;
        try {
            http = JolokiaHttpServer.create(endpoint.host, endpoint.port, endpoint.keystore,
                    endpoint.keystorePassword, guard);
        } catch (BindException e) {
            throw endpoint.cannotListen("jolokia", e);
        } catch (IOException | GeneralSecurityException e) {
            throw new BridgeException("jolokia did not start: " + e.getMessage() + cause(e)
                    + (endpoint.keystore != null ? "; check jolokia.tls.keystore and jolokia.tls.password" : ""));
        }
        // Jolokia finds its services and the policy through the context class loader: ours, not the application's;
        // the server's threads, made from here, take it too
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(JolokiaBridge.class.getClassLoader());
        try {
            String protocol = endpoint.keystore != null ? "https" : "http";
            String url = protocol + "://" + hostForUrl(endpoint.host) + ":" + http.getAddress().getPort() + CONTEXT
                    + "/";
            JolokiaServerConfig jolokiaConfig = new JolokiaServerConfig(config);
            LazyJolokia jolokia = new LazyJolokia(jolokiaConfig.getJolokiaConfig(), new QuietLog(errors),
                    policy != null, url, endpoint.user != null);
            http.createContext(jolokiaConfig.getContextPath(), jolokia); // guarded, as every context on it
            JolokiaHttpServer.startOnDaemonThread(http);
            return new JolokiaBridge(jolokia, http, url);
        } catch (Exception | LinkageError e) {
            try {
                http.stop(0);
            } catch (RuntimeException alreadyStopped) {
                // what matters is why it did not start
            }
            throw new BridgeException("jolokia did not start: " + e.getMessage() + cause(e));
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** Whether a request has started Jolokia's services (see {@link LazyJolokia}). */
    boolean servicesStarted() {
        return jolokia.started();
    }

    /** e.g. http://127.0.0.1:8778/jolokia/ */
    public String url() {
        return url;
    }

    @Override
    public void close() {
        try {
            jolokia.close();
        } finally {
            http.stop(0);
        }
    }

    private static String hostForUrl(String host) {
        return host.indexOf(':') >= 0 ? "[" + host + "]" : host; // as config.Endpoint writes it
    }

    private static String cause(Throwable e) {
        Throwable c = e.getCause();
        return c == null || c.getMessage() == null ? "" : " (" + c.getMessage() + ")";
    }

    /** Jolokia's log, kept out of the application's output except for errors. */
    static final class QuietLog implements LogHandler {
        private final java.util.function.Consumer<String> errors;

        QuietLog(java.util.function.Consumer<String> errors) {
            this.errors = errors;
        }

        @Override
        public void debug(String message) {
        }

        @Override
        public void info(String message) {
        }

        @Override
        public void error(String message, Throwable t) {
            errors.accept("jolokia: " + message + (t == null ? "" : ": " + t));
        }

        @Override
        public boolean isDebug() {
            return false;
        }
    }
}
