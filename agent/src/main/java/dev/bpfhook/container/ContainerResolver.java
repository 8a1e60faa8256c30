package dev.bpfhook.container;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tells from a cgroup path (as /proc/PID/cgroup shows it) which container, Kubernetes pod or systemd
 * service it belongs to. The path is read one segment at a time, from the root down; the first
 * container found wins (Docker in Docker, kind: the outermost container is the one on this host).
 */
public final class ContainerResolver {
    /** A pod UID: a UUID whose dashes systemd slice names turn into underscores, or 32 hex (static pods). */
    private static final String UID = "[0-9a-f]{8}(?:[-_]?[0-9a-f]{4}){3}[-_]?[0-9a-f]{12}";

    /**
     * A container's own cgroup: "docker-ID.scope", "cri-containerd-ID.scope", "crio-ID.scope",
     * "libpod-ID.scope" and the conmon monitors "crio-conmon-ID.scope", "libpod-conmon-ID.scope"
     * (counted as their container's); without ".scope" with the cgroupfs driver (podman's
     * "/libpod_parent/libpod-ID"). ID is 64 hex.
     */
    private static final Pattern RUNTIME_SCOPE = Pattern.compile(
            "(docker|cri-containerd|crio|crio-conmon|libpod|libpod-conmon)-([0-9a-f]{64})(?:\\.scope)?");

    /** Docker's cgroupfs driver: "/docker/ID", ID 64 hex. */
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    /**
     * A pod with the systemd driver: "kubepods-pod<UID>.slice" (guaranteed QoS),
     * "kubepods-burstable-pod<UID>.slice", "kubepods-besteffort-pod<UID>.slice"; kind prefixes "kubelet-".
     */
    private static final Pattern POD_SLICE = Pattern.compile(
            "(?:[a-z0-9-]*-)?kubepods(?:-(burstable|besteffort))?-pod(" + UID + ")\\.slice");

    /** A pod with the cgroupfs driver: "/kubepods/[burstable/|besteffort/]pod<UID>/ID". */
    private static final Pattern POD_DIR = Pattern.compile("pod(" + UID + ")");

    /** A container right below a cgroupfs pod: its id, which we take leniently (12 to 64 hex). */
    private static final Pattern POD_CHILD_ID = Pattern.compile("[0-9a-f]{12,64}");

    /** A systemd service, "nginx.service"; its name may carry systemd's escapes, "foo\x2dbar". */
    private static final Pattern SERVICE = Pattern.compile("(.+)\\.service");

    /** The per-user systemd manager, "user@1000.service": its services are below it, it is none itself. */
    private static final Pattern USER_MANAGER = Pattern.compile("user@[0-9]+\\.service");

    private ContainerResolver() {
    }

    /** Never throws; malformed or unknown paths give ContainerInfo.HOST (or a service when it is one). */
    public static ContainerInfo resolve(String cgroupPath) {
        if (cgroupPath == null) {
            return ContainerInfo.HOST;
        }
        try {
            return parse(cgroupPath.split("/"));
        } catch (RuntimeException e) { // nothing should get here; a monitor must not fail on a name
            return ContainerInfo.HOST;
        }
    }

    private static ContainerInfo parse(String[] segments) {
        boolean inKubepods = false; // below a cgroupfs "/kubepods"
        String podUid = null;
        String qos = null;
        int podSegment = -1;
        String service = null;
        for (int i = 0; i < segments.length; i++) {
            String segment = segments[i];
            String previous = i > 0 ? segments[i - 1] : "";
            Matcher m = RUNTIME_SCOPE.matcher(segment);
            if (m.matches()) {
                return ContainerInfo.container(runtimeOf(m.group(1)), m.group(2), podUid, qos);
            }
            if (previous.equals("docker") && HEX64.matcher(segment).matches()) {
                return ContainerInfo.container("docker", segment, podUid, qos);
            }
            if (podSegment >= 0 && i == podSegment + 1 && inKubepods && POD_CHILD_ID.matcher(segment).matches()) {
                return ContainerInfo.container("kubernetes", segment, podUid, qos); // runtime not in the path
            }
            if (podUid == null) {
                m = POD_SLICE.matcher(segment);
                if (m.matches()) {
                    podUid = m.group(2).replace('_', '-');
                    qos = m.group(1) == null ? "guaranteed" : m.group(1);
                    podSegment = i;
                    continue;
                }
                m = POD_DIR.matcher(segment);
                if (inKubepods && m.matches()) {
                    podUid = m.group(1).replace('_', '-');
                    qos = previous.equals("burstable") || previous.equals("besteffort") ? previous : "guaranteed";
                    podSegment = i;
                    continue;
                }
            }
            inKubepods |= segment.equals("kubepods");
            m = SERVICE.matcher(segment);
            if (m.matches() && !USER_MANAGER.matcher(segment).matches()) {
                service = unescape(m.group(1));
            }
        }
        if (podUid != null) {
            return ContainerInfo.container("kubernetes", "", podUid, qos);
        }
        return service == null ? ContainerInfo.HOST : ContainerInfo.service(service);
    }

    private static String runtimeOf(String prefix) {
        switch (prefix) {
            case "docker":
                return "docker";
            case "cri-containerd":
                return "containerd";
            case "crio":
            case "crio-conmon":
                return "cri-o";
            default: // libpod, libpod-conmon
                return "podman";
        }
    }

    /** systemd escapes a unit name's bytes as "\xHH" (UTF-8): "foo\x2dbar" is "foo-bar". */
    static String unescape(String name) {
        if (!name.contains("\\x")) {
            return name;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int i = 0;
        while (i < name.length()) {
            int hex = i + 4 <= name.length() && name.startsWith("\\x", i) ? hexByte(name, i + 2) : -1;
            if (hex >= 0) {
                bytes.write(hex);
                i += 4;
            } else {
                int end = i + Character.charCount(name.codePointAt(i));
                byte[] utf8 = name.substring(i, end).getBytes(StandardCharsets.UTF_8);
                bytes.write(utf8, 0, utf8.length);
                i = end;
            }
        }
        return new String(bytes.toByteArray(), StandardCharsets.UTF_8);
    }

    private static int hexByte(String s, int at) {
        int high = "0123456789abcdef".indexOf(Character.toLowerCase(s.charAt(at)));
        int low = "0123456789abcdef".indexOf(Character.toLowerCase(s.charAt(at + 1)));
        return high < 0 || low < 0 ? -1 : high * 16 + low;
    }
}
