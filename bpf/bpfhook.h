/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpfhook.h - the ABI between the kernel programs and the Java agent.
 *
 * Every struct that crosses into user space is defined here and nowhere else:
 * ring-buffer event records, map keys and values, and the load-time config.
 * The Java side mirrors this file in dev.bpfhook.event.Abi; AbiLayoutTest checks
 * the sizes and offsets below against the BTF of the compiled object, so a
 * change here that is not made there fails the build.
 *
 * All integers are in host byte order (little-endian on x86_64 and arm64),
 * except addresses, which are raw network-order bytes.
 */
#ifndef BPFHOOK_H
#define BPFHOOK_H

#define BH_COMM_LEN 16
#define BH_ADDR_LEN 16

/* What a ring-buffer record reports (bh_event.kind). */
enum bh_event_kind {
	BH_EVENT_CONNECT = 1, /* connect() on a TCP or UDP socket (cgroup/connect4, connect6) */
	BH_EVENT_ACCEPT = 2,  /* accept() returned an inbound TCP connection (accept tier) */
	BH_EVENT_STATE = 3,   /* a TCP state transition (sock:inet_sock_set_state) */
	BH_EVENT_EXISTING = 4, /* open before the monitor started; listed once at start (iter/tcp) */
};

/* Which side opened the connection (bh_event.direction, bh_conn.direction). */
enum bh_direction {
	BH_DIR_UNKNOWN = 0,  /* opened before the monitor started, or not yet known */
	BH_DIR_OUTBOUND = 1, /* this host called connect() */
	BH_DIR_INBOUND = 2,  /* a peer connected to a listening socket here */
};

/*
 * One ring-buffer record: 128 bytes, fixed size for every kind.
 * Fields a kind does not know are zero.
 */
struct bh_event {
	__u64 timestamp_ns;   /*   0: bpf_ktime_get_ns() when the event happened (CLOCK_MONOTONIC) */
	__u64 socket_cookie;  /*   8: bpf_get_socket_cookie(): the join key across all hooks */
	__u64 cgroup_id;      /*  16: cgroup v2 id (inode of its directory) the connection belongs to */
	__u64 netns_cookie;   /*  24: network-namespace cookie of the socket */
	__u64 bytes_sent;     /*  32: STATE to CLOSE only: payload bytes acknowledged by the peer */
	__u64 bytes_received; /*  40: STATE to CLOSE only: payload bytes received */
	__u32 pid;            /*  48: process (tgid) that connected or accepted; 0 when unknown */
	__u32 tid;            /*  52: thread that connected or accepted; 0 when unknown */
	__u32 srtt_us;        /*  56: STATE to CLOSE only: smoothed round-trip time, microseconds */
	__u32 retransmits;    /*  60: STATE to CLOSE only: segments retransmitted */
	__u16 local_port;     /*  64: local port; 0 when not bound yet (CONNECT) */
	__u16 remote_port;    /*  66: remote port */
	__u8 kind;            /*  68: enum bh_event_kind */
	__u8 family;          /*  69: AF_INET (2) or AF_INET6 (10) */
	__u8 protocol;        /*  70: IPPROTO_TCP (6) or IPPROTO_UDP (17) */
	__u8 direction;       /*  71: enum bh_direction */
	__u8 old_state;       /*  72: STATE only: TCP state before (kernel numbering, 1 = ESTABLISHED) */
	__u8 new_state;       /*  73: STATE only: TCP state after */
	__u16 error;          /*  74: STATE SYN_SENT to CLOSE: the socket's errno (111 refused, 110 timed out...) */
	__u32 reserved;       /*  76: zero; keeps the addresses 8-byte aligned */
	__u8 local_addr[BH_ADDR_LEN];  /*  80: IPv4 in the first 4 bytes, or IPv6 */
	__u8 remote_addr[BH_ADDR_LEN]; /*  96: IPv4 in the first 4 bytes, or IPv6 */
	char comm[BH_COMM_LEN];        /* 112: task name of pid/tid; empty when unknown */
};                                     /* 128 bytes */

