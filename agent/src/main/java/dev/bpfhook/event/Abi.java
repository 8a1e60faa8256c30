package dev.bpfhook.event;

/**
 * Sizes and offsets of the structs in bpf/bpfhook.h, the ABI with the kernel
 * programs. Field for field, in the header's order; AbiLayoutTest compares
 * every constant here with the BTF of the compiled object.
 */
public final class Abi {
    private Abi() {
    }

    /** struct bh_event: one ring-buffer record. */
    public static final class Event {
        public static final int SIZE = 128;
        public static final int TIMESTAMP_NS = 0;
        public static final int SOCKET_COOKIE = 8;
        public static final int CGROUP_ID = 16;
        public static final int NETNS_COOKIE = 24;
        public static final int BYTES_SENT = 32;
        public static final int BYTES_RECEIVED = 40;
        public static final int PID = 48;
        public static final int TID = 52;
        public static final int SRTT_US = 56;
        public static final int RETRANSMITS = 60;
        public static final int LOCAL_PORT = 64;
        public static final int REMOTE_PORT = 66;
        public static final int KIND = 68;
        public static final int FAMILY = 69;
        public static final int PROTOCOL = 70;
        public static final int DIRECTION = 71;
        public static final int OLD_STATE = 72;
        public static final int NEW_STATE = 73;
        public static final int ERROR = 74;
        public static final int RESERVED = 76;
        public static final int LOCAL_ADDR = 80;
        public static final int REMOTE_ADDR = 96;
        public static final int COMM = 112;
        public static final int ADDR_LEN = 16;
        public static final int COMM_LEN = 16;

        private Event() {
        }
    }

    /** struct bh_counter_key: the key of the counters map. */
    public static final class CounterKey {
        public static final int SIZE = 16;
        public static final int CGROUP_ID = 0;
        public static final int NETNS_COOKIE = 8;

        private CounterKey() {
        }
    }

    /** struct bh_counters: u64 words, in this order (index = offset / 8). */
    public static final class Counters {
        public static final int SIZE = 120;
        public static final int CONNECT_ATTEMPTS = 0;
        public static final int UDP_CONNECTS = 1;
        public static final int OUTBOUND_ESTABLISHED = 2;
        public static final int INBOUND_ACCEPTED = 3;
        public static final int FAILED_CONNECTS = 4;
        public static final int FAILED_REFUSED = 5;
        public static final int FAILED_TIMED_OUT = 6;
        public static final int FAILED_UNREACHABLE = 7;
        public static final int FAILED_RESET = 8;
        public static final int CLOSED = 9;
        public static final int BYTES_SENT = 10;
        public static final int BYTES_RECEIVED = 11;
        public static final int RETRANSMITS = 12;
        public static final int PREEXISTING = 13;
        public static final int FAILED_CLOSED_LOCALLY = 14;
        public static final int WORDS = 15;

        private Counters() {
        }
    }

    /** struct bh_stats: u64 words (index = offset / 8). */
    public static final class Stats {
        public static final int SIZE = 32;
        public static final int EVENTS_SUBMITTED = 0;
        public static final int EVENTS_DROPPED = 1;
        public static final int COUNTERS_FULL = 2;
        public static final int CLOSED_UNTRACKED = 3;
        public static final int WORDS = 4;

        private Stats() {
        }
    }
}
