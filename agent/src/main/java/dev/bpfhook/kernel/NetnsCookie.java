package dev.bpfhook.kernel;

import com.sun.jna.Memory;
import com.sun.jna.ptr.IntByReference;
import java.util.List;
import java.util.OptionalLong;

/** The cookie of this process's network namespace, the value bpf_get_netns_cookie() gives. */
public final class NetnsCookie {
    private NetnsCookie() {
    }

    /**
     * The cookie of the network namespace in {@code nsFile} (e.g. /proc/1/ns/net, the host's), read from a
     * thread of its own that enters it with setns(2) and then ends: no other thread changes namespace.
     */
    public static OptionalLong of(java.nio.file.Path nsFile) {
        long[] cookie = {-1};
        try {
            if (!NetworkNamespaces.runIn(List.of(nsFile), 5_000, () -> cookie[0] = ofThisProcess().orElse(-1))) {
                return OptionalLong.empty();
            }
        } catch (BpfException interrupted) {
            return OptionalLong.empty();
        }
        return cookie[0] >= 0 ? OptionalLong.of(cookie[0]) : OptionalLong.empty();
    }

    /** The host's network namespace: PID 1's; this process's when PID 1's cannot be entered. */
    public static OptionalLong ofHost() {
        OptionalLong host = of(java.nio.file.Paths.get("/proc/1/ns/net"));
        return host.isPresent() ? host : ofThisProcess();
    }

    /** Read with getsockopt(SO_NETNS_COOKIE) (Linux 5.14+); empty where the kernel lacks it. */
    public static OptionalLong ofThisProcess() {
        LibC c = Libs.c();
        int fd = c.socket(LibC.AF_INET, LibC.SOCK_DGRAM, 0);
        if (fd < 0) {
            return OptionalLong.empty();
        }
        try {
            Memory value = new Memory(8);
            IntByReference length = new IntByReference(8);
            if (c.getsockopt(fd, LibC.SOL_SOCKET, LibC.SO_NETNS_COOKIE, value, length) != 0) {
                return OptionalLong.empty();
            }
            return OptionalLong.of(value.getLong(0));
        } finally {
            c.close(fd);
        }
    }
}
