import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * The memory benchmark's load: CONNECTIONS loopback TCP connections opened and kept open (both ends
 * in the process that opens them, so twice as many sockets; 0 = idle), then one line: heap used
 * and committed after System.gc(), and VmRSS and VmHWM from /proc/self/status.
 *
 * <p>This JVM opens as many as its open-files limit allows; when that is too low for all of them
 * (the limit cannot always be raised: it takes CAP_SYS_RESOURCE), child processes of this JVM open
 * the rest ({@code MemoryLoad hold N}, small JVMs without the agent). Children stay in this JVM's
 * cgroup, so an agent that watches the cgroup (scope=self) tracks their connections as well.
 *
 * <p>With -Dbench.agent=true it first waits for the agent and its outputs to run, then until its
 * table holds the connections, and adds what the agent says: table entries (tracked: all, and
 * established), the kernel's active connections, table evictions, events received, dropped and lost.
 * JMX is touched only then: the agent starts the platform MBeanServer itself anyway.
 * Connections go to several listening ports, PER_PORT each, so that the ephemeral port range never
 * runs dry (a client port is reused towards another destination).
 * At most RATE connections a second (0: as fast as it goes): a burst faster than the agent drains its
 * ring buffer loses events, and then the table holds fewer than were opened (the output says how many).
 *   usage: java [-Dbench.agent=true] MemoryLoad CONNECTIONS [SETTLE_MS=2000] [RATE=0]
 */
public class MemoryLoad {
    private static final int PER_PORT = 10000;
    private static final String MONITOR = "bpfhook:type=ConnectionMonitor";

