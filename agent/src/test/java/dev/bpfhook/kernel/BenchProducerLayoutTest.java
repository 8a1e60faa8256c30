package dev.bpfhook.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Pointer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BenchProducer's mirror of struct bh_bench_run (bpf/bench_producer.h) against the BTF of the shipped
 * bench_producer.bpf.o, and the program it runs. Needs libbpf, not root.
 */
class BenchProducerLayoutTest {
    private static final int BTF_KIND_STRUCT = 4;

    @TempDir
    Path dir;

    @Test
    void runContextMatchesTheHeader() throws Exception {
        LibBpf bpf = Libs.bpf();
        Path object = dir.resolve("bench_producer.bpf.o");
        Files.write(object, objectBytes());
        Pointer btf = bpf.btf__parse_elf(object.toString(), null);
        assertNotNull(btf, "the producer object carries BTF");
        try {
            int id = bpf.btf__find_by_name_kind(btf, "bh_bench_run", BTF_KIND_STRUCT);
            assertTrue(id > 0, "struct bh_bench_run is in the object's BTF");
            Pointer type = bpf.btf__type_by_id(btf, id);
            assertEquals(BenchProducer.RUN_SIZE, type.getInt(8), "size");
            Map<String, Integer> expected = new LinkedHashMap<>();
            expected.put("first", BenchProducer.RUN_FIRST);
            expected.put("count", BenchProducer.RUN_COUNT);
            expected.put("cookie_base", BenchProducer.RUN_COOKIE_BASE);
            expected.put("cgroup_id", BenchProducer.RUN_CGROUP_ID);
            expected.put("netns_cookie", BenchProducer.RUN_NETNS_COOKIE);
            expected.put("wakeup_bytes", BenchProducer.RUN_WAKEUP_BYTES);
            expected.put("max_backlog", BenchProducer.RUN_MAX_BACKLOG);
            expected.put("submitted", BenchProducer.RUN_SUBMITTED);
            expected.put("dropped", BenchProducer.RUN_DROPPED);
            expected.put("wakeups", BenchProducer.RUN_WAKEUPS);
            expected.put("staged", BenchProducer.RUN_STAGED);
            assertEquals(expected, offsets(bpf, btf, type));
        } finally {
            bpf.btf__free(btf);
        }
    }

    @Test
    void theObjectHasTheProgramAndARingNamedLikeTheMonitors() throws Exception {
        BpfObject object = BpfObject.open(objectBytes(), "bh_bench");
        try {
            assertTrue(object.hasProgram(BenchProducer.PROGRAM));
            assertTrue(object.maxEntries("events") > 0, "a map named events, whose fd the monitor's ring replaces");
        } finally {
            object.close();
        }
    }

    private static byte[] objectBytes() throws Exception {
        try (InputStream in = BenchProducerLayoutTest.class.getResourceAsStream(BenchProducer.OBJECT_RESOURCE)) {
            assertNotNull(in, "the producer object is in the jar's resources");
            return in.readAllBytes();
        }
    }

    /** Member name to byte offset: struct btf_type (12 bytes), then struct btf_member { name_off, type, offset }. */
    private static Map<String, Integer> offsets(LibBpf bpf, Pointer btf, Pointer type) {
        Map<String, Integer> offsets = new LinkedHashMap<>();
        int vlen = type.getInt(4) & 0xffff;
        for (int i = 0; i < vlen; i++) {
            long member = 12 + 12L * i;
            offsets.put(bpf.btf__name_by_offset(btf, type.getInt(member)), type.getInt(member + 8) / 8);
        }
        return offsets;
    }
}
