import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The churn benchmark's load: THREADS clients make CONNECTIONS loopback connections in all, each
 * connect, write 16 bytes, read 16 back, close, as fast as they can, against a server in the same
 * process. Prints one line: connections, seconds, connections per second, and this process's CPU
 * seconds (all threads, the agent's included) with, separately, the agent's own threads' CPU and the
 * JIT compiler threads' (jit_cpu); with the agent, also what it counted, and per BPF program its run
 * time and runs per connection (bpf_programs=name:ns:runs,...; a loopback connection runs the programs
 * of both of its ends). Before the measured connections, a warm-up of -Dbench.warmup=N connections
 * (default: as many as are measured): after a warm-up of 2000, the JIT compilers took a third of a
 * 20000-connection round's CPU, with or without the agent, a one-time cost that hid the per-connection one.
 * With -Dbench.rate=R the measured connections are paced at R a second in all (the warm-up is not): what a
 * service that opens connections now and then pays, per connection, for the agent's threads and programs.
 */
public class Churn {
    public static void main(String[] args) throws Exception {
        int connections = Integer.parseInt(args[0]);
        int threads = Integer.parseInt(args[1]);
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        ServerSocket server = new ServerSocket(0, 4096, lo);
        ExecutorService handlers = Executors.newFixedThreadPool(threads);
        ExecutorService clients = Executors.newFixedThreadPool(threads);
        Thread acceptor = new Thread(() -> {
            try {
                while (true) {
                    Socket s = server.accept();
                    handlers.execute(() -> echo(s));
                }
            } catch (Exception closed) {
                // done
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();

        boolean agent = awaitAgent();
        String warmUpProperty = System.getProperty("bench.warmup"); // parsed, not Integer.getInteger: a typo must fail
        int warmUp = warmUpProperty == null ? connections : Integer.parseInt(warmUpProperty);
        String rateProperty = System.getProperty("bench.rate");
        double rate = rateProperty == null ? 0 : Double.parseDouble(rateProperty);
        // The warm-up runs what the measured connections run: the readings around them, and the same
        // client threads, which a latch waits for. A first run of any of it in the measured window loads
        // classes (JMX and the agent's MBeans, the latch's wait nodes) or takes a branch compiled code
        // never took (a new thread's name in the agent's decoder), and HotSpot then drops compiled code
        // that assumed otherwise, the JDK's socket code and the agent's decoder among it: their
        // recompilation fell into the window, with the agent more of it (its MBeans are read).
        if (agent) {
            kernel();
            programs();
        }
        cpuSince(threadCpu(JIT_THREADS), JIT_THREADS); // the /proc readers, whatever the thread names
        processCpuNanos();
        runClients(clients, lo, server.getLocalPort(), warmUp, threads, 0);
        Thread.sleep(agent ? 1500 : 200); // the agent's MBeans cache a second: let the warm-up settle in them
        long[] kernelBefore = agent ? kernel() : null;
        java.util.Map<String, long[]> programsBefore = agent ? programs() : null;
        long cpuBefore = processCpuNanos();
        java.util.Map<String, Long> agentBefore = threadCpu(AGENT_THREADS);
        java.util.Map<String, Long> jitBefore = threadCpu(JIT_THREADS);
        long start = System.nanoTime();
        runClients(clients, lo, server.getLocalPort(), connections, threads, rate);
        double seconds = (System.nanoTime() - start) / 1e9;
        Thread.sleep(100); // let the agent read the last events, so that its CPU time is all in
        double cpu = (processCpuNanos() - cpuBefore) / 1e9;
        double agentCpu = cpuSince(agentBefore, AGENT_THREADS);
        double jitCpu = cpuSince(jitBefore, JIT_THREADS);
        StringBuilder line = new StringBuilder(String.format(
                "connections=%d warmup=%d threads=%d seconds=%.3f rate=%.0f cpu=%.3f agent_cpu=%.3f jit_cpu=%.3f",
                connections, warmUp, threads, seconds, connections / seconds, cpu, agentCpu, jitCpu));
        if (agent) {
            Thread.sleep(1500); // the MBeans cache a second: read after everything settled
            long[] k = kernel();
            line.append(String.format(" counted_outbound=%d events_received=%d events_dropped=%d events_lost=%d"
                    + " bpf_ns_per_connection=%.0f", k[0] - kernelBefore[0], k[1] - kernelBefore[1],
                    k[2] - kernelBefore[2], k[3] - kernelBefore[3], (k[4] - kernelBefore[4]) / (double) connections));
            StringBuilder perProgram = new StringBuilder();
            programs().forEach((program, now) -> {
                long[] before = programsBefore.getOrDefault(program, new long[2]);
                perProgram.append(perProgram.length() == 0 ? " bpf_programs=" : ",").append(String.format(
                        "%s:%.0f:%.1f", program, (now[1] - before[1]) / (double) connections,
                        (now[0] - before[0]) / (double) connections));
            });
            line.append(perProgram);
        }
        System.out.println(line);
        server.close();
        handlers.shutdownNow();
        clients.shutdownNow();
        System.exit(0);
    }

    private static final String MONITOR = "bpfhook:type=ConnectionMonitor";
    private static final String[] AGENT_THREADS = {"bpfhook"};
    private static final String[] JIT_THREADS = {"C1 CompilerThre", "C2 CompilerThre"};

    /** With the agent in this JVM, waits until it runs (its MBean says RUNNING or DEGRADED). */
    private static boolean awaitAgent() throws Exception {
        if (!Boolean.getBoolean("bench.agent")) {
            return false;
        }
        javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
        javax.management.ObjectName name = new javax.management.ObjectName(MONITOR);
        for (int i = 0; i < 200; i++) {
            if (server.isRegistered(name)) {
                String state = (String) server.getAttribute(name, "State");
                if (state.equals("RUNNING") || state.equals("DEGRADED")) {
                    return true;
                }
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the agent did not start");
    }

    /** outbound connections, events received, dropped, lost, and the sum of our programs' run time (ns). */
    private static long[] kernel() throws Exception {
        javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
        javax.management.ObjectName name = new javax.management.ObjectName(MONITOR);
        long runTime = 0;
        for (Object o : (Object[]) server.getAttribute(name, "ProgramStats")) {
            runTime += (Long) ((javax.management.openmbean.CompositeData) o).get("runTimeNanos");
        }
        return new long[] {(Long) server.getAttribute(name, "OutboundConnections"),
            (Long) server.getAttribute(name, "EventsReceived"), (Long) server.getAttribute(name, "DroppedEvents"),
            (Long) server.getAttribute(name, "LostEvents"), runTime};
    }

    /** Each program's run count and run time (ns), from the ProgramStats attribute. */
    private static java.util.Map<String, long[]> programs() throws Exception {
        javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
        java.util.Map<String, long[]> result = new java.util.TreeMap<>();
        for (Object o : (Object[]) server.getAttribute(new javax.management.ObjectName(MONITOR), "ProgramStats")) {
            javax.management.openmbean.CompositeData c = (javax.management.openmbean.CompositeData) o;
            result.put((String) c.get("program"), new long[] {(Long) c.get("runCount"), (Long) c.get("runTimeNanos")});
        }
        return result;
    }

    /**
     * Makes {@code connections} round trips on {@code threads} of the clients' threads, and waits for them: as
     * fast as they can, or the i-th at i / {@code rate} seconds from the start (0: not paced).
     */
    private static void runClients(ExecutorService clients, InetAddress lo, int port, int connections, int threads,
            double rate) throws Exception {
        AtomicInteger next = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(threads);
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            clients.execute(() -> {
                try {
                    int i;
                    while ((i = next.getAndIncrement()) < connections) {
                        if (rate > 0) {
                            java.util.concurrent.locks.LockSupport.parkNanos(
                                    start + (long) (i * 1e9 / rate) - System.nanoTime());
                        }
                        roundTrip(lo, port);
                    }
                } catch (Exception e) {
                    e.printStackTrace();
                } finally {
                    done.countDown();
                }
            });
        }
        done.await();
    }

    private static void roundTrip(InetAddress lo, int port) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(lo, port));
            OutputStream out = s.getOutputStream();
            out.write(new byte[16]);
            InputStream in = s.getInputStream();
            int read = 0;
            byte[] buffer = new byte[16];
            while (read < 16) {
                int n = in.read(buffer, read, 16 - read);
                if (n < 0) {
                    throw new IllegalStateException("EOF");
                }
                read += n;
            }
        }
    }

    private static void echo(Socket s) {
        try (Socket socket = s) {
            byte[] buffer = new byte[16];
            int read = 0;
            InputStream in = socket.getInputStream();
            while (read < 16) {
                int n = in.read(buffer, read, 16 - read);
                if (n < 0) {
                    return;
                }
                read += n;
            }
            socket.getOutputStream().write(buffer);
            in.read(); // until the client closes
        } catch (Exception e) {
            // a reset client is fine
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /**
     * CPU so far of each thread whose name starts with one of {@code prefixes}, by thread id, from
     * /proc: bpfhook (the agent's own threads: what the agent itself costs), or the JIT compilers'
     * ("C1 CompilerThre", "C2 CompilerThre": /proc keeps 15 characters of a name). In nanoseconds from
     * schedstat (the scheduler's own run time of each thread) where the kernel has it, else from the
     * tick counts of stat (10 ms steps: a round's figure per connection is then coarse).
     */
    private static java.util.Map<String, Long> threadCpu(String... prefixes) {
        java.util.Map<String, Long> nanos = new java.util.HashMap<>();
        java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
        for (java.io.File task : tasks == null ? new java.io.File[0] : tasks) {
            try {
                String comm = new String(java.nio.file.Files.readAllBytes(task.toPath().resolve("comm"))).trim();
                if (java.util.Arrays.stream(prefixes).noneMatch(comm::startsWith)) {
                    continue;
                }
                java.nio.file.Path schedstat = task.toPath().resolve("schedstat");
                if (java.nio.file.Files.isReadable(schedstat)) {
                    nanos.put(task.getName(), Long.parseLong(
                            new String(java.nio.file.Files.readAllBytes(schedstat)).trim().split(" ")[0]));
                    continue;
                }
                String stat = new String(java.nio.file.Files.readAllBytes(task.toPath().resolve("stat")));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                // utime, stime; USER_HZ = 100
                nanos.put(task.getName(), (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L);
            } catch (Exception gone) {
                // the thread ended
            }
        }
        return nanos;
    }

    /**
     * Seconds of CPU the threads of {@code before} (and those started since) used since it was read. A
     * thread that ended meanwhile is missing (HotSpot ends idle compiler threads): a lower bound then.
     */
    private static double cpuSince(java.util.Map<String, Long> before, String... prefixes) {
        long nanos = 0;
        for (java.util.Map.Entry<String, Long> now : threadCpu(prefixes).entrySet()) {
            nanos += now.getValue() - before.getOrDefault(now.getKey(), 0L);
        }
        return nanos / 1e9;
    }
}
