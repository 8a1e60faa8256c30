package dev.bpfhook.cli;

import dev.bpfhook.config.ConfigException;
import dev.bpfhook.config.MonitorConfig;
import dev.bpfhook.container.CgroupNames;
import dev.bpfhook.container.CgroupScope;
import dev.bpfhook.container.CgroupV2;
import dev.bpfhook.container.HostIdentity;
import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.EventListener;
import dev.bpfhook.jfr.JfrRecorder;
import dev.bpfhook.kernel.BenchProducer;
import dev.bpfhook.kernel.BpfException;
import dev.bpfhook.kernel.Capabilities;
import dev.bpfhook.kernel.HookSettings;
import dev.bpfhook.kernel.NetnsCookie;
import dev.bpfhook.pipeline.Monitor;
import dev.bpfhook.report.Attribution;
import dev.bpfhook.track.ConnectionTable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

/**
 * {@code java -jar bpfhook-agent.jar bench-pipeline}: how many events a second the Java side
 * decodes and dispatches, end to end through the real ring buffer. A BPF program
 * (bench_producer.bpf.o, run with BPF_PROG_TEST_RUN) writes connection-like records into a
 * running monitor's ring much faster than connections could; the monitor's own ring thread reads
 * them into the connection table, the destination statistics and the JFR listener, as in the agent
 * with its defaults (states=lifecycle, jfr=on). The monitor watches an empty cgroup made for the
 * run, so its real hooks stay quiet. The measurement of one mode is {@link PipelineMeasurement}.
 *
 * <p>Prints, per mode (JFR not recording, with one record per ring record and with eight, as a CPU's
 * staged records reach the ring; with {@code --jfr} also JFR recording the bpfhook events of
 * jmx-config/bpfhook.jfc): records produced, received, dropped (ring full at the
 * producer or at the monitor's own programs, or lost in user space), events per second, the ring
 * thread's CPU time per event, wakeups, and whether received + dropped = produced. Then the
 * latency of one record written into an idle ring until the listeners have it.
 */
public final class PipelineBenchmark {
    static final String USAGE = String.join("\n",
            "usage: java -jar bpfhook-agent.jar bench-pipeline [--events N] [--jfr] [--rounds N] [--ring SIZE]",
            "                                                   [--flood]",
            "",
            "Measures the events per second the agent decodes and dispatches, fed through the real",
            "ring buffer by a BPF producer (needs root, like the monitor).",
            "",
            "  --events N    records per mode, after a warm-up; K and M suffixes (default: 20M)",
            "  --jfr         also run with a Flight Recorder recording of the bpfhook events",
            "  --rounds N    measure each mode N times, the modes alternating, and print each",
            "                mode's median, min and max (default: 1; from 1 to 100)",
            "  --ring SIZE   ring-buffer size, a power of two from 64K to 512M (default: 4M)",
            "  --flood       the producer never waits for the consumer: the ring overflows, and",
            "                what it drops is counted (by default the producer pauses while the",
            "                ring is half full, so the figures are the consumer's)",
            "  -h, --help    this help",
            "");
    private static final String LEGEND = String.join("\n",
            "  dropped: ring full at the producer / at the monitor's own programs / lost in user space",
            "  events/s: events received a second, from the first record produced to the last one received",
            "  ns/event: CPU time of the consumer thread (bpfhook-ring) per event; consumer: its share of one CPU",
            "  jfr-off-staged: the records reach the ring eight at a time, as a CPU's staged records do under load",
            "  (the others: one record per ring record, as the accept hook's and those of a CPU not staged)",
            "  wakeups: ring records committed with a wakeup; waits: epoll_wait calls of the consumer, its only native",
            "  calls (woken: those that ended before the 20 ms timeout); pauses: the producer waited for the",
            "  consumer because the ring held half its size",
            "");
    static final int OK = 0;
    static final int NOT_EXACT = 1;
    static final int USER_ERROR = 2;

    private static final long DEFAULT_EVENTS = 20_000_000L;
    private static final long MAX_EVENTS = 1_000_000_000_000L;
    private static final long WARMUP_EVENTS = 2_000_000L;
    private static final int MAX_ROUNDS = 100;
    private static final int LATENCY_SAMPLES = 20;
    private static final long PROBE_COOKIE_BASE = 1L << 57;
    private static final String JFC = "/dev/bpfhook/jmx-config/bpfhook.jfc";
    /** A bounded recording: what a long run writes is thrown away past this, oldest first. */
    private static final long JFR_MAX_BYTES = 256L << 20;

