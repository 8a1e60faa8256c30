package dev.bpfhook.container;

import dev.bpfhook.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The cgroup to watch, resolved and checked: its directory, id, depth and name. */
public final class CgroupScope {
    /**
     * {@link #level()} of a cgroup whose depth on the host cannot be seen here: the mount shows only part of the
     * host's hierarchy (a cgroup namespace, as in a container). The kernel side finds it (bh_config.scope_level
     * BH_LEVEL_UNKNOWN), from the ancestors of the first cgroup it meets at or below this one.
     */
    public static final int LEVEL_UNKNOWN = -1;
    /** The id of the root of cgroup v2, on every kernel: its directory's inode number. */
    private static final long ROOT_CGROUP_ID = 1;

    private final CgroupV2 hierarchy;
    private final Path directory;
    private final long id;
    private final int level;
    private final String name;
    private final boolean partOfTheHost;

    private CgroupScope(CgroupV2 hierarchy, Path directory, long id, boolean partOfTheHost, boolean depthKnown) {
        this.hierarchy = hierarchy;
        this.directory = directory;
        this.id = id;
        this.level = depthKnown ? hierarchy.level(directory) : LEVEL_UNKNOWN;
        this.name = hierarchy.name(directory);
        this.partOfTheHost = partOfTheHost;
    }

    /** @param requested a cgroup directory, or empty for the root of the cgroup v2 hierarchy */
    public static CgroupScope resolve(Optional<Path> requested) throws ConfigException {
        Optional<CgroupV2> found = CgroupV2.find();
        if (!found.isPresent()) { // no lambda: this runs in premain, where each first use of one costs time
            throw new ConfigException("no cgroup v2 hierarchy is mounted (cgroup v1 only); mount one, e.g. "
                    + "mount -t cgroup2 none /sys/fs/cgroup/unified, or boot with systemd.unified_cgroup_hierarchy=1");
        }
        CgroupV2 hierarchy = found.get();
        boolean partOfTheHost = !showsTheWholeHierarchy(hierarchy);
        // the whole host (scope=host) is the root of any mount: level 0 whatever the namespace
        boolean depthKnown = !requested.isPresent() || !partOfTheHost;
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
            return new CgroupScope(hierarchy, dir, CgroupV2.id(dir), partOfTheHost, depthKnown);
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

    /**
     * Whether the cgroup v2 mount shows only part of the host's hierarchy (a cgroup namespace, as in a
     * container): the cgroups outside it cannot be opened here, so hooks attach to none of them.
     */
    public boolean seesPartOfTheHost() {
        return partOfTheHost;
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

    /** Depth below the root; 0 is the whole host; {@link #LEVEL_UNKNOWN} in a cgroup namespace. */
    public int level() {
        return level;
    }

    /** Path below the root, as /proc/PID/cgroup writes it. */
    public String name() {
        return name;
    }

    public String describe() {
        return name + " (id " + id + (level == 0 ? ", whole host)"
                : level == LEVEL_UNKNOWN ? ", in a cgroup namespace: its depth on the host found by the kernel)" : ")");
    }
}
