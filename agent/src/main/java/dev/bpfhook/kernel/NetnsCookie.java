package dev.bpfhook.kernel;

import com.sun.jna.Memory;
import com.sun.jna.ptr.IntByReference;
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
        Thread probe = new Thread(() -> {
            LibC c = Libs.c();
            int fd = c.open(nsFile.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
            if (fd < 0) {
                return;
            }
            try {
                if (c.setns(fd, LibC.CLONE_NEWNET) == 0) {
                    cookie[0] = ofThisProcess().orElse(-1);
                }
            } finally {
                c.close(fd);
            }
        }, "bpfhook-netns-probe");
        probe.setDaemon(true);
        probe.start();
        try {
            probe.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return cookie[0] >= 0 && !probe.isAlive() ? OptionalLong.of(cookie[0]) : OptionalLong.empty();
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
