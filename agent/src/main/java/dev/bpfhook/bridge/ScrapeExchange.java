package dev.bpfhook.bridge;

import com.sun.net.httpserver.HttpExchange;
import io.prometheus.metrics.exporter.common.PrometheusHttpExchange;
import io.prometheus.metrics.exporter.common.PrometheusHttpRequest;
import io.prometheus.metrics.exporter.common.PrometheusHttpResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * A scrape of /metrics as the Prometheus library's handler sees it, over the JDK server's exchange. The
 * library's own adapter logs an answer it could not send (a scraper that went away, or one {@link HttpWorkers}
 * cut off) with its stack trace through java.util.logging, that is onto the application's stderr, and sends the
 * stack trace of a failed scrape to the client. This one gives the JDK server back the IOException, and the
 * server closes the connection; a scrape that failed before its answer began is answered 500 with one line.
 */
final class ScrapeExchange implements PrometheusHttpExchange {
    private static final int SERVER_ERROR = 500;

    private final HttpExchange exchange;
    private boolean answered;

    ScrapeExchange(HttpExchange exchange) {
        this.exchange = exchange;
    }

    @Override
    public PrometheusHttpRequest getRequest() {
        return new PrometheusHttpRequest() {
            @Override
            public String getQueryString() {
                return exchange.getRequestURI().getRawQuery();
            }

            @Override
            public Enumeration<String> getHeaders(String name) {
                List<String> values = exchange.getRequestHeaders().get(name);
                return values == null ? Collections.emptyEnumeration() : Collections.enumeration(values);
            }

            @Override
            public String getMethod() {
                return exchange.getRequestMethod();
            }

            @Override
            public String getRequestPath() {
                return exchange.getRequestURI().getRawPath();
            }
        };
    }

    @Override
    public PrometheusHttpResponse getResponse() {
        return new PrometheusHttpResponse() {
            @Override
            public void setHeader(String name, String value) {
                exchange.getResponseHeaders().set(name, value);
            }

            @Override
            public OutputStream sendHeadersAndGetBody(int status, int contentLength) throws IOException {
                if (answered) {
                    throw new IOException("a second answer to one request");
                }
                answered = true;
                exchange.sendResponseHeaders(status, contentLength);
                return exchange.getResponseBody();
            }
        };
    }

    /** Not sent: the JDK server closes the connection, which is all a client that does not read can get. */
    @Override
    public void handleException(IOException e) throws IOException {
        throw e;
    }

    @Override
    public void handleException(RuntimeException e) {
        if (answered) {
            throw e; // part of the answer is out: only closing the connection tells the scraper it failed
        }
        answered = true;
        byte[] line = ("the scrape failed: " + e + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        try {
            exchange.sendResponseHeaders(SERVER_ERROR, line.length);
            exchange.getResponseBody().write(line);
        } catch (IOException notSent) {
            throw new UncheckedIOException(notSent);
        }
    }

    @Override
    public void close() {
        exchange.close();
    }
}
