package dev.bpfhook.kernel;

import com.sun.jna.Memory;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a per-CPU BPF map whose key is a u64 and whose value is a struct of
 * u64 counters, summing each counter over all CPUs. A lookup copies every
 * CPU's value (each rounded up to 8 bytes) in one call. Keys are read as
 * little-endian u64; a u32 key (an array index) reads the same for small values.
 */
public final class PerCpuMap {
    private final LibBpf bpf;
    private final int fd;
    private final int words;
    private final int cpus;
    private final Memory key = new Memory(8);
    private final Memory nextKey = new Memory(8);
    private final Memory values;

    PerCpuMap(int fd, int valueSize) throws BpfException {
        this.bpf = Libs.bpf();
        this.fd = fd;
        this.words = valueSize / 8;
        this.cpus = bpf.libbpf_num_possible_cpus();
        if (cpus <= 0) {
            throw new BpfException("cannot count the possible CPUs: " + Libs.errnoText(-cpus));
        }
        this.values = new Memory((long) cpus * words * 8);
    }

    /** Every key's counters summed over CPUs; called from one thread at a time. */
    public synchronized Map<Long, long[]> readAll() {
        Map<Long, long[]> result = new LinkedHashMap<>();
        boolean first = true;
        while (bpf.bpf_map_get_next_key(fd, first ? null : key, nextKey) == 0) {
            first = false;
            long k = nextKey.getLong(0);
            key.setLong(0, k);
            long[] sum = lookup(k);
            if (sum != null) {
                result.put(k, sum);
            }
        }
        return result;
    }

    /** Removes a key (its counters start again from zero if it comes back); false when absent. */
    public synchronized boolean delete(long k) {
        key.setLong(0, k);
        return bpf.bpf_map_delete_elem(fd, key) == 0;
    }

    /** One key's counters summed over CPUs, or null when the key is absent. */
    public synchronized long[] lookup(long k) {
        key.setLong(0, k);
        if (bpf.bpf_map_lookup_elem(fd, key, values) != 0) {
            return null; // ENOENT: deleted between get_next_key and lookup
        }
        long[] sum = new long[words];
        for (int cpu = 0; cpu < cpus; cpu++) {
            long base = (long) cpu * words * 8;
            for (int w = 0; w < words; w++) {
                sum[w] += values.getLong(base + 8L * w);
            }
        }
        return sum;
    }
}
