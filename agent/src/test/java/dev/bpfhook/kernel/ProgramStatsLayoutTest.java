package dev.bpfhook.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Pointer;
import dev.bpfhook.testing.KernelTests;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * ProgramStats reads struct bpf_prog_info by fixed offsets; the running kernel's own BTF says where
 * its fields are. A wrong offset would show another field's value as run time or missed runs.
 * Needs the kernel's BTF and libbpf, not root.
 */
class ProgramStatsLayoutTest {
    private static final String KERNEL_BTF = "/sys/kernel/btf/vmlinux";
    /* BTF kinds (include/uapi/linux/btf.h) */
    private static final int KIND_INT = 1;
    private static final int KIND_STRUCT = 4;
    private static final int KIND_TYPEDEF = 8;

    @Test
    void bpfProgInfoOffsetsMatchTheRunningKernel() throws Exception {
        requireKernelBtf();
        LibBpf bpf = Libs.bpf();
        Pointer btf = bpf.btf__parse(KERNEL_BTF, null);
        assertNotNull(btf, "libbpf parses " + KERNEL_BTF);
        try {
            int id = bpf.btf__find_by_name_kind(btf, "bpf_prog_info", KIND_STRUCT);
            assertTrue(id > 0, "struct bpf_prog_info is in the kernel's BTF");
            Map<String, int[]> members = members(bpf, btf, bpf.btf__type_by_id(btf, id));
            assertField(bpf, btf, members, "run_time_ns", ProgramStats.RUN_TIME_NS);
            assertField(bpf, btf, members, "run_cnt", ProgramStats.RUN_CNT);
            Assumptions.assumeTrue(members.containsKey("recursion_misses"),
                    "a kernel before 5.12 counts no missed runs (ProgramStats reads 0)");
            assertField(bpf, btf, members, "recursion_misses", ProgramStats.RECURSION_MISSES);
            assertTrue(ProgramStats.INFO_SIZE >= ProgramStats.RECURSION_MISSES + 8, "the buffer holds every field read");
        } finally {
            bpf.btf__free(btf);
        }
    }

    private static void assertField(LibBpf bpf, Pointer btf, Map<String, int[]> members, String name, int offset) {
        int[] member = members.get(name);
        assertNotNull(member, "struct bpf_prog_info has " + name);
        assertEquals(offset * 8, member[0], "bit offset of " + name + " (byte " + offset + ")");
        assertEquals(8, intSize(bpf, btf, member[1]), name + " is a __u64");
    }

    /**
     * Member name to {bit offset, type id}: struct btf_type is 12 bytes, then struct btf_member
     * { name_off, type, offset }; with kind_flag set (bpf_prog_info has bitfields) the offset's low
     * 24 bits are the bit offset.
     */
    private static Map<String, int[]> members(LibBpf bpf, Pointer btf, Pointer type) {
        int info = type.getInt(4);
        boolean kindFlag = (info >>> 31) != 0;
        Map<String, int[]> members = new LinkedHashMap<>();
        for (int i = 0; i < (info & 0xffff); i++) {
            long member = 12 + 12L * i;
            int bits = type.getInt(member + 8);
            int bitOffset = kindFlag ? bits & 0xffffff : bits;
            members.put(bpf.btf__name_by_offset(btf, type.getInt(member)),
                    new int[] {bitOffset, type.getInt(member + 4)});
        }
        return members;
    }

    /** The size of the integer a type id names, through typedefs (__u64 -> unsigned long long). */
    private static int intSize(LibBpf bpf, Pointer btf, int id) {
        Pointer type = bpf.btf__type_by_id(btf, id);
        int kind = (type.getInt(4) >>> 24) & 0x1f;
        if (kind == KIND_TYPEDEF) {
            return intSize(bpf, btf, type.getInt(8));
        }
        assertEquals(KIND_INT, kind, "an integer type");
        return type.getInt(8);
    }

    /** Like KernelTests.requireRoot: skipped where the kernel has no BTF, except in CI, where it must run. */
    private static void requireKernelBtf() {
        boolean present = Files.isReadable(Paths.get(KERNEL_BTF));
        if (KernelTests.inCi()) {
            assertTrue(present, "CI=true: this test must run, but " + KERNEL_BTF + " cannot be read");
        } else {
            Assumptions.assumeTrue(present, "needs the kernel's BTF (" + KERNEL_BTF + ")");
        }
    }
}
