package dev.bpfhook.kernel;

import com.sun.jna.Memory;
import com.sun.jna.ptr.IntByReference;
import java.util.OptionalLong;

/** The cookie of this process's network namespace, the value bpf_get_netns_cookie() gives. */
public final class NetnsCookie {
    private NetnsCookie() {
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
