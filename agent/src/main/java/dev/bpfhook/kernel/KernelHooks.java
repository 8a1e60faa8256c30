package dev.bpfhook.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernel side, loaded and attached: bpfhook.bpf.o from the jar, configured
 * for one scope, with the best tier of each {@link Hook} this kernel offers.
 * Closing it detaches everything.
 */
public final class KernelHooks implements AutoCloseable {
    public static final String OBJECT_RESOURCE = "/dev/bpfhook/bpf/bpfhook.bpf.o";
    private static final String KERNEL_BTF = "/sys/kernel/btf/vmlinux";

    /* struct bh_config in bpf/bpfhook.h (AbiLayoutTest checks these offsets) */
    static final String CONFIG_VARIABLE = "bh_config";
    static final int CONFIG_SIZE = 40;
    static final int CONFIG_SCOPE_CGROUP_ID = 0;
    static final int CONFIG_SCOPE_LEVEL = 8;
    static final int CONFIG_WAKEUP_BYTES = 12;
    static final int CONFIG_ALL_STATES = 16;
    static final int CONFIG_HOT_CGROUP_ID = 24;
    static final int CONFIG_HOT_NETNS_COOKIE = 32;

    /** Key and value sizes of the per-CPU maps: struct bh_counter_key, bh_counters, bh_stats. */
    private static final int COUNTER_KEY_SIZE = 16;
    static final int COUNTERS_SIZE = 120;
    private static final int STATS_SIZE = 32;
    /** Offset of listing_done in the programs' .bss: 1 ends the start window (see start_set). */
    static final int BSS_LISTING_DONE = 0;
    /** Offset of staging in the programs' .bss: 1 once the agent can flush a CPU's stage (RecordStages). */
    static final int BSS_STAGING = 8;
    /** Offset of reader_sleeps in the programs' .bss: 1 while the ring's consumer sleeps long (ReaderSleep). */
    static final int BSS_READER_SLEEPS = 12;
    /**
     * In {@link HookSettings#disabledTiers()}: the state hook's records go straight to the ring, as where the
     * kernel cannot flush a CPU on demand (to test that way, or to leave a kernel's misbehaving flush alone).
     */
    public static final String NO_STAGING = "staging";
    /**
     * In {@link HookSettings#disabledTiers()}: every CPU's records are staged, however few it makes (to test
     * staging with a few connections; see StagingPolicy).
     */
    public static final String NO_STAGING_BY_RATE = "staging-by-rate";
    /** In {@link HookSettings#disabledTiers()}: the stage of a CPU taken offline is not flushed as it dies (to test that way). */
    public static final String NO_HOTPLUG_FLUSH = "staging-hotplug-flush";
    /** The tier whose sockets have cookies from the start, so that it needs no sockops. */
    private static final String STATE_TIER_WITH_COOKIES = "tp_btf/inet_sock_set_state";

    private static final Pattern FAILED_PROGRAM = Pattern.compile("prog '([A-Za-z0-9_]+)': (?:failed to load|BPF program load failed)");
    private static final int EPERM = 1;
    private static final int ENOSPC = 28;

    private final BpfObject object;
    private final List<Link> links;
    private final List<HookStatus> hooks;
    private final RingBuffer ringBuffer;
    private final RecordStages stages;
    private final CounterMaps counters;
    private final PerCpuMap globalStats;
    private final ReaderSleep readerSleep;

    private KernelHooks(BpfObject object, List<Link> links, List<HookStatus> hooks, RingBuffer ringBuffer,
            RecordStages stages, CounterMaps counters, PerCpuMap globalStats, ReaderSleep readerSleep) {
        this.object = object;
        this.links = links;
        this.hooks = Collections.unmodifiableList(hooks);
        this.ringBuffer = ringBuffer;
        this.stages = stages;
        this.counters = counters;
        this.globalStats = globalStats;
        this.readerSleep = readerSleep;
    }

