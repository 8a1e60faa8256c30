package dev.bpfhook.apps;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * An application that ships its own JNA (another version than the agent's):
 * it must keep using its own, and the agent must keep working beside it.
 */
public final class JnaTestApp {
    /** libc through the application's JNA. */
    public interface LibC extends Library {
        int getpid();
    }

    private JnaTestApp() {
    }

    public static void main(String[] args) throws Exception {
        LibC libc = Native.load("c", LibC.class);
        System.out.println("app jna getpid " + libc.getpid() + " from "
                + Native.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        AgentTestApp.commands();
    }
}
