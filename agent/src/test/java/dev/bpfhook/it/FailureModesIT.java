package dev.bpfhook.it;

import static dev.bpfhook.testing.ReportFile.number;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.apps.AgentTestApp;
import dev.bpfhook.testing.AttachedPrograms;
import dev.bpfhook.testing.Await;
import dev.bpfhook.testing.ChildJvm;
import dev.bpfhook.testing.Http;
import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.ReportFile;
import dev.bpfhook.testing.TestCgroup;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The machine is not what the agent needs: libbpf is missing, the BTF file is wrong or the kernel has none,
 * tracefs is not there, a network namespace goes away under it. Each ends in a clear status and an
 * application that runs as if the agent were not there (or with the agent running on what is left). The
 * broken machine is a private mount namespace of the child JVM only (unshare), so nothing outlives the test.
 */
class FailureModesIT {
    private static final long TIMEOUT_MS = 30_000;
    private static final String APP = AgentTestApp.class.getName();
    private static final ObjectName MONITOR = name("bpfhook:type=ConnectionMonitor");
    private static final String DISABLED = "bpfhook: agent disabled: ";
    private static final String RUNS_WITHOUT = "; the application runs without it";
    /** What the child's mount namespace does to hide the kernel's BTF. */
    private static final String HIDE_KERNEL_BTF = "mount -t tmpfs -o ro,size=4k nodev /sys/kernel/btf";
    /**
     * Hides tracefs: unmounted where it was, and both places libbpf looks for it (the debugfs one automounts
     * tracefs) covered by an empty read-only file system.
     */
    private static final String HIDE_TRACEFS = "{ umount /sys/kernel/tracing 2>/dev/null; true; }"
            + " && mount -t tmpfs -o ro,size=4k nodev /sys/kernel/tracing"
            + " && { [ ! -d /sys/kernel/debug ] || mount -t tmpfs -o ro,size=4k nodev /sys/kernel/debug; }";

    @TempDir
    Path dir;

    @BeforeEach
    void kernel() {
        KernelTests.requireRoot();
    }

    @Test
    void withoutLibbpfTheApplicationRunsUnchangedAndTheStatusSaysWhy() throws Exception {
        Path empty = Files.createFile(dir.resolve("empty.so"));
        StringBuilder hide = new StringBuilder("true");
        for (Path library : installedLibbpf()) {
            hide.append(" && mount --bind ").append(empty).append(' ').append(library);
        }
        List<String> commands = List.of("tcp 2", "exit 3");
        try (TestCgroup cgroup = TestCgroup.create("nolibbpf");
             ChildJvm plain = inMountNamespace(hide.toString(), cgroup, java(null, 0))) {
            int plainExit = run(plain, commands);

            int jmxPort = Http.freePort();
            try (ChildJvm child = inMountNamespace(hide.toString(), cgroup, java("", jmxPort))) {
                child.awaitStdout(l -> l.startsWith("ready"), TIMEOUT_MS);
                String line = child.awaitStderr(l -> l.startsWith(DISABLED), TIMEOUT_MS);
                try (JMXConnector jmx = connect(jmxPort)) {
                    MBeanServerConnection server = jmx.getMBeanServerConnection();
                    Await.until(() -> state(server).equals("DISABLED"), "the disabled agent's MBean");
                    String status = (String) server.getAttribute(MONITOR, "Status");
                    assertEquals("DISABLED: " + line.substring(DISABLED.length(), line.length() - RUNS_WITHOUT.length()),
                            status, "the MBean says what the line says");
                    assertEquals(0L, server.getAttribute(MONITOR, "TotalConnections"));
                }
                int agentExit = run(child, commands);

                assertUnchangedButForOneLine(plain, plainExit, child, agentExit, line);
                assertTrue(line.startsWith(DISABLED + "libbpf cannot be loaded ("), line);
                assertTrue(line.contains("libbpf.so.1: file too short"), "names the cause: " + line);
                assertTrue(line.endsWith("; install libbpf 1.x, e.g. apt-get install libbpf1" + RUNS_WITHOUT),
                        "and the fix: " + line);
            }
        }
    }

