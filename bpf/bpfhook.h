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
	BH_EVENT_CONNECT = 1, /* a TCP connect, as its socket enters SYN_SENT (state hook); connect() on a UDP
	                         socket (cgroup/connect4, connect6) */
	BH_EVENT_ACCEPT = 2,  /* accept() returned an inbound TCP connection (accept tier) */
	BH_EVENT_STATE = 3,   /* a TCP state transition (sock:inet_sock_set_state) */
	BH_EVENT_EXISTING = 4, /* open before the monitor started; listed once at start (iter/tcp) */
};

/* Which side opened the connection (bh_event.direction). */
enum bh_direction {
	BH_DIR_UNKNOWN = 0,  /* opened before the monitor started, or not yet known */
	BH_DIR_OUTBOUND = 1, /* this host called connect() */
	BH_DIR_INBOUND = 2,  /* a peer connected to a listening socket here */
};

/*
 * One ring-buffer record: 128 bytes, fixed size for every kind.
 * Fields a kind does not know are zero. ACCEPT carries only the cookie, the
 * family, the socket's state and the process: user space completes it from the
 * connection's state events (joined by cookie), so that the accept hook reads little.
 */
struct bh_event {
	__u64 timestamp_ns;   /*   0: bpf_ktime_get_ns() when the event happened (CLOCK_MONOTONIC) */
	__u64 socket_cookie;  /*   8: bpf_get_socket_cookie(): the join key across all hooks */
	__u64 cgroup_id;      /*  16: cgroup v2 id (inode of its directory) the connection belongs to */
	__u64 netns_cookie;   /*  24: network-namespace cookie of the socket */
	__u64 bytes_sent;     /*  32: STATE to CLOSE only: payload bytes sent (retransmissions counted once) */
	__u64 bytes_received; /*  40: STATE to CLOSE only: payload bytes received */
	__u32 pid;            /*  48: CONNECT, ACCEPT: the process (tgid) that connected or accepted; other kinds 0:
	                               the kernel keeps no per-connection state, user space joins by socket_cookie */
	__u32 tid;            /*  52: CONNECT, ACCEPT: its thread; other kinds 0 */
	__u32 srtt_us;        /*  56: STATE to CLOSE only: smoothed round-trip time, microseconds */
	__u32 retransmits;    /*  60: STATE to CLOSE only: segments retransmitted */
	__u16 local_port;     /*  64: local port; 0 when not bound yet (CONNECT) */
	__u16 remote_port;    /*  66: remote port */
	__u8 kind;            /*  68: enum bh_event_kind */
	__u8 family;          /*  69: AF_INET (2) or AF_INET6 (10) */
	__u8 protocol;        /*  70: IPPROTO_TCP (6) or IPPROTO_UDP (17) */
	__u8 direction;       /*  71: enum bh_direction; STATE: known only for the opening transitions */
	__u8 old_state;       /*  72: STATE only: TCP state before (kernel numbering, 1 = ESTABLISHED) */
	__u8 new_state;       /*  73: STATE: TCP state after; ACCEPT: the socket's state when accept() returned it;
	                               EXISTING: its state at start */
	__u16 error;          /*  74: STATE SYN_SENT to CLOSE: the socket's errno (111 refused, 110 timed out...) */
	__u32 reserved;       /*  76: zero; keeps the addresses 8-byte aligned */
	__u8 local_addr[BH_ADDR_LEN];  /*  80: IPv4 in the first 4 bytes, or IPv6 */
	__u8 remote_addr[BH_ADDR_LEN]; /*  96: IPv4 in the first 4 bytes, or IPv6 */
	char comm[BH_COMM_LEN];        /* 112: task name of pid/tid; empty when pid is 0 */
};                                     /* 128 bytes */

/*
 * The state hook's records staged on one CPU (map stages, one entry per CPU): handed to the ring buffer
 * as one ring record of count struct bh_event when eight are staged, or when the agent asks (it runs the
 * flush program on that CPU). A ring record thus holds one or more events, back to back.
 * The agent reads busy, count and the first record's timestamp through its mapping of the map: a CPU with
 * staged records holds back the delivery of every record not older than its first (see RecordStages).
 * It reads made too, and sets wanted: a CPU's records are staged only while it makes them fast enough to
 * fill a stage before the agent would have to flush it (a flush interrupts that CPU).
 */
#define BH_STAGE_RECORDS 8

