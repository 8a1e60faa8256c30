package dev.bpfhook.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A JVM started by a test: optionally with the agent, inside a cgroup (it
 * joins before exec, so not one connection escapes), or as another user. Its
 * stdout and stderr are collected; its stdin carries commands to
 * {@code AgentTestApp}.
 */
public final class ChildJvm implements AutoCloseable {
    private final Process process;
    private final StringBuffer stdout = new StringBuffer();
    private final StringBuffer stderr = new StringBuffer();
    private final Writer stdin;

    private ChildJvm(Process process) {
        this.process = process;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        pump(process.getInputStream(), stdout, "child-stdout");
        pump(process.getErrorStream(), stderr, "child-stderr");
    }

    /** The java binary running these tests. */
    public static Path java() {
        return Paths.get(System.getProperty("java.home"), "bin", "java");
    }

    /** The agent jar Maven built in the package phase (integration tests run after it). */
    public static Path agentJar() {
        Path jar = Paths.get("target", "bpfhook-agent.jar").toAbsolutePath();
        if (!jar.toFile().isFile()) {
            throw new IllegalStateException("no " + jar + ": run the integration tests with mvn verify");
        }
        return jar;
    }

    /** Compiled test classes: the child's class path (never target/classes: the agent comes from the jar). */
    public static Path testClasses() {
        return Paths.get("target", "test-classes").toAbsolutePath();
    }

    /** Any command, e.g. {@code java -jar bpfhook-agent.jar attach PID}. */
    public static ChildJvm command(List<String> command) throws IOException {
        return new ChildJvm(new ProcessBuilder(command).start());
    }

    /** A jar Maven copied into target/it-deps for the integration tests (e.g. another JNA version). */
    public static Path itDependency(String prefix) throws IOException {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(Paths.get("target", "it-deps"))) {
            return files.filter(p -> p.getFileName().toString().startsWith(prefix)).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + prefix + "* in target/it-deps")).toAbsolutePath();
        }
    }

    /** A JVM running {@code mainClass} from the test classes. */
    public static Builder builder(String mainClass, String... args) {
        return new Builder(mainClass, args);
    }

    /** A JVM whose arguments the caller gives whole, with {@link Builder#startCommand}. */
    public static Builder jvm() {
        return new Builder(null, new String[0]);
    }

    /** How to start a child. */
    public static final class Builder {
        private final String mainClass;
        private final List<String> args;
        private final List<String> jvmArgs = new ArrayList<>();
        private String classPath = testClasses().toString();
        private Path java = ChildJvm.java();
        private Path cgroup;
        private String user;

        private Builder(String mainClass, String[] args) {
            this.mainClass = mainClass;
            this.args = Arrays.asList(args);
        }

        /**
         * The agent with these options. Unless they say otherwise, jolokia=off: tests start JVMs one after
         * another, and the default port 8778 of the one before may not be free yet.
         */
        public Builder agent(Path jar, String options) {
            String all = options == null || options.isEmpty() ? "" : options;
            if (!all.contains("jolokia")) {
                all = all.isEmpty() ? "jolokia=off" : all + ",jolokia=off";
            }
            jvmArgs.add("-javaagent:" + jar + "=" + all);
            return this;
        }

        /** Another java binary than the one running the tests (e.g. a newer JDK). */
        public Builder java(Path javaBinary) {
            java = javaBinary;
            return this;
        }

        public Builder jvmArg(String arg) {
            jvmArgs.add(arg);
            return this;
        }

        public Builder classPath(String path) {
            classPath = path;
            return this;
        }

        /** The child writes its own pid into this cgroup before it execs java. */
        public Builder inCgroup(Path cgroupDirectory) {
            cgroup = cgroupDirectory;
            return this;
        }

        /** Run as this uid (and gid), without supplementary groups or capabilities. */
        public Builder asUser(int uid) {
            user = Integer.toString(uid);
            return this;
        }

        public ChildJvm start() throws IOException {
            if (mainClass == null) {
                throw new IllegalStateException("no main class: use startCommand");
            }
            List<String> javaArgs = new ArrayList<>(List.of("-cp", classPath, mainClass));
            javaArgs.addAll(args);
            return startCommand(javaArgs);
        }

        /** Starts java with the agent and JVM options, then {@code javaArgs} (e.g. "-jar", "x.jar", ...). */
        public ChildJvm startCommand(List<String> javaArgs) throws IOException {
            List<String> command = new ArrayList<>();
            if (cgroup != null) {
                command.addAll(List.of("sh", "-c", "echo $$ > \"$0\" && exec \"$@\"",
                        cgroup.resolve("cgroup.procs").toString()));
            }
            if (user != null) {
                command.addAll(List.of("setpriv", "--reuid=" + user, "--regid=" + user, "--clear-groups",
                        "--inh-caps=-all", "--bounding-set=-all"));
            }
            command.add(java.toString());
            command.addAll(jvmArgs);
            command.addAll(javaArgs);
            return new ChildJvm(new ProcessBuilder(command).start());
        }
    }

    /** What a test checks of a child it has just started, such as that its agent is up. */
    public interface StartupCheck {
        void check(ChildJvm child) throws Exception;
    }

    /**
     * This child once {@code check} has passed. If the check fails, the child is closed before the failure
     * goes on: a helper that starts a child and fails before returning it leaves nobody to close it, and the
     * JVM would run on with the agent's programs attached and its cgroup not removable.
     */
    public ChildJvm ready(StartupCheck check) throws Exception {
        try {
            check.check(this);
            return this;
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    public long pid() {
        return process.pid();
    }

    /** Sends one line to the child's stdin. */
    public void send(String line) throws IOException {
        stdin.write(line + "\n");
        stdin.flush();
    }

    /** Ends the child's stdin (a service that stops at EOF stops). */
    public void closeStdin() throws IOException {
        stdin.close();
    }

    /** Waits until stdout has a line matching, bounded; fails with both streams shown. */
    public String awaitStdout(Predicate<String> line, long timeoutMs) throws InterruptedException {
        return await(stdout, line, timeoutMs, "stdout");
    }

    /** Waits until stderr has a line matching, bounded. */
    public String awaitStderr(Predicate<String> line, long timeoutMs) throws InterruptedException {
        return await(stderr, line, timeoutMs, "stderr");
    }

    public int waitFor(long timeoutMs) throws InterruptedException {
        if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("child did not exit in " + timeoutMs + " ms\n" + describe());
        }
        return process.exitValue();
    }

    /** SIGKILL, and wait until it is gone. */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    public String stdout() {
        return stdout.toString();
    }

    public String stderr() {
        return stderr.toString();
    }

    public String describe() {
        return "--- stdout ---\n" + stdout + "--- stderr ---\n" + stderr;
    }

    @Override
    /** Kills the process if it still runs, and waits (bounded) until it is gone, so its cgroup can go too. */
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private String await(StringBuffer buffer, Predicate<String> match, long timeoutMs, String name)
            throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < end) {
            for (String line : buffer.toString().split("\n")) {
                if (match.test(line)) {
                    return line;
                }
            }
            if (!process.isAlive()) {
                break;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no matching line on " + name + " within " + timeoutMs + " ms\n" + describe());
    }

    private static void pump(InputStream in, StringBuffer into, String name) {
        Thread t = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    into.append(line).append('\n');
                }
            } catch (IOException closed) {
                // the child is gone
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }
}