    private final long events;
    private final boolean jfr;
    private final int rounds;
    private final int ringBytes;
    private final boolean flood;
    private final PrintStream out;
    /** The next record of the producer's pattern: each mode continues it, so every connection is new. */
    private long sequence;

    private PipelineBenchmark(long events, boolean jfr, int rounds, int ringBytes, boolean flood, PrintStream out) {
        this.events = events;
        this.jfr = jfr;
        this.rounds = rounds;
        this.ringBytes = ringBytes;
        this.flood = flood;
        this.out = out;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        long events = DEFAULT_EVENTS;
        boolean jfr = false;
        int rounds = 1;
        int ring = MonitorConfig.DEFAULT_RING_BYTES;
        boolean flood = false;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--events":
                        events = count(value(args, ++i, "--events"));
                        break;
                    case "--jfr":
                        jfr = true;
                        break;
                    case "--rounds":
                        rounds = rounds(value(args, ++i, "--rounds"));
                        break;
                    case "--ring":
                        ring = ringSize(value(args, ++i, "--ring"));
                        break;
                    case "--flood":
                        flood = true;
                        break;
                    case "-h":
                    case "--help":
                        out.print(USAGE);
                        return OK;
                    default:
                        throw new ConfigException("unknown option '" + args[i] + "'; see --help");
                }
            }
        } catch (ConfigException e) {
            err.println("bench-pipeline: " + e.getMessage());
            return USER_ERROR;
        }
        Optional<String> privileges = Capabilities.problem();
        if (privileges.isPresent()) {
            err.println("bench-pipeline: " + privileges.get());
            return USER_ERROR;
        }
        try {
            return new PipelineBenchmark(events, jfr, rounds, ring, flood, out).run();
        } catch (ConfigException | BpfException | IOException e) {
            err.println("bench-pipeline: " + e.getMessage());
            if (e instanceof BpfException && !((BpfException) e).detail().isEmpty()) {
                err.print(((BpfException) e).detail());
            }
            return USER_ERROR;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("bench-pipeline: interrupted");
            return NOT_EXACT;
        }
    }

    private int run() throws ConfigException, BpfException, IOException, InterruptedException {
        CgroupV2 hierarchy = CgroupV2.find().orElseThrow(() -> new ConfigException("no cgroup v2 hierarchy is mounted"));
        // an empty cgroup of our own: the monitor's real hooks see nothing, the producer's records do not care
        Path cgroup = hierarchy.mount().resolve("bpfhook-bench-pipeline-" + ProcessHandle.current().pid());
        Files.createDirectory(cgroup);
        Thread removeCgroup = new Thread(() -> deleteQuietly(cgroup), "bpfhook-bench-cleanup"); // on Ctrl-C
        Runtime.getRuntime().addShutdownHook(removeCgroup);
        try {
            return run(CgroupScope.resolve(Optional.of(cgroup)));
        } finally {
            Files.deleteIfExists(cgroup);
            Runtime.getRuntime().removeShutdownHook(removeCgroup);
        }
    }

    private int run(CgroupScope scope) throws BpfException, IOException, InterruptedException {
        HookSettings settings = new HookSettings(scope.directory(), scope.id(), scope.level(), ringBytes,
                MonitorConfig.DEFAULT_CONNECTION_TABLE, false); // the agent's default, states=lifecycle
        long hostNetns = NetnsCookie.ofHost().orElse(0);
        Attribution attribution = new Attribution(new HostIdentity(hostNetns),
                new CgroupNames(scope.hierarchy(), scope.directory())::nameOf);
        ConnectionTable table = new ConnectionTable(MonitorConfig.DEFAULT_CONNECTION_TABLE, 256);
        Probe probe = new Probe();
        out.printf(Locale.ROOT, "bpfhook pipeline benchmark: %d events per mode%s, ring %s (consumer woken at %s), "
                + "producer %s; %d CPUs, Linux %s, Java %s%n", events,
                rounds > 1 ? " and round, " + rounds + " rounds" : "", size(ringBytes), size(settings.wakeupBytes()),
                flood ? "never waits (--flood)" : "waits while the ring is half full",
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.version"),
                System.getProperty("java.version"));
        try (Monitor monitor = Monitor.start(settings, table, Collections.emptyList())) {
            // the listeners of the agent with its defaults (jfr=on), then the latency probe
            JfrRecorder recorder = new JfrRecorder(attribution, table, () -> Optional.of(monitor.destinations().snapshot()),
                    () -> Optional.ofNullable(monitor.snapshot(0)));
            monitor.addListener(recorder);
            monitor.addListener(probe);
            try (BenchProducer producer = BenchProducer.open(monitor.ringBuffer(), scope.id(), hostNetns,
                    settings.wakeupBytes())) {
                long warmup = Math.min(events, WARMUP_EVENTS);
                measure(monitor, producer, warmup, ringBytes / 2, false); // lets the JIT compile the path; not reported
                measure(monitor, producer, warmup, ringBytes / 2, true);
                out.printf(Locale.ROOT, "warm-up: %d events before each mode (not counted)%n%n", warmup);
                out.printf(Locale.ROOT, "%-14s %10s %10s %9s %16s %10s %9s %9s %8s %15s %s%n", "mode",
                        "produced", "received", "dropped", "prod/kern/user", "events/s", "ns/event", "consumer",
                        "wakeups", "waits (woken)", "GCs");
                Map<String, List<PipelineMeasurement.Result>> results = new LinkedHashMap<>();
                int maxBacklog = flood ? 0 : ringBytes / 2;
                for (int round = 0; round < rounds; round++) {
                    add(results, "jfr-off", measure(monitor, producer, events, maxBacklog, false));
                    add(results, "jfr-off-staged", measure(monitor, producer, events, maxBacklog, true));
                    if (jfr) {
                        Recording recording = startRecording();
                        try {
                            measure(monitor, producer, warmup, ringBytes / 2, false); // the recording's code paths too
                            add(results, "jfr-recording", measure(monitor, producer, events, maxBacklog, false));
                        } finally {
                            recording.close();
                        }
                    }
                }
                if (rounds > 1) {
                    results.forEach(this::printSpread);
                }
                out.print(LEGEND);
                latency(producer, probe);
                boolean exact = results.values().stream().flatMap(List::stream)
                        .allMatch(PipelineMeasurement.Result::exact);
                out.println(exact ? "exact: received + dropped = produced in every mode"
                        : "NOT EXACT: received + dropped != produced; see the rows above");
                return exact ? OK : NOT_EXACT;
            } finally {
                recorder.close();
            }
        }
    }

    private static void deleteQuietly(Path cgroup) {
        try {
            Files.deleteIfExists(cgroup);
        } catch (IOException e) {
            // still in use: the kernel removes nothing then, and neither can we
        }
    }

    private PipelineMeasurement.Result measure(Monitor monitor, BenchProducer producer, long count, int maxBacklog,
            boolean staged) throws BpfException, InterruptedException {
        long first = sequence;
        sequence += count;
        return PipelineMeasurement.measure(monitor, producer, first, count, maxBacklog, staged);
    }

    private void add(Map<String, List<PipelineMeasurement.Result>> results, String mode, PipelineMeasurement.Result r) {
        print(mode, r);
        results.computeIfAbsent(mode, m -> new ArrayList<>()).add(r);
    }

    /** A mode's rounds in one line: the machines are shared and noisy, one round says little. */
    private void printSpread(String mode, List<PipelineMeasurement.Result> rounds) {
        long[] rates = rounds.stream().mapToLong(PipelineMeasurement.Result::eventsPerSecond).sorted().toArray();
        double[] costs = rounds.stream().mapToDouble(PipelineMeasurement.Result::consumerNsPerEvent).sorted().toArray();
        out.printf(Locale.ROOT, "%-14s median of %d rounds: %d events/s (%d to %d), %.1f ns/event (%.1f to %.1f)%n",
                mode, rates.length, rates[rates.length / 2], rates[0], rates[rates.length - 1], costs[costs.length / 2],
                costs[0], costs[costs.length - 1]);
    }

    private void print(String mode, PipelineMeasurement.Result r) {
        out.printf(Locale.ROOT, "%-14s %10d %10d %9d %16s %10d %9.1f %8.0f%% %8d %15s %s%n", mode, r.produced(),
                r.delivered(), r.dropped(), r.producerDropped + "/" + r.kernelDropped + "/" + r.userLost,
                r.eventsPerSecond(), r.consumerNsPerEvent(), r.consumerShare() * 100, r.wakeups,
                r.waits + " (" + r.wokenWaits + ")", r.gcCount + " (" + r.gcMillis + " ms)");
        out.printf(Locale.ROOT, "%-14s   producer: %d records/s while producing, %.1f ns of CPU per record, %d pauses%n",
                "", r.producerPerSecond(), r.producerNsPerRecord(), r.pauses);
    }

    /** One record at a time into an idle ring: how long until the last listener has it. */
    private void latency(BenchProducer producer, Probe probe) throws BpfException, InterruptedException {
        long[] samples = new long[LATENCY_SAMPLES];
        int missed = 0;
        for (int i = 0; i < LATENCY_SAMPLES; i++) {
            Thread.sleep(20 + 7 * (i % 5)); // let the consumer fall asleep, at varying points of its poll
            long cookie = PROBE_COOKIE_BASE + i;
            CountDownLatch arrived = probe.expect(cookie);
            long start = System.nanoTime();
            producer.produce(0, 1, cookie, 0); // record 0 of the pattern: a CONNECT of connection 0, our cookie
            if (!arrived.await(1, TimeUnit.SECONDS)) {
                missed++;
                samples[i] = Long.MAX_VALUE;
                continue;
            }
            samples[i] = probe.arrivedNs - start;
        }
        Arrays.sort(samples);
        long max = samples[LATENCY_SAMPLES - 1];
        out.printf(Locale.ROOT, "idle latency: one event to the listeners in median %.1f ms, max %s (%d samples; the "
                + "consumer, when not woken, polls every 20 ms while records come, up to every 50 ms while none do)%n", samples[LATENCY_SAMPLES / 2] / 1e6,
                missed > 0 ? missed + " not within 1 s" : String.format(Locale.ROOT, "%.1f ms", max / 1e6),
                LATENCY_SAMPLES);
    }

    private static Recording startRecording() throws IOException {
        Configuration settings;
        try (InputStream in = PipelineBenchmark.class.getResourceAsStream(JFC)) {
            if (in == null) {
                throw new IOException("the JFR settings " + JFC + " are missing from the jar; rebuild it");
            }
            try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
                settings = Configuration.create(reader);
            }
        } catch (ParseException e) {
            throw new IOException("the JFR settings in the jar do not parse: " + e.getMessage());
        }
        Recording recording = new Recording(settings);
        recording.setName("bpfhook-bench-pipeline");
        recording.setToDisk(true);
        recording.setMaxSize(JFR_MAX_BYTES);
        recording.start();
        return recording;
    }

    private static String value(String[] args, int i, String option) throws ConfigException {
        if (i >= args.length) {
            throw new ConfigException("option " + option + " needs a value; see --help");
        }
        return args[i];
    }

    static long count(String value) throws ConfigException {
        long n = scaled(value, "--events", "a number of events, e.g. 20M");
        if (n < 1 || n > MAX_EVENTS) {
            throw new ConfigException("option --events: " + value + " must be from 1 to " + MAX_EVENTS);
        }
        return n;
    }

    static int rounds(String value) throws ConfigException {
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= 1 && n <= MAX_ROUNDS) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the message below says what is expected
        }
        throw new ConfigException("option --rounds: '" + value + "' is not a number of rounds from 1 to " + MAX_ROUNDS);
    }

    static int ringSize(String value) throws ConfigException {
        long n = scaled(value, "--ring", "a size, e.g. 4M or 512K");
        if (n < 64 << 10 || n > 512 << 20 || Long.bitCount(n) != 1) {
            throw new ConfigException("option --ring: " + value + " must be a power of two from 64K to 512M");
        }
        return (int) n;
    }

    private static long scaled(String value, String option, String example) throws ConfigException {
        String v = value.trim().toUpperCase(Locale.ROOT);
        long unit = 1;
        if (v.endsWith("K") || v.endsWith("M")) {
            unit = v.endsWith("K") ? 1L << 10 : 1L << 20;
            if (option.equals("--events")) {
                unit = v.endsWith("K") ? 1_000L : 1_000_000L;
            }
            v = v.substring(0, v.length() - 1);
        }
        try {
            long n = Long.parseLong(v);
            if (n > Long.MAX_VALUE / unit) {
                throw new NumberFormatException();
            }
            return n * unit;
        } catch (NumberFormatException e) {
            throw new ConfigException("option " + option + ": '" + value + "' is not " + example);
        }
    }

    private static String size(int bytes) {
        return bytes % (1 << 20) == 0 ? (bytes >> 20) + "M" : (bytes >> 10) + "K";
    }

    /** The last listener: notes when the record with the awaited cookie reaches it. */
    private static final class Probe implements EventListener {
        private volatile long cookie = -1;
        private volatile CountDownLatch latch = new CountDownLatch(0);
        volatile long arrivedNs;

        CountDownLatch expect(long socketCookie) {
            CountDownLatch l = new CountDownLatch(1);
            latch = l;
            cookie = socketCookie;
            return l;
        }

        /** Only while a latency sample waits: the throughput runs measure the pipeline, not this probe. */
        @Override
        public boolean wantsEvents() {
            return latch.getCount() > 0;
        }

        @Override
        public void onEvent(ConnectionEvent event) {
            if (event.socketCookie() == cookie) {
                arrivedNs = System.nanoTime();
                latch.countDown();
            }
        }
    }
}
