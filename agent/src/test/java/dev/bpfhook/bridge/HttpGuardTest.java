package dev.bpfhook.bridge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The guard's judgements that need no server: names, origins, and the bounded request body. */
class HttpGuardTest {

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "app.localhost", "::1",
            "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"})
    void loopbackNames(String host) {
        assertTrue(HttpGuard.isLoopbackName(host), host);
    }

    @ParameterizedTest
    @ValueSource(strings = {"evil.example", "127.0.0.1.evil.example", "localhost.evil.example", "10.0.0.1",
            "0.0.0.0", "::", "fe80::1", "1.2.3.4.5", "127.0.0.1x", "", "2130706433"})
    void otherNamesAreNotLoopbackAndAreNeverLookedUp(String host) {
        assertFalse(HttpGuard.isLoopbackName(host), host);
    }

    @Test
    void hostOfAHostHeader() {
        assertEquals("127.0.0.1", HttpGuard.hostOf("127.0.0.1:8778"));
        assertEquals("::1", HttpGuard.hostOf("[::1]:8778"));
        assertEquals("localhost", HttpGuard.hostOf(" localhost "));
        assertEquals("evil.example", HttpGuard.hostOf("evil.example:80"));
    }

    @Test
    void loopbackOriginsOnly() {
        assertTrue(HttpGuard.isLoopbackOrigin("http://localhost:3000"));
        assertTrue(HttpGuard.isLoopbackOrigin("https://127.0.0.1"));
        assertTrue(HttpGuard.isLoopbackOrigin("http://[::1]:8080"));
        assertFalse(HttpGuard.isLoopbackOrigin("http://evil.example"));
        assertFalse(HttpGuard.isLoopbackOrigin("http://127.0.0.1.evil.example"));
        assertFalse(HttpGuard.isLoopbackOrigin("null"), "a sandboxed or file: page");
        assertFalse(HttpGuard.isLoopbackOrigin("file://localhost"));
        assertFalse(HttpGuard.isLoopbackOrigin("http://[::1"));
    }

    @Test
    void aBodyUpToTheLimitReadsThrough() throws IOException {
        byte[] body = ("[" + "{\"type\":\"read\",\"mbean\":\"x:a=[[[{{{\\\"]]]\"},".repeat(1000) + "{}]")
                .getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(body, bounded(body).readAllBytes(), "brackets inside strings do not count");
    }

    @Test
    void aLargerBodyEndsWithAnIOException() {
        byte[] body = new byte[HttpGuard.MAX_BODY_BYTES + 1];
        IOException e = assertThrows(IOException.class, () -> bounded(body).readAllBytes());
        assertEquals("request body larger than 1 MiB", e.getMessage());
    }

    @Test
    void deepNestingEndsWithAnIOException() {
        byte[] deep = "[".repeat(HttpGuard.MAX_JSON_DEPTH + 1).getBytes(StandardCharsets.UTF_8);
        IOException e = assertThrows(IOException.class, () -> bounded(deep).readAllBytes());
        assertEquals("request JSON nested deeper than 64 levels", e.getMessage());
        byte[] deepest = ("[".repeat(HttpGuard.MAX_JSON_DEPTH) + "]".repeat(HttpGuard.MAX_JSON_DEPTH))
                .getBytes(StandardCharsets.UTF_8);
        assertTrue(assertDoesNotThrowRead(deepest), "exactly the limit is fine");
    }

    @Test
    void byteByByteReadsAreCountedToo() {
        byte[] deep = "{\"a\":".repeat(HttpGuard.MAX_JSON_DEPTH + 1).getBytes(StandardCharsets.UTF_8);
        assertThrows(IOException.class, () -> {
            InputStream in = bounded(deep);
            while (in.read() >= 0) {
                // reading drives the check
            }
        });
    }

    private static boolean assertDoesNotThrowRead(byte[] body) {
        try {
            return bounded(body).readAllBytes().length == body.length;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static InputStream bounded(byte[] body) {
        return new HttpGuard.BoundedJson(new ByteArrayInputStream(body));
    }
}
