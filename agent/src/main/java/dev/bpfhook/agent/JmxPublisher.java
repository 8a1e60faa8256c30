package dev.bpfhook.agent;

import dev.bpfhook.config.JmxConfig;
import dev.bpfhook.container.CgroupNames;
import dev.bpfhook.container.HostIdentity;
import dev.bpfhook.jmx.ConnectionNotifier;
import dev.bpfhook.jmx.JmxExporter;
import dev.bpfhook.pipeline.Monitor;
import dev.bpfhook.report.Attribution;
import java.lang.management.ManagementFactory;
import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;

/**
 * The agent's MBeans in the platform MBeanServer. Started from a daemon
 * thread, never from premain: the application may configure JMX in main().
 * Also started when the agent is disabled, so that JConsole shows why.
 */
final class JmxPublisher implements AutoCloseable {
    private final AgentLog log;
    private JmxExporter exporter;

    JmxPublisher(AgentLog log) {
        this.log = log;
    }

    /**
     * @param names   cgroup ids to paths, or null when the agent is disabled
     * @param monitor receives the notifier as a listener, or null
     */
    synchronized void start(JmxConfig config, AgentState state, Attribution attribution, CgroupNames names,
            long ownNetns, Monitor monitor) {
        try {
            ConnectionNotifier notifier = null;
            if (config.notifications()) {
                notifier = new ConnectionNotifier(JmxExporter.monitorName(), config.notificationRate());
                if (monitor != null) {
                    monitor.addListener(notifier);
                }
            }
            exporter = new JmxExporter(ManagementFactory.getPlatformMBeanServer(), state, attribution,
                    id -> names != null && names.find(id).isPresent(), ownNetns, config.cgroupMBeans(), notifier);
            exporter.start();
        } catch (JMException | RuntimeException | LinkageError e) {
            log.warn("JMX disabled: " + e + "; the agent runs without its MBeans");
            exporter = null;
        }
    }

    /**
     * A disabled agent's ConnectionMonitor MBean, which says why: nothing else to publish, nothing to sweep.
     * When an agent loaded since (a later attach) has the name already, this one stays unpublished.
     */
    synchronized void startStatus(AgentState state) {
        try {
            Attribution none = new Attribution(new HostIdentity(0), id -> "cgroup:" + id);
            exporter = new JmxExporter(ManagementFactory.getPlatformMBeanServer(), state, none, id -> false, 0, 0,
                    null);
            exporter.startStatus();
        } catch (InstanceAlreadyExistsException loadedSince) {
            exporter = null;
        } catch (JMException | RuntimeException | LinkageError e) {
            log.warn("JMX disabled: " + e + "; the agent's MBean does not say why it is disabled");
            exporter = null;
        }
    }

    /** Whether the agent's MBeans are registered. */
    synchronized boolean published() {
        return exporter != null;
    }

    @Override
    public synchronized void close() {
        if (exporter != null) {
            exporter.close();
            exporter = null;
        }
    }
}
