package dev.bpfhook.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Decodes records laid out byte by byte as struct bh_event in bpf/bpfhook.h.
 * The offsets below are copied from the header's comments on purpose, not taken
 * from {@link Abi}: a wrong constant there must fail here.
 */
class EventDecoderTest {
    private static final int SIZE = 128;
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int TCP = 6;
    private static final int UDP = 17;

    private final EventDecoder decoder = new EventDecoder();

    @Test
    void decodesIpv4UdpConnect() throws Exception {
        Record r = new Record(0)
                .u64(0, 1_000_000_123L) // timestamp_ns
                .u64(8, 77L) // socket_cookie
                .u64(16, 4242L) // cgroup_id
                .u64(24, 4026531840L) // netns_cookie
                .u32(48, 1234) // pid
                .u32(52, 1240) // tid
                .u16(66, 53) // remote_port
                .u8(68, 1) // kind CONNECT
                .u8(69, AF_INET)
                .u8(70, UDP)
                .u8(71, 1) // OUTBOUND
                .bytes(96, ip("8.8.4.4"))
                .comm("dig");

        ConnectionEvent e = decode(r);

        assertEquals(EventKind.CONNECT, e.kind());
        assertEquals(1_000_000_123L, e.timestampNs());
        assertEquals(77L, e.socketCookie());
        assertEquals(4242L, e.cgroupId());
        assertEquals(4026531840L, e.netnsCookie());
        assertEquals(1234, e.pid());
        assertEquals(1240, e.tid());
        assertEquals("dig", e.comm());
        assertEquals(Protocol.UDP, e.protocol());
        assertEquals(Direction.OUTBOUND, e.direction());
        assertEquals(new InetSocketAddress(ip("8.8.4.4"), 53), e.remote());
        assertInstanceOf(Inet4Address.class, e.remote().getAddress());
        assertEquals(new InetSocketAddress(ip("0.0.0.0"), 0), e.local());
        assertEquals(TcpState.UNKNOWN, e.oldState());
        assertEquals(TcpState.UNKNOWN, e.newState());
        assertEquals(0, e.error());
        assertEquals(0L, e.bytesSent());
    }

    @Test
    void decodesIpv6StateSynSentToEstablishedWithPortsAndComm() throws Exception {
        Record r = new Record(0)
                .u64(0, 5_000L)
                .u64(8, 0x1122334455667788L)
                .u32(48, 99)
                .u16(64, 45678) // local_port, above 32767: read unsigned
                .u16(66, 443)
                .u8(68, 3) // STATE
                .u8(69, AF_INET6)
                .u8(70, TCP)
                .u8(71, 1)
                .u8(72, 2) // SYN_SENT
                .u8(73, 1) // ESTABLISHED
                .bytes(80, ip("2001:db8::15"))
                .bytes(96, ip("2607:f8b0:4005:80c::200e"))
                .comm("curl");

        ConnectionEvent e = decode(r);

        assertEquals(EventKind.STATE, e.kind());
        assertEquals(0x1122334455667788L, e.socketCookie());
        assertEquals(TcpState.SYN_SENT, e.oldState());
        assertEquals(TcpState.ESTABLISHED, e.newState());
        assertEquals(new InetSocketAddress(ip("2001:db8::15"), 45678), e.local());
        assertEquals(new InetSocketAddress(ip("2607:f8b0:4005:80c::200e"), 443), e.remote());
        assertInstanceOf(Inet6Address.class, e.local().getAddress());
        assertEquals("curl", e.comm());
        assertEquals(Protocol.TCP, e.protocol());
        assertEquals(Direction.OUTBOUND, e.direction());
        assertEquals(99, e.pid());
    }

    @Test
    void decodesCloseWithBytesRttAndRetransmits() throws Exception {
        Record r = new Record(0)
                .u64(8, 5L)
                .u64(32, 123_456_789_012L) // bytes_sent
                .u64(40, 9_876_543_210L) // bytes_received
                .u32(56, 1500) // srtt_us
                .u32(60, 7) // retransmits
                .u16(64, 40000)
                .u16(66, 8080)
                .u8(68, 3)
                .u8(69, AF_INET)
                .u8(70, TCP)
                .u8(71, 2) // INBOUND
                .u8(72, 9) // LAST_ACK
                .u8(73, 7) // CLOSE
                .bytes(80, ip("10.0.2.15"))
                .bytes(96, ip("10.0.2.2"));

        ConnectionEvent e = decode(r);

        assertEquals(TcpState.LAST_ACK, e.oldState());
        assertEquals(TcpState.CLOSE, e.newState());
        assertEquals(123_456_789_012L, e.bytesSent());
        assertEquals(9_876_543_210L, e.bytesReceived());
        assertEquals(1500, e.srttUs());
        assertEquals(7, e.retransmits());
        assertEquals(Direction.INBOUND, e.direction());
        assertEquals(new InetSocketAddress(ip("10.0.2.15"), 40000), e.local());
        assertEquals(new InetSocketAddress(ip("10.0.2.2"), 8080), e.remote());
        assertEquals("", e.comm());
        assertEquals(0, e.pid());
    }

