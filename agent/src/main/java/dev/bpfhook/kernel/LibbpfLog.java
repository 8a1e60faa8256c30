package dev.bpfhook.kernel;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.util.ArrayList;
import java.util.List;

/**
 * Captures libbpf's messages instead of letting them reach the application's
 * stderr. A verifier rejection comes back from libbpf as -EACCES, which reads
 * like a permission problem; the log it prints says what really went wrong, so
 * it is kept and attached to the exception.
 */
final class LibbpfLog {
    private static final int LIBBPF_WARN = 0;
    private static final int MAX_LINES = 2000;

    private static final List<String> lines = new ArrayList<>();
    /** Held strongly: libbpf keeps only the native stub. */
    private static LibBpf.PrintFn callback;

    private LibbpfLog() {
    }

    static synchronized void install(LibBpf bpf) {
        if (callback != null) {
            return;
        }
        callback = LibbpfLog::print;
        bpf.libbpf_set_print(callback);
    }

    /** Takes and clears what libbpf logged since the last call. */
    static synchronized String drain() {
        String text = String.join("", lines);
        lines.clear();
        return text;
    }

    private static int print(int level, Pointer format, Pointer vaList) {
        if (level != LIBBPF_WARN) {
            return 0;
        }
        // va_list is single-use: format it exactly once
        PointerByReference out = new PointerByReference();
        LibC c = Libs.c();
        if (c.vasprintf(out, format, vaList) < 0 || out.getValue() == null) {
            return 0;
        }
        String message = out.getValue().getString(0);
        c.free(out.getValue());
        synchronized (LibbpfLog.class) {
            if (lines.size() < MAX_LINES) {
                lines.add(message.endsWith("\n") ? message : message + "\n");
            }
        }
        return 0;
    }
}
