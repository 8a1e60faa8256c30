package dev.bpfhook.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ContainerResolverTest {
    private static final String ID = "4f0c1b6e5a2d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b";
    private static final String ID2 = "9b2e4c6a8d0f1e3c5a7b9d1f3e5c7a9b1d3f5e7c9a1b3d5f7e9c1a3b5d7f9e1c";
    private static final String UID = "8c3e2a1f-5b7d-4e9c-a1b3-d5f7e9c1a3b5";
    private static final String UID_UNDERSCORES = "8c3e2a1f_5b7d_4e9c_a1b3_d5f7e9c1a3b5";

    // ---- Docker

    @Test
    void dockerWithSystemdDriver() {
        ContainerInfo c = ContainerResolver.resolve("/system.slice/docker-" + ID + ".scope");

        assertEquals(Optional.of("docker"), c.runtime());
        assertEquals(ID, c.id());
        assertEquals("4f0c1b6e5a2d", c.shortId());
        assertEquals(Optional.empty(), c.podUid());
        assertEquals(Optional.empty(), c.qosClass());
        assertEquals(Optional.empty(), c.serviceName());
        assertTrue(c.isContainer());
        assertEquals("docker:4f0c1b6e5a2d", c.label());
    }

    @Test
    void dockerWithCgroupfsDriver() {
        ContainerInfo c = ContainerResolver.resolve("/docker/" + ID);

        assertEquals(Optional.of("docker"), c.runtime());
        assertEquals(ID, c.id());
        assertEquals("docker:4f0c1b6e5a2d", c.label());
        assertEquals(c, ContainerResolver.resolve("/system.slice/docker-" + ID + ".scope"));
    }

    @Test
    void nestedDockerIsTheOutermostContainer() {
        assertEquals(ID, ContainerResolver.resolve("/docker/" + ID + "/docker/" + ID2).id());
        assertEquals(ID, ContainerResolver.resolve("/docker/" + ID + "/system.slice/nginx.service").id());
        assertEquals(Optional.empty(), ContainerResolver.resolve("/docker/" + ID + "/system.slice/nginx.service")
                .serviceName(), "a service inside a container is the container's");
        assertEquals(ID, ContainerResolver.resolve("/system.slice/docker-" + ID + ".scope/init.scope").id());
        assertEquals(ID, ContainerResolver.resolve("/system.slice/docker-" + ID + ".scope/docker-" + ID2 + ".scope").id());
    }

    @Test
    void theEmulatedContainersOfScriptsTestenv() {
        // scripts/testenv.sh: <cgroup v2 mount>/system.slice/docker-<sha256 of the name>.scope
        assertEquals("docker:3bf7773c7847", ContainerResolver.resolve("/system.slice/docker-"
                + "3bf7773c78475a35cedc4a59be04042e9c222130618704959e223ab8256e81a7.scope").label());
        assertEquals("docker:f13b99ac2d2a", ContainerResolver.resolve("/system.slice/docker-"
                + "f13b99ac2d2a2130a9126188afae3b3b6301e1a1dd6d7063d5ae3883cdc2f6b1.scope").label());
    }

    @Test
    void rootlessDockerBelowTheUserManager() {
        ContainerInfo c = ContainerResolver.resolve(
                "/user.slice/user-1000.slice/user@1000.service/docker.service/docker-" + ID + ".scope");

        assertEquals("docker:4f0c1b6e5a2d", c.label());
        assertEquals(Optional.empty(), c.serviceName());
    }

    // ---- containerd, CRI-O, Podman

    @Test
    void containerd() {
        ContainerInfo c = ContainerResolver.resolve("/system.slice/cri-containerd-" + ID + ".scope");

        assertEquals(Optional.of("containerd"), c.runtime());
        assertEquals(ID, c.id());
        assertEquals("containerd:4f0c1b6e5a2d", c.label());
        assertEquals(Optional.empty(), c.podUid());
    }

    @Test
    void crioAndItsConmon() {
        ContainerInfo container = ContainerResolver.resolve("/machine.slice/crio-" + ID + ".scope");
        ContainerInfo conmon = ContainerResolver.resolve("/machine.slice/crio-conmon-" + ID + ".scope");

        assertEquals(Optional.of("cri-o"), container.runtime());
        assertEquals(ID, container.id());
        assertEquals("cri-o:4f0c1b6e5a2d", container.label());
        assertEquals(container, conmon, "conmon is counted as its container's");
        assertEquals(ID, ContainerResolver.resolve("/machine.slice/crio-" + ID + ".scope/container").id());
    }

    @Test
    void podmanRootfulRootlessCgroupfsAndConmon() {
        ContainerInfo rootful = ContainerResolver.resolve("/machine.slice/libpod-" + ID + ".scope");

        assertEquals(Optional.of("podman"), rootful.runtime());
        assertEquals(ID, rootful.id());
        assertEquals("podman:4f0c1b6e5a2d", rootful.label());
        assertEquals(rootful, ContainerResolver.resolve("/machine.slice/libpod-conmon-" + ID + ".scope"));
        assertEquals(rootful, ContainerResolver.resolve(
                "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + ID + ".scope/container"));
        assertEquals(rootful, ContainerResolver.resolve("/libpod_parent/libpod-" + ID));
    }

    // ---- Kubernetes

    @Test
    void burstablePodWithSystemdDriver() {
        ContainerInfo c = ContainerResolver.resolve("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
                + UID_UNDERSCORES + ".slice/cri-containerd-" + ID + ".scope");

        assertEquals(Optional.of("containerd"), c.runtime());
        assertEquals(ID, c.id());
        assertEquals(Optional.of(UID), c.podUid());
        assertEquals(Optional.of("burstable"), c.qosClass());
        assertEquals(Optional.empty(), c.serviceName());
        assertTrue(c.isContainer());
        assertEquals("containerd:4f0c1b6e5a2d", c.label());
    }

    @Test
    void guaranteedPodHasNoQosSlice() {
        ContainerInfo c = ContainerResolver.resolve(
                "/kubepods.slice/kubepods-pod" + UID_UNDERSCORES + ".slice/crio-" + ID + ".scope");

        assertEquals(Optional.of("cri-o"), c.runtime());
        assertEquals(Optional.of(UID), c.podUid());
        assertEquals(Optional.of("guaranteed"), c.qosClass());
    }

    @Test
    void bestEffortPodWithDockerShim() {
        ContainerInfo c = ContainerResolver.resolve("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
                + UID_UNDERSCORES + ".slice/docker-" + ID + ".scope");

        assertEquals(Optional.of("docker"), c.runtime());
        assertEquals(Optional.of(UID), c.podUid());
        assertEquals(Optional.of("besteffort"), c.qosClass());
        assertEquals("docker:4f0c1b6e5a2d", c.label());
    }

    @Test
    void podWithoutAContainerIsThePod() {
        ContainerInfo c = ContainerResolver.resolve(
                "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + UID_UNDERSCORES + ".slice");

        assertEquals(Optional.of("kubernetes"), c.runtime());
        assertEquals("", c.id());
        assertEquals("", c.shortId());
        assertEquals(Optional.of(UID), c.podUid());
        assertEquals(Optional.of("burstable"), c.qosClass());
        assertTrue(c.isContainer());
        assertEquals("pod:" + UID, c.label());
    }

    @Test
    void kindPrefixesTheKubeletSlices() {
        ContainerInfo c = ContainerResolver.resolve("/kubelet.slice/kubelet-kubepods.slice/"
                + "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" + UID_UNDERSCORES
                + ".slice/cri-containerd-" + ID + ".scope");

        assertEquals(Optional.of(UID), c.podUid());
        assertEquals(Optional.of("besteffort"), c.qosClass());
        assertEquals("containerd:4f0c1b6e5a2d", c.label());
    }

    @Test
    void staticPodUidIsAHash() {
        String hash = "6e5c4b3a29180f7e6d5c4b3a29180f7e";
        ContainerInfo c = ContainerResolver.resolve("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
                + hash + ".slice/cri-containerd-" + ID + ".scope");

        assertEquals(Optional.of(hash), c.podUid());
    }

    @Test
    void podsWithCgroupfsDriver() {
        ContainerInfo burstable = ContainerResolver.resolve("/kubepods/burstable/pod" + UID + "/" + ID);
        ContainerInfo guaranteed = ContainerResolver.resolve("/kubepods/pod" + UID + "/" + ID);
        ContainerInfo bestEffort = ContainerResolver.resolve("/kubepods/besteffort/pod" + UID + "/" + ID);

        assertEquals(Optional.of("kubernetes"), burstable.runtime(), "the path does not name the runtime");
        assertEquals(ID, burstable.id());
        assertEquals(Optional.of(UID), burstable.podUid());
        assertEquals(Optional.of("burstable"), burstable.qosClass());
        assertEquals("kubernetes:4f0c1b6e5a2d", burstable.label());
        assertEquals(Optional.of("guaranteed"), guaranteed.qosClass());
        assertEquals(Optional.of(UID), guaranteed.podUid());
        assertEquals(Optional.of("besteffort"), bestEffort.qosClass());
    }

    @Test
    void cgroupfsPodChildIdIsLenientButHex() {
        ContainerInfo shortChild = ContainerResolver.resolve("/kubepods/burstable/pod" + UID + "/0123456789ab");
        ContainerInfo notHex = ContainerResolver.resolve("/kubepods/burstable/pod" + UID + "/0123456789xy");
        ContainerInfo tooShort = ContainerResolver.resolve("/kubepods/burstable/pod" + UID + "/0123456789a");

        assertEquals("0123456789ab", shortChild.id());
        assertEquals("kubernetes:0123456789ab", shortChild.label());
        assertEquals("pod:" + UID, notHex.label());
        assertEquals("", notHex.id());
        assertEquals("pod:" + UID, tooShort.label());
        assertEquals("pod:" + UID, ContainerResolver.resolve("/kubepods/burstable/pod" + UID).label());
    }

    @Test
    void cgroupfsPodWithANamedRuntimeChild() {
        ContainerInfo c = ContainerResolver.resolve("/kubepods/besteffort/pod" + UID + "/crio-" + ID);

        assertEquals(Optional.of("cri-o"), c.runtime());
        assertEquals(Optional.of(UID), c.podUid());
        assertEquals(Optional.of("besteffort"), c.qosClass());
    }

    @Test
    void podDirectoryOutsideKubepodsIsNotAPod() {
        assertSame(ContainerInfo.HOST, ContainerResolver.resolve("/pod" + UID + "/" + ID));
        assertSame(ContainerInfo.HOST, ContainerResolver.resolve("/other/burstable/pod" + UID));
    }

    // ---- systemd services and the host

    @Test
    void systemServices() {
        ContainerInfo nginx = ContainerResolver.resolve("/system.slice/nginx.service");

        assertEquals(Optional.of("nginx"), nginx.serviceName());
        assertEquals(Optional.empty(), nginx.runtime());
        assertEquals("", nginx.id());
        assertFalse(nginx.isContainer());
        assertEquals("service:nginx", nginx.label());
        assertEquals("service:containerd", ContainerResolver.resolve("/system.slice/containerd.service").label());
        assertEquals("service:getty@tty1", ContainerResolver.resolve("/system.slice/system-getty.slice/getty@tty1.service").label());
        assertEquals("service:nginx", ContainerResolver.resolve("/system.slice/nginx.service/workers").label(),
                "a delegated subgroup is its service's");
    }

    @Test
    void escapedServiceNames() {
        assertEquals(Optional.of("foo-bar"), ContainerResolver.resolve("/system.slice/foo\\x2dbar.service").serviceName());
        assertEquals(Optional.of("a b/c"), ContainerResolver.resolve("/system.slice/a\\x20b\\x2fc.service").serviceName());
        assertEquals(Optional.of("caf\u00e9"), ContainerResolver.resolve("/system.slice/caf\\xc3\\xa9.service").serviceName());
        assertEquals(Optional.of("bad\\xzz"), ContainerResolver.resolve("/system.slice/bad\\xzz.service").serviceName(),
                "a malformed escape stays as it is");
        assertEquals(Optional.of("end\\x2"), ContainerResolver.resolve("/system.slice/end\\x2.service").serviceName());
    }

    @Test
    void userServices() {
        String user = "/user.slice/user-1000.slice/user@1000.service";

        assertEquals("service:x", ContainerResolver.resolve(user + "/app.slice/x.service").label());
        assertEquals("service:dbus", ContainerResolver.resolve(user + "/session.slice/dbus.service").label());
        assertSame(ContainerInfo.HOST, ContainerResolver.resolve(user + "/init.scope"), "the user manager itself");
        assertSame(ContainerInfo.HOST, ContainerResolver.resolve(user));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/init.scope", "/user.slice", "/user.slice/user-1000.slice",
            "/user.slice/user-1000.slice/session-3.scope", "/system.slice", "/system.slice/run-u42.scope",
            "/kubepods.slice", "/kubepods.slice/kubepods-burstable.slice", "/kubepods", "/kubepods/burstable",
            "/docker", "/system.slice/docker-" + "0123456789ab" + ".scope", "/machine.slice"})
    void hostPaths(String path) {
        assertSame(ContainerInfo.HOST, ContainerResolver.resolve(path));
    }

    @Test
    void hostInfo() {
        ContainerInfo host = ContainerInfo.HOST;

        assertEquals(Optional.empty(), host.runtime());
        assertEquals("", host.id());
        assertEquals("", host.shortId());
        assertEquals(Optional.empty(), host.podUid());
        assertEquals(Optional.empty(), host.qosClass());
        assertEquals(Optional.empty(), host.serviceName());
        assertFalse(host.isContainer());
        assertEquals("host", host.label());
        assertEquals("ContainerInfo[host]", host.toString());
    }

    @Test
    void equalsHashCodeAndToString() {
        String path = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + UID_UNDERSCORES
                + ".slice/cri-containerd-" + ID + ".scope";
        ContainerInfo a = ContainerResolver.resolve(path);
        ContainerInfo b = ContainerResolver.resolve(path);

        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertEquals("ContainerInfo[runtime=containerd, id=" + ID + ", pod=" + UID + ", qos=burstable]", a.toString());
        assertEquals("ContainerInfo[service=nginx]", ContainerResolver.resolve("/system.slice/nginx.service").toString());
        assertEquals("ContainerInfo[runtime=kubernetes, pod=" + UID + ", qos=guaranteed]",
                ContainerResolver.resolve("/kubepods/pod" + UID).toString());
        assertNotEquals(a, ContainerResolver.resolve("/system.slice/cri-containerd-" + ID + ".scope"), "no pod");
        assertNotEquals(ContainerResolver.resolve("/docker/" + ID), ContainerResolver.resolve("/docker/" + ID2));
        assertNotEquals(ContainerResolver.resolve("/docker/" + ID), ContainerResolver.resolve("/machine.slice/libpod-" + ID + ".scope"));
        assertNotEquals(ContainerInfo.HOST, ContainerResolver.resolve("/system.slice/nginx.service"));
        assertNotEquals(ContainerInfo.HOST, null);
        assertNotEquals(ContainerInfo.HOST, "host");
    }

    @Test
    void aWholeProcCgroupLineOrAMountedPathAlsoResolves() {
        assertEquals(ID, ContainerResolver.resolve("0::/system.slice/docker-" + ID + ".scope").id());
        assertEquals(ID, ContainerResolver.resolve("/sys/fs/cgroup/system.slice/docker-" + ID + ".scope").id());
    }

    // ---- malformed input: HOST (or a service), never an exception

    static Stream<String> malformed() {
        return Stream.of(null, "", "docker-xyz.scope", "/docker/not-hex", "///", "/docker/" + ID.substring(1),
                "/docker/" + ID + "0", "/system.slice/docker-" + ID.substring(1) + ".scope",
                "/system.slice/docker-" + ID + "00.scope", "/system.slice/docker-" + ID.toUpperCase() + ".scope",
                "/system.slice/cri-containerd-" + ID.substring(0, 12) + ".scope", "/machine.slice/crio-.scope",
                "/machine.slice/libpod-conmon-.scope", "kubepods-pod.slice", "/kubepods.slice/kubepods-pod.slice",
                "/kubepods.slice/kubepods-burstable-pod123.slice", "/kubepods/pod", "/kubepods/podxyz/" + ID,
                "/kubepods.slice/kubepods-pod" + UID_UNDERSCORES + "x.slice",
                "/docker/" + "0".repeat(100_000), "/" + "a".repeat(200_000), "x/".repeat(50_000),
                "/" + "kubelet-".repeat(20_000) + "kubepods-pod.slice", "-".repeat(100_000) + ".slice",
                "/docker/\u0660\u0661\u0662\u0663" + ID.substring(4), "/system.slice/docker-\uff10" + ID.substring(1) + ".scope",
                "/\u00e9\u00e8/\ud83d\ude00/\ud800", "\u0000/docker/\u0000", "/system.slice/.service",
                "\n", " /docker/ " + ID, ".service", "/user.slice/user-1000.slice/user@1000.service");
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void malformedIsHost(String path) {
        assertSame(ContainerInfo.HOST, ContainerResolver.resolve(path));
    }

    @Test
    void malformedServiceIsStillAService() {
        assertEquals("service:\ud83d\ude00", ContainerResolver.resolve("/system.slice/\ud83d\ude00.service").label());
        assertEquals("service:x", ContainerResolver.resolve("///x.service///").label());
        assertEquals("service:" + "a".repeat(100_000), ContainerResolver.resolve("/" + "a".repeat(100_000) + ".service").label());
        assertEquals("service:\\x", ContainerResolver.resolve("/\\x.service").label());
        assertEquals("service:\ud800", ContainerResolver.resolve("/\ud800.service").label(), "a lone surrogate is kept");
        assertEquals("service:?x", ContainerResolver.resolve("/\ud800\\x78.service").label(),
                "escapes beside a lone surrogate: the surrogate cannot be UTF-8");
        assertEquals("service:nginx", ContainerResolver.resolve("/docker/not-hex/nginx.service").label());
    }
}
