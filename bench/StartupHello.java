import java.lang.management.ManagementFactory;

/**
 * The application of the startup benchmark: prints how long the JVM ran before
 * main() (JVM uptime at the first line of main), then exits at once.
 */
public class StartupHello {
    public static void main(String[] args) {
        System.out.println(ManagementFactory.getRuntimeMXBean().getUptime());
    }
}
