package dev.bpfhook.jmx;

import java.lang.reflect.Method;
import java.util.HashMap;
import java.util.Map;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.NotificationBroadcasterSupport;
import javax.management.NotificationEmitter;
import javax.management.StandardEmitterMBean;

/**
 * An MXBean whose MBeanInfo carries the {@link Description}s written on its
 * interface: the JDK's MXBean introspection keeps descriptor annotations such
 * as {@link Units}, but not descriptions, which JConsole and VisualVM show.
 */
final class DescribedMXBean<T> extends StandardEmitterMBean {
    private final Class<T> type;
    private final Map<String, String> attributes = new HashMap<>();
    private final Map<String, Method> operations = new HashMap<>();

    DescribedMXBean(T implementation, Class<T> type) {
        this(implementation, type, new NotificationBroadcasterSupport());
    }

    /** @param emitter sends this MBean's notifications (JMX clients subscribe through the MBean) */
    DescribedMXBean(T implementation, Class<T> type, NotificationEmitter emitter) {
        super(implementation, type, true, emitter);
        this.type = type;
        for (Method m : type.getMethods()) {
            Description d = m.getAnnotation(Description.class);
            String name = m.getName();
            if (m.getParameterCount() == 0 && name.startsWith("get") && name.length() > 3) {
                attributes.put(name.substring(3), d == null ? null : d.value());
            } else if (m.getParameterCount() == 0 && name.startsWith("is") && name.length() > 2) {
                attributes.put(name.substring(2), d == null ? null : d.value());
            } else {
                operations.put(name, m);
            }
        }
    }

    @Override
    protected String getDescription(MBeanInfo info) {
        Description d = type.getAnnotation(Description.class);
        return d != null ? d.value() : super.getDescription(info);
    }

    @Override
    protected String getDescription(MBeanAttributeInfo info) {
        String d = attributes.get(info.getName());
        return d != null ? d : super.getDescription(info);
    }

    @Override
    protected String getDescription(MBeanOperationInfo info) {
        Method m = operations.get(info.getName());
        Description d = m == null ? null : m.getAnnotation(Description.class);
        return d != null ? d.value() : super.getDescription(info);
    }

    @Override
    protected String getDescription(MBeanOperationInfo op, MBeanParameterInfo param, int sequence) {
        Method m = operations.get(op.getName());
        if (m != null && sequence < m.getParameterCount()) {
            Description d = m.getParameters()[sequence].getAnnotation(Description.class);
            if (d != null) {
                return d.value();
            }
        }
        return super.getDescription(op, param, sequence);
    }

    @Override
    protected String getParameterName(MBeanOperationInfo op, MBeanParameterInfo param, int sequence) {
        Method m = operations.get(op.getName());
        if (m != null && sequence < m.getParameterCount() && m.getParameters()[sequence].isNamePresent()) {
            return m.getParameters()[sequence].getName();
        }
        return super.getParameterName(op, param, sequence);
    }
}
