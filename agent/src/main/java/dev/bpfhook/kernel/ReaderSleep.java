package dev.bpfhook.kernel;

import com.sun.jna.Pointer;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The programs' reader_sleeps flag (in .bss): while it is set, a record is committed with the kernel's own
 * wakeup rule (the reader is woken for the first record it has not read) instead of none, so that the ring's
 * consumer can sleep long while nothing comes instead of polling. Written through a mapping of .bss: a
 * single store, twice a second at most, where {@link BpfObject#setBssInt} reads and writes back the whole .bss
 * through the map (two system calls) and could undo what the programs write there meanwhile
 * (found_scope_level).
 */
public final class ReaderSleep implements AutoCloseable {
    private static final VarHandle INTS = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    private final Pointer mapping;
    private final long length;
    private final ByteBuffer bss;
    private final int offset;
    private boolean closed;

    private ReaderSleep(Pointer mapping, long length, int offset) {
        this.mapping = mapping;
        this.length = length;
        this.bss = mapping.getByteBuffer(0, length).order(ByteOrder.nativeOrder());
        this.offset = offset;
    }

    /** Maps the object's .bss; throws where the kernel cannot map it (the consumer then keeps polling). */
    static ReaderSleep open(BpfObject object, int offset) throws BpfException {
        long length = Libs.c().getpagesize();
        Pointer mapping = Libs.mapShared(object.mapFd(".bss"), length, LibC.PROT_READ | LibC.PROT_WRITE, 0,
                "the programs' global variables");
        return new ReaderSleep(mapping, length, offset);
    }

    /**
     * Sets or clears the flag. Setting it is ordered before the caller's next look at the ring (a full
     * fence): a record committed after that look sees the flag and wakes the consumer.
     */
    public void set(boolean sleeping) {
        INTS.setVolatile(bss, offset, sleeping ? 1 : 0);
    }

    /** Whether the flag is set now. */
    public boolean isSet() {
        return (int) INTS.getVolatile(bss, offset) != 0;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Libs.c().munmap(mapping, length);
        }
    }
}
