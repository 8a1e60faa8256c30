package dev.bpfhook.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.Collections;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CgroupV2Test {
    /** systemd "hybrid" mode: v1 controllers under /sys/fs/cgroup, v2 at /sys/fs/cgroup/unified. */
    private static final String HYBRID =
            "30 24 0:26 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:5 - cgroup2 cgroup2 "
                    + "rw,nsdelegate";
    /** Unified mode (current distributions): v2 only, at /sys/fs/cgroup. */
    private static final String PURE_V2 =
            "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
                    + "rw,nsdelegate,memory_recursiveprot";
    private static final String V1_MEMORY =
            "36 30 0:31 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,memory";
    private static final String TMPFS =
            "29 24 0:25 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:4 - tmpfs tmpfs ro,mode=755";
    /** No optional fields, and a mount point with a space (the kernel writes it as \040). */
    private static final String ESCAPED = "412 25 0:44 / /mnt/my\\040cgroups rw,relatime - cgroup2 none rw";

    @Test
    void hybridMountPoint() {
        assertEquals(Optional.of(Paths.get("/sys/fs/cgroup/unified")), CgroupV2.cgroup2MountPoint(HYBRID));
    }

    @Test
    void pureV2MountPoint() {
        assertEquals(Optional.of(Paths.get("/sys/fs/cgroup")), CgroupV2.cgroup2MountPoint(PURE_V2));
    }

    @Test
    void otherFilesystemsAreNotCgroup2() {
        assertEquals(Optional.empty(), CgroupV2.cgroup2MountPoint(V1_MEMORY));
        assertEquals(Optional.empty(), CgroupV2.cgroup2MountPoint(TMPFS));
        assertEquals(Optional.empty(), CgroupV2.cgroup2MountPoint(""));
    }

    @Test
    void escapedMountPointIsUnescaped() {
        assertEquals(Optional.of(Paths.get("/mnt/my cgroups")), CgroupV2.cgroup2MountPoint(ESCAPED));
        assertEquals(Optional.of(Paths.get("/mnt/a\\b\tc")),
                CgroupV2.cgroup2MountPoint("413 25 0:45 / /mnt/a\\134b\\011c rw - cgroup2 none rw"));
    }

    @Test
    void findMountTakesTheFirstCgroup2Line(@TempDir Path tmp) throws IOException {
        Path mountinfo = tmp.resolve("mountinfo");
        Files.write(mountinfo, Arrays.asList(TMPFS, V1_MEMORY, HYBRID, PURE_V2));

        assertEquals(Optional.of(Paths.get("/sys/fs/cgroup/unified")), CgroupV2.findMount(mountinfo));
    }

    @Test
    void findMountIsEmptyWithV1OnlyOrNoFile(@TempDir Path tmp) throws IOException {
        Path mountinfo = tmp.resolve("mountinfo");
        Files.write(mountinfo, Arrays.asList(TMPFS, V1_MEMORY));

        assertEquals(Optional.empty(), CgroupV2.findMount(mountinfo));
        assertEquals(Optional.empty(), CgroupV2.findMount(tmp.resolve("absent")));
    }

    @Test
    void ownCgroupLinePicksTheUnifiedEntry() throws IOException {
        assertEquals("/user.slice/user-1000.slice/session-2.scope", CgroupV2.ownCgroupLine(Arrays.asList(
                "12:memory:/user.slice/user-1000.slice",
                "1:name=systemd:/user.slice/user-1000.slice/session-2.scope",
                "0::/user.slice/user-1000.slice/session-2.scope")));
        assertEquals("/", CgroupV2.ownCgroupLine(Collections.singletonList("0::/")));
    }

    @Test
    void ownCgroupLineFailsWithoutUnifiedEntry() {
        IOException e = assertThrows(IOException.class,
                () -> CgroupV2.ownCgroupLine(Arrays.asList("12:memory:/user.slice", "1:name=systemd:/")));
        assertEquals("this process has no cgroup v2 entry in /proc/self/cgroup", e.getMessage());
        assertThrows(IOException.class, () -> CgroupV2.ownCgroupLine(Collections.emptyList()));
    }

    @Test
    void levelOfRootAndDescendants(@TempDir Path root) throws Exception {
        CgroupV2 h = fakeHierarchy(root);
        Path service = cgroup(root.resolve("system.slice/docker-abc.scope"));

        assertEquals(0, h.level(root));
        assertEquals(1, h.level(root.resolve("system.slice")));
        assertEquals(2, h.level(service));
        assertEquals(2, h.level(root.resolve("system.slice/./docker-abc.scope/../docker-abc.scope")));
    }

    @Test
    void nameIsThePathBelowTheRoot(@TempDir Path root) throws Exception {
        CgroupV2 h = fakeHierarchy(root);
        Path service = cgroup(root.resolve("system.slice/docker-abc.scope"));

        assertEquals("/", h.name(root));
        assertEquals("/system.slice", h.name(root.resolve("system.slice")));
        assertEquals("/system.slice/docker-abc.scope", h.name(service));
        assertEquals(root, h.mount());
    }

    @Test
    void containsOnlyCgroupDirectoriesInsideTheMount(@TempDir Path tmp) throws Exception {
        Path root = cgroup(tmp.resolve("cgroup"));
        CgroupV2 h = fakeHierarchy(root);
        cgroup(root.resolve("system.slice"));
        Path service = cgroup(root.resolve("system.slice/foo.service"));
        Path plainDir = Files.createDirectories(root.resolve("not-a-cgroup"));
        Path outside = cgroup(tmp.resolve("elsewhere"));
        Path sibling = cgroup(tmp.resolve("cgroup-other")); // shares the mount's name as a string prefix

        assertTrue(h.contains(root));
        assertTrue(h.contains(service));
        assertTrue(h.contains(root.resolve("system.slice")));
        assertFalse(h.contains(plainDir));
        assertFalse(h.contains(outside));
        assertFalse(h.contains(sibling));
        assertFalse(h.contains(root.resolve("absent")));
    }

    @Test
    void idIsTheDirectoryInode(@TempDir Path root) throws Exception {
        Path a = Files.createDirectory(root.resolve("a"));
        Path b = Files.createDirectory(root.resolve("b"));

        assertEquals(inodeFromFileKey(a), CgroupV2.id(a));
        assertEquals(inodeFromFileKey(b), CgroupV2.id(b));
        assertNotEquals(CgroupV2.id(a), CgroupV2.id(b));
    }

    /** The inode as the JDK's file key shows it on Linux: "(dev=...,ino=N)", read independently of unix:ino. */
    private static long inodeFromFileKey(Path p) throws IOException {
        Object key = Files.readAttributes(p, BasicFileAttributes.class).fileKey();
        Matcher m = Pattern.compile("ino=(\\d+)").matcher(String.valueOf(key));
        assertTrue(m.find(), "file key " + key);
        return Long.parseLong(m.group(1));
    }

    /** A cgroup directory: what makes it one is its cgroup.procs file. */
    private static Path cgroup(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path procs = dir.resolve("cgroup.procs");
        if (!Files.exists(procs)) {
            Files.createFile(procs);
        }
        return dir;
    }

    /** A hierarchy mounted at {@code root}, a directory the test made. */
    private static CgroupV2 fakeHierarchy(Path root) throws Exception {
        Files.createDirectories(root);
        if (!Files.exists(root.resolve("cgroup.procs"))) {
            Files.createFile(root.resolve("cgroup.procs"));
        }
        return CgroupV2.at(root);
    }
}
