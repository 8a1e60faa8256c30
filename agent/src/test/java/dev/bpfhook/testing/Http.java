package dev.bpfhook.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/** Plain HTTP/1.1 requests from tests (Jolokia, /metrics, Prometheus's API). */
public final class Http {
    /** One client, so that polling reuses one kept-alive connection instead of leaving many open. */
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private Http() {
    }

    /** One GET; {@code basicAuth} is "user:password" or null. */
    public static HttpResponse<String> get(String url, String basicAuth) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).GET();
        if (basicAuth != null) {
            request.header("Authorization", "Basic "
                    + Base64.getEncoder().encodeToString(basicAuth.getBytes(StandardCharsets.UTF_8)));
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The body of a GET, or "" while the endpoint does not answer (yet): for polling with Await.until. */
    public static String bodyOrEmpty(String url) {
        return bodyOrEmpty(url, null);
    }

    /** As {@link #bodyOrEmpty(String)}, with {@code basicAuth} ("user:password", or null). */
    public static String bodyOrEmpty(String url, String basicAuth) {
        try {
            return get(url, basicAuth).body();
        } catch (IOException | InterruptedException | RuntimeException notYet) {
            return "";
        }
    }

    /** A port free on loopback right now. */
    public static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
