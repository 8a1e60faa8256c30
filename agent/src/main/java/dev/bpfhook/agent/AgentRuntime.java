package dev.bpfhook.agent;

import dev.bpfhook.config.AgentConfig;
import dev.bpfhook.config.AgentOptions;
import dev.bpfhook.config.ConfigException;
import dev.bpfhook.config.JmxConfig;
import dev.bpfhook.container.CgroupNames;
import dev.bpfhook.container.CgroupScope;
import dev.bpfhook.container.CgroupV2;
import dev.bpfhook.container.HostIdentity;
import dev.bpfhook.kernel.BpfException;
import dev.bpfhook.kernel.Capabilities;
import dev.bpfhook.kernel.HookSettings;
import dev.bpfhook.kernel.HookStatus;
import dev.bpfhook.kernel.NetnsCookie;
import dev.bpfhook.pipeline.Monitor;
import dev.bpfhook.report.Attribution;
import dev.bpfhook.track.ConnectionTable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The agent inside a JVM: parses the options, loads the kernel side for the
 * JVM's cgroup (or the scope asked for), starts the outputs, and detaches
 * everything at JVM exit. The quick checks (options, privileges, cgroup) run
 * in premain, so that even an application that exits at once gets its one
 * warning line; loading and attaching run on the bpfhook-loader daemon thread.
 * Never throws, never exits the JVM: every failure is one line on stderr and
 * an application that runs as if the agent were not there.
 *
 * <p>The JVM may exit at any moment of the load (a short-lived program). The
 * shutdown hook, registered before anything is loaded, never waits for the
 * loader: it closes what runs, and the loader starts nothing after it; what the
 * loader was attaching meanwhile is detached by the process's exit, as after
 * kill -9.
 */
public final class AgentRuntime {
    private static final int ENDED_CONNECTIONS_KEPT = 256;
    /** How long a disabled agent waits before it registers its MBean (see publishDisabledStatus). */
    private static final long DISABLED_STATUS_DELAY_MS = 1000;

    /** The last agent started from this class loader, for a detach request that comes without JMX. */
    private static volatile AgentRuntime current;

    private final AgentLog log = new AgentLog(System.err, AgentConfig.LogLevel.WARN);
    private final StartedOutputs outputs = new StartedOutputs();
    private final AgentState state = new AgentState(this);
    private final JmxPublisher jmx = new JmxPublisher(log);
    private volatile AgentStatus status = AgentStatus.starting();
    private volatile AgentConfig config;
    /** The options as given, for what must be honoured even when they were refused (jmx=off). */
    private volatile String rawOptions;
    private volatile CgroupScope scope;
    private volatile Monitor monitor;
    /** Frees this JVM's "agent loaded" claim for a later attach: run when this agent gave up (see giveUp). */
    private final Runnable releaseClaim;
    /** Registered before the load; removed when the load gives up, as there is nothing to stop then. */
    private volatile Thread shutdownHook;
    private boolean detached; // guarded by this

    private AgentRuntime(Runnable releaseClaim) {
        this.releaseClaim = releaseClaim;
    }

    /**
     * Called reflectively by dev.bpfhook.boot.AgentEntry, on the thread that runs premain or agentmain.
     *
     * @param nativeAccess gives the agent's JNA native access on JDK 22 and later (see
     *                     dev.bpfhook.boot.NativeAccessModule): run on the loader thread before anything loads
     *                     JNA, it returns why it could not, or an empty text
     * @param releaseClaim lets a later attach load the agent again, once this one gave up with nothing running
     */
    public static void start(String options, Supplier<String> nativeAccess, Runnable releaseClaim) {
        AgentRuntime runtime = new AgentRuntime(releaseClaim);
        current = runtime;
        try {
            Prepared prepared = runtime.prepare(options);
            if (prepared == null) {
                return;
            }
            Thread loader = new Thread(new Runnable() { // not a lambda: its first use costs premain time
                @Override
                public void run() {
                    runtime.enableNativeAccess(nativeAccess);
                    runtime.loadQuietlyAtExit(prepared);
                }
            }, "bpfhook-loader");
            loader.setDaemon(true);
            // not the application's (which a new thread inherits): libraries that look up their configuration
            // through the context class loader must find ours, never the application's
            loader.setContextClassLoader(AgentRuntime.class.getClassLoader());
            loader.start();
        } catch (Throwable t) {
            runtime.disable("internal error " + t + " (please report this line)");
        }
    }