    /**
     * A container with a read-only root file system and no writable /tmp: JNA has nowhere to unpack its native
     * library. One line that names the directories and the fix, no stack trace (JNA logs one through the
     * application's java.util.logging when it tries), and the application as without the agent. Here the
     * child's home and temporary directory are mounted read-only in a mount namespace of its own.
     */
    @Test
    void withoutAWritableDirectoryForJnaTheLineNamesItAndTheApplicationRuns() throws Exception {
        Path readOnly = Files.createDirectory(dir.resolve("read-only"));
        String setup = "mount --bind " + readOnly + " " + readOnly + " && mount -o remount,bind,ro " + readOnly;
        List<String> commands = List.of("tcp 2", "exit 3");
        try (TestCgroup cgroup = TestCgroup.create("nojnadir");
             ChildJvm plain = inMountNamespace(setup, cgroup, withHomeAndTmp(readOnly, java(null, 0)))) {
            int plainExit = run(plain, commands);
            try (ChildJvm child = inMountNamespace(setup, cgroup, withHomeAndTmp(readOnly, java("", 0)))) {
                child.awaitStdout(l -> l.startsWith("ready"), TIMEOUT_MS);
                String line = child.awaitStderr(l -> l.startsWith(DISABLED), TIMEOUT_MS);
                int agentExit = run(child, commands);

                assertUnchangedButForOneLine(plain, plainExit, child, agentExit, line);
                assertEquals(DISABLED + "JNA, through which the agent calls libbpf, cannot unpack its native library: "
                        + readOnly + "/.cache/JNA/temp and java.io.tmpdir " + readOnly + " cannot be written; give the "
                        + "JVM a writable java.io.tmpdir on a file system that allows executables (in a container with "
                        + "a read-only root file system, a volume at /tmp), or name such a directory with "
                        + "-Djna.tmpdir=DIR" + RUNS_WITHOUT, line);
            }
        }
    }

    /**
     * Root with every capability, but under a seccomp filter that denies bpf() (as a container runtime's default
     * profile does without extra privileges): the line names the filter instead of asking for root.
     */
    @Test
    void aSeccompFilterThatDeniesBpfIsNamedAndTheApplicationRuns() throws Exception {
        List<String> commands = List.of("tcp 2", "exit 3");
        try (TestCgroup cgroup = TestCgroup.create("seccomp");
             ChildJvm plain = inMountNamespace("true", cgroup, withoutBpfSyscall(java(null, 0)))) {
            int plainExit = run(plain, commands);
            try (ChildJvm child = inMountNamespace("true", cgroup, withoutBpfSyscall(java("", 0)))) {
                child.awaitStdout(l -> l.startsWith("ready"), TIMEOUT_MS);
                String line = child.awaitStderr(l -> l.startsWith(DISABLED), TIMEOUT_MS);
                int agentExit = run(child, commands);

                assertUnchangedButForOneLine(plain, plainExit, child, agentExit, line);
                assertTrue(line.startsWith(DISABLED + "the kernel refused to load the BPF programs (1 Operation not "
                        + "permitted): this process has the capabilities, but runs under a seccomp filter (Seccomp: 2 "
                        + "in /proc/self/status)"), line);
                assertTrue(line.endsWith("systemd SystemCallFilter=)" + RUNS_WITHOUT), line);
            }
        }
    }

