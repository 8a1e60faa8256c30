package dev.bpfhook.cli;

import dev.bpfhook.config.ConfigException;
import dev.bpfhook.config.MonitorConfig;
import dev.bpfhook.config.MonitorOptions;
import dev.bpfhook.container.CgroupScope;
import dev.bpfhook.kernel.BpfException;
import dev.bpfhook.kernel.Capabilities;
import java.io.PrintStream;
import java.util.Optional;

/**
 * {@code java -jar bpfhook-agent.jar [options]}: the standalone monitor.
 * Exit codes: 0 done, 2 a problem the user can fix (the one line on stderr
 * says how), 1 an internal error.
 */
public final class Main {
    static final int OK = 0;
    static final int INTERNAL_ERROR = 1;
    static final int USER_ERROR = 2;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        MonitorConfig config;
        try {
            config = MonitorOptions.parse(args);
        } catch (ConfigException e) {
            err.println("bpfhook: " + e.getMessage());
            return USER_ERROR;
        }
        if (config.help()) {
            out.println(MonitorOptions.USAGE);
            return OK;
        }
        Optional<String> privileges = Capabilities.problem();
        if (privileges.isPresent()) {
            err.println("bpfhook: " + privileges.get());
            return USER_ERROR;
        }
        try {
            CgroupScope scope = CgroupScope.resolve(config.cgroup());
            return new StandaloneMonitor(config, scope, out, err).run();
        } catch (ConfigException e) {
            err.println("bpfhook: " + e.getMessage());
            return USER_ERROR;
        } catch (BpfException e) {
            err.println("bpfhook: " + e.getMessage());
            if (config.verbose() && !e.detail().isEmpty()) {
                err.print(e.detail());
            }
            return USER_ERROR;
        } catch (RuntimeException | LinkageError e) {
            err.println("bpfhook: internal error: " + e + " (please report it with the output of --verbose)");
            if (config.verbose()) {
                e.printStackTrace(err);
            }
            return INTERNAL_ERROR;
        }
    }
}
