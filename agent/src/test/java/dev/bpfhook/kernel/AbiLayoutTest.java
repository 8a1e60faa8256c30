package dev.bpfhook.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import dev.bpfhook.event.Abi;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java mirror of bpf/bpfhook.h against the truth: the BTF that clang wrote
 * into the shipped object. Every struct's size and every field's offset must
 * agree, so a change on one side only cannot build. Needs libbpf, not root.
 */
class AbiLayoutTest {
    private static final int BTF_KIND_STRUCT = 4;
    private static final int BTF_KIND_DATASEC = 15;

    @TempDir
    static Path dir;
    private static LibBpf bpf;
    private static Pointer btf;

    @BeforeAll
    static void parseObjectBtf() throws Exception {
        bpf = Libs.bpf();
        Path object = dir.resolve("bpfhook.bpf.o");
        try (InputStream in = AbiLayoutTest.class.getResourceAsStream(KernelHooks.OBJECT_RESOURCE)) {
            assertNotNull(in, "the BPF object is in the jar's resources");
            Files.write(object, in.readAllBytes());
        }
        btf = bpf.btf__parse_elf(object.toString(), null);
        assertNotNull(btf, "the BPF object carries BTF");
    }

    @AfterAll
    static void free() {
        if (btf != null) {
            bpf.btf__free(btf);
        }
    }

    @Test
    void eventRecordMatchesTheHeader() throws Exception {
        Map<String, Integer> c = layout("bh_event");
        assertEquals(Abi.Event.SIZE, structSize("bh_event"));
        assertEquals(c, javaOffsets(Abi.Event.class, "SIZE", "ADDR_LEN", "COMM_LEN"));
    }

    @Test
    void countersMatchTheHeader() throws Exception {
        assertEquals(Abi.Counters.SIZE, structSize("bh_counters"));
        assertEquals(Abi.Counters.SIZE, KernelHooks.COUNTERS_SIZE, "the loader reads the counter maps' values whole");
        assertEquals(Abi.Counters.WORDS * 8, Abi.Counters.SIZE);
        Map<String, Integer> words = new LinkedHashMap<>();
        layout("bh_counters").forEach((name, offset) -> words.put(name, offset / 8));
        assertEquals(words, javaOffsets(Abi.Counters.class, "SIZE", "WORDS"));
    }

    @Test
    void counterKeyMatchesTheHeader() throws Exception {
        assertEquals(Abi.CounterKey.SIZE, structSize("bh_counter_key"));
        assertEquals(layout("bh_counter_key"), javaOffsets(Abi.CounterKey.class, "SIZE"));
    }

    @Test
    void statsMatchTheHeader() throws Exception {
        assertEquals(Abi.Stats.SIZE, structSize("bh_stats"));
        Map<String, Integer> words = new LinkedHashMap<>();
        layout("bh_stats").forEach((name, offset) -> words.put(name, offset / 8));
        assertEquals(words, javaOffsets(Abi.Stats.class, "SIZE", "WORDS"));
    }

    @Test
    void configMatchesTheLoader() {
        Map<String, Integer> c = layout("bh_config");
        assertEquals(KernelHooks.CONFIG_SIZE, structSize("bh_config"));
        assertEquals(KernelHooks.CONFIG_SCOPE_CGROUP_ID, c.get("scope_cgroup_id"));
        assertEquals(KernelHooks.CONFIG_SCOPE_LEVEL, c.get("scope_level"));
        assertEquals(KernelHooks.CONFIG_WAKEUP_BYTES, c.get("wakeup_bytes"));
        assertEquals(KernelHooks.CONFIG_ALL_STATES, c.get("all_states"));
        assertEquals(KernelHooks.CONFIG_HOT_CGROUP_ID, c.get("hot_cgroup_id"));
        assertEquals(KernelHooks.CONFIG_HOT_NETNS_COOKIE, c.get("hot_netns_cookie"));
    }

    @Test
    void stageMatchesItsReader() {
        Map<String, Integer> c = layout("bh_stage");
        assertEquals(RecordStages.STAGE_SIZE, structSize("bh_stage"));
        assertEquals(RecordStages.STAGE_BUSY, c.get("busy"));
        assertEquals(RecordStages.STAGE_COUNT, c.get("count"));
        assertEquals(RecordStages.STAGE_WANTED, c.get("wanted"));
        assertEquals(RecordStages.STAGE_MADE, c.get("made"));
        assertEquals(RecordStages.STAGE_RECORDS, c.get("records"));
        assertEquals(0, RecordStages.STAGE_RECORDS % 64, "the records start on a cache line of their own");
    }

