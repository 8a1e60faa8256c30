package dev.bpfhook.kernel;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * A libbpf object opened from the ELF bytes shipped in the jar: configure it,
 * load it into the kernel, attach its programs, close it.
 */
final class BpfObject implements AutoCloseable {
    private static final int BTF_KIND_VAR = 14;
    private static final int BTF_KIND_DATASEC = 15;
    /*
     * offsets in struct bpf_object_open_opts, and the sizes that end after object_name, btf_custom_path
     * and kernel_log_level (libbpf 1.0 and later)
     */
    private static final int OPTS_OBJECT_NAME = 8;
    private static final int OPTS_BTF_CUSTOM_PATH = 48;
    private static final int OPTS_KERNEL_LOG_BUF = 56;
    private static final int OPTS_KERNEL_LOG_SIZE = 64;
    private static final int OPTS_NAME_SIZE = 16;
    private static final int OPTS_BTF_SIZE = 56;
    private static final int OPTS_LOG_SIZE = 80;
    /**
     * The verifier's log, used only when a program fails to load (libbpf then loads it again with a log).
     * Without it libbpf allocates 16 MiB for that log, whose free raises glibc's mmap threshold: the next
     * load's buffers then come from the heap and stay, about 12 MiB for as long as the process runs (a
     * kernel that refuses fexit made every agent pay it). Untouched, it costs no memory.
     */
    static final int VERIFIER_LOG_BYTES = 1 << 20;
    private static final int ENOENT = 2;
    private static final int EINVAL = 22;
    private static final int EPROTO = 71;
    private static final int MAX_ERRNO = 4095;
    private static final int LIBBPF_ERRNO_BASE = 4000;

    private final LibBpf bpf;
    /** libbpf parses the ELF from this buffer until load: keep it alive. */
    private final Memory elf;
    private final Memory objectName;
    /** The verifier log libbpf writes into when a load fails; null with libbpf 0.x. */
    private final Memory verifierLog;
    private Pointer object;

    private BpfObject(LibBpf bpf, Memory elf, Memory objectName, Memory verifierLog, Pointer object) {
        this.bpf = bpf;
        this.elf = elf;
        this.objectName = objectName;
        this.verifierLog = verifierLog;
        this.object = object;
    }

    static BpfObject open(byte[] elfBytes, String name) throws BpfException {
        return open(elfBytes, name, null);
    }

    /**
     * @param btfFile the BTF that CO-RE relocates against instead of the kernel's own
     *                (bpf_object_open_opts.btf_custom_path), or null
     */
    static BpfObject open(byte[] elfBytes, String name, Path btfFile) throws BpfException {
        LibBpf bpf = Libs.bpf();
        LibbpfLog.install(bpf);
        if (btfFile != null) {
            checkBtf(bpf, btfFile);
        }
        Memory elf = new Memory(elfBytes.length);
        elf.write(0, elfBytes, 0, elfBytes.length);
        // struct bpf_object_open_opts { size_t sz; const char *object_name; bool relaxed_maps;
        // const char *pin_root_path; __u32 :32; const char *kconfig; const char *btf_custom_path; ... }
        // char *kernel_log_buf; size_t kernel_log_size; __u32 kernel_log_level; }
        // (libbpf 1.1, x86_64 and other LP64): libbpf reads only the first sz bytes, so an object name
        // needs 16 and a BTF path 56, which libbpf 0.5+ understands, and a verifier log 80 (1.0+)
        Memory objectName = new Memory(name.length() + 1L);
        objectName.setString(0, name);
        Memory btfPath = null;
        Memory verifierLog = Libs.libbpfMajorVersion() >= 1 ? new Memory(VERIFIER_LOG_BYTES) : null;
        Memory opts = new Memory(verifierLog != null ? OPTS_LOG_SIZE : btfFile == null ? OPTS_NAME_SIZE : OPTS_BTF_SIZE);
        opts.clear();
        opts.setLong(0, opts.size());
        opts.setPointer(OPTS_OBJECT_NAME, objectName);
        if (verifierLog != null) {
            opts.setPointer(OPTS_KERNEL_LOG_BUF, verifierLog); // kernel_log_level 0: only for a failed load
            opts.setLong(OPTS_KERNEL_LOG_SIZE, verifierLog.size());
        }
        if (btfFile != null) {
            btfPath = new Memory(btfFile.toString().getBytes(StandardCharsets.UTF_8).length + 1L);
            btfPath.setString(0, btfFile.toString(), StandardCharsets.UTF_8.name());
            opts.setPointer(OPTS_BTF_CUSTOM_PATH, btfPath);
        }
        LibbpfLog.drain();
        Pointer object = bpf.bpf_object__open_mem(elf, elfBytes.length, opts);
        if (object == null) {
            int errno = Native.getLastError();
            throw new BpfException("cannot open the BPF object: " + Libs.errnoText(errno)
                    + (btfFile != null && errno == EINVAL ? " (a BTF file needs libbpf 0.5 or later)" : ""), errno,
                    LibbpfLog.drain());
        }
        // libbpf copied the path (strdup) during the call: it only has to outlive the call
        Reference.reachabilityFence(btfPath);
        return new BpfObject(bpf, elf, objectName, verifierLog, object);
    }

