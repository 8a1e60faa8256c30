package dev.bpfhook.kernel;

import java.nio.ByteBuffer;

/** Receives ring-buffer records in place; the bytes are valid only during the call. */
@FunctionalInterface
public interface RecordSink {
    /**
     * @param ring   read-only, native-order view of the ring's data
     * @param offset where the record's payload starts in {@code ring}
     * @param length payload length in bytes
     */
    void accept(ByteBuffer ring, int offset, int length);
}
