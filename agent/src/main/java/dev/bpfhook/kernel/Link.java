package dev.bpfhook.kernel;

import com.sun.jna.Pointer;

/**
 * One attached program. A bpf_link is released when its fd closes, also when
 * the process is killed, so nothing of ours outlives the JVM.
 */
final class Link implements AutoCloseable {
    private final String program;
    private Pointer link;

    Link(String program, Pointer link) {
        this.program = program;
        this.link = link;
    }

    String program() {
        return program;
    }

    @Override
    public synchronized void close() {
        if (link != null) {
            try {
                Libs.bpf().bpf_link__destroy(link);
            } catch (BpfException impossible) {
                // libbpf was loaded, or this link could not exist
            }
            link = null;
        }
    }
}
