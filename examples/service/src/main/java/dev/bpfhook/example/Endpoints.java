package dev.bpfhook.example;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * GET /hello, /fanout?n=N and /udp?n=N; everything else is a 404. Every answer is one line of
 * text and closes the connection, so an inbound request is exactly one TCP connection.
 */
final class Endpoints implements HttpHandler {

    static final int MAX_N = 1000;

    /** A status and a one-line body. */
    private static final class Answer {
        final int status;
        final String line;

        Answer(int status, String line) {
            this.status = status;
            this.line = line;
        }
    }

    private final Options options;
    private final long pid;
    private final PeerCalls peer;

    Endpoints(Options options, long pid) {
        this.options = options;
        this.pid = pid;
        this.peer = new PeerCalls(options, pid);
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try {
            drain(exchange.getRequestBody());
            Answer answer;
            try {
                answer = route(exchange);
            } catch (RuntimeException e) {
                answer = new Answer(500, "internal error: " + e);
            }
            send(exchange, answer);
        } finally {
            exchange.close();
        }
    }

    private Answer route(HttpExchange exchange) {
        // one context for "/" and exact paths here: HttpServer contexts match by prefix ("/helloX")
        String path = exchange.getRequestURI().getPath();
        if (!"GET".equals(exchange.getRequestMethod()) || path == null) {
            return notFound();
        }
        String query = exchange.getRequestURI().getRawQuery();
        switch (path) {
            case "/hello":
                return new Answer(200, "hello from " + pid);
            case "/fanout":
                return fanout(query);
            case "/udp":
                return udp(query);
            default:
                return notFound();
        }
    }

    private Answer fanout(String query) {
        if (!options.hasPeer()) {
            return new Answer(400, "no peer configured");
        }
        String n = parameter(query, "n");
        Integer count = parseCount(n);
        if (count == null) {
            return badCount(n);
        }
        PeerCalls.Outcome outcome = peer.fanout(count);
        if (outcome.firstError != null) {
            // the answer has a fixed format; the reason goes to stderr for the operator
            System.err.println("example-service: /fanout: " + outcome.failed + " of " + count
                    + " calls to " + options.peerUrl() + " failed, first " + outcome.firstError);
        }
        return new Answer(200, "fanout n=" + count + " ok=" + outcome.succeeded + " failed=" + outcome.failed);
    }

    private Answer udp(String query) {
        if (!options.hasPeer()) {
            return new Answer(400, "no peer configured");
        }
        if (options.udpPeerPort == 0) {
            return new Answer(400, "no UDP peer port configured; start with --udp-peer-port PORT");
        }
        String n = parameter(query, "n");
        Integer count = parseCount(n);
        if (count == null) {
            return badCount(n);
        }
        PeerCalls.Outcome outcome = peer.udp(count);
        if (outcome.firstError != null) {
            return new Answer(502, "udp n=" + count + " sent=" + outcome.succeeded + " stopped at " + outcome.firstError);
        }
        return new Answer(200, "udp n=" + count);
    }

    private static Answer notFound() {
        return new Answer(404, "not found; try GET /hello, /fanout?n=N or /udp?n=N");
    }

    private static Answer badCount(String n) {
        String got = n == null ? "none" : "'" + n + "'";
        return new Answer(400, "n must be a whole number from 1 to " + MAX_N + ", got " + got);
    }

    /** The count in 1..MAX_N, or null. */
    static Integer parseCount(String n) {
        if (n == null) {
            return null;
        }
        try {
            int count = Integer.parseInt(n);
            return count >= 1 && count <= MAX_N ? count : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The first value of {@code name} in a raw query string, or null; the values here need no decoding. */
    static String parameter(String rawQuery, String name) {
        if (rawQuery == null) {
            return null;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            if (key.equals(name)) {
                return eq < 0 ? "" : pair.substring(eq + 1);
            }
        }
        return null;
    }

    private static void send(HttpExchange exchange, Answer answer) throws IOException {
        byte[] body = (answer.line + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        // HttpServer closes the connection after a response that carries this header
        exchange.getResponseHeaders().set("Connection", "close");
        exchange.sendResponseHeaders(answer.status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static void drain(InputStream in) throws IOException {
        byte[] buffer = new byte[512];
        while (in.read(buffer) != -1) {
            // a GET has no body; reading whatever came keeps the exchange well-formed
        }
    }
}
