package dev.bpfhook.boot;

import java.lang.instrument.Instrumentation;
import java.util.function.Supplier;

/**
 * The -javaagent and attach entry points. Kept small on purpose: it runs on
 * the application's main thread before main(), so it claims "loaded once",
 * makes the agent's class loader and hands over to AgentRuntime, which checks
 * the options and privileges here and does everything slow on a daemon thread.
 * Nothing here may throw: every failure ends in one line on stderr and an
 * application that runs as if we were not there.
 */
public final class AgentEntry {
    /**
     * Set once per JVM; a second -javaagent or attach sees it and does nothing, unless the first gave up or was
     * detached (see ReleaseClaim). {@code detach PID} reads it to tell whether an agent runs at all.
     */
    public static final String LOADED_PROPERTY = "dev.bpfhook.agent";
    /** The agent argument that asks a running agent to detach, followed by a token of the request (see detach). */
    public static final String DETACH_REQUEST = "detach:";
    /** What the last detach request did: its token, a space, then "detached: ..." or why not. */
    public static final String DETACH_RESULT_PROPERTY = "dev.bpfhook.agent.detach";
    /** Microseconds premain (or agentmain) took on the caller's thread; read by scripts/bench-startup.sh. */
    static final String PREMAIN_MICROS_PROPERTY = "dev.bpfhook.agent.premainMicros";
    private static final String RUNTIME = "dev.bpfhook.agent.AgentRuntime";

    /**
     * The agent's class loader, made at the first load and used again by every later one in this JVM (after
     * the operator detached the agent, or it gave up): one copy of JNA and of the Flight Recorder event types
     * per JVM, so that a recording never sees two types of one name. Guarded by AgentEntry.class.
     */
    private static AgentClassLoader loader;
    /** Made with the loader: the module it defines can be defined once per loader. */
    private static NativeAccessModule nativeAccess;

    private AgentEntry() {
    }

    public static void premain(String options, Instrumentation instrumentation) {
        begin(options, "premain", instrumentation);
    }

    public static void agentmain(String options, Instrumentation instrumentation) {
        if (options != null && options.startsWith(DETACH_REQUEST)) {
            detach(options.substring(DETACH_REQUEST.length()));
            return;
        }
        begin(options, "attach", instrumentation);
    }

    /**
     * {@code detach PID} where the agent's MBean cannot be reached (a JVM in another network namespace, whose
     * JMX connector listens on its own loopback; or jmx=off): the running agent detaches, and says how it went
     * in {@link #DETACH_RESULT_PROPERTY}, after the request's token, which the command reads back. Never throws:
     * the JVM would print the stack trace into the application's stderr.
     */
    private static void detach(String token) {
        String result;
        try {
            AgentClassLoader agentLoader;
            synchronized (AgentEntry.class) {
                agentLoader = loader;
            }
            result = agentLoader == null ? "no bpfhook agent runs in this JVM"
                    : (String) Class.forName(RUNTIME, true, agentLoader).getMethod("detachRunning").invoke(null);
        } catch (java.lang.reflect.InvocationTargetException e) {
            result = "not detached: " + e.getCause().getMessage();
        } catch (Throwable t) {
            result = "not detached: internal error " + t + " (please report this line)";
        }
        try {
            System.setProperty(DETACH_RESULT_PROPERTY, token + " " + result);
        } catch (Throwable ignored) {
            // a security manager that denies it: the command then says it cannot tell
        }
    }

    private static void begin(String options, String how, Instrumentation instrumentation) {
        long startNs = System.nanoTime();
        try {
            if (System.getProperties().putIfAbsent(LOADED_PROPERTY, how) != null) {
                System.err.println("bpfhook: already loaded in this JVM (" + System.getProperty(LOADED_PROPERTY)
                        + "); ignoring this " + how + "; load the agent once");
                return;
            }
            run(options, how, instrumentation);
            System.setProperty(PREMAIN_MICROS_PROPERTY, String.valueOf((System.nanoTime() - startNs) / 1000));
        } catch (Throwable t) {
            warn(t);
        }
    }

    private static void run(String options, String how, Instrumentation instrumentation) {
        try {
            AgentClassLoader agentLoader;
            NativeAccessModule agentNativeAccess;
            synchronized (AgentEntry.class) {
                if (loader == null) {
                    loader = new AgentClassLoader(AgentClassLoader.agentJar(), ClassLoader.getPlatformClassLoader());
                    nativeAccess = new NativeAccessModule(instrumentation, loader);
                }
                agentLoader = loader;
                agentNativeAccess = nativeAccess;
            }
            Class.forName(RUNTIME, true, agentLoader).getMethod("start", String.class, Supplier.class, Runnable.class)
                    .invoke(null, options, agentNativeAccess, new ReleaseClaim(how));
        } catch (java.lang.reflect.InvocationTargetException e) {
            warn(e.getCause());
        } catch (Throwable t) {
            warn(t);
        }
    }

    /**
     * Given to the agent, which runs it when it gave up before anything of it ran (options, privileges, cgroup,
     * the kernel load), or once the operator detached it: a later attach may then load it again (after the
     * operator fixed the cause), where it would otherwise find the agent "already loaded" until the JVM restarts.
     * Not a lambda: premain's first lambda costs milliseconds.
     */
    private static final class ReleaseClaim implements Runnable {
        private final String how;

        ReleaseClaim(String how) {
            this.how = how;
        }

        @Override
        public void run() {
            System.getProperties().remove(LOADED_PROPERTY, how); // only this load's claim
        }
    }

    private static void warn(Throwable t) {
        try {
            System.err.println("bpfhook: agent disabled: internal error " + t
                    + "; the application runs without it (please report this line)");
        } catch (Throwable ignored) {
            // stderr itself is broken: stay silent rather than disturb the application
        }
    }
}
