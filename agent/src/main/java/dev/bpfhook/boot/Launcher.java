package dev.bpfhook.boot;

import java.lang.reflect.InvocationTargetException;

/**
 * {@code java -jar bpfhook-agent.jar ...}: the standalone monitor,
 * {@code attach PID [OPTIONS]}, {@code detach PID}, {@code traffic-gen ...} (the test traffic
 * generator), {@code bench-pipeline ...} (the event pipeline benchmark) or {@code bench-clock ...} (what
 * the kernel's run-time statistics add to each run). Runs the command from the agent's own class
 * loader, the same code the -javaagent path runs.
 */
public final class Launcher {
    private Launcher() {
    }

    public static void main(String[] args) throws Throwable {
        ClassLoader loader = new AgentClassLoader(AgentClassLoader.agentJar(), ClassLoader.getSystemClassLoader());
        String command = "dev.bpfhook.cli.Main";
        String[] commandArgs = args;
        if (args.length > 0 && args[0].equals("attach")) {
            command = "dev.bpfhook.cli.AttachCommand";
        } else if (args.length > 0 && args[0].equals("detach")) {
            command = "dev.bpfhook.cli.DetachCommand";
        } else if (args.length > 0 && args[0].equals("traffic-gen")) {
            command = "dev.bpfhook.tools.TrafficGenerator";
            commandArgs = java.util.Arrays.copyOfRange(args, 1, args.length);
        } else if (args.length > 0 && args[0].equals("bench-pipeline")) {
            command = "dev.bpfhook.cli.PipelineBenchmark";
            commandArgs = java.util.Arrays.copyOfRange(args, 1, args.length);
        } else if (args.length > 0 && args[0].equals("bench-clock")) {
            command = "dev.bpfhook.cli.StatisticsClockBenchmark";
            commandArgs = java.util.Arrays.copyOfRange(args, 1, args.length);
        }
        try {
            Class.forName(command, true, loader).getMethod("main", String[].class).invoke(null, (Object) commandArgs);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
