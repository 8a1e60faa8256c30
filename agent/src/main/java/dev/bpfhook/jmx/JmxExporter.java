package dev.bpfhook.jmx;

import dev.bpfhook.container.ContainerInfo;
import dev.bpfhook.destination.Destination;
import dev.bpfhook.destination.DestinationKey;
import dev.bpfhook.destination.Destinations;
import dev.bpfhook.event.KernelCounters;
import dev.bpfhook.report.Attribution;
import dev.bpfhook.track.MonitorSnapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Puts the agent into JMX: bpfhook:type=ConnectionMonitor at once (also when
 * the agent is disabled, to say why), and every few seconds one
 * bpfhook:type=Cgroup MBean per cgroup seen (at most {@code maxCgroups}) and one
 * bpfhook:type=NetworkNamespace MBean per namespace (as many). A cgroup that is
 * gone and idle loses its MBean, and its kernel counters are folded into the
 * totals, so the kernel's table stays bounded and no total goes backwards; a
 * namespace whose counters went with its cgroups loses its MBean too.
 */
public final class JmxExporter implements AutoCloseable {
    private static final long SWEEP_SECONDS = 2;

    private final MBeanServer server;
    private final MonitorState state;
    private final Attribution attribution;
    private final LongPredicate cgroupExists;
    private final long ownNetns;
    private final int maxCgroups;
    private final ConnectionNotifier notifier;
    private final Map<Long, ObjectName> cgroups = new HashMap<>();
    private final Map<Long, ObjectName> namespaces = new HashMap<>();
    private final Map<DestinationKey, ObjectName> destinations = new HashMap<>();
    private volatile int cgroupsWithoutMBean;
    private volatile int namespacesWithoutMBean;
    private ObjectName monitorName;
    private boolean closed;
    private ScheduledExecutorService sweeper;

    /**
     * @param cgroupExists whether a cgroup id still has a directory
     * @param notifier     sends connection-event notifications, or null when they are off
     */
    public JmxExporter(MBeanServer server, MonitorState state, Attribution attribution, LongPredicate cgroupExists,
            long ownNetns, int maxCgroups, ConnectionNotifier notifier) {
        this.server = server;
        this.state = state;
        this.attribution = attribution;
        this.cgroupExists = cgroupExists;
        this.ownNetns = ownNetns;
        this.maxCgroups = maxCgroups;
        this.notifier = notifier;
    }

    public static ObjectName monitorName() {
        return name(ConnectionMonitorMXBean.OBJECT_NAME);
    }

    /** bpfhook:type=Cgroup,path="...",container=... (the container's label, "host" when none: a metric label too). */
    public static ObjectName cgroupName(String path, String container) {
        return name("bpfhook:type=Cgroup,path=" + ObjectName.quote(path) + ",container=" + ObjectName.quote(container));
    }

    public static ObjectName namespaceName(long cookie) {
        return name("bpfhook:type=NetworkNamespace,cookie=" + cookie);
    }

    /** bpfhook:type=Destination,direction=outbound|inbound,destination="host:port",cgroup="path" ("" for other). */
    public static ObjectName destinationName(String direction, String destination, String cgroupPath) {
        return name("bpfhook:type=Destination,direction=" + direction + ",destination=" + ObjectName.quote(destination)
                + ",cgroup=" + ObjectName.quote(cgroupPath));
    }

