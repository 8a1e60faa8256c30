package dev.bpfhook.testing;

import dev.bpfhook.container.CgroupV2;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A child cgroup made for one test. {@link #enter()} moves this whole JVM into
 * it, so connections the test makes belong to it; {@link #close()} moves the
 * JVM back where it was and removes the cgroup.
 */
public final class TestCgroup implements AutoCloseable {
    private final CgroupV2 hierarchy;
    private final Path original;
    private final Path directory;
    private boolean inside;

    private TestCgroup(CgroupV2 hierarchy, Path original, Path directory) {
        this.hierarchy = hierarchy;
        this.original = original;
        this.directory = directory;
    }

    public static TestCgroup create(String label) throws IOException {
        CgroupV2 hierarchy = CgroupV2.find().orElseThrow(() -> new IOException("no cgroup v2 hierarchy mounted"));
        Path original = hierarchy.ownCgroup();
        Path dir = hierarchy.mount().resolve("bpfhook-test-" + label + "-" + ProcessHandle.current().pid());
        Files.createDirectories(dir);
        return new TestCgroup(hierarchy, original, dir);
    }

    public Path directory() {
        return directory;
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

    @Override
    public void close() throws IOException {
        leave();
        // a cgroup can be removed once empty; processes leave it asynchronously, so retry briefly
        for (int attempt = 0; ; attempt++) {
            try {
                Files.deleteIfExists(directory);
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
