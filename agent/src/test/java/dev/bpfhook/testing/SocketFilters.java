package dev.bpfhook.testing;

/**
 * Classic BPF socket filters for the kernel tests' Python scripts, which drop chosen segments to make what
 * a network rarely does on demand (a lost SYN, a socket held in SYN_RECV).
 */
public final class SocketFilters {
    /**
     * Python that defines {@code attach(sock, program)}: sets {@code program}, a list of struct sock_filter
     * tuples (code, jt, jf, k), on the socket. A TCP socket's filter sees each segment from its TCP header;
     * it returns 0 to drop it, 0xffffffff to keep it whole. The kernel copies the program at the call.
     */
    public static final String PYTHON_ATTACH = "import ctypes, socket, struct\n"
            + "SO_ATTACH_FILTER = 26\n"
            + "def attach(sock, program):\n"
            + "    code = b''.join(struct.pack('HBBI', *insn) for insn in program)\n"
            + "    buf = ctypes.create_string_buffer(code, len(code))\n"
            + "    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, struct.pack('HP', len(program),"
            + " ctypes.addressof(buf)))\n";

    private SocketFilters() {
    }
}
