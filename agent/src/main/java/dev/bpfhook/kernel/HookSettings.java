package dev.bpfhook.kernel;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/** What the kernel side needs to know before load: the scope and the sizes of its tables. */
public final class HookSettings {
    public static final int DEFAULT_CGROUP_LIMIT = 4096;

    private final Path scopeCgroup;
    private final long scopeCgroupId;
    private final int scopeLevel;
    private final int ringBytes;
    private final int connectionTableSize;
    private final int wakeupBytes;
    private final boolean allStates;
    private final Set<String> disabledTiers;
    private final int cgroupLimit;
    private final Path btfFile;

    /**
     * @param scopeCgroup         directory of the monitored cgroup v2
     * @param scopeCgroupId       its id (the directory's inode)
     * @param scopeLevel          its depth below the cgroup v2 root (root: 0), or -1 when not known here (a cgroup
     *                            namespace): the programs find it (BH_LEVEL_UNKNOWN)
     * @param ringBytes           ring-buffer size, a power of two and a multiple of the page size
     * @param connectionTableSize connections tracked at once in the kernel
     * @param allStates           an event per TCP transition, not only to ESTABLISHED and CLOSE
     */
    public HookSettings(Path scopeCgroup, long scopeCgroupId, int scopeLevel, int ringBytes,
            int connectionTableSize, boolean allStates) {
        this(scopeCgroup, scopeCgroupId, scopeLevel, ringBytes, connectionTableSize, allStates,
                Collections.emptySet(), DEFAULT_CGROUP_LIMIT, null);
    }

    private HookSettings(Path scopeCgroup, long scopeCgroupId, int scopeLevel, int ringBytes,
            int connectionTableSize, boolean allStates, Set<String> disabledTiers, int cgroupLimit, Path btfFile) {
        this.scopeCgroup = scopeCgroup;
        this.scopeCgroupId = scopeCgroupId;
        this.scopeLevel = scopeLevel;
        this.ringBytes = ringBytes;
        this.connectionTableSize = connectionTableSize;
        // wake the consumer early enough that a burst cannot fill the ring before it runs
        this.wakeupBytes = Math.max(4096, ringBytes / 8);
        this.allStates = allStates;
        this.disabledTiers = Collections.unmodifiableSet(new LinkedHashSet<>(disabledTiers));
        this.cgroupLimit = cgroupLimit;
        this.btfFile = btfFile;
    }

    /**
     * The same settings with some tiers (by {@link Hook.Tier#name()}) never used,
     * to run on a lower tier on purpose: to test it, or to avoid a tier that
     * misbehaves on some kernel.
     */
    public HookSettings withoutTiers(Set<String> tiers) {
        Set<String> all = new LinkedHashSet<>(disabledTiers);
        all.addAll(tiers);
        return new HookSettings(scopeCgroup, scopeCgroupId, scopeLevel, ringBytes, connectionTableSize, allStates, all,
                cgroupLimit, btfFile);
    }

    /** The same settings with room for counters of {@code cgroups} cgroups (and as many namespaces). */
    public HookSettings withCgroupLimit(int cgroups) {
        return new HookSettings(scopeCgroup, scopeCgroupId, scopeLevel, ringBytes, connectionTableSize, allStates,
                disabledTiers, cgroups, btfFile);
    }

    /**
     * The same settings with CO-RE relocations against this BTF file instead of the kernel's own, for kernels
     * without /sys/kernel/btf/vmlinux; null: the kernel's.
     */
    public HookSettings withBtfFile(Path file) {
        return new HookSettings(scopeCgroup, scopeCgroupId, scopeLevel, ringBytes, connectionTableSize, allStates,
                disabledTiers, cgroupLimit, file);
    }

    /** The BTF file CO-RE relocates against, when not the kernel's own. */
    public Optional<Path> btfFile() {
        return Optional.ofNullable(btfFile);
    }

    /** Cgroups (and network namespaces) with counters of their own; past it, updates are counted as lost. */
    public int cgroupLimit() {
        return cgroupLimit;
    }

    public Set<String> disabledTiers() {
        return disabledTiers;
    }

    public Path scopeCgroup() {
        return scopeCgroup;
    }

    public long scopeCgroupId() {
        return scopeCgroupId;
    }

    public int scopeLevel() {
        return scopeLevel;
    }

    /** Whether the scope is the whole host (the cgroup v2 root, level 0) rather than one cgroup's subtree. */
    public boolean watchesWholeHost() {
        return scopeLevel == 0;
    }

    public int ringBytes() {
        return ringBytes;
    }

    public int connectionTableSize() {
        return connectionTableSize;
    }

    public int wakeupBytes() {
        return wakeupBytes;
    }

    public boolean allStates() {
        return allStates;
    }
}