    /**
     * The agent ends the start window by writing listing_done in the .bss map, and turns the staging of records
     * on by writing staging, at these offsets: as libbpf lays the section out when it opens the object (the
     * compiler leaves the offsets in the symbol table, and 0 in the object's BTF).
     */
    @Test
    void globalVariablesAreWhereTheLoaderWritesThem() throws Exception {
        byte[] elf;
        try (InputStream in = AbiLayoutTest.class.getResourceAsStream(KernelHooks.OBJECT_RESOURCE)) {
            elf = in.readAllBytes();
        }
        Memory buffer = new Memory(elf.length);
        buffer.write(0, elf, 0, elf.length);
        Pointer object = bpf.bpf_object__open_mem(buffer, elf.length, null);
        assertNotNull(object, "libbpf opens the object");
        try {
            Pointer opened = bpf.bpf_object__btf(object);
            int id = bpf.btf__find_by_name_kind(opened, ".bss", BTF_KIND_DATASEC);
            assertTrue(id > 0, "the object has a .bss section");
            Pointer section = bpf.btf__type_by_id(opened, id);
            Map<String, Integer> offsets = new LinkedHashMap<>();
            for (int i = 0; i < (section.getInt(4) & 0xffff); i++) {
                long entry = 12 + 12L * i; // struct btf_var_secinfo { type, offset, size }
                Pointer variable = bpf.btf__type_by_id(opened, section.getInt(entry));
                offsets.put(bpf.btf__name_by_offset(opened, variable.getInt(0)), section.getInt(entry + 4));
            }
            assertEquals(KernelHooks.BSS_LISTING_DONE, offsets.get("listing_done"), offsets.toString());
            assertEquals(KernelHooks.BSS_STAGING, offsets.get("staging"), offsets.toString());
            assertEquals(KernelHooks.BSS_READER_SLEEPS, offsets.get("reader_sleeps"), offsets.toString());
        } finally {
            bpf.bpf_object__close(object);
        }
    }

    @Test
    void everyProgramOfEveryTierIsInTheObject() throws Exception {
        try (InputStream in = AbiLayoutTest.class.getResourceAsStream(KernelHooks.OBJECT_RESOURCE)) {
            BpfObject object = BpfObject.open(in.readAllBytes(), "bpfhook");
            try {
                for (Hook hook : Hook.values()) {
                    for (Hook.Tier tier : hook.tiers()) {
                        for (String program : tier.programs()) {
                            assertTrue(object.hasProgram(program), tier + " needs program " + program);
                        }
                    }
                }
            } finally {
                object.close();
            }
        }
    }

    private static int structSize(String name) {
        return bpf.btf__type_by_id(btf, structId(name)).getInt(8);
    }

    /** Member name to byte offset, from struct btf_type and its struct btf_member array. */
    private static Map<String, Integer> layout(String name) {
        Pointer type = bpf.btf__type_by_id(btf, structId(name));
        int info = type.getInt(4);
        int vlen = info & 0xffff;
        boolean bitfields = (info >>> 31) != 0;
        Map<String, Integer> offsets = new LinkedHashMap<>();
        for (int i = 0; i < vlen; i++) {
            long member = 12 + 12L * i; // { name_off, type, offset }
            int bits = type.getInt(member + 8);
            int bitOffset = bitfields ? bits & 0xffffff : bits;
            assertEquals(0, bitOffset % 8, "no bitfields cross the ABI");
            offsets.put(bpf.btf__name_by_offset(btf, type.getInt(member)), bitOffset / 8);
        }
        return offsets;
    }

    private static int structId(String name) {
        int id = bpf.btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);
        assertTrue(id > 0, "struct " + name + " is in the object's BTF");
        return id;
    }

    /** The Java constants as "c_field_name" to value: LOCAL_ADDR becomes local_addr. */
    private static Map<String, Integer> javaOffsets(Class<?> mirror, String... notFields) throws IllegalAccessException {
        Map<String, Integer> offsets = new LinkedHashMap<>();
        outer:
        for (Field f : mirror.getDeclaredFields()) {
            if (!Modifier.isStatic(f.getModifiers()) || f.getType() != int.class) {
                continue;
            }
            for (String skip : notFields) {
                if (f.getName().equals(skip)) {
                    continue outer;
                }
            }
            offsets.put(f.getName().toLowerCase(java.util.Locale.ROOT), f.getInt(null));
        }
        return offsets;
    }
}
