package dev.bpfhook.cli;

import dev.bpfhook.config.ConfigException;
import dev.bpfhook.container.CgroupV2;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The cgroup to watch, resolved and checked: its directory, id, depth and name. */
final class Scope {
    final CgroupV2 hierarchy;
    final Path directory;
    final long id;
    final int level;
    final String name;

    private Scope(CgroupV2 hierarchy, Path directory, long id) {
        this.hierarchy = hierarchy;
        this.directory = directory;
        this.id = id;
        this.level = hierarchy.level(directory);
        this.name = hierarchy.name(directory);
    }

    /** @param requested a cgroup directory, or empty for the root of the cgroup v2 hierarchy */
    static Scope resolve(Optional<Path> requested) throws ConfigException {
        CgroupV2 hierarchy = CgroupV2.find().orElseThrow(() -> new ConfigException(
                "no cgroup v2 hierarchy is mounted (cgroup v1 only); mount one, e.g. "
                        + "mount -t cgroup2 none /sys/fs/cgroup/unified, or boot with systemd.unified_cgroup_hierarchy=1"));
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
            return new Scope(hierarchy, dir, CgroupV2.id(dir));
        } catch (IOException e) {
            throw new ConfigException("cannot read cgroup " + dir + ": " + e.getMessage());
        }
    }

    String describe() {
        return name + " (id " + id + (level == 0 ? ", whole host)" : ")");
    }
}
