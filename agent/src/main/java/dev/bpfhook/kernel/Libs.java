package dev.bpfhook.kernel;

import com.sun.jna.Native;

/**
 * Loads libbpf and libc once. The system libbpf is used as installed
 * (libbpf.so.1, else libbpf.so.0): bpfhook ships no native code of its own.
 */
final class Libs {
    private static volatile LibBpf bpf;
    private static volatile LibC c;

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
                    c = Native.load("c", LibC.class);
                }
                lib = c;
            }
        }
        return lib;
    }

    private static LibBpf loadLibbpf() throws BpfException {
        UnsatisfiedLinkError last = null;
        for (String name : new String[] {"libbpf.so.1", "libbpf.so.0"}) {
            try {
                return Native.load(name, LibBpf.class);
            } catch (UnsatisfiedLinkError e) {
                last = e;
            }
        }
        throw new BpfException("libbpf is not installed (libbpf.so.1 or libbpf.so.0 not found: "
                + firstLine(last.getMessage()) + "); install it, e.g. apt-get install libbpf1");
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
