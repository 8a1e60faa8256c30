package dev.bpfhook.nativeaccess;

/**
 * Starts JNA's library loading without it running {@code /sbin/ldconfig -p} inside the application's JVM.
 *
 * <p>On Linux, JNA's {@code NativeLibrary} learns the system's library directories once, as its class
 * initializes, by running {@code ldconfig -p}, unless the system property {@code jna.platform.library.path} names
 * them; and it then sets that property, JVM-wide, to what it found. In an agent that is a process spawned by
 * the application: a child process of a JVM is what intrusion detection watches for, and in a container without
 * {@code ldconfig} it is a failed exec. The agent needs none of those directories (it opens {@code libbpf.so.1}
 * and libc by name, which the dynamic loader finds through the same cache {@code ldconfig} prints), so the
 * property is set to empty while the class initializes, and taken away after: it ends as it was, unset.
 */
public final class JnaLibrarySearch {
    private static final String PLATFORM_PATH = "jna.platform.library.path";
    private static boolean initialized;

    private JnaLibrarySearch() {
    }

    /** Before the first library this agent's JNA loads; once, and again at no cost. */
    public static synchronized void initializeWithoutLdconfig() {
        if (initialized) {
            return;
        }
        initialized = true;
        try {
            if (System.getProperty(PLATFORM_PATH) != null) {
                return; // the operator's (or the application's) choice: JNA runs nothing either
            }
            System.setProperty(PLATFORM_PATH, "");
        } catch (SecurityException e) {
            return; // a security manager that denies it: JNA then does as it always did
        }
        try {
            Class.forName("com.sun.jna.NativeLibrary", true, JnaLibrarySearch.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("JNA is part of the agent", e);
        } finally {
            System.clearProperty(PLATFORM_PATH);
        }
    }
}
