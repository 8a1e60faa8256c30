import java.lang.instrument.Instrumentation;

/**
 * A -javaagent that does nothing: what the JVM itself spends to start any agent (open the jar,
 * load java.instrument, call premain), the floor under every agent in the startup benchmark.
 */
public class NoopAgent {
    public static void premain(String options, Instrumentation instrumentation) {
    }
}