    /**
     * libbpf would parse the file only at load, and report a bad one as a failed CO-RE relocation;
     * parsing it first gives the operator a message about the file they named.
     */
    private static void checkBtf(LibBpf bpf, Path btfFile) throws BpfException {
        LibbpfLog.drain();
        Pointer btf = bpf.btf__parse(btfFile.toString(), null);
        // libbpf 1.x returns NULL and sets errno; 0.x returns the error in the pointer (ERR_PTR)
        long address = Pointer.nativeValue(btf);
        int errno = btf == null ? Native.getLastError() : address < 0 && address >= -MAX_ERRNO ? (int) -address : 0;
        if (btf == null || errno != 0) {
            throw new BpfException("the BTF file " + btfFile + " cannot be used (" + btfError(errno) + "); give the "
                    + "BTF of the running kernel: a raw BTF file (e.g. from BTFHub) or a vmlinux with a .BTF section",
                    errno, LibbpfLog.drain());
        }
        bpf.btf__free(btf);
    }

    private static String btfError(int errno) {
        if (errno == ENOENT) {
            return "an ELF file without a .BTF section, or gone";
        }
        // libbpf's own codes (LIBBPF_ERRNO__*) start at 4000: for btf__parse, not an ELF file and not raw BTF
        return errno >= LIBBPF_ERRNO_BASE ? "neither raw BTF nor an ELF file with a .BTF section"
                : errno == EPROTO || errno == EINVAL ? "not BTF, or BTF this libbpf cannot read" : Libs.errnoText(errno);
    }

    boolean hasProgram(String name) {
        return bpf.bpf_object__find_program_by_name(object, name) != null;
    }

    void setAutoload(String programName, boolean autoload) throws BpfException {
        check(bpf.bpf_program__set_autoload(program(programName), autoload), "set autoload of " + programName);
    }

    /**
     * Before load: attaches {@code programName} to {@code target} (a function, or a tracepoint for
     * tp_btf) instead of its section's; tests use it to have the verifier reject a program.
     */
    void setAttachTarget(String programName, String target) throws BpfException {
        check(bpf.bpf_program__set_attach_target(program(programName), 0, target), "retarget " + programName);
    }

    void setMaxEntries(String mapName, int maxEntries) throws BpfException {
        check(bpf.bpf_map__set_max_entries(map(mapName), maxEntries), "size map " + mapName);
    }

    int maxEntries(String mapName) throws BpfException {
        return bpf.bpf_map__max_entries(map(mapName));
    }

    /** Before load: this object's map becomes the existing map behind {@code fd}, e.g. another object's ring. */
    void reuseMapFd(String mapName, int fd) throws BpfException {
        check(bpf.bpf_map__reuse_fd(map(mapName), fd), "reuse an existing map as " + mapName);
    }