    /**
     * The java command under a seccomp filter that answers bpf() (321 on x86-64) with EPERM and allows the rest,
     * installed by python3 (with no_new_privs, as any unprivileged filter) before it executes java.
     */
    private static List<String> withoutBpfSyscall(List<String> java) {
        String script = String.join("\n",
                "import ctypes, os, struct, sys",
                "libc = ctypes.CDLL(None, use_errno=True)",
                "ins = lambda code, jt, jf, k: struct.pack('HBBI', code, jt, jf, k)",
                "prog = ins(0x20, 0, 0, 0) + ins(0x15, 0, 1, 321)", // load the number; bpf()?
                "prog += ins(0x06, 0, 0, 0x00050001) + ins(0x06, 0, 0, 0x7fff0000)", // EPERM : allow
                "buf = ctypes.create_string_buffer(prog)",
                "class Fprog(ctypes.Structure): _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.c_void_p)]",
                "fprog = Fprog(4, ctypes.cast(buf, ctypes.c_void_p))",
                "assert libc.prctl(38, 1, 0, 0, 0) == 0",
                "assert libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) == 0",
                "os.execvp(sys.argv[1], sys.argv[1:])");
        List<String> command = new ArrayList<>(List.of("python3", "-c", script));
        command.addAll(java);
        return command;
    }

    /**
     * The application with the agent ran as without it (exit code 3, the same output), and the agent's stderr is
     * {@code line} alone.
     */
    private static void assertUnchangedButForOneLine(ChildJvm plain, int plainExit, ChildJvm child, int agentExit,
            String line) {
        assertEquals(3, plainExit, plain.describe());
        assertEquals(plainExit, agentExit, child.describe());
        assertEquals(normalized(plain.stdout()), normalized(child.stdout()), "the application's own output");
        assertEquals("", plain.stderr());
        assertEquals(line + "\n", child.stderr(), "one line, no stack trace");
    }

    /** The java command with its home and temporary directory at {@code directory}, and no XDG cache of its own. */
    private static List<String> withHomeAndTmp(Path directory, List<String> java) {
        List<String> command = new ArrayList<>(List.of("env", "-u", "XDG_CACHE_HOME", java.get(0),
                "-Duser.home=" + directory, "-Djava.io.tmpdir=" + directory));
        command.addAll(java.subList(1, java.size()));
        return command;
    }

    @Test
    void aBtfFileThatIsNotThereOrIsNotBtfIsOneLineAndTheApplicationRuns() throws Exception {
        Path missing = dir.resolve("no-such-vmlinux.btf");
        try (ChildJvm once = ChildJvm.builder(APP, "--once").agent(ChildJvm.agentJar(), "btf=" + missing).start()) {
            assertEquals(AgentTestApp.ONCE_EXIT_CODE, once.waitFor(TIMEOUT_MS), once.describe());
            assertTrue(once.stdout().startsWith("the application ran, pid "), once.describe());
            assertEquals(DISABLED + "agent option btf: file '" + missing + "' not found; give the BTF file of this "
                    + "kernel (a vmlinux with .BTF, or a raw BTF file such as BTFHub's), or leave btf out to use "
                    + "/sys/kernel/btf/vmlinux" + RUNS_WITHOUT + "\n", once.stderr(),
                    "refused when the options are read");
        }

        Path notBtf = Files.writeString(dir.resolve("notes.txt"), "not BTF at all\n");
        Set<Long> before = AttachedPrograms.ours();
        int jmxPort = Http.freePort();
        try (TestCgroup cgroup = TestCgroup.create("notbtf");
             ChildJvm child = inMountNamespace("true", cgroup, java("btf=" + notBtf, jmxPort))) {
            String line = child.awaitStderr(l -> l.startsWith(DISABLED), TIMEOUT_MS);
            assertEquals(DISABLED + "the BTF file " + notBtf + " cannot be used (neither raw BTF nor an ELF file with "
                    + "a .BTF section); give the BTF of the running kernel: a raw BTF file (e.g. from BTFHub) or a "
                    + "vmlinux with a .BTF section" + RUNS_WITHOUT, line);
            try (JMXConnector jmx = connect(jmxPort)) {
                MBeanServerConnection server = jmx.getMBeanServerConnection();
                Await.until(() -> state(server).equals("DISABLED"), "the disabled agent's MBean");
                assertTrue(((String) server.getAttribute(MONITOR, "Status")).startsWith("DISABLED: the BTF file "));
            }
            assertEquals(0, run(child, List.of("tcp 1", "exit 0")), child.describe());
            assertEquals(line + "\n", child.stderr(), "one line");
        }
        assertEquals(Set.of(), AttachedPrograms.leftOver(before), "nothing loaded, nothing left");
    }

