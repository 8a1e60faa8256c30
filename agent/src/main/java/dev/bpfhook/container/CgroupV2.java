package dev.bpfhook.container;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Optional;

/**
 * Facts about the cgroup v2 hierarchy, read from /proc: where it is mounted
 * (never assumed: /sys/fs/cgroup on most machines, /sys/fs/cgroup/unified on
 * hybrid ones), a cgroup's id (the inode of its directory, which is what BPF's
 * cgroup helpers return) and its depth.
 */
public final class CgroupV2 {
    private final Path mount;

    private CgroupV2(Path mount) {
        this.mount = mount;
    }

    /** A hierarchy mounted at {@code mount}; for tests and for callers that already know it. */
    static CgroupV2 at(Path mount) {
        return new CgroupV2(mount);
    }

    /** The hierarchy mounted on this machine, or empty when only cgroup v1 is mounted. */
    public static Optional<CgroupV2> find() {
        Optional<Path> mount = findMount(Paths.get("/proc/self/mountinfo"));
        return mount.isPresent() ? Optional.of(new CgroupV2(mount.get())) : Optional.empty();
    }

    /** The first cgroup2 mount point listed in a mountinfo file. */
    static Optional<Path> findMount(Path mountinfo) {
        try {
            for (String line : Files.readAllLines(mountinfo)) {
                Optional<Path> mount = cgroup2MountPoint(line);
                if (mount.isPresent()) {
                    return mount;
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** mountinfo: "id parent major:minor root mountpoint options [optional...] - fstype source superoptions". */
    static Optional<Path> cgroup2MountPoint(String line) {
        String[] halves = line.split(" - ", 2);
        if (halves.length != 2 || !halves[1].startsWith("cgroup2 ")) {
            return Optional.empty();
        }
        String[] fields = halves[0].split(" ");
        return fields.length > 4 ? Optional.of(Paths.get(unescape(fields[4]))) : Optional.empty();
    }

    /** mountinfo escapes space, tab, newline and backslash as octal. */
    private static String unescape(String s) {
        return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }

    public Path mount() {
        return mount;
    }

    /** The cgroup of this process, from the "0::" line of /proc/self/cgroup. */
    public Path ownCgroup() throws IOException {
        return mount.resolve(relative(ownCgroupLine(Files.readAllLines(Paths.get("/proc/self/cgroup")))));
    }

    static String ownCgroupLine(List<String> procSelfCgroup) throws IOException {
        for (String line : procSelfCgroup) {
            if (line.startsWith("0::")) {
                return line.substring(3);
            }
        }
        throw new IOException("this process has no cgroup v2 entry in /proc/self/cgroup");
    }

    private static String relative(String cgroupPath) {
        String trimmed = cgroupPath.trim();
        while (trimmed.startsWith("/")) {
            trimmed = trimmed.substring(1);
        }
        return trimmed;
    }

    /** Is this directory a cgroup of this hierarchy (inside the mount, with a cgroup.procs file)? */
    public boolean contains(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        return abs.startsWith(mount) && Files.isRegularFile(abs.resolve("cgroup.procs"));
    }

    /** The cgroup's path relative to the root, as /proc/PID/cgroup shows it ("/" for the root). */
    public String name(Path dir) {
        Path rel = mount.relativize(dir.toAbsolutePath().normalize());
        return "/" + rel.toString();
    }

    /** Depth below the root: 0 for the root itself. */
    public int level(Path dir) {
        Path rel = mount.relativize(dir.toAbsolutePath().normalize());
        return rel.toString().isEmpty() ? 0 : rel.getNameCount();
    }

    /** The id BPF sees for this cgroup: the inode number of its directory. */
    public static long id(Path dir) throws IOException {
        return ((Number) Files.getAttribute(dir, "unix:ino")).longValue();
    }
}
