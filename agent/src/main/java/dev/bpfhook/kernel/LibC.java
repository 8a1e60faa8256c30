package dev.bpfhook.kernel;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * The libc calls the native layer needs: mmap for the ring buffer, epoll to be woken by it (the wait
 * itself is dev.bpfhook.nativeaccess.Epoll, direct-mapped).
 */
interface LibC extends Library {
    int PROT_READ = 0x1;
    int PROT_WRITE = 0x2;
    int MAP_SHARED = 0x01;
    int O_RDONLY = 0;
    int O_DIRECTORY = 0200000;
    int O_CLOEXEC = 02000000;
    int EPOLL_CLOEXEC = 02000000;
    int EPOLL_CTL_ADD = 1;
    int EPOLLIN = 0x001;
    int EPOLLET = 1 << 31;
    int EINTR = 4;
    int EFD_CLOEXEC = 02000000;
    int AF_INET = 2;
    int SOCK_DGRAM = 2;
    int SOL_SOCKET = 1;
    int SO_NETNS_COOKIE = 71;
    int CLONE_NEWNET = 0x40000000;
    /** mmap's MAP_FAILED is (void *) -1, not NULL. */
    long MAP_FAILED = -1L;

    Pointer mmap(Pointer addr, long length, int prot, int flags, int fd, long offset);

    int munmap(Pointer addr, long length);

    int open(String path, int flags);

    int close(int fd);

    long read(int fd, Pointer buffer, long count);

    long write(int fd, Pointer buffer, long count);

    int eventfd(int initval, int flags);

    int epoll_create1(int flags);

    /** {@code struct epoll_event} is packed: 4 bytes of events, 8 of data, 12 in all on x86_64. */
    int epoll_ctl(int epfd, int op, int fd, Pointer event);

    int socket(int domain, int type, int protocol);

    int setns(int fd, int nstype);

    int getsockopt(int fd, int level, int name, Pointer value, IntByReference length);

    int vasprintf(PointerByReference out, Pointer format, Pointer vaList);

    void free(Pointer p);

    int getpagesize();

    String strerror(int errno);
}
