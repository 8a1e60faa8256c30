package dev.bpfhook.apps;

import dev.bpfhook.testing.ChildJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import javax.management.MBeanServer;
import javax.management.NotificationListener;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;

/**
 * The application of the reliability tests (kill under load, soak, slow consumers, table limits), run in
 * a child JVM with the agent. It reads the agent's MBeans in its own platform MBeanServer, the way an
 * operator's tool would, but without a connection of its own, so that every connection it counts is one
 * it made. One command per line on stdin, one answer per command on stdout:
 * <ul>
 * <li>{@code agent}: waits until bpfhook:type=ConnectionMonitor is RUNNING or DEGRADED and the agent's outputs
 * run; {@code agent STATE}
 * <li>{@code exchanges N}: N loopback connections one after another (connect, one byte each way, the
 * client closes, then the server); each counts once outbound, once inbound and twice closed;
 * {@code done exchanges N}
 * <li>{@code connect PORT}: one connection to a loopback port, closed at once; {@code connected PORT}
 * <li>{@code move DIR}: moves this JVM into the cgroup v2 directory DIR (its next sockets belong there);
 * {@code moved DIR}
 * <li>{@code hold N}: N more loopback connections, kept open; {@code held TOTAL}
 * <li>{@code release}: closes the held ones, both ends; {@code released N}
 * <li>{@code stats}: after two full GCs, {@code stats heap=BYTES threads=N agent_threads=N fds=N} (the heap
 * in use, this process's threads, those of them named bpfhook-*, its open file descriptors)
 * <li>{@code mbean NAME...}: attributes of ConnectionMonitor; a TabularData prints the sum of its values,
 * {@code NAME.FIELD} the sum of a field over a CompositeData[]'s rows; {@code mbean NAME=VALUE ...}
 * <li>{@code count-mbeans PATTERN}: how many MBeans match an ObjectName pattern; {@code mbeans N}
 * <li>{@code block-notifications}: subscribes a listener that never returns, as a stuck client would;
 * {@code blocking}
 * <li>{@code exit CODE}
 * </ul>
 * With {@code --churn} it also makes loopback connections on a thread of its own from the first moment
 * main runs until the JVM ends, before and while the agent loads, for tests that kill it at any moment.
 */
public final class LoadTestApp {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final String MONITOR = "bpfhook:type=ConnectionMonitor";

    private final List<Socket> held = new ArrayList<>();
    private ServerSocket holdServer;