    /** What the quick checks found: the configuration and the cgroup to watch. */
    private static final class Prepared {
        final AgentConfig config;
        final CgroupScope scope;

        Prepared(AgentConfig config, CgroupScope scope) {
            this.config = config;
            this.scope = scope;
        }
    }

    public AgentStatus status() {
        return status;
    }

    /** The watched cgroup, once resolved. */
    CgroupScope scope() {
        return scope;
    }

    /** The running monitor, or null before it runs or when disabled. */
    Monitor monitor() {
        return monitor;
    }

    AgentLog log() {
        return log;
    }

    /** The checks that need no kernel: fast enough for premain; null when the agent cannot run. */
    private Prepared prepare(String options) {
        rawOptions = options;
        AgentConfig config;
        try {
            config = AgentOptions.parse(options);
        } catch (ConfigException e) {
            giveUp(e.getMessage());
            return null;
        }
        log.level(config.log());
        this.config = config;
        Optional<String> privileges = Capabilities.problem();
        if (privileges.isPresent()) {
            giveUp(privileges.get());
            return null;
        }
        try {
            scope = CgroupScope.resolve(scopeDirectory(config));
            return new Prepared(config, scope);
        } catch (ConfigException | IOException e) {
            giveUp(e.getMessage());
            return null;
        }
    }

    private void enableNativeAccess(Supplier<String> nativeAccess) {
        try {
            String problem = nativeAccess.get();
            if (!problem.isEmpty()) {
                log.info("native access for JNA not enabled (" + problem + "): the JDK warns when JNA loads");
            }
        } catch (RuntimeException | LinkageError e) {
            log.info("native access for JNA not enabled (" + e + "): the JDK warns when JNA loads");
        }
    }

    /** A JVM that exits while we load (a short-lived program) is not an error worth a line. */
    private void loadQuietlyAtExit(Prepared prepared) {
        try {
            shutdownHook = new Thread(() -> stop("the JVM is shutting down"), "bpfhook-shutdown");
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        } catch (IllegalStateException exiting) {
            return; // the application is done before we began: nothing to load for it
        }
        try {
            load(prepared);
        } catch (Throwable t) {
            if (!outputs.closing()) {
                disable("internal error " + t + " (please report this line)");
            }
        }
    }

