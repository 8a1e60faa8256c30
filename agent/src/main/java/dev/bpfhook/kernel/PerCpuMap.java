package dev.bpfhook.kernel;

import com.sun.jna.Memory;

/**
 * Reads a per-CPU BPF map whose key is one or more u64 words and whose value
 * is a struct of u64 counters, summing each counter over all CPUs. A lookup
 * copies every CPU's value (each rounded up to 8 bytes) in one call. Keys are
 * little-endian u64 words; a u32 key (an array index) reads the same as a
 * one-word key for small values.
 */
public final class PerCpuMap {
    /** Receives each entry of {@link #forEach}; the arrays are the callee's to keep. */
    public interface EntryVisitor {
        void visit(long[] key, long[] sums);
    }

    private final LibBpf bpf;
    private final int fd;
    private final int keyWords;
    private final int words;
    private final int cpus;
    private final Memory key;
    private final Memory nextKey;
    private final Memory values;

    PerCpuMap(int fd, int keySize, int valueSize) throws BpfException {
        this.bpf = Libs.bpf();
        this.fd = fd;
        this.keyWords = Math.max(1, keySize / 8);
        this.words = valueSize / 8;
        this.cpus = bpf.libbpf_num_possible_cpus();
        if (cpus <= 0) {
            throw new BpfException("cannot count the possible CPUs: " + Libs.errnoText(-cpus));
        }
        this.key = new Memory(8L * keyWords);
        this.nextKey = new Memory(8L * keyWords);
        this.values = new Memory((long) cpus * words * 8);
    }

    /** Every key with its counters summed over CPUs; called from one thread at a time. */
    public synchronized void forEach(EntryVisitor visitor) {
        boolean first = true;
        while (bpf.bpf_map_get_next_key(fd, first ? null : key, nextKey) == 0) {
            first = false;
            long[] k = nextKey.getLongArray(0, keyWords);
            key.write(0, k, 0, keyWords);
            long[] sum = lookup(k);
            if (sum != null) {
                visitor.visit(k, sum);
            }
        }
    }

    /** Removes a key (its counters start again from zero if it comes back); false when absent. */
    public synchronized boolean delete(long... k) {
        key.write(0, k, 0, keyWords);
        return bpf.bpf_map_delete_elem(fd, key) == 0;
    }

    /** One key's counters summed over CPUs, or null when the key is absent. */
    public synchronized long[] lookup(long... k) {
        key.write(0, k, 0, keyWords);
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
