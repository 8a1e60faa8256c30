package dev.bpfhook.testing;

/** Python scripts that make loopback connections, for {@link TestNetworkNamespace#python}. */
public final class LoopbackScripts {
    /**
     * N loopback connections (1 unless given) with 16 bytes each way, the client pinned to CLIENT_CPU and the
     * server to SERVER_CPU (the first and the last CPU unless given); prints the process's pid and the port.
     */
    public static final String CONNECTIONS = "import os, socket, threading\n"
            + "cpus = sorted(os.sched_getaffinity(0))\n"
            + "N = int(os.environ.get('N', '1'))\n"
            + "client_cpu = int(os.environ.get('CLIENT_CPU', cpus[0]))\n"
            + "server_cpu = int(os.environ.get('SERVER_CPU', cpus[-1]))\n"
            + "server = socket.socket()\n"
            + "server.bind(('127.0.0.1', 0))\n"
            + "server.listen(128)\n"
            + "port = server.getsockname()[1]\n"
            + "def serve():\n"
            + "    os.sched_setaffinity(0, {server_cpu})\n"
            + "    for _ in range(N):\n"
            + "        c, _ = server.accept()\n"
            + "        c.recv(16)\n"
            + "        c.sendall(b'y' * 16)\n"
            + "        c.close()\n"
            + "t = threading.Thread(target=serve)\n"
            + "t.start()\n"
            + "os.sched_setaffinity(0, {client_cpu})\n"
            + "for _ in range(N):\n"
            + "    c = socket.create_connection(('127.0.0.1', port))\n"
            + "    c.sendall(b'x' * 16)\n"
            + "    c.recv(16)\n"
            + "    c.close()\n"
            + "t.join()\n"
            + "print('pid', os.getpid())\n"
            + "print('port', port)\n";

    private LoopbackScripts() {
    }
}