    /**
     * The bytes of a {@code const volatile} global in .rodata, writable until load:
     * the way to hand the programs their configuration.
     */
    ByteBuffer rodataVariable(String variable) throws BpfException {
        Pointer btf = bpf.bpf_object__btf(object);
        if (btf == null) {
            throw new BpfException("the BPF object has no BTF; rebuild it with clang -g");
        }
        int datasecId = bpf.btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
        if (datasecId < 0) {
            throw new BpfException("the BPF object has no .rodata section");
        }
        Pointer datasec = bpf.btf__type_by_id(btf, datasecId);
        int vlen = datasec.getInt(4) & 0xffff; // struct btf_type { name_off; info; size; }
        for (int i = 0; i < vlen; i++) {
            long secinfo = 12 + 12L * i; // struct btf_var_secinfo { type; offset; size; }
            int typeId = datasec.getInt(secinfo);
            int offset = datasec.getInt(secinfo + 4);
            int size = datasec.getInt(secinfo + 8);
            Pointer var = bpf.btf__type_by_id(btf, typeId);
            int kind = (var.getInt(4) >>> 24) & 0x1f;
            if (kind == BTF_KIND_VAR && variable.equals(bpf.btf__name_by_offset(btf, var.getInt(0)))) {
                LongByReference rodataSize = new LongByReference();
                Pointer rodata = bpf.bpf_map__initial_value(map(".rodata"), rodataSize);
                if (rodata == null || offset + size > rodataSize.getValue()) {
                    throw new BpfException("cannot write the BPF configuration into .rodata");
                }
                return rodata.getByteBuffer(offset, size).order(ByteOrder.nativeOrder());
            }
        }
        throw new BpfException("the BPF object has no variable " + variable);
    }

    /** Loads every program whose autoload is on; on failure, libbpf's log says which and why. */
    void load() throws BpfException {
        LibbpfLog.drain();
        if (verifierLog != null) {
            verifierLog.setByte(0, (byte) 0); // the kernel writes here only when a program fails
        }
        int rc = bpf.bpf_object__load(object);
        if (rc < 0) {
            throw new BpfException("loading the BPF programs failed: " + Libs.errnoText(-rc), -rc,
                    LibbpfLog.drain() + verifierLogText());
        }
    }

    /** The failed program's verifier log, as libbpf prints it when the buffer is its own (it does not print ours). */
    private String verifierLogText() {
        String text = verifierLog == null ? "" : verifierLog.getString(0);
        return text.isEmpty() ? "" : "-- BEGIN PROG LOAD LOG --\n" + text + (text.endsWith("\n") ? "" : "\n")
                + "-- END PROG LOAD LOG --\n";
    }

    Link attach(String programName) throws BpfException {
        LibbpfLog.drain();
        Pointer link = bpf.bpf_program__attach(program(programName));
        if (link == null) {
            int errno = Native.getLastError();
            throw new BpfException("attaching " + programName + " failed: " + Libs.errnoText(errno), errno,
                    LibbpfLog.drain());
        }
        return new Link(programName, link);
    }

    Link attachCgroup(String programName, int cgroupFd) throws BpfException {
        LibbpfLog.drain();
        Pointer link = bpf.bpf_program__attach_cgroup(program(programName), cgroupFd);
        if (link == null) {
            int errno = Native.getLastError();
            throw new BpfException("attaching " + programName + " to the cgroup failed: " + Libs.errnoText(errno),
                    errno, LibbpfLog.drain());
        }
        return new Link(programName, link);
    }