    @Test
    void decodesFailedConnectErrno() throws Exception {
        Record r = new Record(0)
                .u8(68, 3).u8(69, AF_INET).u8(70, TCP)
                .u8(72, 2).u8(73, 7)
                .u16(74, 111); // ECONNREFUSED

        ConnectionEvent e = decode(r);

        assertEquals(111, e.error());
        assertTrue(e.isFailedConnect());
    }

    @Test
    void ipv4MappedIpv6AddressDecodesAsIpv4() throws Exception {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = 10;
        mapped[13] = 1;
        mapped[14] = 2;
        mapped[15] = 3;
        Record r = new Record(0)
                .u16(66, 80)
                .u8(68, 1).u8(69, AF_INET6).u8(70, TCP)
                .bytes(96, mapped);

        ConnectionEvent e = decode(r);

        assertInstanceOf(Inet4Address.class, e.remote().getAddress());
        assertEquals("10.1.2.3", e.remote().getAddress().getHostAddress());
        assertEquals(80, e.remote().getPort());
        EventRecord record = new EventRecord();
        assertTrue(decoder.decode(r.buf, 0, SIZE, record));
        assertEquals(AddressBits.IPV4, record.remoteFamily(), "the same bits as the address over IPv4");
        assertEquals(0x0a01_0203L, record.remoteAddressHi());
        assertEquals(0, record.remoteAddressLo());
    }

    @Test
    void addressesAreDecodedAsBitsAndMadeObjectsOnlyWhenAsked() throws Exception {
        EventRecord record = new EventRecord();
        assertTrue(decoder.decode(tcpState(AF_INET6, "2001:db8::1", 40000, "2001:db8::2", 8080, "java").buf, 0, SIZE,
                record));

        assertEquals(AddressBits.IPV6, record.localFamily());
        assertEquals(0x2001_0db8_0000_0000L, record.localAddressHi());
        assertEquals(1, record.localAddressLo());
        assertEquals(40000, record.localPort());
        assertEquals(2, record.remoteAddressLo());
        assertEquals(8080, record.remotePort());
        assertEquals(new InetSocketAddress(ip("2001:db8::2"), 8080), record.remote());
        assertSame(record.remote(), record.remote(), "made once per record");
    }

    @Test
    void decodesRecordAtNonZeroOffsetInsideBiggerBuffer() throws Exception {
        int offset = 264; // after a 128-byte record, its 8-byte header and a header of this one
        ByteBuffer ring = ByteBuffer.allocate(1024).order(ByteOrder.nativeOrder());
        for (int i = 0; i < ring.capacity(); i++) {
            ring.put(i, (byte) 0xAB); // garbage around the record must not leak in
        }
        Record r = new Record(ring, offset).clear()
                .u64(8, 31337L)
                .u32(48, 4321)
                .u16(66, 22)
                .u8(68, 2) // ACCEPT
                .u8(69, AF_INET)
                .u8(70, TCP)
                .u8(71, 2)
                .bytes(96, ip("192.168.1.20"))
                .comm("sshd");
        ring.position(17); // decode must use absolute offsets, not the position

        ConnectionEvent e = decoder.decode(ring, offset, SIZE);

        assertNotNull(e);
        assertEquals(EventKind.ACCEPT, e.kind());
        assertEquals(31337L, e.socketCookie());
        assertEquals(4321, e.pid());
        assertEquals("sshd", e.comm());
        assertEquals(new InetSocketAddress(ip("192.168.1.20"), 22), e.remote());
        assertEquals(Direction.INBOUND, e.direction());
    }

    @Test
    void commOfSixteenBytesWithoutNulIsTruncatedAtSixteen() throws Exception {
        Record r = new Record(0).u8(68, 1).u8(69, AF_INET).u8(70, TCP)
                .bytes(112, "abcdefghijklmnop".getBytes(StandardCharsets.US_ASCII));
        // the bytes right after the record are not part of comm
        ByteBuffer bigger = ByteBuffer.allocate(SIZE + 16).order(ByteOrder.nativeOrder());
        for (int i = 0; i < SIZE; i++) {
            bigger.put(i, r.buf.get(i));
        }
        for (int i = SIZE; i < bigger.capacity(); i++) {
            bigger.put(i, (byte) 'X');
        }

        assertEquals("abcdefghijklmnop", decoder.decode(bigger, 0, SIZE).comm());
    }

