package dev.bpfhook.testing;

import dev.bpfhook.container.CgroupV2;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A child cgroup made for one test. {@link #enter()} moves this whole JVM into
 * it, so connections the test makes belong to it; {@link #close()} moves the
 * JVM back where it was and removes the cgroup. A nested one is a cgroup
 * inside another made for the test, to watch a subtree from its top.
 */
public final class TestCgroup implements AutoCloseable {
    private final CgroupV2 hierarchy;
    private final Path original;
    private final Path top;
    private final Path directory;
    private boolean inside;

    private TestCgroup(CgroupV2 hierarchy, Path original, Path top, Path directory) {
        this.hierarchy = hierarchy;
        this.original = original;
        this.top = top;
        this.directory = directory;
    }

    public static TestCgroup create(String label) throws IOException {
        return make(label, false);
    }

    /** bpfhook-test-LABEL-PID/inner: the JVM enters the inner one; {@link #top()} is the outer one. */
    public static TestCgroup nested(String label) throws IOException {
        return make(label, true);
    }

    private static TestCgroup make(String label, boolean nested) throws IOException {
        CgroupV2 hierarchy = CgroupV2.find().orElseThrow(() -> new IOException("no cgroup v2 hierarchy mounted"));
        Path original = hierarchy.ownCgroup();
        Path top = hierarchy.mount().resolve("bpfhook-test-" + label + "-" + ProcessHandle.current().pid());
        Path dir = nested ? top.resolve("inner") : top;
        Files.createDirectories(dir);
        return new TestCgroup(hierarchy, original, top, dir);
    }

    /** Where the JVM goes on {@link #enter()}. */
    public Path directory() {
        return directory;
    }

    /** The outermost cgroup made for the test: the one to watch. */
    public Path top() {
        return top;
    }

    public long id() throws IOException {
        return CgroupV2.id(directory);
    }

    public int level() {
        return hierarchy.level(directory);
    }

    public CgroupV2 hierarchy() {
        return hierarchy;
    }

    public void enter() throws IOException {
        moveThisProcess(directory);
        inside = true;
    }

    public void leave() throws IOException {
        if (inside) {
            moveThisProcess(original);
            inside = false;
        }
    }

    /**
     * Stops every process in the cgroup (cgroup v2's freezer) and returns once the kernel reports them all
     * stopped, bounded: what /proc shows of them then stays so until they are thawed or killed (SIGKILL
     * still ends a frozen process, and a frozen cgroup is removed like any other once empty).
     */
    public void freeze() throws IOException, InterruptedException {
        Files.writeString(directory.resolve("cgroup.freeze"), "1");
        for (int attempt = 0; !Files.readAllLines(directory.resolve("cgroup.events")).contains("frozen 1"); attempt++) {
            if (attempt >= 1000) {
                throw new IOException("the processes of " + directory + " did not stop within 10 s");
            }
            Thread.sleep(10);
        }
    }

    /** Moves the JVM back and removes the cgroup, with any cgroups a test made below it, deepest first. */
    @Override
    public void close() throws IOException {
        leave();
        java.util.List<Path> dirs;
        try (java.util.stream.Stream<Path> tree = Files.walk(top)) {
            dirs = tree.filter(Files::isDirectory).sorted(java.util.Comparator.reverseOrder())
                    .collect(java.util.stream.Collectors.toList());
        }
        for (Path dir : dirs) {
            removeWhenEmpty(dir);
        }
    }

    /** Removes a cgroup of the test's making once the processes that left it are gone from it. */
    public static void removeWhenEmpty(Path cgroup) throws IOException {
        // a cgroup can be removed once empty; processes leave it asynchronously, so retry briefly
        for (int attempt = 0; ; attempt++) {
            try {
                Files.deleteIfExists(cgroup);
                return;
            } catch (IOException busy) {
                if (attempt >= 50) {
                    throw busy;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw busy;
                }
            }
        }
    }

    private static void moveThisProcess(Path cgroup) throws IOException {
        Files.writeString(cgroup.resolve("cgroup.procs"), Long.toString(ProcessHandle.current().pid()));
    }
}