    @Test
    void withoutTheKernelsBtfTheBtfOptionRunsOnTheTracepointTiersWithExactCounts() throws Exception {
        Path btf = Files.copy(Paths.get("/sys/kernel/btf/vmlinux"), dir.resolve("vmlinux.btf"));
        Set<Long> before = AttachedPrograms.ours();
        ReportFile report = new ReportFile(dir.resolve("btf.jsonl"));
        try (TestCgroup cgroup = TestCgroup.create("btffile")) {
            try (ChildJvm child = inMountNamespace(HIDE_KERNEL_BTF, cgroup,
                    java("btf=" + btf + ",report=" + report.path() + ",report.interval=3600", 0))) {
                String start = report.awaitStart(TIMEOUT_MS, child);
                // the classic tracepoint stages its records too
                assertTrue(start.contains("\"tcp-state=tracepoint/sock/inet_sock_set_state (not tp_btf/inet_sock_set_state:"
                        + " needs the kernel's own BTF (/sys/kernel/btf/vmlinux)) [records staged per CPU]\""), start);
                assertTrue(start.contains("\"outbound=cgroup/connect4+connect6\""), start);
                assertEquals(0, run(child, List.of("tcp 3", "exit 0")), child.describe());
                for (String line : child.stderr().split("\n")) {
                    assertTrue(line.startsWith("bpfhook: no ") && line.contains("needs the kernel's own BTF"),
                            "only hooks that need the kernel's BTF are missing: " + child.stderr());
                }
            }
            String last = report.lastReport();
            assertEquals(3, number(last, "outbound_established"), last);
            assertEquals(3, number(last, "inbound_accepted"), last);
            assertEquals(6, number(last, "closed"), last);
            assertEquals(0, number(last, "events_lost"), last);

            // the same machine without the option: the kernel's BTF is missing, and the line says how to give it
            try (ChildJvm child = inMountNamespace(HIDE_KERNEL_BTF, cgroup, java("", 0))) {
                String line = child.awaitStderr(l -> l.startsWith(DISABLED), TIMEOUT_MS);
                assertEquals(DISABLED + "this kernel has no BTF (/sys/kernel/btf/vmlinux is missing), which CO-RE "
                        + "programs need; use a kernel built with CONFIG_DEBUG_INFO_BTF=y (5.8 or later), or give this "
                        + "kernel's BTF in a file (agent option btf=FILE, monitor option --btf FILE)" + RUNS_WITHOUT, line);
                assertEquals(0, run(child, List.of("tcp 1", "exit 0")), child.describe());
                assertEquals(line + "\n", child.stderr());
            }

            // and without tracefs too, the TCP state hook has no tier left: disabled, saying both reasons
            try (ChildJvm child = inMountNamespace(HIDE_KERNEL_BTF + " && " + HIDE_TRACEFS, cgroup,
                    java("btf=" + btf, 0))) {
                String line = child.awaitStderr(l -> l.startsWith(DISABLED), TIMEOUT_MS);
                assertTrue(line.startsWith(DISABLED + "cannot attach the tcp-state hook: tp_btf/inet_sock_set_state: "
                        + "needs the kernel's own BTF (/sys/kernel/btf/vmlinux); tracepoint/sock/inet_sock_set_state: "), line);
                assertTrue(line.endsWith("(tracefs is not mounted: mount -t tracefs nodev /sys/kernel/tracing)"
                        + RUNS_WITHOUT), line);
                assertEquals(0, run(child, List.of("tcp 1", "exit 0")), child.describe());
                assertEquals(line + "\n", child.stderr());
            }
        }
        assertEquals(Set.of(), AttachedPrograms.leftOver(before), "programs left after the JVMs exited");
    }