    /**
     * Loads and attaches the programs for {@code settings}.
     *
     * @throws BpfException with a one-line cause and fix when a required hook
     *                      cannot be attached; nothing stays attached then
     */
    public static KernelHooks start(HookSettings settings) throws BpfException {
        Libs.loadJna(); // first: whichever native call comes next, a JNA that cannot load is said plainly
        boolean kernelBtf = requireBtf(settings);
        byte[] elf = readObject();
        Map<Hook.Tier, String> unloadable = new LinkedHashMap<>();
        for (Hook hook : Hook.values()) {
            for (Hook.Tier tier : hook.tiers()) {
                if (settings.disabledTiers().contains(tier.name())) {
                    unloadable.put(tier, "disabled by configuration");
                } else if (!kernelBtf && needsKernelBtf(tier)) {
                    unloadable.put(tier, "needs the kernel's own BTF (" + KERNEL_BTF + ")");
                }
            }
        }
        long[] hotPair = hotPair(settings);
        BpfObject object = loadWithTiers(elf, settings, hotPair, unloadable);
        List<Link> links = new ArrayList<>();
        RingBuffer ring = null;
        try {
            List<HookStatus> hooks = attachAll(object, settings, unloadable, links);
            if (hooks.stream().anyMatch(h -> h.hook() == Hook.EXISTING_CONNECTIONS && h.active())) {
                emptyStartSet(object);
            }
            ring = new RingBuffer(object.mapFd("events"), object.maxEntries("events"));
            CounterMaps counters = new CounterMaps(
                    new PerCpuMap(object.mapFd("counters"), COUNTER_KEY_SIZE, COUNTERS_SIZE),
                    new PerCpuMap(object.mapFd("hot_counters"), 4, COUNTERS_SIZE), hotPair[0], hotPair[1]);
            PerCpuMap stats = new PerCpuMap(object.mapFd("global_stats"), 4, STATS_SIZE);
            RecordStages stages = startStaging(object, hooks, settings, links); // last: nothing after it can fail
            return new KernelHooks(object, links, hooks, ring, stages, counters, stats, readerSleep(object));
        } catch (BpfException | RuntimeException | Error e) {
            // nothing stays attached or mapped, whatever failed (an Error too: a thread or memory refused)
            links.forEach(Link::close);
            if (ring != null) {
                ring.close();
            }
            object.close();
            throw e;
        }
    }

    public List<HookStatus> hooks() {
        return hooks;
    }

    public RingBuffer ringBuffer() {
        return ringBuffer;
    }

    /** The state hook's records staged per CPU; empty where the kernel cannot flush a CPU on demand. */
    public Optional<RecordStages> stages() {
        return Optional.ofNullable(stages);
    }

    /** The flag that lets the ring's consumer sleep long; empty where .bss cannot be mapped (it polls then). */
    public Optional<ReaderSleep> readerSleep() {
        return Optional.ofNullable(readerSleep);
    }

    /** struct bh_counters per (cgroup id, network-namespace cookie). */
    public CounterMaps counters() {
        return counters;
    }

    /** struct bh_stats at key 0. */
    public PerCpuMap globalStats() {
        return globalStats;
    }

    /**
     * Run count and run time of each attached program, as the kernel counts them
     * while kernel.bpf_stats_enabled is 1 (zero otherwise), and the runs it skipped
     * (counted always).
     */
    public List<ProgramStats> programStats() {
        List<ProgramStats> stats = new ArrayList<>();
        for (HookStatus hook : hooks) {
            if (hook.tier() == null || hook.tier().attach() == Hook.Attach.RUN_ONCE) {
                continue;
            }
            for (String program : hook.tier().programs()) {
                try {
                    ProgramStats s = ProgramStats.read(program, object.programFd(program));
                    if (s != null) {
                        stats.add(s);
                    }
                } catch (BpfException e) {
                    // a program of this object always exists; nothing to report otherwise
                }
            }
        }
        return stats;
    }

    /**
     * Detaches every program: no record is written into the ring after this returns, but the ring and the
     * maps stay readable until {@link #close()}.
     */
    public void detach() {
        links.forEach(Link::close);
    }

    /** Detaches every program and frees the ring and the maps; call after the ring's consumer stopped. */
    @Override
    public void close() {
        detach();
        ringBuffer.close();
        if (stages != null) {
            stages.close();
        }
        if (readerSleep != null) {
            readerSleep.close();
        }
        object.close();
    }

    private static ReaderSleep readerSleep(BpfObject object) {
        try {
            return ReaderSleep.open(object, BSS_READER_SLEEPS);
        } catch (BpfException e) {
            return null; // the consumer polls, as on kernels that cannot map a map
        }
    }

