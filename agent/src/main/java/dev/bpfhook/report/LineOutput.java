package dev.bpfhook.report;

import java.io.IOException;
import java.io.PrintStream;

/** Where a {@link LineWriter}'s lines go: a stream (stdout, stderr) or a {@link LineFile}. */
public interface LineOutput {
    /** Writes one line and its newline. An exception says that the line did not arrive. */
    void println(String line) throws IOException;

    /** What the lines go to, for a message about it: "stderr", a file's path. */
    String describe();

    /** Pushes out whatever is buffered; best effort, on close. */
    default void flush() {
    }

    /** Closes what the output opened itself (a file; not the JVM's own streams). */
    default void close() {
    }

    /** The lines to {@code stream}, which keeps its errors to itself (a PrintStream never throws). */
    static LineOutput of(PrintStream stream, String name) {
        return new LineOutput() {
            @Override
            public void println(String line) {
                stream.println(line);
            }

            @Override
            public String describe() {
                return name;
            }

            @Override
            public void flush() {
                stream.flush();
            }
        };
    }
}
