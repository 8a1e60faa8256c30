package dev.bpfhook.nativeaccess;

import java.lang.reflect.Method;

/**
 * Runs inside the agent's JNA module (see dev.bpfhook.boot.NativeAccessModule), to which alone
 * {@code java.lang} was opened: enables native access for that module, the one that loads native code.
 */
public final class NativeAccessEnabler {
    private NativeAccessEnabler() {
    }

    /** @return whether the module has native access now */
    public static boolean enable() throws ReflectiveOperationException {
        Module own = NativeAccessEnabler.class.getModule();
        Method enable = Module.class.getDeclaredMethod("implAddEnableNativeAccess");
        enable.setAccessible(true);
        enable.invoke(own);
        return (Boolean) Module.class.getMethod("isNativeAccessEnabled").invoke(own);
    }
}
