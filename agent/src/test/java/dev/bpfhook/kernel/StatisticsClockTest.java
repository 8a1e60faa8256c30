package dev.bpfhook.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.testing.KernelTests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The statistics' own cost per run, measured on a program that does nothing: the kernel counts while
 * the measurement runs, whatever the sysctl says, and the sysctl is left as it was.
 */
class StatisticsClockTest {
    private static final Path SYSCTL = Paths.get("/proc/sys/kernel/bpf_stats_enabled");

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void measuresTheRunTimeTheKernelReportsForAProgramThatDoesNothing() throws Exception {
        String sysctl = Files.readString(SYSCTL).trim();
        double nanos = StatisticsClock.nanosPerRun(20_000);
        // a clock read costs from a few nanoseconds (TSC on bare metal) to a few hundred (a trapping VM)
        assertTrue(nanos > 0 && nanos < 10_000, nanos + " ns per run");
        assertEquals(sysctl, Files.readString(SYSCTL).trim(), "kernel.bpf_stats_enabled is left as it was");
    }

    @Test
    void refusesNoRuns() {
        assertThrows(IllegalArgumentException.class, () -> StatisticsClock.nanosPerRun(0));
    }
}
