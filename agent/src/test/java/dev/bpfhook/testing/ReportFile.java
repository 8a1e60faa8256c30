package dev.bpfhook.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** The agent's report=FILE output, read by a test: JSON lines of start, event and report. */
public final class ReportFile {
    private final Path path;

    public ReportFile(Path path) {
        this.path = path;
    }

    public Path path() {
        return path;
    }

    public List<String> lines() throws IOException {
        if (!Files.exists(path)) {
            return List.of();
        }
        return Files.readAllLines(path, StandardCharsets.UTF_8);
    }

    public List<String> lines(String type) throws IOException {
        return lines().stream().filter(l -> l.contains("\"type\":\"" + type + "\"")).collect(Collectors.toList());
    }

    /** Waits for the agent's start line: the hooks are attached once it is there. */
    public String awaitStart(long timeoutMs, ChildJvm child) throws IOException, InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < end) {
            List<String> starts = lines("start");
            if (!starts.isEmpty()) {
                return starts.get(0);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the agent wrote no start line to " + path + " within " + timeoutMs + " ms\n"
                + (child == null ? "" : child.describe()));
    }

    /** The last report line: the one written at JVM exit. */
    public String lastReport() throws IOException {
        List<String> reports = lines("report");
        if (reports.isEmpty()) {
            throw new AssertionError("no report line in " + path + ": " + lines());
        }
        return reports.get(reports.size() - 1);
    }

    /** A top-level number of a JSON line (the first occurrence, which is the totals' in a report). */
    public static long number(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":(-?\\d+)").matcher(json);
        if (!m.find()) {
            throw new AssertionError("no " + field + " in " + json);
        }
        return Long.parseLong(m.group(1));
    }
}
