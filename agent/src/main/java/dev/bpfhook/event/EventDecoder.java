package dev.bpfhook.event;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Turns struct bh_event records into {@link ConnectionEvent}s. A record of the
 * wrong size or an unknown kind is not an exception: it returns null, and the
 * caller counts it as a decode error.
 */
public final class EventDecoder {
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;

    /** The buffer must be in native byte order, as the kernel wrote it. */
    public ConnectionEvent decode(ByteBuffer ring, int offset, int length) {
        if (length != Abi.Event.SIZE) {
            return null;
        }
        EventKind kind = EventKind.of(ring.get(offset + Abi.Event.KIND) & 0xff);
        int family = ring.get(offset + Abi.Event.FAMILY) & 0xff;
        if (kind == null || (family != AF_INET && family != AF_INET6)) {
            return null;
        }
        return ConnectionEvent.builder(kind)
                .timestampNs(ring.getLong(offset + Abi.Event.TIMESTAMP_NS))
                .socketCookie(ring.getLong(offset + Abi.Event.SOCKET_COOKIE))
                .cgroupId(ring.getLong(offset + Abi.Event.CGROUP_ID))
                .netnsCookie(ring.getLong(offset + Abi.Event.NETNS_COOKIE))
                .process(ring.getInt(offset + Abi.Event.PID), ring.getInt(offset + Abi.Event.TID), comm(ring, offset))
                .protocol(Protocol.of(ring.get(offset + Abi.Event.PROTOCOL) & 0xff))
                .direction(Direction.of(ring.get(offset + Abi.Event.DIRECTION) & 0xff))
                .local(endpoint(ring, offset + Abi.Event.LOCAL_ADDR, family,
                        ring.getShort(offset + Abi.Event.LOCAL_PORT) & 0xffff))
                .remote(endpoint(ring, offset + Abi.Event.REMOTE_ADDR, family,
                        ring.getShort(offset + Abi.Event.REMOTE_PORT) & 0xffff))
                .states(TcpState.of(ring.get(offset + Abi.Event.OLD_STATE) & 0xff),
                        TcpState.of(ring.get(offset + Abi.Event.NEW_STATE) & 0xff))
                .error(ring.getShort(offset + Abi.Event.ERROR) & 0xffff)
                .closeStats(ring.getLong(offset + Abi.Event.BYTES_SENT), ring.getLong(offset + Abi.Event.BYTES_RECEIVED),
                        ring.getInt(offset + Abi.Event.SRTT_US), ring.getInt(offset + Abi.Event.RETRANSMITS))
                .build();
    }

    private static InetSocketAddress endpoint(ByteBuffer ring, int at, int family, int port) {
        byte[] bytes = new byte[family == AF_INET ? 4 : 16];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = ring.get(at + i);
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(bytes), port);
        } catch (UnknownHostException impossible) {
            throw new AssertionError("4 or 16 bytes are always an address", impossible);
        }
    }

    private static String comm(ByteBuffer ring, int offset) {
        int start = offset + Abi.Event.COMM;
        int len = 0;
        while (len < Abi.Event.COMM_LEN && ring.get(start + len) != 0) {
            len++;
        }
        byte[] bytes = new byte[len];
        for (int i = 0; i < len; i++) {
            bytes[i] = ring.get(start + i);
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