struct bh_stage {
	__u32 busy;          /*  0: 1 while a program on this CPU writes here */
	__u32 count;         /*  4: records staged */
	__u32 wanted;        /*  8: set by the agent: 1 to stage this CPU's records, 0 to send them to the ring */
	__u32 reserved0;     /* 12: zero */
	__u64 made;          /* 16: the state hook's records made on this CPU, staged or not (may miss a few) */
	__u64 reserved[5];   /* 24: zero; the records start on a cache line of their own */
	struct bh_event records[BH_STAGE_RECORDS]; /* 64: the oldest first */
};                           /* 1088 bytes */

/*
 * Exact counters, one per (cgroup, network namespace) pair: map counters, key
 * struct bh_counter_key. A connection is counted in its socket's cgroup and
 * namespace, one map update per event; user space sums the pairs into
 * per-cgroup and per-namespace views. Per-CPU values: user space sums them.
 * They are counted in the kernel whether or not the matching event reached
 * user space, so they stay exact when the ring buffer overflows.
 * Active connections = outbound_established + inbound_accepted + preexisting - closed.
 * One pair, bh_config.hot_*, is counted in map hot_counters instead (a per-CPU
 * array of one struct bh_counters) and never appears in counters: the pair
 * nearly every event of an agent counts in, its own cgroup and namespace, for
 * which a hash lookup per event would cost more than the rest of the update.
 */
struct bh_counter_key {
	__u64 cgroup_id;    /* 0: cgroup v2 id */
	__u64 netns_cookie; /* 8: network-namespace cookie */
};                          /* 16 bytes */

struct bh_counters {
	__u64 connect_attempts;     /*   0: TCP connects that sent a SYN (the socket entered SYN_SENT) */
	__u64 udp_connects;         /*   8: UDP connect() calls */
	__u64 outbound_established; /*  16: SYN_SENT -> ESTABLISHED */
	__u64 inbound_accepted;     /*  24: SYN_RECV -> ESTABLISHED (handshake done, in the accept queue) */
	__u64 failed_connects;      /*  32: SYN_SENT -> CLOSE, all reasons */
	__u64 failed_refused;       /*  40: ... of which ECONNREFUSED */
	__u64 failed_timed_out;     /*  48: ... of which ETIMEDOUT */
	__u64 failed_unreachable;   /*  56: ... of which EHOSTUNREACH or ENETUNREACH */
	__u64 failed_reset;         /*  64: ... of which ECONNRESET */
	__u64 closed;               /*  72: connections counted as established that reached CLOSE */
	__u64 bytes_sent;           /*  80: payload bytes sent (each once: retransmissions not counted again), summed at close */
	__u64 bytes_received;       /*  88: payload bytes received, summed at close */
	__u64 retransmits;          /*  96: retransmitted segments, summed at close */
	__u64 preexisting;          /* 104: established before the monitor started, found at start */
	__u64 failed_closed_locally; /* 112: SYN_SENT -> CLOSE of which no error: this host closed it before the
	                                handshake (the application gave up, e.g. a connect timeout, or no local
	                                port was free) */
};                                  /* 120 bytes */

/* Health of the kernel side: map global_stats, one per-CPU entry at index 0. */
struct bh_stats {
	__u64 events_submitted; /*  0: records committed to the ring buffer */
	__u64 events_dropped;   /*  8: records lost because the ring buffer was full */
	__u64 counters_full;    /* 16: counter updates lost because a counter map was full */
	__u64 closed_untracked; /* 24: closes of established connections whose start was not counted:
	                               opened before the monitor and closed before the start-up listing
	                               reached them, or, without the listing, any opened before the monitor */
};                              /* 32 bytes */

/*
 * Load-time configuration: the single `const volatile` global `bh_config`,
 * written by the agent into the object's .rodata before load.
 */
/* bh_config.scope_level of a cgroup whose depth on the host the agent cannot see (see found_scope_level) */
#define BH_LEVEL_UNKNOWN 0xffffffffu

struct bh_config {
	__u64 scope_cgroup_id;  /*  0: id of the monitored cgroup (inode of its directory) */
	__u32 scope_level;      /*  8: its depth below the cgroup v2 root; 0 = whole host; BH_LEVEL_UNKNOWN:
	                               not known to the agent (a cgroup namespace): the programs find it */
	__u32 wakeup_bytes;     /* 12: wake the consumer when this many bytes wait in the ring */
	__u32 all_states;       /* 16: 1 = an event per TCP transition; 0 = only to ESTABLISHED and CLOSE */
	__u32 reserved;         /* 20: zero */
	__u64 hot_cgroup_id;    /* 24: the (cgroup, namespace) pair counted in map hot_counters instead of */
	__u64 hot_netns_cookie; /* 32: map counters (see there); cgroup id 0 = none */
};                              /* 40 bytes */

#endif /* BPFHOOK_H */
