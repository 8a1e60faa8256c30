package dev.bpfhook.nativeaccess;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * epoll_wait, direct-mapped: the ring thread's one native call, made 20 to 100 times a second even
 * when nothing happens. Through JNA's interface mapping each call cost about 25 us more (reflection,
 * argument conversion; measured on an idle agent), a quarter of its CPU when it polled 100 times a
 * second; a direct-mapped call is a plain JNI call. In this package because declaring native methods
 * needs native access on JDK 22 and later, which the agent gives to this package's module only (see
 * dev.bpfhook.boot.NativeAccessModule).
 */
public final class Epoll {
    static {
        JnaLibrarySearch.initializeWithoutLdconfig();
        Native.register(Epoll.class, Platform.C_LIBRARY_NAME);
    }

    private Epoll() {
    }

    /** epoll_wait(2); on -1 the errno is in {@link Native#getLastError()}. */
    public static native int epoll_wait(int epfd, Pointer events, int maxEvents, int timeoutMs);
}