    private void load(Prepared prepared) {
        long startNs = System.nanoTime();
        AgentConfig config = prepared.config;
        CgroupScope scope = prepared.scope;
        if (config.scope() == AgentConfig.Scope.SELF && scope.level() == 0) {
            log.warn("this JVM runs in the root cgroup, so scope=self watches every process of the host; start the "
                    + "service in a cgroup of its own (e.g. a systemd service, or systemd-run --scope) to see only its "
                    + "connections, or say scope=host to silence this");
        }
        if (config.scope() == AgentConfig.Scope.HOST && scope.seesPartOfTheHost()) {
            log.warn("scope=host in a cgroup namespace of its own (as in a container): every TCP connection of the "
                    + "host is counted, but UDP connects and who accepted a connection only within this namespace's "
                    + "cgroup, the only one whose hooks can be attached from here; run the JVM in the host's cgroup "
                    + "namespace (e.g. docker run --cgroupns=host) to see them all");
        }
        HookSettings settings = new HookSettings(scope.directory(), scope.id(), scope.level(), config.ringBytes(),
                config.connections(), config.allStates()).withCgroupLimit(config.cgroups())
                .withBtfFile(config.btfFile().orElse(null));
        try {
            monitor = Monitor.start(settings, new ConnectionTable(config.connections(), ENDED_CONNECTIONS_KEPT),
                    Collections.emptyList());
        } catch (BpfException e) {
            giveUp(e.getMessage()); // Monitor.start leaves nothing attached when it fails
            return;
        }
        if (outputs.closing()) {
            // the JVM exits or the operator detached meanwhile, and stop() may have missed this monitor
            monitor.close();
            return;
        }

        List<String> missing = new ArrayList<>();
        for (HookStatus hook : monitor.hooks()) {
            if (hook.missing()) {
                missing.add(hook.hook().label());
                log.warn("no " + hook.hook().label() + " hook on this kernel, so " + hook.hook().withoutIt() + ": "
                        + String.join("; ", hook.skipped()));
            }
        }
        AgentStatus ready = missing.isEmpty() ? AgentStatus.running()
                : AgentStatus.degraded("hooks unavailable: " + String.join(", ", missing));
        log.info("watching cgroup " + scope.describe() + " in " + (System.nanoTime() - startNs) / 1_000_000
                + " ms; hooks: " + describe(monitor.hooks()));

        CgroupNames names = new CgroupNames(scope.hierarchy(), scope.directory());
        long ownNetns = NetnsCookie.ofThisProcess().orElse(0);
        Attribution attribution = new Attribution(new HostIdentity(NetnsCookie.ofHost().orElse(0)), names::nameOf);
        if (config.jmx().enabled()) { // before the bridges, which read these MBeans
            jmx.start(config.jmx(), state, attribution, names, ownNetns, monitor);
            if (outputs.closing()) {
                jmx.close(); // the hook may have closed it before it started
                return;
            }
        } else if (config.jolokia().isPresent() || config.prometheus().isPresent()) {
            log.warn("jmx=off: the Jolokia and Prometheus endpoints will show none of bpfhook's numbers");
        }
        startOutputs(config, new AgentContext(config, scope, monitor, attribution));
        if (!outputs.closing()) {
            status = ready; // only now: a client that starts work on RUNNING must find every output listening
        }
    }

    private static Optional<Path> scopeDirectory(AgentConfig config) throws IOException, ConfigException {
        switch (config.scope()) {
            case HOST:
                return Optional.empty();
            case CGROUP:
                return config.scopeCgroup();
            default:
                Optional<CgroupV2> hierarchy = CgroupV2.find();
                if (!hierarchy.isPresent()) { // not orElseThrow: premain runs this, and a first lambda costs milliseconds
                    throw new ConfigException("no cgroup v2 hierarchy is mounted (cgroup v1 only), so this JVM's cgroup "
                            + "cannot be watched; mount cgroup2 or boot with systemd.unified_cgroup_hierarchy=1");
                }
                return Optional.of(hierarchy.get().ownCgroup());
        }
    }

    private void startOutputs(AgentConfig config, AgentContext context) {
        List<AgentOutput> toStart = new ArrayList<>();
        if (config.jfr()) {
            toStart.add(new JfrOutput(state::snapshot));
        }
        config.jolokia().ifPresent(e -> toStart.add(new BridgeOutputs.Jolokia(e, config.bridges(), log)));
        config.prometheus().ifPresent(e -> toStart.add(new BridgeOutputs.Prometheus(e, config.bridges(), log)));
        // the report last: its start line tells that everything else already runs
        if (config.report() != AgentConfig.Report.OFF) {
            toStart.add(new ReportOutput(log));
        }
        config.idleOptionWarnings().forEach(log::warn);
        for (AgentOutput output : toStart) {
            if (outputs.closing()) {
                return;
            }
            try {
                output.start(context);
            } catch (Exception | LinkageError e) {
                if (!outputs.closing()) { // else it failed because the JVM exits ("Shutdown in progress"): no news
                    log.warn(output.name() + " output disabled: " + e.getMessage());
                }
                output.close();
                continue;
            }
            outputs.keep(output);
        }
    }