    /**
     * Without tracefs the classic tracepoints cannot attach, the accept syscalls' among them; an agent
     * watching its cgroup does not need them: its accept hook is the cgroup's own (getpeername).
     */
    @Test
    void withoutTracefsTheAgentStillAttributesAcceptsAndCountsExactly() throws Exception {
        Set<Long> before = AttachedPrograms.ours();
        ReportFile report = new ReportFile(dir.resolve("notracefs.jsonl"));
        try (TestCgroup cgroup = TestCgroup.create("notracefs");
             ChildJvm child = inMountNamespace(HIDE_TRACEFS, cgroup,
                     java("report=" + report.path() + ",report.interval=3600", 0))) {
            String start = report.awaitStart(TIMEOUT_MS, child);
            // the cgroup's own tier, or where the kernel has them, the trampoline's or the kprobe's: never unavailable
            assertTrue(start.contains("\"accept=cgroup/getpeername4+getpeername6 ")
                    || start.contains("\"accept=fexit/inet_csk_accept") || start.contains("\"accept=kretprobe/"), start);
            assertTrue(start.contains("\"tcp-state=tp_btf/inet_sock_set_state [records staged per CPU]\""), start);
            assertEquals(0, run(child, List.of("tcp 3", "exit 0")), child.describe());
            assertEquals("", child.stderr(), "no hook is missing");
        }
        String last = report.lastReport();
        assertEquals(3, number(last, "outbound_established"), "exact without tracefs: " + last);
        assertEquals(3, number(last, "connect_attempts"), last);
        assertEquals(3, number(last, "inbound_accepted"), "inbound still counted: " + last);
        assertEquals(6, number(last, "closed"), last);
        assertEquals(0, number(last, "events_lost"), last);
        assertEquals(Set.of(), AttachedPrograms.leftOver(before), "programs left after the JVM exited");
    }

    /**
     * A namespace deleted while the agent runs: nothing in the agent holds it, so the kernel frees it; its
     * counts stay in the totals and its NetworkNamespace MBean stays, with its last counts, until the agent
     * stops (a namespace's cookie is never reused, so the MBean cannot come to mean another namespace).
     */
    @Test
    void aNetworkNamespaceThatDisappearsKeepsItsCountsAndItsMBean() throws Exception {
        String netns = "bpfhook-it-" + ProcessHandle.current().pid();
        Set<Long> before = AttachedPrograms.ours();
        int jmxPort = Http.freePort();
        try (TestCgroup cgroup = TestCgroup.create("netnsgone");
             ChildJvm child = inMountNamespace("true", cgroup, java("", jmxPort))) {
            JMXConnector jmx = connectWhenUp(child, jmxPort);
            try {
                MBeanServerConnection server = jmx.getMBeanServerConnection();
                Await.until(() -> state(server).equals("RUNNING") || state(server).equals("DEGRADED"),
                        "the agent running");
                ip("netns", "add", netns);
                // a process of the child's cgroup, inside the new namespace, makes 3 loopback exchanges there
                // (it joins the cgroup first: ip netns exec mounts a sysfs of the namespace, without cgroup2)
                try (ChildJvm worker = ChildJvm.command(List.of("sh", "-c", "echo $$ > \"$0\" && exec \"$@\"",
                        cgroup.directory().resolve("cgroup.procs").toString(), "ip", "netns", "exec", netns,
                        "sh", "-c", "ip link set lo up && exec \"$@\"", "sh",
                        ChildJvm.java().toString(), "-cp", ChildJvm.testClasses().toString(), APP))) {
                    assertEquals(0, run(worker, List.of("tcp 3", "exit 0")), worker.describe());
                }

                ObjectName namespace = awaitForeignNamespace(server);
                Await.until(() -> longAttribute(server, namespace, "OutboundConnections") == 3,
                        "3 outbound connections in the namespace");
                assertEquals(3L, server.getAttribute(namespace, "InboundConnections"));
                assertEquals(0L, server.getAttribute(namespace, "ActiveConnections"));
                assertEquals(3L, server.getAttribute(MONITOR, "OutboundConnections"));

                ip("netns", "delete", netns);
                assertFalse(ip("netns", "list").contains(netns), "the namespace is gone");
                // the MBean sweep that registers a cgroup first seen after the namespace went has, in the same
                // pass and from the same snapshot, kept or dropped the namespace's MBean
                Path marker = Files.createDirectory(cgroup.directory().resolve("marker"));
                refusedConnectIn(marker);
                ObjectName markerMBean = name("bpfhook:type=Cgroup,path=" + ObjectName.quote(cgroupPath(marker))
                        + ",*");
                Await.until(() -> registered(server, markerMBean), "the marker cgroup's MBean");
                assertTrue(server.isRegistered(namespace), "its MBean stays");
                assertEquals(3L, server.getAttribute(namespace, "OutboundConnections"), "with its counts");
                assertEquals(3L, server.getAttribute(namespace, "InboundConnections"));
                assertEquals(6L, server.getAttribute(namespace, "TotalConnections"));

                child.send("tcp 2");
                child.awaitStdout(l -> l.equals("done tcp 2"), TIMEOUT_MS);
                Await.until(() -> longAttribute(server, MONITOR, "OutboundConnections") == 5,
                        "the agent counts on: 3 in the gone namespace and 2 in its own");
                assertEquals("RUNNING", server.getAttribute(MONITOR, "Status"));
            } finally {
                deleteNetnsQuietly(netns);
                jmx.close();
            }
            child.send("exit 0");
            assertEquals(0, child.waitFor(TIMEOUT_MS), child.describe());
            assertEquals("", child.stderr(), "no warning, no exception");
            assertFalse(child.stdout().contains("Exception"), child.stdout());
        }
        assertEquals(Set.of(), AttachedPrograms.leftOver(before), "programs left after the JVM exited");
    }

