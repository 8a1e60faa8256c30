package dev.bpfhook.kernel;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The network namespaces of the watched processes other than this process's own, and a way to run code in
 * one. The kernel's TCP iterator lists the sockets of the namespace its reader was in when it made the
 * iterator, so connections open before the start in a container's namespace are listed only from inside it.
 */
final class NetworkNamespaces {
    private static final Path PROC = Paths.get("/proc");

    private NetworkNamespaces() {
    }

    /**
     * The other namespaces, each as the namespace files of the processes in it (any one will do; a process
     * may end before its file is opened): every process's on the host when {@code settings} watch the whole
     * host, else the processes' of the watched cgroup and the cgroups below it.
     */
    static List<List<Path>> others(HookSettings settings) {
        String own = id(PROC.resolve("self/ns/net"));
        Map<String, List<Path>> byId = new LinkedHashMap<>();
        for (long pid : settings.watchesWholeHost() ? allProcesses() : processesBelow(settings.scopeCgroup())) {
            Path file = PROC.resolve(pid + "/ns/net");
            String id = id(file);
            if (id != null && !id.equals(own)) {
                byId.computeIfAbsent(id, k -> new ArrayList<>()).add(file);
            }
        }
        return new ArrayList<>(byId.values());
    }

    /** What {@link #runIn} runs inside the namespace. */
    interface Body {
        void run() throws BpfException;
    }

    /**
     * Runs {@code body} on a thread of its own that entered the namespace of one of {@code nsFiles} (setns(2))
     * and then ends: no other thread changes namespace.
     *
     * @param timeoutMs how long to wait for it; 0: until it ends
     * @return false when no file of the namespace could be entered (its processes ended, or it is refused), or
     *         the body did not end in time
     */
    static boolean runIn(List<Path> nsFiles, long timeoutMs, Body body) throws BpfException {
        boolean[] entered = {false};
        BpfException[] failure = {null};
        Thread inside = new Thread(() -> {
            LibC c = Libs.c();
            for (Path file : nsFiles) {
                int fd = c.open(file.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
                if (fd < 0) {
                    continue;
                }
                try {
                    entered[0] = c.setns(fd, LibC.CLONE_NEWNET) == 0;
                } finally {
                    c.close(fd);
                }
                if (entered[0]) {
                    try {
                        body.run();
                    } catch (BpfException e) {
                        failure[0] = e;
                    }
                    return;
                }
            }
        }, "bpfhook-netns");
        inside.setDaemon(true);
        inside.start();
        try {
            inside.join(timeoutMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BpfException("interrupted while working in another network namespace");
        }
        if (inside.isAlive()) {
            return false;
        }
        if (failure[0] != null) {
            throw failure[0];
        }
        return entered[0];
    }

    /** e.g. "net:[4026531840]"; null when the process is gone or its file cannot be read. */
    private static String id(Path nsFile) {
        try {
            return Files.readSymbolicLink(nsFile).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    private static List<Long> allProcesses() {
        List<Long> pids = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC, "[0-9]*")) {
            for (Path entry : entries) {
                pids.add(Long.parseLong(entry.getFileName().toString()));
            }
        } catch (IOException | NumberFormatException e) {
            // what was read so far
        }
        return pids;
    }

    private static List<Long> processesBelow(Path cgroup) {
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> procs = Files.walk(cgroup).filter(p -> p.getFileName().toString().equals("cgroup.procs"))) {
            procs.forEach(file -> {
                try {
                    for (String line : Files.readAllLines(file)) {
                        if (!line.isBlank()) {
                            pids.add(Long.parseLong(line.trim()));
                        }
                    }
                } catch (IOException | NumberFormatException gone) {
                    // a cgroup removed meanwhile
                }
            });
        } catch (IOException | java.io.UncheckedIOException e) {
            // what was read so far
        }
        return pids;
    }
}
