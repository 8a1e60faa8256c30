import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * The application of the startup benchmark. Prints one line and exits at once: how long the JVM ran
 * before main() (its uptime at the first line of main, in ms), its peak resident memory so far
 * (VmHWM, in kB) and the microseconds bpfhook's premain took, as the agent reports it in the system
 * property dev.bpfhook.agent.premainMicros (-1 without the agent). With an argument, it then lives
 * that many milliseconds more, so that an agent that loads in the background finishes (and costs).
 */
public class StartupHello {
    public static void main(String[] args) throws Exception {
        long uptime = ManagementFactory.getRuntimeMXBean().getUptime();
        long hwm = -1;
        for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                hwm = Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        System.out.println(uptime + " " + hwm + " " + System.getProperty("dev.bpfhook.agent.premainMicros", "-1"));
        if (args.length > 0) {
            Thread.sleep(Long.parseLong(args[0]));
        }
    }
}
