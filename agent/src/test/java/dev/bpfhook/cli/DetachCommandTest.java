package dev.bpfhook.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What {@code detach} says to a mistyped command line, before it talks to any process. */
class DetachCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Test
    void withoutAProcessIdItShowsTheUsage() {
        assertEquals(Main.USER_ERROR, run("detach"));
        assertEquals("bpfhook: " + DetachCommand.USAGE + "\n", err());
        assertEquals("", out());
    }

    @Test
    void moreThanAProcessIdIsRefused() {
        assertEquals(Main.USER_ERROR, run("detach", "123", "jolokia=off"));
        assertEquals("bpfhook: " + DetachCommand.USAGE + "\n", err());
    }

    @Test
    void aProcessIdIsAPositiveNumber() {
        assertEquals(Main.USER_ERROR, run("detach", "my-service"));
        assertEquals("bpfhook: 'my-service' is not a process id; " + DetachCommand.USAGE + "\n", err());
        err.reset();
        assertEquals(Main.USER_ERROR, run("detach", "0"));
        assertEquals("bpfhook: '0' is not a process id; " + DetachCommand.USAGE + "\n", err());
    }

    private int run(String... args) {
        return DetachCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }
}
