package dev.bpfhook.container;

import dev.bpfhook.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The cgroup to watch, resolved and checked: its directory, id, depth and name. */
public final class CgroupScope {
    /** The id of the root of cgroup v2, on every kernel: its directory's inode number. */
    private static final long ROOT_CGROUP_ID = 1;

    private final CgroupV2 hierarchy;
    private final Path directory;
    private final long id;
    private final int level;
    private final String name;

    private CgroupScope(CgroupV2 hierarchy, Path directory, long id) {
        this.hierarchy = hierarchy;
        this.directory = directory;
        this.id = id;
        this.level = hierarchy.level(directory);
        this.name = hierarchy.name(directory);
    }

    /** @param requested a cgroup directory, or empty for the root of the cgroup v2 hierarchy */
    public static CgroupScope resolve(Optional<Path> requested) throws ConfigException {
        Optional<CgroupV2> found = CgroupV2.find();
        if (!found.isPresent()) { // no lambda: this runs in premain, where each first use of one costs time
            throw new ConfigException("no cgroup v2 hierarchy is mounted (cgroup v1 only); mount one, e.g. "
                    + "mount -t cgroup2 none /sys/fs/cgroup/unified, or boot with systemd.unified_cgroup_hierarchy=1");
        }
        CgroupV2 hierarchy = found.get();
        if (requested.isPresent() && !showsTheWholeHierarchy(hierarchy)) {
            throw new ConfigException("the cgroup v2 hierarchy at " + hierarchy.mount() + " shows only part of the "
                    + "host's (a cgroup namespace, as in a container, or a bind mount), so the depth of a cgroup on the "
                    + "host, which the kernel checks, cannot be told here; run with the host's cgroup namespace (e.g. "
                    + "docker run --cgroupns=host) and its cgroup v2 mount, or watch the whole host (scope=host)");
        }
        Path dir = requested.orElse(hierarchy.mount()).toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new ConfigException("cgroup " + dir + " does not exist; pass a directory under " + hierarchy.mount()
                    + " (the cgroup v2 mount)");
        }
        if (!hierarchy.contains(dir)) {
            throw new ConfigException("cgroup " + dir + " is not a cgroup v2 directory; cgroup v2 is mounted at "
                    + hierarchy.mount() + ": pass it or a directory below it");
        }
        try {
            return new CgroupScope(hierarchy, dir, CgroupV2.id(dir));
        } catch (IOException e) {
            throw new ConfigException("cannot read cgroup " + dir + ": " + e.getMessage());
        }
    }

    /**
     * Whether the mount shows the host's whole hierarchy: its root is the root cgroup, whose id is 1. In a
     * cgroup namespace it is the namespace's own cgroup, and depths counted from it are not the kernel's.
     */
    private static boolean showsTheWholeHierarchy(CgroupV2 hierarchy) {
        try {
            return CgroupV2.id(hierarchy.mount()) == ROOT_CGROUP_ID;
        } catch (IOException e) {
            return true; // cannot tell: the checks that follow read the same directory and say what fails
        }
    }

    public CgroupV2 hierarchy() {
        return hierarchy;
    }

    public Path directory() {
        return directory;
    }

    /** The id BPF sees: the inode of the directory. */
    public long id() {
        return id;
    }

    /** Depth below the root; 0 is the whole host. */
    public int level() {
        return level;
    }

    /** Path below the root, as /proc/PID/cgroup writes it. */
    public String name() {
        return name;
    }

    public String describe() {
        return name + " (id " + id + (level == 0 ? ", whole host)" : ")");
    }
}
