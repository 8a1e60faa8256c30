package dev.bpfhook.kernel;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.bpfhook.nativeaccess.JnaLibrarySearch;
import dev.bpfhook.nativeaccess.JnaUnpackDirectory;
import java.util.Optional;

/**
 * Loads libbpf and libc once. The system libbpf is used as installed
 * (libbpf.so.1, else libbpf.so.0): bpfhook ships no native code of its own.
 */
final class Libs {
    private static volatile LibBpf bpf;
    private static volatile LibC c;
    private static boolean jnaLoaded; // guarded by Libs.class

    private Libs() {
    }

    static LibBpf bpf() throws BpfException {
        LibBpf lib = bpf;
        if (lib == null) {
            synchronized (Libs.class) {
                if (bpf == null) {
                    bpf = loadLibbpf();
                }
                lib = bpf;
            }
        }
        return lib;
    }

    static LibC c() {
        LibC lib = c;
        if (lib == null) {
            synchronized (Libs.class) {
                if (c == null) {
                    JnaLibrarySearch.initializeWithoutLdconfig();
                    c = Native.load("c", LibC.class);
                }
                lib = c;
            }
        }
        return lib;
    }

    private static LibBpf loadLibbpf() throws BpfException {
        loadJna();
        StringBuilder reasons = new StringBuilder();
        for (String name : new String[] {"libbpf.so.1", "libbpf.so.0"}) {
            try {
                return Native.load(name, LibBpf.class);
            } catch (UnsatisfiedLinkError e) {
                reasons.append(reasons.length() == 0 ? "" : "; ").append(reason(name, e.getMessage()));
            }
        }
        throw new BpfException("libbpf cannot be loaded (" + reasons + "); install libbpf 1.x, e.g. apt-get "
                + "install libbpf1");
    }

    /**
     * JNA itself, the first time: its native library must be unpacked into a directory that can be written and
     * allows executables. What fails there is a user's to fix, and said so.
     */
    static synchronized void loadJna() throws BpfException {
        if (jnaLoaded) {
            return;
        }
        Optional<String> unpack = JnaUnpackDirectory.problem();
        if (unpack.isPresent()) {
            throw new BpfException(unpack.get()); // before JNA tries, which would also log a stack trace
        }
        try {
            JnaLibrarySearch.initializeWithoutLdconfig();
            Class.forName(Native.class.getName(), true, Libs.class.getClassLoader()); // loads its native library
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("JNA is part of the agent", e);
        } catch (UnsatisfiedLinkError e) { // e.g. unpacked on a file system mounted noexec
            throw new BpfException("JNA, through which the agent calls libbpf, cannot load its native library ("
                    + firstLine(e.getMessage()) + "); " + JnaUnpackDirectory.FIX);
        } catch (NoClassDefFoundError e) { // it failed so before, in this JVM: a class stays failed
            throw new BpfException("JNA, through which the agent calls libbpf, could not load its native library "
                    + "earlier in this JVM (" + e.getMessage() + "); restart the JVM after you "
                    + JnaUnpackDirectory.FIX);
        }
        jnaLoaded = true;
    }

    /**
     * JNA says "Unable to load library 'NAME':" and then a line per place it tried; the first of those is the
     * dynamic loader's reason (not there, not a library, wrong architecture).
     */
    private static String reason(String name, String message) {
        String[] lines = message == null ? new String[0] : message.split("\n");
        String why = lines.length > 1 ? lines[1].trim() : lines.length == 1 ? firstLine(lines[0]).trim() : "";
        return why.contains(name) ? why : name + ": " + why;
    }

    /** libbpf's major version: 0 for 0.x, whose options structs lack some fields, else 1 or later. */
    static int libbpfMajorVersion() throws BpfException {
        try {
            return bpf().libbpf_major_version();
        } catch (UnsatisfiedLinkError before06) {
            return 0;
        }
    }

    /** Maps {@code length} bytes of a BPF map's fd, shared with the kernel; {@code what} names it in the error. */
    static Pointer mapShared(int fd, long length, int prot, long offset, String what) throws BpfException {
        Pointer p = c().mmap(null, length, prot, LibC.MAP_SHARED, fd, offset);
        if (p == null || Pointer.nativeValue(p) == LibC.MAP_FAILED) {
            int errno = Native.getLastError();
            throw new BpfException("cannot map " + what + ": " + errnoText(errno), errno, "");
        }
        return p;
    }

    static String errnoText(int errno) {
        return errno + " " + c().strerror(errno);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
