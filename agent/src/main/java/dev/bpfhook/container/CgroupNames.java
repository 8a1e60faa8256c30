package dev.bpfhook.container;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Cgroup id to path ("/system.slice/foo.service"). The kernel reports ids; a
 * person wants names. The map is rebuilt by walking the watched subtree when an
 * unknown id shows up, at most once per {@code minRescanNanos}, so a flood of
 * unknown (already removed) cgroups cannot turn into a flood of walks. Only the
 * subtree: no event comes from outside it, and the whole hierarchy of a busy host
 * (thousands of directories) would take tens of milliseconds to walk.
 */
public final class CgroupNames {
    private static final long MIN_RESCAN_NANOS = 1_000_000_000L;

    private final CgroupV2 hierarchy;
    private final Path subtree;
    private final Map<Long, String> names = new HashMap<>();
    /** When each known name was last confirmed on disk: a stat per event would cost microseconds each. */
    private final Map<Long, Long> confirmedAt = new HashMap<>();
    private long lastScan = System.nanoTime() - MIN_RESCAN_NANOS;

    /** Names of the cgroups in {@code subtree} (a directory of the hierarchy) and below. */
    public CgroupNames(CgroupV2 hierarchy, Path subtree) {
        this.hierarchy = hierarchy;
        this.subtree = subtree;
    }

    /** The cgroup's path below the root, or "cgroup:ID" when it is gone or unknown. */
    public String nameOf(long id) {
        Optional<String> name = find(id);
        return name.isPresent() ? name.get() : "cgroup:" + id; // not orElse: it would build the text every time
    }

    /**
     * The cgroup's path, or empty when no directory has this id (as far as a
     * check at most a second old can tell). A known cgroup is checked for removal
     * with one stat of its directory, at most once a second.
     */
    public synchronized Optional<String> find(long id) {
        String name = names.get(id);
        long now = System.nanoTime();
        if (name != null && now - confirmedAt.getOrDefault(id, now - MIN_RESCAN_NANOS) >= MIN_RESCAN_NANOS) {
            if (stillThere(name, id)) {
                confirmedAt.put(id, now);
            } else {
                names.remove(id);
                confirmedAt.remove(id);
                name = null;
            }
        }
        if (name == null && System.nanoTime() - lastScan >= MIN_RESCAN_NANOS) {
            rescan();
            name = names.get(id);
        }
        return Optional.ofNullable(name);
    }

    private boolean stillThere(String name, long id) {
        Path dir = hierarchy.mount().resolve(name.substring(1));
        try {
            return CgroupV2.id(dir) == id;
        } catch (IOException | RuntimeException gone) {
            return false;
        }
    }

    /**
     * The walk's names replace the old ones: a cgroup removed since the last walk is forgotten, so that a
     * host that keeps starting and removing containers does not grow this map for ever. A walk that
     * failed part-way only adds what it found.
     */
    private void rescan() {
        lastScan = System.nanoTime();
        Map<Long, String> found = new HashMap<>();
        boolean complete = true;
        try (Stream<Path> dirs = Files.walk(subtree)) {
            dirs.filter(Files::isDirectory).forEach(dir -> {
                try {
                    found.put(CgroupV2.id(dir), hierarchy.name(dir));
                } catch (IOException | RuntimeException gone) {
                    // removed while we walked: it will be unknown, which is the truth
                }
            });
        } catch (IOException | RuntimeException e) {
            complete = false; // an unreadable hierarchy, or a directory that went while the walk was in it
        }
        if (complete) {
            names.clear();
            confirmedAt.keySet().retainAll(found.keySet());
        }
        names.putAll(found);
    }

    /** How many names are known: for tests. */
    synchronized int size() {
        return names.size();
    }
}
