package dev.bpfhook.kernel;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;

/**
 * The handful of libbpf 1.x functions bpfhook uses. Pointer results are NULL with
 * errno set (read it with {@link Native#getLastError()}); int results are -errno.
 */
interface LibBpf extends Library {

    /** libbpf's print callback: {@code int (*)(enum libbpf_print_level, const char *fmt, va_list)}. */
    interface PrintFn extends Callback {
        int invoke(int level, Pointer format, Pointer vaList);
    }

    Pointer libbpf_set_print(PrintFn fn);

    int libbpf_num_possible_cpus();

    /** libbpf 0.6 and later; older ones lack the symbol (an UnsatisfiedLinkError at the call). */
    int libbpf_major_version();

    Pointer bpf_object__open_mem(Pointer buffer, long size, Pointer opts);

    int bpf_object__load(Pointer object);

    void bpf_object__close(Pointer object);

    Pointer bpf_object__find_program_by_name(Pointer object, String name);

    Pointer bpf_object__find_map_by_name(Pointer object, String name);

    Pointer bpf_object__btf(Pointer object);

    int bpf_program__set_autoload(Pointer program, boolean autoload);

    int bpf_program__set_attach_target(Pointer program, int attachProgFd, String attachFunctionName);

    int bpf_program__fd(Pointer program);

    Pointer bpf_program__attach(Pointer program);

    Pointer bpf_program__attach_cgroup(Pointer program, int cgroupFd);

    int bpf_link__destroy(Pointer link);

    int bpf_link__fd(Pointer link);

    Pointer bpf_program__attach_iter(Pointer program, Pointer opts);

    int bpf_iter_create(int linkFd);

    int bpf_map__fd(Pointer map);

    /** Before load: use the map behind {@code fd} (dup'ed) instead of creating this one. */
    int bpf_map__reuse_fd(Pointer map, int fd);

    /** {@code opts} is a struct bpf_test_run_opts, {@code size_t sz} first (see BenchProducer). */
    int bpf_prog_test_run_opts(int progFd, Pointer opts);

    /** BPF_ENABLE_STATS: the kernel counts programs' run times while the returned fd is open (5.8+). */
    int bpf_enable_stats(int type);

    int bpf_map__set_max_entries(Pointer map, int maxEntries);

    int bpf_map__max_entries(Pointer map);

    Pointer bpf_map__initial_value(Pointer map, LongByReference size);

    Pointer btf__parse_elf(String path, Pointer btfExt);

    Pointer btf__parse(String path, Pointer btfExt);

    void btf__free(Pointer btf);

    int btf__find_by_name_kind(Pointer btf, String name, int kind);

    Pointer btf__type_by_id(Pointer btf, int id);

    String btf__name_by_offset(Pointer btf, int offset);

    int bpf_map_lookup_elem(int fd, Pointer key, Pointer value);

    int bpf_map_get_next_key(int fd, Pointer key, Pointer nextKey);

    int bpf_map_delete_elem(int fd, Pointer key);

    int bpf_map_update_elem(int fd, Pointer key, Pointer value, long flags);

    int bpf_map__value_size(Pointer map);

    int bpf_obj_get_info_by_fd(int fd, Pointer info, com.sun.jna.ptr.IntByReference length);
}