    /**
     * A detach requested through an agent load (see dev.bpfhook.boot.AgentEntry), as {@link #detach()} does it.
     *
     * @return what was done
     * @throws IllegalStateException when no agent runs, or it cannot detach (see {@link #detach()})
     */
    public static String detachRunning() {
        AgentRuntime runtime = current;
        if (runtime == null) {
            throw new IllegalStateException("no bpfhook agent runs in this JVM");
        }
        return runtime.state.detach();
    }

    /**
     * The operator's detach (the ConnectionMonitor's {@code detach} operation, which {@code detach PID} calls, or
     * a detach request through an agent load): everything stops as at the JVM's exit, the last report included,
     * and the JVM is free for a later attach.
     *
     * @return what was done, also logged
     * @throws IllegalStateException when the JVM is exiting (the agent stops with it) or it was detached already
     */
    String detach() {
        synchronized (this) {
            if (detached) {
                throw new IllegalStateException("the agent was detached already");
            }
            detached = true;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException exiting) {
            throw new IllegalStateException("the JVM is exiting: the agent stops with it");
        }
        List<String> closed = outputs.names();
        boolean published = jmx.published();
        stop("detached by the operator");
        releaseClaim.run();
        String what = "detached: hooks removed" + (closed.isEmpty() ? "" : ", outputs closed (" + String.join(", ",
                closed) + ")") + (published ? ", MBeans unregistered" : "") + "; attach again to watch anew";
        log.warn(what);
        return what;
    }

    /**
     * Last events, last reports, then every hook detached: at the JVM's shutdown, or when the operator detaches
     * the agent. Waits for nothing of the loader's: when it still loads, the loader sees that outputs are
     * closing, starts nothing more and closes what it made meanwhile.
     */
    private void stop(String why) {
        try {
            Monitor loaded = monitor;
            if (loaded != null) {
                loaded.flush();
            }
            outputs.closeAll();
        } finally {
            jmx.close();
            Monitor loaded = monitor; // read again: the loader publishes it before it looks at closing()
            if (loaded != null) {
                loaded.close();
            }
            status = AgentStatus.disabled(why);
        }
    }

    /**
     * Disables the agent when nothing of it runs yet (no hook, no output): a later attach may try again, once
     * the operator fixed the cause, and this agent's DISABLED MBean then gives way to the new one's.
     */
    private void giveUp(String reason) {
        disable(reason);
        Thread hook = shutdownHook;
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException exiting) {
                // the JVM exits: the hook finds nothing to stop
            }
        }
        releaseClaim.run();
    }

    private void disable(String reason) {
        status = AgentStatus.disabled(reason);
        // the one line an operator sees when the agent cannot run: always printed, unless log=off
        log.error("agent disabled: " + reason + "; the application runs without it");
        publishDisabledStatus();
    }

    /**
     * JConsole should say why the agent is not running: the MBean is registered anyway, unless jmx=off (also
     * when another option was refused). Not at once: this may run in premain, and the first use of the platform
     * MBeanServer must not come before the application's main() had its chance to configure JMX (a running
     * agent's MBeans come after the kernel load, about half a second).
     */
    private void publishDisabledStatus() {
        AgentConfig known = config;
        JmxConfig jmxConfig = known != null ? known.jmx() : AgentConfig.defaults().jmx();
        if (!jmxConfig.enabled() || (known == null && AgentOptions.turnsOff(rawOptions, "jmx"))) {
            return;
        }
        Thread publisher = new Thread(new Runnable() { // never JMX on the application's thread
            @Override
            public void run() {
                try {
                    Thread.sleep(DISABLED_STATUS_DELAY_MS);
                } catch (InterruptedException e) {
                    return;
                }
                jmx.startStatus(state);
            }
        }, "bpfhook-jmx-start");
        publisher.setDaemon(true);
        publisher.start();
    }

    private static String describe(List<HookStatus> hooks) {
        List<String> list = new ArrayList<>();
        hooks.forEach(h -> list.add(h.toString()));
        return String.join(", ", list);
    }
}
