package dev.bpfhook.config;

import java.util.Objects;

/** The JMX options: MBeans on or off, notifications, and the bound on cgroup MBeans. Immutable. */
public final class JmxConfig {
    public static final int DEFAULT_NOTIFICATION_RATE = 100;
    public static final int DEFAULT_CGROUP_MBEANS = 256;
    static final JmxConfig DEFAULTS = new JmxConfig(true, false, DEFAULT_NOTIFICATION_RATE, DEFAULT_CGROUP_MBEANS);

    private final boolean enabled;
    private final boolean notifications;
    private final int notificationRate;
    private final int cgroupMBeans;

    JmxConfig(boolean enabled, boolean notifications, int notificationRate, int cgroupMBeans) {
        this.enabled = enabled;
        this.notifications = notifications;
        this.notificationRate = notificationRate;
        this.cgroupMBeans = cgroupMBeans;
    }

    /** bpfhook MBeans in the platform MBeanServer. */
    public boolean enabled() {
        return enabled;
    }

    /** JMX notifications for connection events. */
    public boolean notifications() {
        return notifications;
    }

    /** At most this many notifications a second; the rest are counted as dropped. */
    public int notificationRate() {
        return notificationRate;
    }

    /** At most this many bpfhook:type=Cgroup (and NetworkNamespace) MBeans. */
    public int cgroupMBeans() {
        return cgroupMBeans;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof JmxConfig)) {
            return false;
        }
        JmxConfig c = (JmxConfig) o;
        return enabled == c.enabled && notifications == c.notifications && notificationRate == c.notificationRate
                && cgroupMBeans == c.cgroupMBeans;
    }

    @Override
    public int hashCode() {
        return Objects.hash(enabled, notifications, notificationRate, cgroupMBeans);
    }

    /** In agent-argument form. */
    @Override
    public String toString() {
        return "jmx=" + (enabled ? "on" : "off") + ",jmx.notifications=" + (notifications ? "on" : "off")
                + ",jmx.notifications.rate=" + notificationRate + ",jmx.cgroups=" + cgroupMBeans;
    }
}