    @Test
    void commStopsAtFirstNul() throws Exception {
        byte[] comm = "java\0garbage".getBytes(StandardCharsets.US_ASCII);
        Record r = new Record(0).u8(68, 1).u8(69, AF_INET).u8(70, TCP).bytes(112, comm);

        assertEquals("java", decode(r).comm());
    }

    @Test
    void rejectsWrongLength() {
        Record r = new Record(0).u8(68, 1).u8(69, AF_INET).u8(70, TCP);

        assertNull(decoder.decode(r.buf, 0, 127));
        assertNull(decoder.decode(r.buf, 0, 120));
        assertNotNull(decoder.decode(r.buf, 0, 128));
    }

    @Test
    void rejectsUnknownKind() {
        assertNull(decoder.decode(new Record(0).u8(68, 0).u8(69, AF_INET).buf, 0, SIZE));
        assertNull(decoder.decode(new Record(0).u8(68, 5).u8(69, AF_INET).buf, 0, SIZE));
        assertNull(decoder.decode(new Record(0).u8(68, 255).u8(69, AF_INET).buf, 0, SIZE));
    }

    @Test
    void rejectsUnknownFamily() {
        assertNull(decoder.decode(new Record(0).u8(68, 1).u8(69, 0).buf, 0, SIZE));
        assertNull(decoder.decode(new Record(0).u8(68, 1).u8(69, 1).buf, 0, SIZE)); // AF_UNIX
        assertNull(decoder.decode(new Record(0).u8(68, 1).u8(69, 17).buf, 0, SIZE)); // AF_PACKET
    }

    @Test
    void repeatedEndpointsAndNamesAreTheSameObjectsAgain() throws Exception {
        ConnectionEvent first = decode(tcpState(AF_INET, "10.0.2.15", 40000, "10.0.2.2", 8080, "java"));
        ConnectionEvent second = decode(tcpState(AF_INET, "10.0.2.15", 40000, "10.0.2.2", 8080, "java"));

        assertSame(first.local(), second.local());
        assertSame(first.remote(), second.remote());
        assertSame(first.comm(), second.comm());
    }

    @Test
    void cachedValuesNeverStandInForOthers() throws Exception {
        ConnectionEvent v4 = decode(tcpState(AF_INET, "1.2.3.4", 40000, "10.0.2.2", 8080, "java"));
        // the same first bytes, as IPv6: 0102:0304::
        ConnectionEvent v6 = decode(tcpState(AF_INET6, "102:304::", 40000, "::2", 8080, "java"));
        ConnectionEvent otherPort = decode(tcpState(AF_INET, "1.2.3.4", 40001, "10.0.2.2", 8080, "javac"));

        assertEquals(new InetSocketAddress(ip("1.2.3.4"), 40000), v4.local());
        assertEquals(new InetSocketAddress(ip("102:304::"), 40000), v6.local());
        assertEquals(new InetSocketAddress(ip("1.2.3.4"), 40001), otherPort.local());
        assertEquals("javac", otherPort.comm());
        assertEquals("java", decode(tcpState(AF_INET, "1.2.3.4", 40000, "10.0.2.2", 8080, "java")).comm());
    }

    @Test
    void ipv4IgnoresTheRestOfTheAddressField() throws Exception {
        Record clean = tcpState(AF_INET, "10.0.2.15", 40000, "10.0.2.2", 8080, "java");
        Record noisy = tcpState(AF_INET, "10.0.2.15", 40000, "10.0.2.2", 8080, "java").bytes(84, new byte[] {7, 7, 7, 7});

        assertEquals(decode(clean).local(), decode(noisy).local());
        assertEquals(new InetSocketAddress(ip("10.0.2.15"), 40000), decode(noisy).local());
    }

