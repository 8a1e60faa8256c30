package dev.bpfhook.kernel;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import dev.bpfhook.nativeaccess.Epoll;
import com.sun.jna.Pointer;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads a BPF ring buffer with no native call per record: the ring is mapped
 * into this process and read with acquire/release ordering, as libbpf's
 * ring_buffer__consume does in C. A native call is made only to sleep (epoll)
 * until the kernel wakes the consumer, or a timeout.
 *
 * <p>Layout (kernel/bpf/ringbuf.c): page 0 holds consumer_pos (ours to write);
 * the next page holds producer_pos, followed by the data, which the kernel maps
 * twice in a row so that a record wrapping the end reads contiguously. Each
 * record has an 8-byte header: a 32-bit length with BUSY and DISCARD flags.
 *
 * <p>One thread consumes; {@link #close()} may come from another thread once
 * that consumer has stopped draining. It may still be asleep in {@link #await}:
 * close() waits for that sleep to end (its timeout at most) before it closes
 * the epoll descriptor, whose number the process may give to another file at once.
 */
public final class RingBuffer implements AutoCloseable {
    private static final int BUSY_BIT = 1 << 31;
    private static final int DISCARD_BIT = 1 << 30;
    private static final int HEADER_SIZE = 8;

    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final VarHandle INTS = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    private final LibC libc = Libs.c();
    private final int mapFd;
    private final long pageSize;
    private final long mask;
    private final Pointer consumerMapping;
    private final Pointer producerMapping;
    private final long producerMappingLength;
    private final ByteBuffer consumerPage;
    private final ByteBuffer producerAndData;
    private final int dataStart;
    private final int epollFd;
    /** An eventfd in the epoll set, written to end a consumer's sleep (see wakeConsumer). */
    private final int wakeFd;
    private final Memory epollEvents = new Memory(16);
    /** Held around each epoll_wait, and by close() to close epollFd: never closed under a sleeping consumer. */
    private final Object epollLock = new Object();
    private boolean epollClosed; // guarded by epollLock
    private long consumerPos;
    /** Where the next read starts: consumerPos, or past it by what {@link #read} handed out and is not released. */
    private long readPos;
    /** Whether the last read took every record reserved before it ended (see caughtUp). */
    private boolean caughtUp = true;
    private boolean closed;
    /** Written by the one consumer only; read by anyone. */
    private volatile long waits;
    private volatile long wokenWaits;

    RingBuffer(int mapFd, int size) throws BpfException {
        if (Integer.bitCount(size) != 1) {
            throw new BpfException("ring buffer size " + size + " is not a power of two");
        }
        this.mapFd = mapFd;
        pageSize = libc.getpagesize();
        mask = size - 1L;
        producerMappingLength = pageSize + 2L * size;
        if (producerMappingLength > Integer.MAX_VALUE) {
            throw new BpfException("ring buffer of " + size + " bytes is too large to map (at most 512 MiB)");
        }
        consumerMapping = Libs.mapShared(mapFd, pageSize, LibC.PROT_READ | LibC.PROT_WRITE, 0, "the ring buffer");
        Pointer producer;
        try {
            producer = Libs.mapShared(mapFd, producerMappingLength, LibC.PROT_READ, pageSize, "the ring buffer");
        } catch (BpfException e) {
            libc.munmap(consumerMapping, pageSize);
            throw e;
        }
        producerMapping = producer;
        consumerPage = consumerMapping.getByteBuffer(0, pageSize).order(ByteOrder.nativeOrder());
        // the kernel maps this part read-only: a write would be SIGSEGV, so make it impossible
        producerAndData = producerMapping.getByteBuffer(0, producerMappingLength).asReadOnlyBuffer()
                .order(ByteOrder.nativeOrder());
        dataStart = (int) pageSize;
        consumerPos = (long) LONGS.getAcquire(consumerPage, 0);
        readPos = consumerPos;
        wakeFd = libc.eventfd(0, LibC.EFD_CLOEXEC);
        try {
            if (wakeFd < 0) {
                throw new BpfException("eventfd failed: " + Libs.errnoText(Native.getLastError()));
            }
            epollFd = createEpoll(mapFd, wakeFd);
        } catch (BpfException e) {
            if (wakeFd >= 0) {
                libc.close(wakeFd);
            }
            libc.munmap(producerMapping, producerMappingLength);
            libc.munmap(consumerMapping, pageSize);
            throw e;
        }
    }

    /**
     * Whether the last read went up to the producers' position as it last saw it: false when it
     * stopped at a record still being written (or after a ring's worth), with records behind it unread. A
     * record is reserved before its program reads the clock for it, so after a read that caught up, every
     * ring record timestamped before the read began has been read.
     */
    public boolean caughtUp() {
        return caughtUp;
    }

    /** Receives a record in place, with the position of its ring record: valid until {@link #release} passes it. */
    @FunctionalInterface
    public interface HeldRecordSink {
        void accept(ByteBuffer ring, int offset, int length, long position);
    }

    /**
     * Hands the committed records after those read before to {@code sink}, in order, and frees nothing: the
     * caller gives their space back with {@link #release} once done with them, so that it can look at records
     * again after reading further. Reads all of them, or one ring's worth when producers keep up with the
     * consumer (so that a caller holding a lock around the read lets go of it in bounded time).
     *
     * <p>A record counts as read before the sink sees it: one whose sink throws is not handed out again.
     *
     * @return the number of records read (discarded ones included)
     */
    public int read(HeldRecordSink sink) {
        long producerPos = (long) LONGS.getAcquire(producerAndData, 0);
        long pos = readPos;
        long limit = consumerPos + mask + 1;
        int count = 0;
        try {
            while (pos < producerPos && pos < limit) {
                int header = dataStart + (int) (pos & mask);
                int lengthWord = (int) INTS.getAcquire(producerAndData, header);
                if ((lengthWord & BUSY_BIT) != 0) {
                    break; // reserved but not yet committed: the next read takes it
                }
                int length = lengthWord & ~(BUSY_BIT | DISCARD_BIT);
                long recordPos = pos;
                pos += (length + HEADER_SIZE + 7) & ~7L;
                count++;
                if ((lengthWord & DISCARD_BIT) == 0) {
                    sink.accept(producerAndData, header + HEADER_SIZE, length, recordPos);
                }
                if (pos >= producerPos) {
                    producerPos = (long) LONGS.getAcquire(producerAndData, 0);
                }
            }
        } finally {
            caughtUp = pos >= producerPos;
            readPos = pos;
        }
        return count;
    }

    /** Where the next {@link #read} starts: the position after the last record read. */
    public long readPosition() {
        return readPos;
    }

    /**
     * Gives the space before {@code position} (a record's position from {@link #read}, or {@link #readPosition})
     * back to the producers: the records there must not be looked at again.
     */
    public void release(long position) {
        if (position > consumerPos && position <= readPos) {
            LONGS.setRelease(consumerPage, 0, position);
            consumerPos = position;
        }
    }

    /** Whether a producer reserved a record after the last read: committed since, or still being written. */
    public boolean hasUnread() {
        return (long) LONGS.getAcquire(producerAndData, 0) > readPos;
    }

    /** Bytes committed or reserved by producers and not yet consumed. */
    public long pendingBytes() {
        return (long) LONGS.getAcquire(producerAndData, 0) - consumerPos;
    }

    /**
     * Sleeps until the kernel wakes the consumer (a backlog crossed the programs' wakeup threshold, or
     * a record came for a consumer that had read everything, as a program without a wakeup flag asks), or
     * until the timeout passes. Returns at once if such a wakeup came since the last sleep: none is lost.
     * Records that wait do not end the sleep by themselves, committed or held unreleased by the caller
     * (see createEpoll).
     */
    public void await(int timeoutMs) {
        int rc;
        synchronized (epollLock) {
            if (epollClosed) {
                return;
            }
            rc = Epoll.epoll_wait(epollFd, epollEvents, 1, timeoutMs);
        }
        waits++; // one writer: the consumer
        if (rc > 0) {
            wokenWaits++;
        }
        if (rc < 0 && Native.getLastError() != LibC.EINTR) {
            // never spin on a broken epoll: fall back to sleeping
            try {
                Thread.sleep(timeoutMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Times the consumer went to sleep in {@link #await}. */
    public long waits() {
        return waits;
    }

    /**
     * Of {@link #waits()}, those that ended before the timeout: the kernel woke the consumer (since its last
     * sleep), or {@link #wakeConsumer} did.
     */
    public long wokenWaits() {
        return wokenWaits;
    }

    /**
     * Bytes between the kernel's producer and consumer positions, as published: unlike
     * {@link #pendingBytes()}, safe from any thread while the ring is open (a producer's view).
     */
    long backlogBytes() {
        return (long) LONGS.getAcquire(producerAndData, 0) - (long) LONGS.getAcquire(consumerPage, 0);
    }

    /** The ring's map, for a producer in this process that writes into it (see BenchProducer). */
    int mapFd() {
        return mapFd;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        synchronized (epollLock) { // after a consumer's sleep in progress
            epollClosed = true;
            libc.close(epollFd);
            libc.close(wakeFd);
        }
        libc.munmap(producerMapping, producerMappingLength);
        libc.munmap(consumerMapping, pageSize);
    }

    /**
     * An epoll set of the ring, edge-triggered: ready once per wakeup by the kernel, and of {@code wakeFd}
     * ({@link #wakeConsumer}), level-triggered. The ring's file is readable whenever its consumer position is
     * behind its producer position, which is also the case while the caller holds records it has read but not
     * released (records kept back until older ones come, see release). Level-triggered, once a wakeup had put
     * the ring in the ready list, every sleep with records held returned at once, and a consumer that held
     * records at each look (as one whose records wait for a CPU's staged ones does under steady load) spun
     * in epoll_wait until one look found nothing held: in a churn with ring=512K, 11,600 returns a second and
     * 20 us of the ring thread's CPU per loopback connection; edge-triggered, 85 and 1.8 us.
     */
    private int createEpoll(int mapFd, int wakeFd) throws BpfException {
        int fd = libc.epoll_create1(LibC.EPOLL_CLOEXEC);
        if (fd < 0) {
            throw new BpfException("epoll_create1 failed: " + Libs.errnoText(Native.getLastError()));
        }
        int errno = epollAdd(fd, mapFd, LibC.EPOLLIN | LibC.EPOLLET);
        if (errno == 0) {
            errno = epollAdd(fd, wakeFd, LibC.EPOLLIN);
        }
        if (errno != 0) {
            libc.close(fd);
            throw new BpfException("epoll_ctl on the ring buffer failed: " + Libs.errnoText(errno));
        }
        return fd;
    }

    /** Adds {@code fd} to the epoll set {@code epollFd} for {@code events}: 0, or the kernel's errno. */
    private int epollAdd(int epollFd, int fd, int events) {
        try (Memory event = new Memory(16)) { // struct epoll_event { u32 events; u64 data; }: events first on every ABI
            event.clear();
            event.setInt(0, events);
            return libc.epoll_ctl(epollFd, LibC.EPOLL_CTL_ADD, fd, event) == 0 ? 0 : Native.getLastError();
        }
    }

    /**
     * Ends the consumer's sleep in {@link #await} now, and makes every later one return at once: for a
     * consumer about to stop, so that its owner need not wait out a long sleep. Any thread.
     */
    public void wakeConsumer() {
        try (Memory one = new Memory(8)) {
            one.setLong(0, 1);
            libc.write(wakeFd, one, 8);
        }
    }
}
