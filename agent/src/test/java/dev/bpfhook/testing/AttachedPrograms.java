package dev.bpfhook.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which bpfhook programs (names start with "bh_") the kernel holds, by id, as
 * bpftool lists them, and which processes hold them (the prog_id lines of their
 * descriptors' fdinfo). A test takes the set before and checks after that
 * nothing it loaded is left: a program stays only while a link or fd holds it.
 */
public final class AttachedPrograms {
    private static final Pattern PROGRAM =
            Pattern.compile("\"id\":(\\d+),\"type\":\"[^\"]*\",\"name\":\"(bh_[a-z0-9_]*)\"");

    private AttachedPrograms() {
    }

    public static Set<Long> ours() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bpftool", "-j", "prog", "show").redirectErrorStream(true).start();
        String json = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("bpftool prog show failed: " + json);
        }
        Set<Long> ids = new TreeSet<>();
        Matcher m = PROGRAM.matcher(json);
        while (m.find()) {
            ids.add(Long.parseLong(m.group(1)));
        }
        return ids;
    }

    /**
     * Programs are freed asynchronously after their last fd closes (RCU): wait for it, bounded. Programs that
     * another live process holds open (a monitor or a test run beside this one) are not left over by this test.
     */
    public static Set<Long> leftOver(Set<Long> before) throws IOException, InterruptedException {
        Set<Long> extra = new TreeSet<>();
        for (int attempt = 0; attempt < 100; attempt++) {
            extra = new TreeSet<>(ours());
            extra.removeAll(before);
            extra.removeAll(heldByOtherProcesses());
            if (extra.isEmpty()) {
                return extra;
            }
            Thread.sleep(50);
        }
        return extra;
    }

    /** Which of these program ids the kernel still has, waiting (bounded) for programs just released (RCU). */
    public static Set<Long> stillLoaded(Set<Long> ids) throws IOException, InterruptedException {
        Set<Long> left = new TreeSet<>();
        for (int attempt = 0; attempt < 100; attempt++) {
            left = new TreeSet<>(ids);
            left.retainAll(ours());
            if (left.isEmpty()) {
                break;
            }
            Thread.sleep(50);
        }
        return left;
    }

    /**
     * bpfhook programs that no process holds now and that were not so before: what a leak looks like (a
     * program attached the legacy way, held by a cgroup rather than by a descriptor). Other agents may run
     * on the same machine: their programs are held by their processes. Waits, bounded, for the kernel to
     * free programs whose holder just exited.
     */
    public static Set<Long> orphansSince(Set<Long> before) throws IOException, InterruptedException {
        Set<Long> extra = new TreeSet<>();
        for (int attempt = 0; attempt < 100; attempt++) {
            extra = orphans();
            extra.removeAll(before);
            if (extra.isEmpty()) {
                break;
            }
            Thread.sleep(50);
        }
        return extra;
    }

    /** bpfhook programs that no process holds, directly or through a link. */
    public static Set<Long> orphans() throws IOException, InterruptedException {
        Set<Long> orphans = ours();
        orphans.removeAll(heldByProcesses(pid -> true));
        return orphans;
    }

    /** The programs one process holds, directly or through links. */
    public static Set<Long> heldBy(long pid) {
        return heldByProcesses(other -> other == pid);
    }

    private static Set<Long> heldByOtherProcesses() {
        long self = ProcessHandle.current().pid();
        return heldByProcesses(pid -> pid != self);
    }

    /** Program ids in the fdinfo of the chosen processes' fds: program fds and bpf_link fds both name theirs. */
    private static Set<Long> heldByProcesses(java.util.function.LongPredicate chosen) {
        Set<Long> held = new TreeSet<>();
        java.io.File[] processes = new java.io.File("/proc").listFiles(
                (d, name) -> name.chars().allMatch(Character::isDigit) && chosen.test(Long.parseLong(name)));
        for (java.io.File process : processes == null ? new java.io.File[0] : processes) {
            java.io.File[] fds = new java.io.File(process, "fdinfo").listFiles();
            for (java.io.File fd : fds == null ? new java.io.File[0] : fds) {
                try {
                    for (String line : java.nio.file.Files.readAllLines(fd.toPath())) {
                        if (line.startsWith("prog_id:")) {
                            held.add(Long.parseLong(line.substring(8).trim()));
                        }
                    }
                } catch (IOException | RuntimeException gone) {
                    // the fd or the process went away while we looked
                }
            }
        }
        return held;
    }
}
