package dev.bpfhook.agent;

import dev.bpfhook.bridge.BridgeException;
import dev.bpfhook.bridge.HttpEndpoint;
import dev.bpfhook.bridge.JolokiaBridge;
import dev.bpfhook.bridge.PrometheusBridge;
import dev.bpfhook.config.BridgeConfig;
import dev.bpfhook.config.Endpoint;
import java.io.File;
import java.nio.file.Path;

/** The HTTP bridges as agent outputs: each starts, or fails with one warning line, on its own. */
final class BridgeOutputs {
    private BridgeOutputs() {
    }

    /** jolokia=[host:]port: Jolokia over the platform MBeanServer. */
    static final class Jolokia implements AgentOutput {
        private final Endpoint endpoint;
        private final BridgeConfig config;
        private final AgentLog log;
        private JolokiaBridge bridge;

        Jolokia(Endpoint endpoint, BridgeConfig config, AgentLog log) {
            this.endpoint = endpoint;
            this.config = config;
            this.log = log;
        }

        @Override
        public String name() {
            return "jolokia";
        }

        @Override
        public void start(AgentContext context) throws BridgeException {
            bridge = JolokiaBridge.start(new HttpEndpoint(endpoint.host(), endpoint.port(), endpoint.isLoopback(),
                    config.jolokiaUser().orElse(null), config.jolokiaPassword().orElse(null),
                    file(config.jolokiaKeystore().orElse(null)), config.jolokiaKeystorePassword().orElse(null)),
                    file(config.jolokiaPolicy().orElse(null)), log::warn);
            log.info("jolokia at " + bridge.url());
        }

        @Override
        public void close() {
            if (bridge != null) {
                bridge.close();
            }
        }
    }

    /** prometheus=[host:]port: /metrics from the bpfhook MBeans through the exporter's rules. */
    static final class Prometheus implements AgentOutput {
        private final Endpoint endpoint;
        private final BridgeConfig config;
        private final AgentLog log;
        private PrometheusBridge bridge;

        Prometheus(Endpoint endpoint, BridgeConfig config, AgentLog log) {
            this.endpoint = endpoint;
            this.config = config;
            this.log = log;
        }

        @Override
        public String name() {
            return "prometheus";
        }

        @Override
        public void start(AgentContext context) throws BridgeException {
            bridge = PrometheusBridge.start(new HttpEndpoint(endpoint.host(), endpoint.port(), endpoint.isLoopback(),
                    config.prometheusUser().orElse(null), config.prometheusPassword().orElse(null),
                    file(config.prometheusKeystore().orElse(null)), config.prometheusKeystorePassword().orElse(null)),
                    file(config.prometheusRules().orElse(null)));
            log.info("prometheus metrics at " + (bridge.https() ? "https" : "http") + "://" + endpoint + "/metrics");
        }

        @Override
        public void close() {
            if (bridge != null) {
                bridge.close();
            }
        }
    }

    private static File file(Path path) {
        return path == null ? null : path.toFile();
    }
}