    /** Registers the ConnectionMonitor MBean and starts the sweeper. */
    public void start() throws JMException {
        ObjectName name = monitorName();
        if (server.isRegistered(name) && "DISABLED".equals(server.getAttribute(name, "State"))) {
            // an agent that gave up before this one was loaded (see AgentRuntime's giveUp): this one replaces it
            unregister(name);
        }
        registerMonitor(name);
        sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bpfhook-jmx");
            t.setDaemon(true);
            return t;
        });
        sweeper.scheduleWithFixedDelay(this::sweepQuietly, 0, SWEEP_SECONDS, TimeUnit.SECONDS);
    }

    /**
     * The ConnectionMonitor MBean alone, for an agent that is disabled: it says why, and has nothing to sweep.
     *
     * @throws javax.management.InstanceAlreadyExistsException when an agent loaded since has the name
     */
    public void startStatus() throws JMException {
        registerMonitor(monitorName());
    }

    private void registerMonitor(ObjectName name) throws JMException {
        ConnectionMonitorView view = new ConnectionMonitorView(state, attribution, this::cgroupMBeans,
                () -> cgroupsWithoutMBean, () -> namespacesWithoutMBean, () -> notifier == null ? 0 : notifier.sent(),
                () -> notifier == null ? 0 : notifier.dropped());
        DescribedMXBean<ConnectionMonitorMXBean> mbean = notifier == null
                ? new DescribedMXBean<>(view, ConnectionMonitorMXBean.class)
                : new DescribedMXBean<>(view, ConnectionMonitorMXBean.class, notifier);
        monitorName = server.registerMBean(mbean, name).getObjectName();
    }

    private synchronized int cgroupMBeans() {
        return cgroups.size();
    }

    private void sweepQuietly() {
        try {
            sweep();
        } catch (RuntimeException | JMException e) {
            // the next sweep tries again; JMX must never take the agent down
        }
    }

    /** Registers MBeans for new cgroups and namespaces, and removes those of cgroups gone and idle. */
    synchronized void sweep() throws JMException {
        if (closed) {
            return; // a sweep that waited for close() must not register anything again
        }
        Optional<MonitorSnapshot> snapshot = state.snapshot();
        if (!snapshot.isPresent()) {
            return;
        }
        int without = 0;
        for (Map.Entry<Long, KernelCounters> e : snapshot.get().byCgroup().entrySet()) {
            long id = e.getKey();
            boolean idle = e.getValue().activeConnections() <= 0;
            if (idle && !cgroupExists.test(id)) {
                ObjectName name = cgroups.remove(id);
                if (name != null && server.isRegistered(name)) {
                    server.unregisterMBean(name);
                }
                state.retireCgroup(id);
            } else if (!cgroups.containsKey(id)) {
                if (cgroups.size() >= maxCgroups) {
                    without++;
                    continue;
                }
                String path = attribution.cgroupName(id);
                ContainerInfo container = attribution.container(id);
                ObjectName name = cgroupName(path, container.label());
                releaseIfGone(name);
                CgroupView view = new CgroupView(id, path, container, state);
                try {
                    cgroups.put(id, server.registerMBean(new DescribedMXBean<>(view, CgroupMXBean.class), name)
                            .getObjectName());
                } catch (javax.management.InstanceAlreadyExistsException taken) {
                    without++; // the same path held by a cgroup still active: its MBean stays
                }
            }
        }
        cgroupsWithoutMBean = without;
        state.destinations().ifPresent(this::sweepDestinations);
        Map<Long, KernelCounters> byNetns = snapshot.get().byNetns();
        // a namespace's counters are gone once every cgroup counted in it was retired: its MBean would read 0
        // for good, and namespaces that came and went (containers) would hold the bound and leave none for new ones
        namespaces.entrySet().removeIf(e -> {
            if (byNetns.containsKey(e.getKey())) {
                return false;
            }
            unregister(e.getValue());
            return true;
        });
        int namespacesWithout = 0;
        for (Long cookie : byNetns.keySet()) {
            if (namespaces.containsKey(cookie)) {
                continue;
            }
            if (namespaces.size() >= maxCgroups) {
                namespacesWithout++;
                continue;
            }
            NetworkNamespaceView view = new NetworkNamespaceView(cookie, cookie == ownNetns, state);
            namespaces.put(cookie, server.registerMBean(new DescribedMXBean<>(view, NetworkNamespaceMXBean.class),
                    namespaceName(cookie)).getObjectName());
        }
        namespacesWithoutMBean = namespacesWithout;
    }

    /** One MBean per kept destination and per non-empty "other"; those no longer kept lose theirs. */
    private void sweepDestinations(Destinations all) {
        java.util.Set<DestinationKey> now = new java.util.HashSet<>();
        List<Destination> list = new ArrayList<>(all.outbound());
        list.addAll(all.inbound());
        for (Destination d : list) {
            DestinationKey key = d.key();
            now.add(key);
            if (destinations.containsKey(key)) {
                continue;
            }
            String path = key.isOther() ? "" : attribution.cgroupName(key.cgroupId());
            String container = key.isOther() ? "" : attribution.container(key.cgroupId()).label();
            String direction = key.direction().name().toLowerCase(java.util.Locale.ROOT);
            DestinationView view = new DestinationView(key, path, container, state);
            try {
                destinations.put(key, server.registerMBean(new DescribedMXBean<>(view, DestinationMXBean.class),
                        destinationName(direction, key.label(), path)).getObjectName());
            } catch (JMException e) {
                // a name held by someone else: this destination stays without an MBean
            }
        }
        destinations.entrySet().removeIf(e -> {
            if (now.contains(e.getKey())) {
                return false;
            }
            unregister(e.getValue());
            return true;
        });
    }

    /** A restarted service gets a new cgroup id at the same path: the old one's MBean gives way once it is gone. */
    private void releaseIfGone(ObjectName name) throws JMException {
        Long holder = null;
        for (Map.Entry<Long, ObjectName> e : cgroups.entrySet()) {
            if (e.getValue().equals(name)) {
                holder = e.getKey();
            }
        }
        if (holder != null && !cgroupExists.test(holder)) {
            cgroups.remove(holder);
            unregister(name);
        }
    }

    /** Unregisters every bpfhook MBean this exporter registered. */
    @Override
    public synchronized void close() {
        closed = true;
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
        if (notifier != null) {
            notifier.close();
        }
        unregister(monitorName);
        cgroups.values().forEach(this::unregister);
        namespaces.values().forEach(this::unregister);
        destinations.values().forEach(this::unregister);
        cgroups.clear();
        namespaces.clear();
        destinations.clear();
    }

    private void unregister(ObjectName name) {
        try {
            if (name != null && server.isRegistered(name)) {
                server.unregisterMBean(name);
            }
        } catch (JMException e) {
            // already gone
        }
    }

    private static ObjectName name(String text) {
        try {
            return new ObjectName(text);
        } catch (javax.management.MalformedObjectNameException e) {
            throw new IllegalArgumentException(text, e);
        }
    }
}
