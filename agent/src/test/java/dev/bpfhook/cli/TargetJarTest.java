package dev.bpfhook.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A target that sees the agent jar where this process does gets that path, and no copy (DetachIT: one that cannot). */
class TargetJarTest {
    @TempDir
    Path dir;

    @Test
    void aTargetInThisFileSystemGetsTheJarAsItIs() throws Exception {
        Path jar = Files.write(dir.resolve("bpfhook-agent.jar"), new byte[] {1, 2, 3});
        Properties target = new Properties();
        target.setProperty("java.io.tmpdir", dir.resolve("elsewhere").toString());

        TargetJar placed = TargetJar.place(jar, Long.toString(ProcessHandle.current().pid()), target);

        assertEquals(jar.toString(), placed.path());
        assertEquals(Optional.empty(), placed.note("1", true));
        assertEquals(1, Files.list(dir).count(), "nothing copied");
    }
}