    // ---- helpers ----

    /** java with the agent ({@code null}: without; jolokia off) and, when jmxPort > 0, remote JMX on loopback. */
    private static List<String> java(String agentOptions, int jmxPort) {
        List<String> command = new ArrayList<>(List.of(ChildJvm.java().toString()));
        if (agentOptions != null) {
            command.add("-javaagent:" + ChildJvm.agentJar() + "="
                    + (agentOptions.isEmpty() ? "jolokia=off" : agentOptions + ",jolokia=off"));
        }
        if (jmxPort > 0) {
            command.addAll(List.of("-Dcom.sun.management.jmxremote.port=" + jmxPort,
                    "-Dcom.sun.management.jmxremote.rmi.port=" + jmxPort,
                    "-Dcom.sun.management.jmxremote.host=127.0.0.1", "-Djava.rmi.server.hostname=127.0.0.1",
                    "-Dcom.sun.management.jmxremote.authenticate=false", "-Dcom.sun.management.jmxremote.ssl=false"));
        }
        command.addAll(List.of("-cp", ChildJvm.testClasses().toString(), APP));
        return command;
    }

    /**
     * The command in a mount namespace of its own (private: nothing propagates back, and it ends with the
     * process), after {@code setup} there, in {@code cgroup}. unshare and sh exec, so the pid is java's.
     */
    private static ChildJvm inMountNamespace(String setup, TestCgroup cgroup, List<String> command)
            throws IOException {
        List<String> all = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "{ " + setup + "; } && echo $$ > \"$0\" && exec \"$@\"",
                cgroup.directory().resolve("cgroup.procs").toString()));
        all.addAll(command);
        return ChildJvm.command(all);
    }

    /** Sends the AgentTestApp commands one by one, each after the answer to the one before; the exit code. */
    private static int run(ChildJvm child, List<String> commands) throws Exception {
        child.awaitStdout(l -> l.startsWith("ready"), TIMEOUT_MS);
        for (String command : commands) {
            child.send(command);
            if (command.startsWith("tcp")) {
                child.awaitStdout(l -> l.equals("done " + command), TIMEOUT_MS);
            }
        }
        return child.waitFor(TIMEOUT_MS);
    }

    /** A process in {@code cgroup} tries one TCP connect to a loopback port nothing listens on. */
    private static void refusedConnectIn(Path cgroup) throws Exception {
        int closed = Http.freePort();
        Process p = new ProcessBuilder("sh", "-c", "echo $$ > \"$0\"/cgroup.procs && exec bash -c "
                + "'exec 3<>/dev/tcp/127.0.0.1/" + closed + "' 2>/dev/null", cgroup.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("a connect attempt in " + cgroup + " did not end");
        }
        assertEquals(1, p.exitValue(), "the connect to " + closed + " is refused: " + out);
    }

    /** A cgroup's path as the agent names it: below the cgroup v2 mount, from "/". */
    private static String cgroupPath(Path cgroup) {
        Path mount = dev.bpfhook.container.CgroupV2.find().orElseThrow().mount();
        return "/" + mount.relativize(cgroup);
    }

    /** The files libbpf.so.1 and .so.0 resolve to, as the dynamic loader finds them. */
    private static Set<Path> installedLibbpf() throws Exception {
        Process ldconfig = new ProcessBuilder("ldconfig", "-p").redirectErrorStream(true).start();
        String out = new String(ldconfig.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(ldconfig.waitFor(30, TimeUnit.SECONDS));
        Set<Path> files = new TreeSet<>();
        for (String line : out.split("\n")) {
            String trimmed = line.trim();
            int arrow = trimmed.indexOf("=> ");
            if ((trimmed.startsWith("libbpf.so.1 ") || trimmed.startsWith("libbpf.so.0 ")) && arrow > 0) {
                files.add(Paths.get(trimmed.substring(arrow + 3).trim()).toRealPath());
            }
        }
        return files;
    }

    private static String normalized(String stdout) {
        return stdout.replaceAll("ready \\d+", "ready PID").replaceAll("port \\d+", "port N");
    }

    private static JMXConnector connect(int port) throws Exception {
        JMXServiceURL url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + port + "/jmxrmi");
        JMXConnector[] connector = new JMXConnector[1];
        Await.until(() -> {
            try {
                connector[0] = JMXConnectorFactory.connect(url);
                return true;
            } catch (IOException notYet) {
                return false;
            }
        }, "remote JMX on port " + port);
        return connector[0];
    }

    private static JMXConnector connectWhenUp(ChildJvm child, int port) throws Exception {
        child.awaitStdout(l -> l.startsWith("ready"), TIMEOUT_MS);
        return connect(port);
    }

    private static String state(MBeanServerConnection server) {
        try {
            return server.isRegistered(MONITOR) ? (String) server.getAttribute(MONITOR, "State") : "";
        } catch (Exception e) {
            return "";
        }
    }

    private static boolean registered(MBeanServerConnection server, ObjectName pattern) {
        try {
            return !server.queryNames(pattern, null).isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    private static long longAttribute(MBeanServerConnection server, ObjectName name, String attribute) {
        try {
            return (Long) server.getAttribute(name, attribute);
        } catch (Exception e) {
            return -1;
        }
    }

    /** The NetworkNamespace MBean of a namespace that is not the agent's own, once registered. */
    private static ObjectName awaitForeignNamespace(MBeanServerConnection server) throws Exception {
        ObjectName[] found = new ObjectName[1];
        Await.until(() -> {
            try {
                for (ObjectName n : server.queryNames(name("bpfhook:type=NetworkNamespace,*"), null)) {
                    if (!(Boolean) server.getAttribute(n, "OwnNamespace")) {
                        found[0] = n;
                        return true;
                    }
                }
            } catch (Exception e) {
                return false;
            }
            return false;
        }, "a NetworkNamespace MBean for the test's namespace");
        return found[0];
    }

    private static String ip(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", command));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
        return out;
    }

    private static void deleteNetnsQuietly(String netns) throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "delete", netns).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        p.waitFor(30, TimeUnit.SECONDS);
    }

    private static ObjectName name(String text) {
        try {
            return new ObjectName(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }
}
