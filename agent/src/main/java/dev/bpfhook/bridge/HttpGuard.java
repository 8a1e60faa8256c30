package dev.bpfhook.bridge;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;

/**
 * What every request to Jolokia and /metrics passes first, as the authenticator of their HTTP context
 * (every context of {@link JolokiaHttpServer} and of {@link MetricsHttpServer}). It
 * refuses, before any JSON is read:
 * <ul>
 * <li>on a loopback address, a request whose Host header names another host (a web page that rebound its own
 * name to 127.0.0.1) and, unless an operator's Jolokia policy decides, one whose Origin is not a loopback page
 * (a web page in the operator's browser): 403;</li>
 * <li>JSONP ({@code callback=}), which would let any web page read the answer past CORS: 403;</li>
 * <li>a request body over {@link #MAX_BODY_BYTES}, or JSON nested deeper than {@link #MAX_JSON_DEPTH}, before
 * the parser holds it in the application's heap or recurses down the stack: 413, or Jolokia's error JSON;</li>
 * <li>with credentials set, any request without them, or with a malformed Authorization header: 401.</li>
 * </ul>
 * Every refusal is a status code; nothing is logged, nothing reaches the application's output.
 */
public final class HttpGuard extends Authenticator {
    static final int MAX_BODY_BYTES = 1 << 20;
    static final int MAX_JSON_DEPTH = 64;
    private static final int BAD_REQUEST = 400;
    private static final int UNAUTHORIZED = 401;
    private static final int FORBIDDEN = 403;
    private static final int TOO_LARGE = 413;

    private final String realm;
    private final byte[] credentials;
    private final boolean checkOrigin;

    /**
     * @param user        null: no credentials asked
     * @param checkOrigin whether browser origins are checked here: yes while the bundled Jolokia policy is in
     *                    use (and for /metrics); an operator's own policy decides them in its {@code <cors>}
     */
    HttpGuard(String realm, String user, String password, boolean checkOrigin) {
        this.realm = realm == null || realm.isEmpty() ? "bpfhook" : realm;
        this.credentials = user == null ? null : sha256(user + ":" + (password == null ? "" : password));
        this.checkOrigin = checkOrigin;
    }

    @Override
    public Result authenticate(HttpExchange exchange) {
        try {
            int refusal = refusal(exchange);
            if (refusal != 0) {
                return new Failure(refusal);
            }
            String user = "anonymous";
            if (credentials != null) {
                user = authenticatedUser(exchange.getRequestHeaders().getFirst("Authorization"));
                if (user == null) {
                    exchange.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"" + realm + "\"");
                    return new Retry(UNAUTHORIZED);
                }
            }
            exchange.setStreams(new BoundedJson(exchange.getRequestBody()), null);
            return new Success(new HttpPrincipal(user, realm));
        } catch (RuntimeException e) {
            return new Failure(BAD_REQUEST); // a request too malformed to judge is refused, not answered
        }
    }

    /** The status to refuse the request with, or 0. */
    private int refusal(HttpExchange exchange) {
        // the address the server is bound to, not the one this request came in on: a server on 0.0.0.0 asked
        // over loopback by the host's own name is not a rebinding attack
        boolean boundToLoopback = exchange.getHttpContext().getServer().getAddress().getAddress().isLoopbackAddress();
        String host = exchange.getRequestHeaders().getFirst("Host");
        if (boundToLoopback && host != null && !isLoopbackName(hostOf(host))) {
            return FORBIDDEN;
        }
        String origin = exchange.getRequestHeaders().getFirst("Origin");
        if (checkOrigin && origin != null && !isLoopbackOrigin(origin)) {
            return FORBIDDEN;
        }
        String query = exchange.getRequestURI().getRawQuery();
        if (query != null && hasParameter(query, "callback")) {
            return FORBIDDEN;
        }
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > MAX_BODY_BYTES) {
                    return TOO_LARGE;
                }
            } catch (NumberFormatException e) {
                return BAD_REQUEST;
            }
        }
        return 0;
    }

    /** The user when the header carries the configured credentials; null otherwise, malformed included. */
    private String authenticatedUser(String header) {
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        int colon = decoded.indexOf(':');
        if (colon < 0 || !MessageDigest.isEqual(credentials, sha256(decoded))) {
            return null;
        }
        return decoded.substring(0, colon);
    }

    private static boolean hasParameter(String rawQuery, String name) {
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            if (key.trim().equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /** "127.0.0.1:8778" to "127.0.0.1", "[::1]:8778" to "::1", "localhost" to itself. */
    static String hostOf(String hostHeader) {
        String h = hostHeader.trim();
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(1, end);
        }
        int colon = h.indexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }

    /** A loopback address written out, or localhost; never looked up: 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104. */
    static boolean isLoopbackName(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.equals("localhost") || h.endsWith(".localhost") || h.matches("127(\\.[0-9]{1,3}){3}")) {
            return true;
        }
        if (!h.contains(":") || !h.matches("[0-9a-f.:]+")) {
            return false; // a name: resolving it would ask DNS, the very thing a rebinding page controls
        }
        try {
            return InetAddress.getByName(h).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    static boolean isLoopbackOrigin(String origin) {
        try {
            URI uri = new URI(origin.trim());
            String scheme = uri.getScheme();
            return uri.getHost() != null && ("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))
                    && isLoopbackName(hostOf(uri.getHost()));
        } catch (URISyntaxException e) {
            return false; // "null" (a sandboxed or file: page) included
        }
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * A request body that ends with an IOException once it passes {@link #MAX_BODY_BYTES} or nests JSON
     * arrays and objects deeper than {@link #MAX_JSON_DEPTH} (brackets inside strings do not count): a chunked
     * body has no Content-Length to refuse it by, and a parser that recurses per level would overflow the stack
     * of a thread the application shares the heap with.
     */
    static final class BoundedJson extends FilterInputStream {
        private long bytes;
        private int depth;
        private boolean inString;
        private boolean escaped;

        BoundedJson(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                check((byte) b);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            for (int i = 0; i < n; i++) {
                check(buffer[offset + i]);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] discard = new byte[(int) Math.min(n, 8192)];
            int read = read(discard, 0, discard.length);
            return Math.max(read, 0);
        }

        private void check(byte b) throws IOException {
            if (++bytes > MAX_BODY_BYTES) {
                throw new IOException("request body larger than " + (MAX_BODY_BYTES >> 20) + " MiB");
            }
            if (inString) {
                if (escaped) {
                    escaped = false;
                } else if (b == '\\') {
                    escaped = true;
                } else if (b == '"') {
                    inString = false;
                }
            } else if (b == '"') {
                inString = true;
            } else if (b == '[' || b == '{') {
                if (++depth > MAX_JSON_DEPTH) {
                    throw new IOException("request JSON nested deeper than " + MAX_JSON_DEPTH + " levels");
                }
            } else if ((b == ']' || b == '}') && depth > 0) {
                depth--;
            }
        }
    }
}
