package dev.bpfhook.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The accept queue of a listening TCP socket as the kernel reports it (ss -ltnm): the connections that
 * completed their handshake and wait for accept(), and the SYNs the listener dropped (its sk_drops; a SYN
 * that finds the queue full is dropped and counted there). A test waits for these instead of sleeping
 * until the kernel has probably got there.
 * <p>
 * Runs in child JVMs too (LoopbackTraffic is the test applications'), whose class path has only the test
 * classes: so it polls on its own, not through {@link Await}, which refers to the agent's classes.
 */
public final class AcceptQueue {
    private static final Pattern DROPS = Pattern.compile("skmem:\\(.*[(,]d(\\d+)[,)]");
    private static final long TIMEOUT_MS = 10_000;

    private final int queued;
    private final long drops;
    private final String reported;

    private AcceptQueue(int queued, long drops, String reported) {
        this.queued = queued;
        this.drops = drops;
        this.reported = reported;
    }

    /** Connections in the accept queue: handshakes done, accept() not called yet. */
    public int queued() {
        return queued;
    }

    /** Packets the listener dropped; on loopback with a full queue, the SYNs of connects that must wait. */
    public long drops() {
        return drops;
    }

    @Override
    public String toString() {
        return reported;
    }

    /** The listener bound to {@code address} (not a wildcard) now. */
    public static AcceptQueue of(InetSocketAddress address) throws IOException, InterruptedException {
        String host = address.getAddress().getHostAddress();
        String source = (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
        Process ss = new ProcessBuilder("ss", "-ltnmH", "src", source).redirectErrorStream(true).start();
        String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!ss.waitFor(10, TimeUnit.SECONDS) || ss.exitValue() != 0) {
            ss.destroyForcibly();
            throw new IOException("ss -ltnm src " + source + " failed: " + out);
        }
        // "LISTEN <accept queue> <backlog> <local> <peer>", then a line "skmem:(r0,...,d<drops>)"
        String[] lines = out.trim().split("\n");
        Matcher drops = DROPS.matcher(out);
        if (lines.length != 2 || !lines[0].startsWith("LISTEN") || !drops.find()) {
            throw new IOException("not one listener on " + source + ": " + out);
        }
        return new AcceptQueue(Integer.parseInt(lines[0].trim().split("\\s+")[1]), Long.parseLong(drops.group(1)),
                out.trim().replaceAll("\\s+", " "));
    }

    /** The listener once {@code condition} holds for it; fails naming {@code what} after 10 s. */
    public static AcceptQueue await(InetSocketAddress address, Predicate<AcceptQueue> condition, String what)
            throws IOException, InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        AcceptQueue now = of(address);
        while (!condition.test(now)) {
            if (System.nanoTime() > end) {
                throw new IllegalStateException("timed out waiting for " + what + ": " + now);
            }
            Thread.sleep(5);
            now = of(address);
        }
        return now;
    }
}