    @Test
    void decodingIntoARecordGivesTheEventAndLeavesNothingOfTheRecordBefore() throws Exception {
        Record close = tcpState(AF_INET6, "::2", 40000, "::3", 8080, "java")
                .u8(72, 4).u8(73, 7).u16(74, 104) // FIN_WAIT1 -> CLOSE, ECONNRESET
                .u64(0, 99).u64(8, 5).u64(16, 6).u64(24, 7).u64(32, 1000).u64(40, 2000)
                .u32(48, 11).u32(52, 12).u32(56, 250).u32(60, 3).u8(71, 2);
        Record connect = new Record(0).u8(68, 1).u8(69, AF_INET).u8(70, UDP).u16(66, 53).bytes(96, ip("8.8.4.4"));
        EventRecord record = new EventRecord();

        assertTrue(decoder.decode(close.buf, 0, SIZE, record));
        assertEquals(decode(close).toString(), record.toEvent().toString());
        assertEquals(1000, record.bytesSent());
        assertEquals(2000, record.bytesReceived());
        assertEquals(250, record.srttUs());
        assertEquals(3, record.retransmits());
        assertEquals(104, record.error());
        assertEquals(11, record.pid());
        assertEquals(12, record.tid());
        assertEquals(Direction.INBOUND, record.direction());
        assertEquals(TcpState.FIN_WAIT1, record.oldState());
        assertEquals(TcpState.CLOSE, record.newState());
        assertEquals(new InetSocketAddress(ip("::2"), 40000), record.local());

        assertTrue(decoder.decode(connect.buf, 0, SIZE, record));
        assertEquals(EventKind.CONNECT, record.kind());
        assertEquals(Protocol.UDP, record.protocol());
        assertEquals(0, record.timestampNs());
        assertEquals(0, record.socketCookie());
        assertEquals(0, record.pid());
        assertEquals("", record.comm());
        assertEquals(0, record.bytesSent());
        assertEquals(0, record.srttUs());
        assertEquals(0, record.error());
        assertEquals(TcpState.UNKNOWN, record.newState());
        assertEquals(Direction.UNKNOWN, record.direction());
        assertEquals(new InetSocketAddress(ip("0.0.0.0"), 0), record.local());
        assertEquals(new InetSocketAddress(ip("8.8.4.4"), 53), record.remote());
    }

    @Test
    void fieldsOfAWordAreReadAsIfEachWereReadAlone() {
        ByteBuffer word = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
        for (int i = 0; i < 8; i++) {
            word.put(i, (byte) (0xf1 + i));
        }
        long w = word.getLong(0);

        for (int at = 0; at < 8; at++) {
            assertEquals(word.get(at) & 0xff, EventDecoder.field(w, at, 1));
        }
        for (int at = 0; at < 8; at += 2) {
            assertEquals(word.getShort(at) & 0xffff, EventDecoder.field(w, at, 2));
        }
        assertEquals(word.getInt(0), EventDecoder.field(w, 0, 4));
        assertEquals(word.getInt(4), EventDecoder.field(w, 4, 4));
    }

    /** A TCP state change SYN_SENT -> ESTABLISHED. */
    private static Record tcpState(int family, String local, int localPort, String remote, int remotePort, String comm)
            throws UnknownHostException {
        return new Record(0).u8(68, 3).u8(69, family).u8(70, TCP)
                .u8(72, 2).u8(73, 1)
                .u16(64, localPort).u16(66, remotePort)
                .bytes(80, ip(local)).bytes(96, ip(remote))
                .comm(comm);
    }

    private ConnectionEvent decode(Record r) {
        ConnectionEvent e = decoder.decode(r.buf, r.base, SIZE);
        assertNotNull(e, "a valid record must decode");
        return e;
    }

    private static InetAddress ip(String literal) throws UnknownHostException {
        return InetAddress.getByName(literal); // literals only: no lookup
    }

    /** Writes struct bh_event fields at the header's offsets, in native byte order as the kernel does. */
    private static final class Record {
        final ByteBuffer buf;
        final int base;

        Record(int base) {
            this(ByteBuffer.allocate(base + SIZE).order(ByteOrder.nativeOrder()), base);
        }

        Record(ByteBuffer buf, int base) {
            this.buf = buf;
            this.base = base;
        }

        Record clear() {
            for (int i = 0; i < SIZE; i++) {
                buf.put(base + i, (byte) 0);
            }
            return this;
        }

        Record u64(int at, long v) {
            buf.putLong(base + at, v);
            return this;
        }

        Record u32(int at, int v) {
            buf.putInt(base + at, v);
            return this;
        }

        Record u16(int at, int v) {
            buf.putShort(base + at, (short) v);
            return this;
        }

        Record u8(int at, int v) {
            buf.put(base + at, (byte) v);
            return this;
        }

        Record bytes(int at, byte[] v) {
            for (int i = 0; i < v.length; i++) {
                buf.put(base + at + i, v[i]);
            }
            return this;
        }

        Record bytes(int at, InetAddress a) {
            return bytes(at, a.getAddress());
        }

        Record comm(String s) {
            return bytes(112, s.getBytes(StandardCharsets.US_ASCII));
        }
    }
}
