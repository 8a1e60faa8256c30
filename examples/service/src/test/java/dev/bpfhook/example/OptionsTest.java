package dev.bpfhook.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OptionsTest {

    @Test
    void defaultsToLoopbackWithoutPeer() throws Exception {
        Options options = Options.parse(new String[] {"--port", "0"});
        assertEquals(0, options.port);
        assertEquals("127.0.0.1", options.bind.getHostAddress());
        assertFalse(options.hasPeer());
        assertEquals(0, options.udpPeerPort);
        assertFalse(options.ignoreStdin);
    }

    @Test
    void readsPeerBindAndUdpPort() throws Exception {
        Options options = Options.parse(new String[] {
            "--port", "8081", "--peer", "http://127.0.0.1:8082", "--bind", "0.0.0.0",
            "--udp-peer-port", "9999", "--ignore-stdin"});
        assertEquals(8081, options.port);
        assertEquals("0.0.0.0", options.bind.getHostAddress());
        assertEquals("http://127.0.0.1:8082", options.peerUrl());
        assertEquals(9999, options.udpPeerPort);
        assertTrue(options.ignoreStdin);
    }

    @Test
    void acceptsTrailingSlashDefaultPortAndIpv6Peer() throws Exception {
        assertEquals("http://peer:80", Options.parse(new String[] {"--port", "1", "--peer", "http://peer/"}).peerUrl());
        assertEquals("http://[::1]:8082", Options.parse(new String[] {"--port", "1", "--peer", "http://[::1]:8082"}).peerUrl());
    }

    @Test
    void saysWhatIsWrongAndHowToFixIt() {
        assertProblem("--port is required; add --port PORT (0 picks a free port)");
        assertProblem("--port 'x' is not a port; give a number from 0 to 65535", "--port", "x");
        assertProblem("--port '65536' is not a port; give a number from 0 to 65535", "--port", "65536");
        assertProblem("--port needs a value; see --help", "--port");
        assertProblem("--peer needs a value; see --help", "--port", "0", "--peer", "--bind");
        assertProblem("unknown argument '--prot'; see --help", "--prot", "1");
        assertProblem("--udp-peer-port '0' is not a port; give a number from 1 to 65535",
                "--port", "0", "--udp-peer-port", "0");
        assertProblem("--peer 'https://a:1' is not a plain http://HOST:PORT URL; "
                + "give it as http://HOST:PORT, e.g. http://127.0.0.1:8082", "--port", "0", "--peer", "https://a:1");
        assertProblem("--peer 'http://a:1/x' is not a plain http://HOST:PORT URL; "
                + "give it as http://HOST:PORT, e.g. http://127.0.0.1:8082", "--port", "0", "--peer", "http://a:1/x");
        assertProblem("--peer '127.0.0.1:8082' is not a URL; "
                + "give it as http://HOST:PORT, e.g. http://127.0.0.1:8082", "--port", "0", "--peer", "127.0.0.1:8082");
    }

    @Test
    void helpNeedsNothingElse() throws Exception {
        assertTrue(Options.parse(new String[] {"--help"}).help);
    }

    private static void assertProblem(String message, String... args) {
        Options.UsageException e = assertThrows(Options.UsageException.class, () -> Options.parse(args));
        assertEquals(message, e.getMessage());
    }
}
