package dev.bpfhook.container;

import java.util.Objects;
import java.util.Optional;

/**
 * What a cgroup path says about the workload in it: a container (runtime and id), a Kubernetes pod
 * (UID and QoS class), a systemd service, or the host. Made by {@link ContainerResolver#resolve}.
 */
public final class ContainerInfo {
    /** Not a container, not a service. */
    public static final ContainerInfo HOST = new ContainerInfo(null, "", null, null, null);

    private final String runtime;
    private final String id;
    private final String podUid;
    private final String qosClass;
    private final String serviceName;

    private ContainerInfo(String runtime, String id, String podUid, String qosClass, String serviceName) {
        this.runtime = runtime;
        this.id = id;
        this.podUid = podUid;
        this.qosClass = qosClass;
        this.serviceName = serviceName;
    }

    /** A container ({@code id} not empty) or a pod ({@code id} empty, {@code podUid} set). */
    static ContainerInfo container(String runtime, String id, String podUid, String qosClass) {
        return new ContainerInfo(runtime, id, podUid, qosClass, null);
    }

    static ContainerInfo service(String name) {
        return new ContainerInfo(null, "", null, null, name);
    }

    /** "docker", "containerd", "cri-o", "podman", or "kubernetes" when only the pod is known. */
    public Optional<String> runtime() {
        return Optional.ofNullable(runtime);
    }

    /** The full container id (hex), or "". */
    public String id() {
        return id;
    }

    /** The first 12 characters of the id, or "". */
    public String shortId() {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }

    /** The Kubernetes pod UID, with dashes. */
    public Optional<String> podUid() {
        return Optional.ofNullable(podUid);
    }

    /** "guaranteed", "burstable" or "besteffort" for a Kubernetes pod. */
    public Optional<String> qosClass() {
        return Optional.ofNullable(qosClass);
    }

    /** The systemd service ("nginx" for ".../nginx.service"); only when this is not a container. */
    public Optional<String> serviceName() {
        return Optional.ofNullable(serviceName);
    }

    /** A runtime or a pod was recognised. */
    public boolean isContainer() {
        return runtime != null || podUid != null;
    }

    /** "docker:0123456789ab" (runtime:shortId), "pod:UID", "service:nginx" or "host". */
    public String label() {
        if (!id.isEmpty()) {
            return runtime + ":" + shortId();
        }
        if (podUid != null) {
            return "pod:" + podUid;
        }
        return serviceName != null ? "service:" + serviceName : "host";
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ContainerInfo)) {
            return false;
        }
        ContainerInfo other = (ContainerInfo) o;
        return Objects.equals(runtime, other.runtime) && id.equals(other.id) && Objects.equals(podUid, other.podUid)
                && Objects.equals(qosClass, other.qosClass) && Objects.equals(serviceName, other.serviceName);
    }

    @Override
    public int hashCode() {
        return Objects.hash(runtime, id, podUid, qosClass, serviceName);
    }

    /** E.g. "ContainerInfo[runtime=containerd, id=..., pod=..., qos=burstable]", "ContainerInfo[host]". */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("ContainerInfo[");
        append(s, "runtime", runtime);
        append(s, "id", id.isEmpty() ? null : id);
        append(s, "pod", podUid);
        append(s, "qos", qosClass);
        append(s, "service", serviceName);
        return s.append(s.length() == "ContainerInfo[".length() ? "host]" : "]").toString();
    }

    private static void append(StringBuilder s, String key, String value) {
        if (value != null) {
            s.append(s.charAt(s.length() - 1) == '[' ? "" : ", ").append(key).append('=').append(value);
        }
    }
}
