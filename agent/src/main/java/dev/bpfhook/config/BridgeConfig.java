package dev.bpfhook.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/** Credentials, policy, TLS and rules of the HTTP bridges (Jolokia, Prometheus). Immutable. */
public final class BridgeConfig {
    static final BridgeConfig DEFAULTS = new BridgeConfig(null, null, null, null, null, null, null, null, null,
            null);

    private final String jolokiaUser;
    private final String jolokiaPassword;
    private final Path jolokiaPolicy;
    private final Path jolokiaKeystore;
    private final String jolokiaKeystorePassword;
    private final Path prometheusRules;
    private final String prometheusUser;
    private final String prometheusPassword;
    private final Path prometheusKeystore;
    private final String prometheusKeystorePassword;

    BridgeConfig(String jolokiaUser, String jolokiaPassword, Path jolokiaPolicy, Path jolokiaKeystore,
            String jolokiaKeystorePassword, Path prometheusRules, String prometheusUser, String prometheusPassword,
            Path prometheusKeystore, String prometheusKeystorePassword) {
        this.jolokiaUser = jolokiaUser;
        this.jolokiaPassword = jolokiaPassword;
        this.jolokiaPolicy = jolokiaPolicy;
        this.jolokiaKeystore = jolokiaKeystore;
        this.jolokiaKeystorePassword = jolokiaKeystorePassword;
        this.prometheusRules = prometheusRules;
        this.prometheusUser = prometheusUser;
        this.prometheusPassword = prometheusPassword;
        this.prometheusKeystore = prometheusKeystore;
        this.prometheusKeystorePassword = prometheusKeystorePassword;
    }

    /** Basic-auth user of the Jolokia endpoint; empty: no authentication. */
    public Optional<String> jolokiaUser() {
        return Optional.ofNullable(jolokiaUser);
    }

    public Optional<String> jolokiaPassword() {
        return Optional.ofNullable(jolokiaPassword);
    }

    /** A Jolokia access policy that replaces the bundled read-only one. */
    public Optional<Path> jolokiaPolicy() {
        return Optional.ofNullable(jolokiaPolicy);
    }

    /** A keystore for HTTPS on the Jolokia endpoint. */
    public Optional<Path> jolokiaKeystore() {
        return Optional.ofNullable(jolokiaKeystore);
    }

    public Optional<String> jolokiaKeystorePassword() {
        return Optional.ofNullable(jolokiaKeystorePassword);
    }

    /** Exporter rules that replace the bundled bpfhook-exporter.yaml. */
    public Optional<Path> prometheusRules() {
        return Optional.ofNullable(prometheusRules);
    }

    /** Basic-auth user of the /metrics endpoint; empty: no authentication (then loopback only). */
    public Optional<String> prometheusUser() {
        return Optional.ofNullable(prometheusUser);
    }

    public Optional<String> prometheusPassword() {
        return Optional.ofNullable(prometheusPassword);
    }

    /** A keystore for HTTPS on the /metrics endpoint. */
    public Optional<Path> prometheusKeystore() {
        return Optional.ofNullable(prometheusKeystore);
    }

    public Optional<String> prometheusKeystorePassword() {
        return Optional.ofNullable(prometheusKeystorePassword);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof BridgeConfig)) {
            return false;
        }
        BridgeConfig c = (BridgeConfig) o;
        return Objects.equals(jolokiaUser, c.jolokiaUser) && Objects.equals(jolokiaPassword, c.jolokiaPassword)
                && Objects.equals(jolokiaPolicy, c.jolokiaPolicy) && Objects.equals(jolokiaKeystore, c.jolokiaKeystore)
                && Objects.equals(jolokiaKeystorePassword, c.jolokiaKeystorePassword)
                && Objects.equals(prometheusRules, c.prometheusRules)
                && Objects.equals(prometheusUser, c.prometheusUser)
                && Objects.equals(prometheusPassword, c.prometheusPassword)
                && Objects.equals(prometheusKeystore, c.prometheusKeystore)
                && Objects.equals(prometheusKeystorePassword, c.prometheusKeystorePassword);
    }

    @Override
    public int hashCode() {
        return Objects.hash(jolokiaUser, jolokiaPassword, jolokiaPolicy, jolokiaKeystore, jolokiaKeystorePassword,
                prometheusRules, prometheusUser, prometheusPassword, prometheusKeystore, prometheusKeystorePassword);
    }

    /** In agent-argument form, passwords masked; empty when all are defaults. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        append(s, "jolokia.user", jolokiaUser);
        append(s, "jolokia.password", jolokiaPassword == null ? null : "***");
        append(s, "jolokia.policy", jolokiaPolicy);
        append(s, "jolokia.tls.keystore", jolokiaKeystore);
        append(s, "jolokia.tls.password", jolokiaKeystorePassword == null ? null : "***");
        append(s, "prometheus.config", prometheusRules);
        append(s, "prometheus.user", prometheusUser);
        append(s, "prometheus.password", prometheusPassword == null ? null : "***");
        append(s, "prometheus.tls.keystore", prometheusKeystore);
        append(s, "prometheus.tls.password", prometheusKeystorePassword == null ? null : "***");
        return s.toString();
    }

    private static void append(StringBuilder s, String key, Object value) {
        if (value != null) {
            s.append(s.length() == 0 ? "" : ",").append(key).append('=').append(value);
        }
    }
}
