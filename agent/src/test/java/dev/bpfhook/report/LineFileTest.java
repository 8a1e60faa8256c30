package dev.bpfhook.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A report file under the rotations logrotate makes, and on a full disk. */
class LineFileTest {
    @TempDir
    Path dir;

    @Test
    void appendsToWhatTheFileHeld() throws IOException {
        Path path = dir.resolve("report.jsonl");
        Files.writeString(path, "earlier\n");
        LineFile file = LineFile.open(path, 0);
        file.println("{\"n\":1}");
        file.close();
        assertEquals("earlier\n{\"n\":1}\n", Files.readString(path));
    }

    /** logrotate's default: the file is renamed, and a writer that does not look writes into the renamed one. */
    @Test
    void aFileMovedAwayIsFollowedByANewOneAtThePath() throws IOException {
        Path path = dir.resolve("report.jsonl");
        LineFile file = LineFile.open(path, 0);
        file.println("a");
        file.println("b");
        Files.move(path, dir.resolve("report.jsonl.1"));
        file.println("c");
        file.close();
        assertEquals("a\nb\n", Files.readString(dir.resolve("report.jsonl.1")));
        assertEquals("c\n", Files.readString(path));
    }

    @Test
    void aFileRemovedIsMadeAgain() throws IOException {
        Path path = dir.resolve("report.jsonl");
        LineFile file = LineFile.open(path, 0);
        file.println("a");
        Files.delete(path);
        file.println("b");
        file.close();
        assertEquals("b\n", Files.readString(path));
    }

    /** copytruncate: the lines after the truncation start the file, with no hole of zeros before them. */
    @Test
    void afterACopyAndTruncateTheNextLineStartsTheFile() throws IOException {
        Path path = dir.resolve("report.jsonl");
        LineFile file = LineFile.open(path, 0);
        file.println("a long line that the rotation copies away");
        Files.copy(path, dir.resolve("report.jsonl.1"));
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
            channel.truncate(0);
        }
        file.println("b");
        file.close();
        assertEquals("b\n", Files.readString(path));
    }

    /** Between its checks (a second apart) the file is not looked at: a move is noticed at the next one. */
    @Test
    void thePathIsLookedAtOnlyOnceAnInterval() throws IOException {
        Path path = dir.resolve("report.jsonl");
        LineFile file = LineFile.open(path, Long.MAX_VALUE);
        file.println("a");
        Files.move(path, dir.resolve("report.jsonl.1"));
        file.println("b");
        file.close();
        assertEquals("a\nb\n", Files.readString(dir.resolve("report.jsonl.1")));
        assertTrue(Files.notExists(path));
    }

    @Test
    void aFullDiskRefusesTheLine() throws IOException {
        LineFile full = LineFile.open(Paths.get("/dev/full"), 0);
        IOException e = assertThrows(IOException.class, () -> full.println("a line"));
        assertEquals("No space left on device", e.getMessage());
        full.close();
    }

    @Test
    void aPathThatIsADirectoryFailsToOpen() {
        IOException e = assertThrows(IOException.class, () -> LineFile.open(dir));
        assertTrue(e.getMessage().contains("Is a directory"), e.getMessage());
    }
}
