package dev.bpfhook.cli;

import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import dev.bpfhook.boot.AgentEntry;
import dev.bpfhook.jmx.JmxExporter;
import java.io.IOException;
import java.io.PrintStream;
import javax.management.JMException;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.RuntimeMBeanException;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * {@code java -jar bpfhook-agent.jar detach PID}: takes the agent out of a running JVM, which runs on. It calls
 * the agent's own {@code detach} operation through the JVM's local JMX connector (the one JConsole starts when
 * it connects to a local process), so that it works with whichever agent jar was loaded, and loads no agent
 * (which JDK 21 and later would warn of).
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
            err.println("bpfhook: cannot attach to process " + pid + ": " + e.getMessage()
                    + "; it must be a running JVM (11 or later) of the same user, or run this as root");
            return Main.USER_ERROR;
        } catch (IOException e) {
            err.println("bpfhook: talking to process " + pid + " failed: " + e);
            return Main.USER_ERROR;
        }
    }

    private static int detach(VirtualMachine vm, String pid, PrintStream out, PrintStream err) throws IOException {
        if (vm.getSystemProperties().getProperty(AgentEntry.LOADED_PROPERTY) == null) {
            err.println("bpfhook: process " + pid + " runs no bpfhook agent: nothing to detach");
            return Main.USER_ERROR;
        }
        try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(vm.startLocalManagementAgent()))) {
            MBeanServerConnection server = connector.getMBeanServerConnection();
            ObjectName monitor = JmxExporter.monitorName();
            if (!server.isRegistered(monitor)) {
                err.println("bpfhook: the agent in process " + pid + " has no " + monitor + " MBean (it runs with "
                        + "jmx=off, or is still loading), so it cannot be detached; try again in a moment, or restart "
                        + "the service without the agent");
                return Main.USER_ERROR;
            }
            String done = (String) server.invoke(monitor, "detach", new Object[0], new String[0]);
            out.println("bpfhook: process " + pid + ": " + done);
            return Main.OK;
        } catch (RuntimeMBeanException e) { // the agent's refusal: not running, detached already, the JVM exits
            err.println("bpfhook: process " + pid + " did not detach the agent: " + e.getTargetException().getMessage());
            return Main.USER_ERROR;
        } catch (JMException e) {
            err.println("bpfhook: process " + pid + " did not detach the agent: " + e);
            return Main.USER_ERROR;
        }
    }
}
