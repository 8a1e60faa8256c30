package dev.bpfhook.testing;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/**
 * IPv4 loopback TCP sockets through libc, for what Java's socket API never does: accept without asking
 * for the peer's address, read the peer's address again (getpeername(), getsockopt(SO_PEERNAME)), and
 * read a socket's cookie, the kernel's name for it in the monitor's events. Sockets are file
 * descriptors; every call fails with the call's name and errno.
 */
public final class NativeSockets {
    private static final int AF_INET = 2;
    private static final int SOCK_STREAM = 1;
    private static final int SOL_SOCKET = 1;
    private static final int SO_PEERNAME = 28;
    private static final int SO_COOKIE = 57;
    private static final int SOCKADDR_IN_SIZE = 16;

    interface C extends Library {
        int socket(int domain, int type, int protocol) throws LastErrorException;

        int bind(int fd, Pointer address, int length) throws LastErrorException;

        int listen(int fd, int backlog) throws LastErrorException;

        int connect(int fd, Pointer address, int length) throws LastErrorException;

        int accept(int fd, Pointer address, IntByReference length) throws LastErrorException;

        int getsockname(int fd, Pointer address, IntByReference length) throws LastErrorException;

        int getpeername(int fd, Pointer address, IntByReference length) throws LastErrorException;

        int getsockopt(int fd, int level, int name, Pointer value, IntByReference length) throws LastErrorException;

        int close(int fd) throws LastErrorException;

        int gettid();
    }

    private static final C LIBC = Native.load("c", C.class);

    private NativeSockets() {
    }

    /** A socket listening on 127.0.0.1, on a port the kernel chose. */
    public static int listener() {
        int fd = LIBC.socket(AF_INET, SOCK_STREAM, 0);
        LIBC.bind(fd, loopback(0), SOCKADDR_IN_SIZE);
        LIBC.listen(fd, 16);
        return fd;
    }

    /** The local port of a bound socket. */
    public static int port(int fd) {
        Memory address = new Memory(SOCKADDR_IN_SIZE);
        LIBC.getsockname(fd, address, new IntByReference(SOCKADDR_IN_SIZE));
        return Short.toUnsignedInt(Short.reverseBytes(address.getShort(2)));
    }

    /** A socket connected to 127.0.0.1:{@code port} (on loopback the handshake is done when it returns). */
    public static int connect(int port) {
        int fd = LIBC.socket(AF_INET, SOCK_STREAM, 0);
        LIBC.connect(fd, loopback(port), SOCKADDR_IN_SIZE);
        return fd;
    }

    /** accept(), asking for the peer's address as Java does, or not, as accept(fd, NULL, NULL) does. */
    public static int accept(int listener, boolean askingForThePeer) {
        if (!askingForThePeer) {
            return LIBC.accept(listener, null, null);
        }
        return LIBC.accept(listener, new Memory(SOCKADDR_IN_SIZE), new IntByReference(SOCKADDR_IN_SIZE));
    }

    /** Reads the peer's address both other ways: getpeername() and getsockopt(SO_PEERNAME). */
    public static void readPeer(int fd) {
        LIBC.getpeername(fd, new Memory(SOCKADDR_IN_SIZE), new IntByReference(SOCKADDR_IN_SIZE));
        // at most the address's own length: the kernel refuses a longer buffer
        LIBC.getsockopt(fd, SOL_SOCKET, SO_PEERNAME, new Memory(SOCKADDR_IN_SIZE),
                new IntByReference(SOCKADDR_IN_SIZE));
    }

    /** The socket's cookie (SO_COOKIE). */
    public static long cookie(int fd) {
        Memory cookie = new Memory(8);
        LIBC.getsockopt(fd, SOL_SOCKET, SO_COOKIE, cookie, new IntByReference(8));
        return cookie.getLong(0);
    }

    /** The calling thread's id, as the kernel reports it. */
    public static int tid() {
        return LIBC.gettid();
    }

    public static void close(int fd) {
        LIBC.close(fd);
    }

    /** struct sockaddr_in for 127.0.0.1:port. */
    private static Memory loopback(int port) {
        Memory address = new Memory(SOCKADDR_IN_SIZE);
        address.clear();
        address.setShort(0, (short) AF_INET);
        address.setShort(2, Short.reverseBytes((short) port));
        address.write(4, new byte[] {127, 0, 0, 1}, 0, 4);
        return address;
    }
}
