package dev.bpfhook.cli;

import com.sun.tools.attach.AgentInitializationException;
import com.sun.tools.attach.AgentLoadException;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import dev.bpfhook.config.AgentOptions;
import dev.bpfhook.config.ConfigException;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Paths;
import java.security.CodeSource;
import java.util.Properties;

/**
 * {@code java -jar bpfhook-agent.jar attach PID [OPTIONS]}: loads this jar as
 * an agent into a running JVM through the Attach API. The options are checked
 * here first, so a typo is reported to the operator, not to the target's stderr.
 */
public final class AttachCommand {
    static final String USAGE = "usage: java -jar bpfhook-agent.jar attach PID [OPTIONS]  "
            + "(OPTIONS: key=value,... as for -javaagent; see README.md)";

    private static final int FIRST_JDK_WARNING_OF_DYNAMIC_AGENTS = 21;

    private AttachCommand() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length < 2 || args.length > 3 || !args[0].equals("attach")) {
            err.println("bpfhook: " + USAGE);
            return Main.USER_ERROR;
        }
        String pid = args[1];
        if (!isProcessId(pid)) {
            err.println("bpfhook: '" + pid + "' is not a process id; " + USAGE);
            return Main.USER_ERROR;
        }
        String options = args.length == 3 ? args[2] : "";
        try {
            AgentOptions.parse(options);
            // checked here against this directory: the target must read the same files, from its own
            options = AgentOptions.withAbsoluteFiles(options, Paths.get("").toAbsolutePath());
        } catch (ConfigException e) {
            err.println("bpfhook: " + e.getMessage());
            return Main.USER_ERROR;
        }
        String jar;
        try {
            jar = agentJar();
        } catch (IOException e) {
            err.println("bpfhook: " + e.getMessage());
            return Main.INTERNAL_ERROR;
        }
        String dynamicLoadingNote;
        TargetJar targetJar;
        try {
            VirtualMachine vm = VirtualMachine.attach(pid);
            try {
                Properties properties = vm.getSystemProperties();
                dynamicLoadingNote = dynamicLoadingNote(vm, pid, properties);
                targetJar = TargetJar.place(Paths.get(jar), pid, properties);
                vm.loadAgent(targetJar.path(), options);
            } finally {
                vm.detach();
            }
        } catch (AttachNotSupportedException e) {
            err.println(cannotAttach(pid, e));
            return Main.USER_ERROR;
        } catch (AgentLoadException | AgentInitializationException e) {
            err.println("bpfhook: process " + pid + " refused the agent: " + e.getMessage());
            return Main.USER_ERROR;
        } catch (IOException e) {
            err.println("bpfhook: attaching to process " + pid + " failed: " + e.getMessage());
            return Main.USER_ERROR;
        }
        out.println("bpfhook: agent loaded into process " + pid + "; its stderr shows what the agent says");
        targetJar.note(pid, AgentOptions.namesFiles(options)).ifPresent(out::println);
        if (dynamicLoadingNote != null) {
            out.println(dynamicLoadingNote);
        }
        return Main.OK;
    }

    /** The one line for a process that the Attach API cannot reach; detach says the same. */
    static String cannotAttach(String pid, AttachNotSupportedException e) {
        return "bpfhook: cannot attach to process " + pid + ": " + e.getMessage()
                + "; it must be a running JVM (11 or later) of the same user, or run this as root";
    }

    static boolean isProcessId(String text) {
        return text.matches("[1-9][0-9]{0,9}");
    }

    /**
     * What to tell the operator when the target's JDK writes its own warning about an agent loaded into a
     * running JVM (JEP 451: JDK 21 and later, unless the JVM was started with -XX:+EnableDynamicAgentLoading)
     * into the application's stderr, where it would otherwise look like the agent's doing; null when it does
     * not, or the target does not say.
     *
     * @param systemProperties the target's, as the caller read them
     */
    static String dynamicLoadingNote(VirtualMachine vm, String pid, Properties systemProperties) {
        String version = systemProperties.getProperty("java.specification.version", "");
        String jvmArgs;
        try {
            jvmArgs = vm.getAgentProperties().getProperty("sun.jvm.args", "");
        } catch (IOException | RuntimeException e) {
            return null; // only a note: the load itself reports what matters
        }
        if (!warnsOfDynamicLoading(version, jvmArgs)) {
            return null;
        }
        return "bpfhook: note: process " + pid + " runs Java " + version + ", which wrote a warning about an agent "
                + "loaded into a running JVM to its stderr (JEP 451); start it with -XX:+EnableDynamicAgentLoading, "
                + "or give it the agent with -javaagent, to avoid it: a later JDK may refuse the attach without it";
    }

    /** Whether a JVM of this Java version, started with these options, warns when an agent is attached. */
    static boolean warnsOfDynamicLoading(String specificationVersion, String jvmArgs) {
        int feature;
        try {
            feature = Integer.parseInt(specificationVersion.trim());
        } catch (NumberFormatException e) {
            return false; // "1.8" and the like: older than any JDK that warns
        }
        if (feature < FIRST_JDK_WARNING_OF_DYNAMIC_AGENTS) {
            return false;
        }
        // the last of -XX:+ and -XX:- counts, as for any flag given twice
        return jvmArgs.lastIndexOf("-XX:+EnableDynamicAgentLoading")
                <= jvmArgs.lastIndexOf("-XX:-EnableDynamicAgentLoading");
    }

    /** This class is loaded from inside the agent jar: that jar is what the target loads. */
    static String agentJar() throws IOException {
        CodeSource source = AttachCommand.class.getProtectionDomain().getCodeSource();
        try {
            File file = new File(source.getLocation().toURI());
            if (!file.isFile()) {
                throw new IOException("attach works from the agent jar; run java -jar bpfhook-agent.jar attach ...");
            }
            return file.getAbsolutePath();
        } catch (URISyntaxException | NullPointerException | IllegalArgumentException e) {
            throw new IOException("cannot locate the agent jar to load");
        }
    }
}
