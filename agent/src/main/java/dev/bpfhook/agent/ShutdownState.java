package dev.bpfhook.agent;

/** Whether the JVM has begun to shut down: the only way to ask is to try to add a shutdown hook. */
final class ShutdownState {
    private ShutdownState() {
    }

    static boolean inProgress() {
        Thread probe = new Thread("bpfhook-probe");
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException shuttingDown) {
            return true;
        }
    }
}