    /**
     * Runs the iterator program to its end once in this thread's network namespace, then once inside each of
     * {@code otherNamespaces} (see {@link NetworkNamespaces}): the kernel's socket iterators list the sockets
     * of the namespace they were made in.
     *
     * @return how many of the other namespaces could not be entered or listed
     */
    int runIterator(String programName, List<List<Path>> otherNamespaces) throws BpfException {
        LibbpfLog.drain();
        Pointer link = bpf.bpf_program__attach_iter(program(programName), null);
        if (link == null) {
            int errno = Native.getLastError();
            throw new BpfException("attaching iterator " + programName + " failed: " + Libs.errnoText(errno), errno,
                    LibbpfLog.drain());
        }
        try {
            int linkFd = bpf.bpf_link__fd(link);
            iterate(programName, linkFd);
            int notListed = 0;
            for (List<Path> namespace : otherNamespaces) {
                try {
                    if (!NetworkNamespaces.runIn(namespace, 0, () -> iterate(programName, linkFd))) {
                        notListed++;
                    }
                } catch (BpfException e) {
                    notListed++; // the others are still listed: this one is named in the hook's status
                }
            }
            return notListed;
        } finally {
            bpf.bpf_link__destroy(link);
        }
    }

    /** One pass of the iterator behind {@code linkFd}, in the calling thread's network namespace. */
    private void iterate(String programName, int linkFd) throws BpfException {
        int fd = bpf.bpf_iter_create(linkFd);
        if (fd < 0) {
            throw new BpfException("starting iterator " + programName + " failed: " + Libs.errnoText(-fd), -fd, "");
        }
        LibC libc = Libs.c();
        try {
            Memory buffer = new Memory(4096);
            long n;
            while ((n = libc.read(fd, buffer, buffer.size())) > 0) {
                // the program writes nothing here; reading drives the iteration
            }
            if (n < 0) {
                int errno = Native.getLastError();
                throw new BpfException("running iterator " + programName + " failed: " + Libs.errnoText(errno),
                        errno, "");
            }
        } finally {
            libc.close(fd);
        }
    }

    /** Sets the 32-bit global variable at {@code offset} of the object's .bss, which the programs see at once. */
    void setBssInt(int offset, int value) throws BpfException {
        Pointer bss = map(".bss");
        int size = bpf.bpf_map__value_size(bss);
        int fd = mapFd(".bss");
        try (Memory key = new Memory(4); Memory bytes = new Memory(size)) {
            key.setInt(0, 0);
            if (bpf.bpf_map_lookup_elem(fd, key, bytes) != 0) {
                throw new BpfException("reading the programs' global variables failed: "
                        + Libs.errnoText(Native.getLastError()));
            }
            bytes.setInt(offset, value);
            if (bpf.bpf_map_update_elem(fd, key, bytes, 0) != 0) {
                throw new BpfException("setting the programs' global variables failed: "
                        + Libs.errnoText(Native.getLastError()));
            }
        }
    }

    /** The loaded program's fd, or -1 when it was not loaded (a tier turned off). */
    int programFd(String programName) throws BpfException {
        return bpf.bpf_program__fd(program(programName));
    }

    int mapFd(String mapName) throws BpfException {
        int fd = bpf.bpf_map__fd(map(mapName));
        if (fd < 0) {
            throw new BpfException("map " + mapName + " is not loaded");
        }
        return fd;
    }

    @Override
    public synchronized void close() {
        if (object != null) {
            bpf.bpf_object__close(object);
            object = null;
            if (verifierLog != null) {
                verifierLog.close();
            }
        }
    }

    private Pointer program(String name) throws BpfException {
        Pointer program = bpf.bpf_object__find_program_by_name(object, name);
        if (program == null) {
            throw new BpfException("the BPF object has no program " + name);
        }
        return program;
    }

    private Pointer map(String name) throws BpfException {
        Pointer map = bpf.bpf_object__find_map_by_name(object, name);
        if (map == null) {
            throw new BpfException("the BPF object has no map " + name);
        }
        return map;
    }

    private static void check(int rc, String what) throws BpfException {
        if (rc < 0) {
            throw new BpfException("cannot " + what + ": " + Libs.errnoText(-rc), -rc, "");
        }
    }
}
