package dev.bpfhook.report;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A file the agent appends lines to, as log rotation expects of a long-running writer:
 * <ul>
 * <li>each line is appended (O_APPEND) and written through at once, so a rotation that copies the file and
 * truncates it (logrotate's {@code copytruncate}) loses nothing but what was written during the copy, and the
 * next line lands at the start of the emptied file, not past a hole of zeros;</li>
 * <li>at most once a second it checks that its path still names the file it writes to, and opens the path anew
 * (creating it) when it does not: a rotation that moved the file away (logrotate's default {@code create}) or
 * removed it. Without that the agent would write into the moved file, or an unlinked one, for good.</li>
 * </ul>
 * One thread writes (the {@link LineWriter}'s); not thread-safe.
 */
public final class LineFile implements LineOutput {
    static final long CHECK_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Path path;
    private final long checkIntervalNanos;
    private FileOutputStream out; // null after an open that failed, until one succeeds
    private Object fileKey;       // the open file's device and inode
    private long checkedAt;

    private LineFile(Path path, long checkIntervalNanos) {
        this.path = path;
        this.checkIntervalNanos = checkIntervalNanos;
    }

    /** Opens {@code path} for appending, creating it; fails as the file system refuses. */
    public static LineFile open(Path path) throws IOException {
        return open(path, CHECK_INTERVAL_NANOS);
    }

    static LineFile open(Path path, long checkIntervalNanos) throws IOException {
        LineFile file = new LineFile(path, checkIntervalNanos);
        file.reopen();
        return file;
    }

    @Override
    public void println(String line) throws IOException {
        followRotation();
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8)); // one write: a line is never split
    }

    @Override
    public String describe() {
        return path.toString();
    }

    @Override
    public void close() {
        closeQuietly();
    }

    private void followRotation() throws IOException {
        long now = System.nanoTime();
        if (now - checkedAt < checkIntervalNanos) {
            if (out == null) {
                throw new IOException("cannot open " + path + " (tried less than a second ago)");
            }
            return;
        }
        checkedAt = now;
        if (out == null || !Objects.equals(fileKey, keyOfPath())) {
            reopen();
        }
    }

    private void reopen() throws IOException {
        closeQuietly();
        checkedAt = System.nanoTime();
        out = new FileOutputStream(path.toFile(), true);
        fileKey = keyOfPath();
    }

    /** The device and inode the path names now; null when it names nothing. */
    private Object keyOfPath() throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        } catch (NoSuchFileException gone) {
            return null;
        }
    }

    private void closeQuietly() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                // the lines were written through: nothing is left in a buffer to lose
            }
            out = null;
        }
    }
}
