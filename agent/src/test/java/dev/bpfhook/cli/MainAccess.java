package dev.bpfhook.cli;

import java.io.PrintStream;

/** Lets tests in other packages run the standalone monitor in-process. */
public final class MainAccess {
    private MainAccess() {
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        return Main.run(args, out, err);
    }
}