    private LoadTestApp() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--churn")) {
            Thread churn = new Thread(LoadTestApp::churnForever, "churn");
            churn.setDaemon(true);
            churn.start();
        }
        new LoadTestApp().commands();
    }

    private void commands() throws Exception {
        ExchangeServer server = null; // opened at the first exchange: no socket exists before the test asks
        System.out.println("ready " + ProcessHandle.current().pid());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] words = line.trim().split(" ");
            switch (words[0]) {
                case "agent":
                    System.out.println("agent " + awaitAgent());
                    break;
                case "exchanges":
                    int n = Integer.parseInt(words[1]);
                    if (server == null) {
                        server = new ExchangeServer();
                    }
                    for (int i = 0; i < n; i++) {
                        server.exchange();
                    }
                    System.out.println("done exchanges " + n);
                    break;
                case "connect":
                    try (Socket client = new Socket()) {
                        client.connect(new InetSocketAddress(LOOPBACK, Integer.parseInt(words[1])));
                    }
                    System.out.println("connected " + words[1]);
                    break;
                case "move":
                    Files.writeString(Paths.get(words[1], "cgroup.procs"),
                            Long.toString(ProcessHandle.current().pid()));
                    System.out.println("moved " + words[1]);
                    break;
                case "hold":
                    hold(Integer.parseInt(words[1]));
                    System.out.println("held " + held.size() / 2 + " port " + holdServer.getLocalPort());
                    break;
                case "release":
                    int released = held.size() / 2;
                    release();
                    System.out.println("released " + released);
                    break;
                case "native-access":
                    System.out.println("native-access " + nativeAccess());
                    break;
                case "spawned":
                    System.out.println("spawned " + spawnedProcesses());
                    break;
                case "stats":
                    System.out.println(stats());
                    break;
                case "mbean":
                    System.out.println(mbean(words));
                    break;
                case "count-mbeans":
                    System.out.println("mbeans " + ManagementFactory.getPlatformMBeanServer()
                            .queryNames(new ObjectName(words[1]), null).size());
                    break;
                case "block-notifications":
                    blockNotifications();
                    System.out.println("blocking");
                    break;
                case "exit":
                    System.out.println("exit " + words[1]);
                    System.exit(Integer.parseInt(words[1]));
                    break;
                default:
                    System.out.println("unknown command " + line);
            }
        }
    }

    /**
     * A server on loopback that answers one exchange at a time on its own thread: it reads a byte,
     * writes one, reads to EOF and closes. The client side runs on the caller's thread.
     */
    static final class ExchangeServer implements AutoCloseable {
        private final ServerSocket socket;
        private final Thread thread;

        ExchangeServer() throws IOException {
            socket = new ServerSocket(0, 128, LOOPBACK);
            thread = new Thread(this::serve, "exchange-server");
            thread.setDaemon(true);
            thread.start();
        }

        void exchange() throws IOException {
            try (Socket client = new Socket()) {
                client.connect(new InetSocketAddress(LOOPBACK, socket.getLocalPort()));
                OutputStream out = client.getOutputStream();
                out.write(1);
                InputStream in = client.getInputStream();
                if (in.read() < 0) {
                    throw new IOException("the server closed before it answered");
                }
            }
        }

        private void serve() {
            try {
                while (true) {
                    try (Socket peer = socket.accept()) {
                        InputStream in = peer.getInputStream();
                        if (in.read() >= 0) {
                            peer.getOutputStream().write(1);
                            while (in.read() >= 0) {
                                // up to the client's FIN
                            }
                        }
                    } catch (IOException reset) {
                        if (socket.isClosed()) {
                            return;
                        }
                    }
                }
            } catch (RuntimeException e) {
                e.printStackTrace();
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static void churnForever() {
        try (ExchangeServer server = new ExchangeServer()) {
            while (true) {
                server.exchange();
            }
        } catch (IOException e) {
            // the JVM is going away
        }
    }

    private void hold(int n) throws IOException {
        if (holdServer == null) {
            holdServer = new ServerSocket(0, n + 128, LOOPBACK);
        }
        for (int i = 0; i < n; i++) {
            Socket client = new Socket();
            client.connect(new InetSocketAddress(LOOPBACK, holdServer.getLocalPort()));
            held.add(client);
            held.add(holdServer.accept());
        }
    }

    private void release() throws IOException {
        for (Socket s : held) {
            s.close();
        }
        held.clear();
    }

    /**
     * The agent's state once it has left STARTING and its loader thread has ended: the state turns RUNNING
     * when the programs are attached, a moment before the loader starts the outputs (JFR, report), which
     * would miss the first connections of a test that began then.
     */
    private static String awaitAgent() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName(MONITOR);
        String state = "UNREGISTERED";
        for (int i = 0; i < 600; i++) {
            if (server.isRegistered(name)) {
                state = (String) server.getAttribute(name, "State");
                if (!state.equals("STARTING") && !loaderRuns()) {
                    return state;
                }
            }
            Thread.sleep(50);
        }
        return state;
    }

    private static boolean loaderRuns() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("bpfhook-loader"));
    }

    /** Heap in use after full collections, threads and open file descriptors of this process. */
    /** Whether this application's own (unnamed) module may use native code without a warning: JDK 22+ only. */
    /**
     * Whether this JVM started a process lately (the JDK's reaper thread of child processes lives a minute
     * after the last one ended), and what jna.platform.library.path reads now (JNA sets it once it ran
     * ldconfig).
     */
    private static String spawnedProcesses() {
        boolean reaper = Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("process reaper"));
        return reaper + " jna.platform.library.path=" + System.getProperty("jna.platform.library.path");
    }

    private static String nativeAccess() {
        try {
            return String.valueOf(Module.class.getMethod("isNativeAccessEnabled").invoke(LoadTestApp.class.getModule()));
        } catch (ReflectiveOperationException e) {
            return "unknown";
        }
    }

    private static String stats() throws IOException {
        System.gc();
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long agentThreads = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("bpfhook-")).count();
        return "stats heap=" + heap + " threads=" + count(Paths.get("/proc/self/task")) + " agent_threads="
                + agentThreads + " fds=" + steadyDescriptors();
    }

    /**
     * Open file descriptors, the fewest of several looks: the agent's periodic work (the MBean sweep walking
     * the cgroup tree, for one) holds files open for a moment, a leak holds them for good.
     */
    private static long steadyDescriptors() throws IOException {
        long fewest = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            fewest = Math.min(fewest, count(Paths.get("/proc/self/fd")));
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return fewest;
    }

    private static long count(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.count();
        }
    }

    private static String mbean(String[] words) throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName(MONITOR);
        StringBuilder out = new StringBuilder("mbean");
        for (int i = 1; i < words.length; i++) {
            // NAME.field: the sum of that field over the rows of a CompositeData[] attribute (Destinations.active)
            String[] attributeAndField = words[i].split("\\.", 2);
            Object value = server.getAttribute(name, attributeAndField[0]);
            if (value instanceof CompositeData[] && attributeAndField.length == 2) {
                long sum = 0;
                for (CompositeData row : (CompositeData[]) value) {
                    sum += ((Number) row.get(attributeAndField[1])).longValue();
                }
                value = sum;
            } else if (value instanceof TabularData) {
                long sum = 0;
                for (Object row : ((TabularData) value).values()) {
                    sum += ((Number) ((CompositeData) row).get("value")).longValue();
                }
                value = sum;
            }
            out.append(' ').append(words[i]).append('=').append(value);
        }
        return out.toString();
    }

    private static void blockNotifications() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        NotificationListener stuck = (notification, handback) -> {
            try {
                never.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        ManagementFactory.getPlatformMBeanServer().addNotificationListener(new ObjectName(MONITOR), stuck, null, null);
    }

    /** The test's side: commands to a child JVM that runs this app, and its answers. */
    public static final class Driver {
        private final ChildJvm child;

        public Driver(ChildJvm child) {
            this.child = child;
        }

        /** Sends {@code command} and returns the next answer that starts with {@code answer}. */
        public String ask(String command, String answer, long timeoutMs) throws IOException, InterruptedException {
            int before = lines(answer).size();
            child.send(command);
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (System.nanoTime() < end) {
                List<String> answers = lines(answer);
                if (answers.size() > before) {
                    return answers.get(before);
                }
                if (!ProcessHandle.of(child.pid()).map(ProcessHandle::isAlive).orElse(false)) {
                    break;
                }
                Thread.sleep(10);
            }
            throw new AssertionError("no answer '" + answer + "...' to '" + command + "' within " + timeoutMs + " ms\n"
                    + child.describe());
        }

        /** The numbers of an answer like {@code stats heap=1 threads=2}, by name. */
        public Map<String, Long> askNumbers(String command, String answer, long timeoutMs)
                throws IOException, InterruptedException {
            Map<String, Long> numbers = new HashMap<>();
            for (String word : ask(command, answer, timeoutMs).split(" ")) {
                int eq = word.indexOf('=');
                if (eq > 0) {
                    numbers.put(word.substring(0, eq), Long.parseLong(word.substring(eq + 1)));
                }
            }
            return numbers;
        }

        /** ConnectionMonitor's attributes, read by the child in its own MBeanServer. */
        public Map<String, Long> mbean(String... attributes) throws IOException, InterruptedException {
            return askNumbers("mbean " + String.join(" ", attributes), "mbean ", 30_000);
        }

        /**
         * ConnectionMonitor's attributes once {@code done} holds for them: the MBeans read a snapshot at most
         * a second old, and the kernel counts a connection's last closes a moment after the application
         * closed it. Bounded (30 s); the last values otherwise, for the caller's assertions to show.
         */
        public Map<String, Long> mbeanWhen(Predicate<Map<String, Long>> done, String... attributes)
                throws IOException, InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            Map<String, Long> values = mbean(attributes);
            while (!done.test(values) && System.nanoTime() < end) {
                Thread.sleep(100);
                values = mbean(attributes);
            }
            return values;
        }

        private List<String> lines(String prefix) {
            List<String> found = new ArrayList<>();
            for (String line : child.stdout().split("\n")) {
                if (line.startsWith(prefix)) {
                    found.add(line);
                }
            }
            return found;
        }
    }
}
