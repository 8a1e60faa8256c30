package dev.bpfhook.cli;

import com.sun.tools.attach.AgentInitializationException;
import com.sun.tools.attach.AgentLoadException;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import dev.bpfhook.boot.AgentEntry;
import dev.bpfhook.jmx.JmxExporter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import javax.management.JMException;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.RuntimeMBeanException;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * {@code java -jar bpfhook-agent.jar detach PID}: takes the agent out of a running JVM, which runs on. It calls the
 * agent's own {@code detach} operation through the JVM's local JMX connector (the one JConsole starts when it
 * connects to a local process), which works with whichever agent jar was loaded and loads no agent (which JDK 21
 * and later would warn of). Where that connector cannot be reached (a JVM in another network namespace, as in a
 * container, listens on its own loopback) or the agent has no MBean (jmx=off), it asks the agent through an agent
 * load instead, and reads the answer back from the JVM's system properties.
 */
public final class DetachCommand {
    static final String USAGE = "usage: java -jar bpfhook-agent.jar detach PID";

    private DetachCommand() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length != 2 || !args[0].equals("detach")) {
            err.println("bpfhook: " + USAGE);
            return Main.USER_ERROR;
        }
        String pid = args[1];
        if (!AttachCommand.isProcessId(pid)) {
            err.println("bpfhook: '" + pid + "' is not a process id; " + USAGE);
            return Main.USER_ERROR;
        }
        try {
            VirtualMachine vm = VirtualMachine.attach(pid);
            try {
                return detach(vm, pid, out, err);
            } finally {
                vm.detach();
            }
        } catch (AttachNotSupportedException e) {
            err.println(AttachCommand.cannotAttach(pid, e));
            return Main.USER_ERROR;
        } catch (AgentLoadException | AgentInitializationException e) {
            err.println("bpfhook: process " + pid + " refused the detach request: " + e.getMessage());
            return Main.USER_ERROR;
        } catch (IOException e) {
            err.println("bpfhook: talking to process " + pid + " failed: " + e);
            return Main.USER_ERROR;
        }
    }

    private static int detach(VirtualMachine vm, String pid, PrintStream out, PrintStream err)
            throws IOException, AgentLoadException, AgentInitializationException {
        Properties properties = vm.getSystemProperties();
        if (properties.getProperty(AgentEntry.LOADED_PROPERTY) == null) {
            err.println("bpfhook: process " + pid + " runs no bpfhook agent: nothing to detach");
            return Main.USER_ERROR;
        }
        if (sameNetworkNamespace(pid)) {
            Optional<Integer> done = throughJmx(vm, pid, out, err);
            if (done.isPresent()) {
                return done.get();
            }
        }
        return throughAgentLoad(vm, pid, properties, out, err);
    }

    /** Through the agent's MBean; empty when it has none (jmx=off, or still loading). */
    private static Optional<Integer> throughJmx(VirtualMachine vm, String pid, PrintStream out, PrintStream err)
            throws IOException {
        try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(vm.startLocalManagementAgent()))) {
            MBeanServerConnection server = connector.getMBeanServerConnection();
            ObjectName monitor = JmxExporter.monitorName();
            if (!server.isRegistered(monitor)) {
                return Optional.empty();
            }
            String done = (String) server.invoke(monitor, "detach", new Object[0], new String[0]);
            out.println("bpfhook: process " + pid + ": " + done);
            return Optional.of(Main.OK);
        } catch (RuntimeMBeanException e) { // the agent's refusal: not running, detached already, the JVM exits
            err.println("bpfhook: process " + pid + " did not detach the agent: "
                    + e.getTargetException().getMessage());
            return Optional.of(Main.USER_ERROR);
        } catch (JMException e) {
            err.println("bpfhook: process " + pid + " did not detach the agent: " + e);
            return Optional.of(Main.USER_ERROR);
        }
    }

    private static int throughAgentLoad(VirtualMachine vm, String pid, Properties properties, PrintStream out,
            PrintStream err) throws IOException, AgentLoadException, AgentInitializationException {
        String note = AttachCommand.dynamicLoadingNote(vm, pid, properties);
        TargetJar jar = TargetJar.place(Paths.get(AttachCommand.agentJar()), pid, properties);
        String token = UUID.randomUUID().toString();
        vm.loadAgent(jar.path(), AgentEntry.DETACH_REQUEST + token);
        String answer = vm.getSystemProperties().getProperty(AgentEntry.DETACH_RESULT_PROPERTY, "");
        if (note != null) {
            out.println(note);
        }
        if (!answer.startsWith(token + " ")) {
            err.println("bpfhook: process " + pid + " did not say whether it detached the agent; its stderr may");
            return Main.INTERNAL_ERROR;
        }
        String result = answer.substring(token.length() + 1);
        if (!result.startsWith("detached")) {
            err.println("bpfhook: process " + pid + " did not detach the agent: " + result);
            return Main.USER_ERROR;
        }
        out.println("bpfhook: process " + pid + ": " + result);
        return Main.OK;
    }

    /** Whether the target shares this process's network namespace; yes when that cannot be told. */
    private static boolean sameNetworkNamespace(String pid) {
        try {
            return Files.readSymbolicLink(Paths.get("/proc/self/ns/net"))
                    .equals(Files.readSymbolicLink(Paths.get("/proc", pid, "ns", "net")));
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return true;
        }
    }
}