    /** Whether the kernel publishes its own BTF; without it, only a BTF file given in the settings will do. */
    private static boolean requireBtf(HookSettings settings) throws BpfException {
        boolean kernelBtf = Files.isReadable(Paths.get(KERNEL_BTF));
        if (!kernelBtf && !settings.btfFile().isPresent()) {
            throw new BpfException("this kernel has no BTF (" + KERNEL_BTF + " is missing), which CO-RE programs "
                    + "need; use a kernel built with CONFIG_DEBUG_INFO_BTF=y (5.8 or later), or give this kernel's BTF "
                    + "in a file (agent option btf=FILE, monitor option --btf FILE)");
        }
        return kernelBtf;
    }

    /**
     * Programs the kernel verifies against its own BTF, whatever file CO-RE relocates against: by their
     * type, or (getpeername) by the helpers they call, which hand out the current task as a BTF pointer.
     */
    private static boolean needsKernelBtf(Hook.Tier tier) {
        String name = tier.name();
        return name.startsWith("tp_btf/") || name.startsWith("fentry/") || name.startsWith("fexit/")
                || name.startsWith("iter/") || name.startsWith("cgroup/getpeername");
    }

    private static byte[] readObject() throws BpfException {
        try (InputStream in = KernelHooks.class.getResourceAsStream(OBJECT_RESOURCE)) {
            if (in == null) {
                throw new BpfException("the BPF object " + OBJECT_RESOURCE + " is missing from the jar; rebuild it");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new BpfException("cannot read the BPF object from the jar: " + e.getMessage());
        }
    }

    /**
     * Loads the object; when a program of an optional or lower-preference tier
     * fails verification or load, turns that tier off and loads again.
     */
    private static BpfObject loadWithTiers(byte[] elf, HookSettings settings, long[] hotPair,
            Map<Hook.Tier, String> unloadable) throws BpfException {
        while (true) {
            BpfObject object = BpfObject.open(elf, "bpfhook", settings.btfFile().orElse(null));
            try {
                configure(object, settings, hotPair);
                for (Hook.Tier tier : unloadable.keySet()) {
                    for (String program : tier.programs()) {
                        object.setAutoload(program, false);
                    }
                }
                object.load();
                return object;
            } catch (BpfException e) {
                object.close();
                Hook.Tier culprit = tierOfFailedProgram(e.detail());
                if (culprit == null || unloadable.containsKey(culprit) || isLastTierOfRequiredHook(culprit, unloadable)) {
                    throw explainLoadFailure(e, culprit);
                }
                unloadable.put(culprit, "load failed: " + Libs.errnoText(e.errno()));
            }
        }
    }

    /**
     * The (cgroup, namespace) pair the kernel counts apart from the others, in an array (map
     * hot_counters): the watched cgroup in this process's network namespace, where an agent's own
     * connections count; none when the whole host is watched, or the namespace cannot be told.
     */
    private static long[] hotPair(HookSettings settings) {
        long netns = settings.watchesWholeHost() ? 0 : NetnsCookie.ofThisProcess().orElse(0);
        return netns == 0 ? new long[] {0, 0} : new long[] {settings.scopeCgroupId(), netns};
    }

    private static void configure(BpfObject object, HookSettings settings, long[] hotPair) throws BpfException {
        ByteBuffer config = object.rodataVariable(CONFIG_VARIABLE);
        if (config.capacity() != CONFIG_SIZE) {
            throw new BpfException("the BPF object's configuration does not match this agent (size "
                    + config.capacity() + ", expected " + CONFIG_SIZE + "); rebuild the agent");
        }
        config.putLong(CONFIG_SCOPE_CGROUP_ID, settings.scopeCgroupId());
        config.putInt(CONFIG_SCOPE_LEVEL, settings.scopeLevel());
        config.putInt(CONFIG_WAKEUP_BYTES, settings.wakeupBytes());
        config.putInt(CONFIG_ALL_STATES, settings.allStates() ? 1 : 0);
        config.putLong(CONFIG_HOT_CGROUP_ID, hotPair[0]);
        config.putLong(CONFIG_HOT_NETNS_COOKIE, hotPair[1]);
        object.setMaxEntries("events", settings.ringBytes());
        object.setMaxEntries("start_set", settings.connectionTableSize());
        object.setMaxEntries("counters", settings.cgroupLimit());
        // one stage per CPU; a count libbpf cannot tell (negative) leaves one, and the others' records unstaged
        object.setMaxEntries("stages", Math.max(1, Libs.bpf().libbpf_num_possible_cpus()));
    }

    private static Hook.Tier tierOfFailedProgram(String log) {
        Matcher m = FAILED_PROGRAM.matcher(log);
        if (!m.find()) {
            return null;
        }
        String program = m.group(1);
        for (Hook hook : Hook.values()) {
            for (Hook.Tier tier : hook.tiers()) {
                if (tier.programs().contains(program)) {
                    return tier;
                }
            }
        }
        return null;
    }

    private static boolean isLastTierOfRequiredHook(Hook.Tier tier, Map<Hook.Tier, String> unloadable) {
        for (Hook hook : Hook.values()) {
            if (hook.tiers().contains(tier) && hook.required()) {
                return hook.tiers().stream().filter(t -> t != tier && !unloadable.containsKey(t)).count() == 0;
            }
        }
        return false;
    }

    private static BpfException explainLoadFailure(BpfException e, Hook.Tier tier) {
        String what = tier == null ? "the BPF programs" : "the " + tier.name() + " program";
        String message;
        if (e.errno() == EPERM) {
            message = "the kernel refused to load " + what + " (" + Libs.errnoText(EPERM) + "): "
                    + Capabilities.fixForRefusal();
        } else if (e.errno() == ENOSPC) { // the verifier's own error gave way to its log's overflow
            message = "the kernel rejected " + what + ", with a verifier log longer than the "
                    + BpfObject.VERIFIER_LOG_BYTES / 1024 + " KiB kept of it; this kernel may be too old (bpfhook "
                    + "needs 5.8 or later with BTF); that much of the log follows with --verbose";
        } else {
            message = "the kernel rejected " + what + " (" + Libs.errnoText(e.errno()) + "); this kernel may be "
                    + "too old (bpfhook needs 5.8 or later with BTF); the verifier's log follows with --verbose";
        }
        return new BpfException(message, e.errno(), e.detail());
    }

    private static List<HookStatus> attachAll(BpfObject object, HookSettings settings,
            Map<Hook.Tier, String> unloadable, List<Link> links) throws BpfException {
        Map<Hook, HookStatus> statuses = new EnumMap<>(Hook.class);
        int cgroupFd = openCgroup(settings.scopeCgroup());
        try {
            for (Hook hook : Hook.values()) {
                List<String> skipped = new ArrayList<>();
                Hook.Tier chosen = null;
                if (hook == Hook.PASSIVE_COOKIES && hasCookies(statuses.get(Hook.TCP_STATE))) {
                    statuses.put(hook, HookStatus.notNeeded(hook, STATE_TIER_WITH_COOKIES + " gives sockets their cookie"));
                    continue;
                }
                List<String> notes = new ArrayList<>();
                for (Hook.Tier tier : hook.tiers(settings.watchesWholeHost())) {
                    if (unloadable.containsKey(tier)) {
                        skipped.add(tier.name() + ": " + unloadable.get(tier));
                        continue;
                    }
                    try {
                        links.addAll(attachTier(object, tier, cgroupFd, settings, notes));
                        chosen = tier;
                        break;
                    } catch (BpfException e) {
                        skipped.add(tier.name() + ": " + e.getMessage() + tracefsHint(tier));
                    }
                }
                if (chosen == null && hook.required()) {
                    throw new BpfException("cannot attach the " + hook.label() + " hook: " + String.join("; ", skipped));
                }
                statuses.put(hook, new HookStatus(hook, chosen, skipped, notes));
            }
        } finally {
            Libs.c().close(cgroupFd);
        }
        return new ArrayList<>(statuses.values());
    }

    /**
     * Turns on the state hook's staging of records where the agent can flush a CPU's stage on demand, and says
     * in the hook's status which way its records go; null when they go straight to the ring.
     */
    private static RecordStages startStaging(BpfObject object, List<HookStatus> hooks, HookSettings settings,
            List<Link> links) {
        if (settings.disabledTiers().contains(NO_STAGING)) {
            stateNote(hooks, "records not staged: disabled by configuration");
            return null;
        }
        RecordStages stages = null;
        try {
            stages = RecordStages.open(object, !settings.disabledTiers().contains(NO_STAGING_BY_RATE));
            String offline = flushCpusGoingOffline(object, settings, links);
            object.setBssInt(BSS_STAGING, 1);
            stateNote(hooks, "records staged per CPU" + offline);
            return stages;
        } catch (BpfException e) {
            if (stages != null) {
                stages.close();
            }
            stateNote(hooks, "records not staged: " + e.getMessage());
            return null;
        }
    }

    /**
     * Attaches the flush of the stage of a CPU taken offline (the agent cannot run anything there); where it
     * does not attach, staging goes on, as CPUs seldom go offline: the note says what that costs.
     *
     * @return "" when attached, else the note's addition
     */
    private static String flushCpusGoingOffline(BpfObject object, HookSettings settings, List<Link> links) {
        String cost = " (a CPU taken offline keeps its staged records until it is back: ";
        if (settings.disabledTiers().contains(NO_HOTPLUG_FLUSH)) {
            return cost + "disabled by configuration)";
        }
        try {
            links.add(object.attach(RecordStages.HOTPLUG_FLUSH_PROGRAM));
            return "";
        } catch (BpfException e) {
            return cost + e.getMessage() + ")";
        }
    }

    /** Adds a note to the TCP state hook's status: how its records reach the ring. */
    private static void stateNote(List<HookStatus> hooks, String note) {
        for (int i = 0; i < hooks.size(); i++) {
            if (hooks.get(i).hook() == Hook.TCP_STATE) {
                hooks.set(i, hooks.get(i).withNote(note));
            }
        }
    }

    /**
     * The start-up listing ended the kernel's start window (see start_set in bpfhook.bpf.c), so nothing
     * reads the set any more: free its entries. Bounded, in case the window did not end after all.
     */
    private static void emptyStartSet(BpfObject object) throws BpfException {
        int fd = object.mapFd("start_set");
        int limit = object.maxEntries("start_set");
        try (com.sun.jna.Memory key = new com.sun.jna.Memory(8)) {
            for (int i = 0; i < limit && Libs.bpf().bpf_map_get_next_key(fd, null, key) == 0; i++) {
                Libs.bpf().bpf_map_delete_elem(fd, key);
            }
        }
    }

    private static boolean hasCookies(HookStatus state) {
        return state != null && state.tier() != null && state.tier().name().equals(STATE_TIER_WITH_COOKIES);
    }

    /** libbpf finds a classic tracepoint's id in tracefs, which some machines do not mount at boot. */
    private static String tracefsHint(Hook.Tier tier) {
        boolean classicTracepoint = tier.name().startsWith("tracepoint/");
        boolean tracefs = Files.isDirectory(Paths.get("/sys/kernel/tracing/events"))
                || Files.isDirectory(Paths.get("/sys/kernel/debug/tracing/events"));
        return classicTracepoint && !tracefs ? " (tracefs is not mounted: mount -t tracefs nodev /sys/kernel/tracing)" : "";
    }

    /**
     * Attaches all programs of a tier, or none of them; a run-once tier (the start-up listing) runs now, in
     * every network namespace of the watched processes, ends the kernel's start window and keeps no link.
     *
     * @param notes what the status of the hook must say besides its tier
     */
    private static List<Link> attachTier(BpfObject object, Hook.Tier tier, int cgroupFd, HookSettings settings,
            List<String> notes) throws BpfException {
        List<Link> attached = new ArrayList<>();
        try {
            for (String program : tier.programs()) {
                switch (tier.attach()) {
                    case CGROUP:
                        attached.add(object.attachCgroup(program, cgroupFd));
                        break;
                    case GLOBAL:
                        attached.add(object.attach(program));
                        break;
                    default:
                        int notListed = object.runIterator(program, NetworkNamespaces.others(settings));
                        object.setBssInt(BSS_LISTING_DONE, 1);
                        if (notListed > 0) {
                            notes.add(notListed + " network namespace(s) not listed (their processes ended, or "
                                    + "the iterator failed there): a close of a connection open there before the "
                                    + "start counts without its start");
                        }
                }
            }
            return attached;
        } catch (BpfException e) {
            attached.forEach(Link::close);
            throw e;
        }
    }

    private static int openCgroup(Path cgroup) throws BpfException {
        int fd = Libs.c().open(cgroup.toString(), LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC);
        if (fd < 0) {
            int errno = com.sun.jna.Native.getLastError();
            throw new BpfException("cannot open cgroup " + cgroup + ": " + Libs.errnoText(errno)
                    + "; pass an existing cgroup v2 directory", errno, "");
        }
        return fd;
    }
}
