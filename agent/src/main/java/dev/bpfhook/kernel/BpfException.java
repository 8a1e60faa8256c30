package dev.bpfhook.kernel;

/**
 * A kernel or libbpf operation failed. The message is one line for a person:
 * what failed, why, and how to fix it. {@link #detail()} holds libbpf's log
 * (for a verifier rejection, the verifier's explanation) for --verbose output.
 */
public final class BpfException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int errno;
    private final String detail;

    public BpfException(String message, int errno, String detail) {
        super(message);
        this.errno = errno;
        this.detail = detail == null ? "" : detail;
    }

    public BpfException(String message) {
        this(message, 0, "");
    }

    /** The positive errno that libbpf or the kernel reported, or 0. */
    public int errno() {
        return errno;
    }

    /** libbpf's log lines captured during the operation; may be empty. */
    public String detail() {
        return detail;
    }
}