/*
 * Exact counters, one per cgroup id (map cgroup_counters) and one per
 * network-namespace cookie (map netns_counters). Per-CPU values: user space
 * sums them. They are counted in the kernel whether or not the matching event
 * reached user space, so they stay exact when the ring buffer overflows.
 * Active connections = outbound_established + inbound_accepted + preexisting - closed.
 */
struct bh_counters {
	__u64 connect_attempts;     /*   0: TCP connect() calls */
	__u64 udp_connects;         /*   8: UDP connect() calls */
	__u64 outbound_established; /*  16: SYN_SENT -> ESTABLISHED */
	__u64 inbound_accepted;     /*  24: SYN_RECV -> ESTABLISHED (handshake done, in the accept queue) */
	__u64 failed_connects;      /*  32: SYN_SENT -> CLOSE, all reasons */
	__u64 failed_refused;       /*  40: ... of which ECONNREFUSED */
	__u64 failed_timed_out;     /*  48: ... of which ETIMEDOUT */
	__u64 failed_unreachable;   /*  56: ... of which EHOSTUNREACH or ENETUNREACH */
	__u64 failed_reset;         /*  64: ... of which ECONNRESET */
	__u64 closed;               /*  72: connections counted as established that reached CLOSE */
	__u64 bytes_sent;           /*  80: bytes acknowledged by peers, summed at close */
	__u64 bytes_received;       /*  88: bytes received, summed at close */
	__u64 retransmits;          /*  96: retransmitted segments, summed at close */
	__u64 preexisting;          /* 104: established before the monitor started, found at start */
};                                  /* 112 bytes */

/* Health of the kernel side: map global_stats, one per-CPU entry at index 0. */
struct bh_stats {
	__u64 events_submitted; /*  0: records committed to the ring buffer */
	__u64 events_dropped;   /*  8: records lost because the ring buffer was full */
	__u64 counters_full;    /* 16: counter updates lost because a counter map was full */
	__u64 closed_untracked; /* 24: closes of connections not in the connection table
	                               (opened before the monitor started, or evicted from it) */
};                              /* 32 bytes */

/* Connection table entry: map connections (LRU hash, key: __u64 socket cookie). */
struct bh_conn {
	__u64 start_ns;       /*  0: bpf_ktime_get_ns() of the first event seen */
	__u64 cgroup_id;      /*  8: cgroup the connection is counted in */
	__u64 netns_cookie;   /* 16: network namespace it is counted in */
	__u64 bytes_sent;     /* 24: bytes_acked from sockops just before CLOSE (SYN and FIN included) */
	__u64 bytes_received; /* 32: bytes_received from sockops just before CLOSE (FIN included) */
	__u32 pid;            /* 40: connecting or accepting process; 0 until known */
	__u32 tid;            /* 44: its thread */
	__u32 srtt_us;        /* 48: from sockops at close */
	__u32 retransmits;    /* 52: from sockops at close */
	__u8 direction;       /* 56: enum bh_direction */
	__u8 established;     /* 57: 1 once counted in outbound_established, inbound_accepted or preexisting */
	__u8 has_stats;       /* 58: 1 once sockops stored the close statistics */
	__u8 reserved[5];     /* 59: zero */
	char comm[BH_COMM_LEN]; /* 64: task name of pid */
};                            /* 80 bytes */

/*
 * Load-time configuration: the single `const volatile` global `bh_config`,
 * written by the agent into the object's .rodata before load.
 */
struct bh_config {
	__u64 scope_cgroup_id; /*  0: id of the monitored cgroup (inode of its directory) */
	__u32 scope_level;     /*  8: its depth below the cgroup v2 root; 0 = whole host */
	__u32 wakeup_bytes;    /* 12: wake the consumer when this many bytes wait in the ring */
	__u32 all_states;      /* 16: 1 = an event per TCP transition; 0 = only to ESTABLISHED and CLOSE */
	__u32 reserved;        /* 20: zero */
};                             /* 24 bytes */

#endif /* BPFHOOK_H */
