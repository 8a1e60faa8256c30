package dev.bpfhook.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * A CPU a test takes offline through the kernel's hotplug control; {@link #close()} brings it back online. The
 * last online CPU is chosen: the first one usually cannot go offline.
 */
public final class OfflineCpu implements AutoCloseable {
    private static final Path CPUS = Paths.get("/sys/devices/system/cpu");

    private final int cpu;
    private boolean offline;

    private OfflineCpu(int cpu) {
        this.cpu = cpu;
    }

    /** The last online CPU, while it is still online; the test is skipped where no CPU can be taken offline. */
    public static OfflineCpu lastCpu() throws IOException {
        int cpu = lastOnline();
        assumeTrue(cpu > 0 && Files.isWritable(control(cpu)), "no CPU of this machine can be taken offline (online: "
                + Files.readString(CPUS.resolve("online")).trim() + ")");
        return new OfflineCpu(cpu);
    }

    /** The number of the last online CPU (the kernel lists them as "0-3,5,7-9"). */
    public static int lastOnline() throws IOException {
        String online = Files.readString(CPUS.resolve("online")).trim();
        return Integer.parseInt(online.substring(Math.max(online.lastIndexOf(','), online.lastIndexOf('-')) + 1));
    }

    public int number() {
        return cpu;
    }

    /** Takes the CPU offline: the kernel moves its tasks and interrupts to the others first. */
    public void takeOffline() throws IOException {
        offline = true;
        Files.writeString(control(cpu), "0", StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        if (offline) {
            Files.writeString(control(cpu), "1", StandardCharsets.US_ASCII);
            offline = false;
        }
    }

    private static Path control(int cpu) {
        return CPUS.resolve("cpu" + cpu).resolve("online");
    }
}