    public static void main(String[] args) throws Exception {
        if (args[0].equals("hold")) {
            hold(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
            return;
        }
        int connections = Integer.parseInt(args[0]);
        long settleMs = args.length > 1 ? Long.parseLong(args[1]) : 2000;
        int rate = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        boolean agent = Boolean.getBoolean("bench.agent");
        if (agent) {
            awaitAgent();
        }
        long fdLimit = openFilesLimit();
        int perProcess = (int) Math.max(1, (fdLimit - 256) / 2);
        int own = Math.min(connections, perProcess);
        long start = System.nanoTime();
        List<SocketChannel> sockets = open(own, rate);
        List<Process> helpers = new ArrayList<>();
        for (int left = connections - own; left > 0; left -= perProcess) { // one after the other: a gentle rate
            Process helper = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("java.class.path"), "MemoryLoad", "hold",
                    Integer.toString(Math.min(left, perProcess)), Integer.toString(rate))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            helpers.add(helper);
            String line = new BufferedReader(new InputStreamReader(helper.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            if (!"ready".equals(line)) {
                helpers.forEach(Process::destroyForcibly);
                throw new IllegalStateException("a child that opens connections failed (see its stderr above)");
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long[] agentFigures = agent ? awaitTable(2L * connections) : null;
        Thread.sleep(settleMs);
        System.gc();
        System.gc();
        Runtime rt = Runtime.getRuntime();
        long heapKb = (rt.totalMemory() - rt.freeMemory()) / 1024;
        StringBuilder line = new StringBuilder(String.format(
                "connections=%d own=%d children=%d fd_limit=%d seconds=%.1f heap_kb=%d heap_committed_kb=%d rss_kb=%d"
                + " hwm_kb=%d", connections, own, helpers.size(), fdLimit, seconds, heapKb, rt.totalMemory() / 1024,
                status("VmRSS:"), status("VmHWM:")));
        if (agent) {
            line.append(String.format(" tracked=%d established=%d active=%d evicted=%d received=%d dropped=%d lost=%d",
                    agentFigures[0], agentFigures[1], agentFigures[2], agentFigures[3], agentFigures[4],
                    agentFigures[5], agentFigures[6]));
        }
        System.out.println(line);
        System.out.flush();
        helpers.forEach(Process::destroyForcibly);
        System.exit(sockets.size() == 2 * own ? 0 : 1); // exit closes the sockets faster than close() each
    }

    /** A child's part: opens N connections, says "ready", keeps them until its parent goes (stdin ends). */
    private static void hold(int connections, int rate) throws Exception {
        List<SocketChannel> sockets = open(connections, rate);
        System.out.println("ready");
        System.out.flush();
        while (System.in.read() >= 0) {
            // the parent never writes; EOF when it exits
        }
        System.exit(sockets.isEmpty() ? 1 : 0);
    }

    private static List<SocketChannel> open(int connections, int rate) throws Exception {
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        List<SocketChannel> sockets = new ArrayList<>(2 * connections);
        ServerSocketChannel listener = null;
        long start = System.nanoTime();
        for (int i = 0; i < connections; i++) {
            long ahead = rate == 0 ? 0 : (start + i * 1_000_000_000L / rate - System.nanoTime()) / 1_000_000;
            if (ahead > 0) {
                Thread.sleep(ahead);
            }
            if (i % PER_PORT == 0) {
                listener = ServerSocketChannel.open().bind(new InetSocketAddress(lo, 0), 128);
            }
            sockets.add(SocketChannel.open(listener.getLocalAddress()));
            sockets.add(listener.accept());
        }
        return sockets;
    }

    private static long openFilesLimit() throws Exception {
        for (String line : Files.readAllLines(Paths.get("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                return soft.equals("unlimited") ? 1 << 20 : Long.parseLong(soft);
            }
        }
        return 1024;
    }

    private static long status(String field) throws Exception {
        for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    /**
     * Waits until the agent runs (its MBean says RUNNING or DEGRADED) and its outputs (Jolokia, ...) have
     * started: the thread that loads the programs and starts the outputs, bpfhook-loader, has ended.
     */
    private static void awaitAgent() throws Exception {
        javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
        javax.management.ObjectName name = new javax.management.ObjectName(MONITOR);
        for (int i = 0; i < 600; i++) {
            if (server.isRegistered(name) && !loaderRuns()) {
                String state = (String) server.getAttribute(name, "State");
                if (state.equals("RUNNING") || state.equals("DEGRADED")) {
                    return;
                }
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the agent did not start");
    }

    private static boolean loaderRuns() {
        java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
        for (java.io.File task : tasks == null ? new java.io.File[0] : tasks) {
            try {
                if (new String(Files.readAllBytes(task.toPath().resolve("comm"))).trim().equals("bpfhook-loader")) {
                    return true;
                }
            } catch (java.io.IOException gone) {
                // the thread ended
            }
        }
        return false;
    }

    /**
     * Waits until the agent's table holds {@code expected} established connections, or has held still
     * for 5 s (events were lost), at most 120 s. Returns tracked (all table entries), established, the
     * kernel's active connections, table evictions, events received, dropped and lost.
     */
    private static long[] awaitTable(long expected) throws Exception {
        long[] now = agentFigures();
        long last = -1;
        long stillSince = System.nanoTime();
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (now[1] < expected && System.nanoTime() < deadline) {
            if (now[0] != last) {
                last = now[0];
                stillSince = System.nanoTime();
            } else if (System.nanoTime() - stillSince > 5_000_000_000L) {
                break;
            }
            Thread.sleep(200);
            now = agentFigures();
        }
        return now;
    }

    private static long[] agentFigures() throws Exception {
        javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
        javax.management.ObjectName name = new javax.management.ObjectName(MONITOR);
        long tracked = 0;
        long established = 0;
        javax.management.openmbean.TabularData byState =
                (javax.management.openmbean.TabularData) server.getAttribute(name, "ConnectionsByState");
        for (Object row : byState.values()) {
            javax.management.openmbean.CompositeData entry = (javax.management.openmbean.CompositeData) row;
            long count = ((Number) entry.get("value")).longValue();
            tracked += count;
            if ("ESTABLISHED".equals(entry.get("key"))) {
                established = count;
            }
        }
        return new long[] {tracked, established, (Long) server.getAttribute(name, "ActiveConnections"),
            (Long) server.getAttribute(name, "TableEvictions"), (Long) server.getAttribute(name, "EventsReceived"),
            (Long) server.getAttribute(name, "DroppedEvents"), (Long) server.getAttribute(name, "LostEvents")};
    }
}
