package dev.bpfhook.nativeaccess;

import java.io.File;
import java.util.Optional;

/**
 * The directory JNA unpacks its native library (libjnidispatch.so) into before loading it, checked before JNA
 * tries: where it cannot write (a container with a read-only root file system and no writable /tmp), JNA
 * fails with a message that names no fix, and logs a stack trace through the application's
 * java.util.logging on its way. JNA's own rule (5.x, Linux): {@code jna.tmpdir} when set, else
 * {@code $XDG_CACHE_HOME/JNA/temp} or {@code ~/.cache/JNA/temp} when it can be made and written, else
 * {@code java.io.tmpdir}.
 */
public final class JnaUnpackDirectory {
    /** What to do about it, for every problem with the directory or with loading from it. */
    public static final String FIX = "give the JVM a writable java.io.tmpdir on a file system that allows "
            + "executables (in a container with a read-only root file system, a volume at /tmp), or name such a "
            + "directory with -Djna.tmpdir=DIR";

    private JnaUnpackDirectory() {
    }

    /** Why JNA could not unpack its library, in one sentence with {@link #FIX}; empty when it can. */
    public static Optional<String> problem() {
        String chosen = System.getProperty("jna.tmpdir");
        File directory;
        String tried;
        if (chosen != null) {
            directory = new File(chosen);
            directory.mkdirs();
            tried = "jna.tmpdir " + directory;
        } else {
            String xdg = System.getenv("XDG_CACHE_HOME");
            File cache = xdg == null || xdg.trim().isEmpty() ? new File(System.getProperty("user.home"), ".cache")
                    : new File(xdg);
            File own = new File(cache, "JNA/temp");
            own.mkdirs();
            directory = own.isDirectory() && own.canWrite() ? own : new File(System.getProperty("java.io.tmpdir"));
            tried = directory == own ? own.toString() : own + " and java.io.tmpdir " + directory;
        }
        if (directory.isDirectory() && directory.canWrite()) {
            return Optional.empty();
        }
        return Optional.of("JNA, through which the agent calls libbpf, cannot unpack its native library: " + tried
                + (directory.isDirectory() ? " cannot be written" : " does not exist") + "; " + FIX);
    }
}
