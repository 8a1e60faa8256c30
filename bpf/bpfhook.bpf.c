// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfhook kernel programs: who connects where, from which process and cgroup,
 * and how each TCP connection lives and ends.
 *
 *   cgroup/connect4, connect6  outbound connect() of TCP and UDP sockets, in the
 *                              connecting task: pid, tid, comm, cgroup
 *   tp_btf or tracepoint       sock:inet_sock_set_state, every TCP transition;
 *                              the counters of established, failed and closed
 *   fexit, kretprobe,          inbound: which process accepted the connection
 *   cgroup/getpeername4, 6 or
 *   sys_exit_accept(4)
 *   sockops                    only with the classic tracepoint: gives passive
 *                              sockets their cookie, the join key
 *   iter/tcp                   once at start: connections that were already open
 *   raw_tp bh_stage_flush      never attached: run by the agent on one CPU, hands the
 *                              state hook's records staged there to the ring
 *
 * Each hook family has tiers; the agent loads and attaches the first tier the
 * running kernel offers and reports which one it chose.
 *
 * Every program runs in the path of the application's own connect, accept or
 * packet, so each does as little as it can: no per-connection state in the
 * kernel (a map insert and delete per connection cost more than everything
 * else together), one counter-map update per counted event, and what a
 * socket knows (bytes, RTT, retransmits) read from the socket itself at close.
 * User space joins a connection's events by socket cookie.
 *
 * cgroup programs are attached to the monitored cgroup and so see only its
 * subtree. Tracepoints and the other accept hooks see the whole host: they
 * check the socket's (or task's) cgroup against the scope here, in the kernel.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "bpfhook.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define SOCK_STREAM 1
#define SOCK_DGRAM 2

#define EEXIST 17
#define ECONNRESET 104
#define ENETUNREACH 101
#define ETIMEDOUT 110
#define ECONNREFUSED 111
#define EHOSTUNREACH 113

/* Set by the agent before load; see struct bh_config. */
const volatile struct bh_config bh_config = {};

/* ---------------------------------------------------------------- maps */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024); /* resized by the agent before load */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096); /* resized by the agent before load */
	__type(key, struct bh_counter_key);
	__type(value, struct bh_counters);
} counters SEC(".maps");

/*
 * The counters of the pair bh_config.hot_*, which are never in counters: an
 * array lookup is a few loads, where a per-CPU hash lookup took 70 to 100 ns
 * in the path of a connection (timed inside connect6 at churn), five times per
 * loopback connection.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bh_counters);
} hot_counters SEC(".maps");

/*
 * The start window: from the moment the hooks attach until the start-up
 * listing (iter/tcp) has run, a close cannot tell on its own whether the
 * connection's start was counted (established after the hooks attached, or
 * listed as pre-existing) or not (established before, closed before the
 * listing reached it). Connections counted in the window are entered here;
 * the listing skips them, and a close in the window counts only what it finds
 * here. Once the listing is done nothing reads this set: the agent empties it.
 * Without the listing (kernels before 5.9, or without the kernel's own BTF)
 * the window never closes and this set is a table of the open connections.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* nearly always empty: no memory until used */
	__uint(max_entries, 65536);           /* resized by the agent before load */
	__type(key, __u64);                   /* socket cookie */
	__type(value, __u8);
} start_set SEC(".maps");

/* Set by the agent (first in .bss: KernelHooks.BSS_LISTING_DONE) once the start-up listing ran in every
 * namespace: the start window is over. */
volatile __u32 listing_done = 0;

/*
 * The monitored cgroup's depth on the host, when the agent could not tell it (bh_config.scope_level is
 * BH_LEVEL_UNKNOWN): a JVM in a cgroup namespace of its own, as in a container, sees its cgroup as the root of
 * the hierarchy. Found by the first program that meets a cgroup at or below it (the level at which that
 * cgroup's ancestor is the monitored one); 0 until then. Every writer writes the same value.
 */
volatile __u32 found_scope_level = 0;
#define MAX_SCOPE_LEVEL 32

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bh_stats);
} global_stats SEC(".maps");

/*
 * Which cgroups are in scope, remembered per CPU: walking a cgroup's ancestors
 * takes several probe reads (about 100 ns), and a tracepoint sees the same few
 * cgroups over and over. Each slot is one word, the cgroup id with the verdict
 * in the top bit, written in one store: a program interrupting another on the
 * same CPU never sees half an entry. Ids are never reused, so an entry never
 * goes stale.
 */
#define SCOPE_CACHE_SLOTS 64
#define SCOPE_CACHE_IN (1ULL << 63)
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SCOPE_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} scope_cache SEC(".maps");

/*
 * Records of the state hook, staged per CPU and handed to the ring eight at a time: one ring reservation
 * per eight records, and the records written into memory this CPU owns. One entry per possible CPU (the
 * agent sizes the map), indexed by CPU number; memory-mappable, so that the reader sees without a system
 * call which CPUs hold staged records and since when (see struct bh_stage).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1); /* resized by the agent before load: the possible CPUs */
	__type(key, __u32);
	__type(value, struct bh_stage);
} stages SEC(".maps");

/* Set by the agent (second in .bss: KernelHooks.BSS_STAGING) once it can flush a CPU's stage on demand. */
volatile __u32 staging = 0;

/*
 * 1 while the agent's ring thread sleeps long, nothing having come for a while (see wakeup_flags); written
 * by the agent through its mapping of .bss (KernelHooks.BSS_READER_SLEEPS).
 */
volatile __u32 reader_sleeps = 0;

/* Ring-buffer records have no map type to carry them into BTF: name the
 * struct once so that its layout is in the object (AbiLayoutTest reads it). */
const struct bh_event *unused_event __attribute__((unused));

/* ------------------------------------------------------------- helpers */

/*
 * Counters are per-CPU, but a tracepoint in softirq can interrupt a program
 * running in process context on the same CPU, so adds are atomic to stay exact.
 */
#define COUNT(ptr, field, n) __sync_fetch_and_add(&(ptr)->field, (n))

static __always_inline struct bh_stats *stats(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&global_stats, &zero);
}

/* The counters of one (cgroup, namespace) pair, created on first use; NULL (counted) when the map is full. */
static __always_inline struct bh_counters *counters_for(__u64 cgroup_id, __u64 netns_cookie)
{
	if (bh_config.hot_cgroup_id && cgroup_id == bh_config.hot_cgroup_id &&
	    netns_cookie == bh_config.hot_netns_cookie) {
		__u32 zero = 0;
		return bpf_map_lookup_elem(&hot_counters, &zero); /* never NULL: an array's only entry */
	}
	struct bh_counter_key key = { .cgroup_id = cgroup_id, .netns_cookie = netns_cookie };
	struct bh_counters *c = bpf_map_lookup_elem(&counters, &key);
	if (c)
		return c;
	struct bh_counters zero = {};
	bpf_map_update_elem(&counters, &key, &zero, BPF_NOEXIST); /* EEXIST: another CPU won */
	c = bpf_map_lookup_elem(&counters, &key);
	if (!c) {
		struct bh_stats *s = stats();
		if (s)
			COUNT(s, counters_full, 1);
	}
	return c;
}

/* Zeroes a record and writes the fields every kind has. */
static __always_inline void event_init(struct bh_event *e, __u8 kind, __u64 cookie, __u64 cgroup_id, __u64 netns,
				       __u8 protocol, __u8 direction)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->timestamp_ns = bpf_ktime_get_ns();
	e->kind = kind;
	e->socket_cookie = cookie;
	e->cgroup_id = cgroup_id;
	e->netns_cookie = netns;
	e->protocol = protocol;
	e->direction = direction;
}

/* A record of its own in the ring, or NULL (counted) when the ring is full. */
static __always_inline struct bh_event *ring_slot(void)
{
	struct bh_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		struct bh_stats *s = stats();
		if (s)
			COUNT(s, events_dropped, 1);
	}
	return e;
}

/* A zeroed record of its own in the ring with the fields every kind has, or NULL (counted) when the ring is full. */
static __always_inline struct bh_event *event_reserve(__u8 kind, __u64 cookie, __u64 cgroup_id, __u64 netns,
						      __u8 protocol, __u8 direction)
{
	struct bh_event *e = ring_slot();
	if (e)
		event_init(e, kind, cookie, cgroup_id, netns, protocol, direction);
	return e;
}

/*
 * A wakeup per record costs microseconds (irq_work), so records are committed
 * without one, and the consumer is woken only when the backlog crosses
 * bh_config.wakeup_bytes; below that, it finds the records on its poll timeout.
 * While it sleeps long (reader_sleeps), no flag: the kernel then wakes it for the first record it has not
 * read (the ring's own rule), and the agent clears reader_sleeps as it wakes.
 */
static __always_inline __u64 wakeup_flags(__u64 bytes)
{
	if (reader_sleeps)
		return 0;
	__u64 waiting = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	if (waiting < bh_config.wakeup_bytes && waiting + bytes + 8 >= bh_config.wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void event_submit(struct bh_event *e)
{
	bpf_ringbuf_submit(e, wakeup_flags(sizeof(*e)));
	struct bh_stats *s = stats();
	if (s)
		COUNT(s, events_submitted, 1);
}

/* ------------------------------------------------------ staged records */

/*
 * The state hook stages its records per CPU (map stages) and hands them to the ring eight at a time: a
 * record written into memory this CPU owns, and one ring reservation per eight, cost 30 to 80 ns less than
 * a record of its own in the ring (about 160). The state hook runs with preemption off and cannot interrupt itself
 * on a CPU (the kernel skips a nested run of a tracing program, and counts it), so one stage has two
 * writers that can meet: the state hook and the flush program (bh_stage_flush), which the agent runs on
 * that CPU. Whichever comes second finds the stage busy and leaves it: the flush until the agent's next
 * look, the state hook by writing its record straight to the ring. A flush interrupts its CPU and costs
 * far more than staging saves, so the agent has a CPU's records staged (wanted) only while the CPU makes
 * them fast enough to fill a stage before it would be flushed.
 */
#define WRITE_ONCE_U32(field, value) (*(volatile __u32 *)&(field) = (value))

/* Hands the stage's records to the ring in one record; counted as submitted, or as dropped when the ring is full. */
static __always_inline void stage_flush(struct bh_stage *st)
{
	__u32 n = st->count;
	if (n == 0)
		return;
	if (n > BH_STAGE_RECORDS)
		n = BH_STAGE_RECORDS;
	__u64 bytes = n * sizeof(struct bh_event);
	long err = bpf_ringbuf_output(&events, st->records, bytes, wakeup_flags(bytes));
	WRITE_ONCE_U32(st->count, 0);
	struct bh_stats *s = stats();
	if (s) {
		if (err)
			COUNT(s, events_dropped, n);
		else
			COUNT(s, events_submitted, n);
	}
}

/* Lets go of a stage stage_take or flush_stage took. */
static __always_inline void stage_release(struct bh_stage *st)
{
	if (st) {
		barrier();
		WRITE_ONCE_U32(st->busy, 0);
	}
}

/*
 * Hands a stage to the ring unless a program is halfway through it: 0 when it did (or there was nothing), 1
 * when the stage was busy. It marks the stage busy while it flushes, so that a state hook interrupting it
 * writes its record straight to the ring.
 */
static __always_inline int flush_stage(struct bh_stage *st)
{
	if (st->busy)
		return 1;
	WRITE_ONCE_U32(st->busy, 1);
	barrier();
	stage_flush(st);
	stage_release(st);
	return 0;
}

/*
 * This CPU's stage, marked busy, with room for a record; NULL when staging is off or not wanted on this CPU
 * (the record goes to the ring).
 */
static __always_inline struct bh_stage *stage_take(void)
{
	if (!staging)
		return NULL;
	__u32 cpu = bpf_get_smp_processor_id();
	struct bh_stage *st = bpf_map_lookup_elem(&stages, &cpu);
	if (!st || st->busy)
		return NULL;
	st->made++;
	if (!st->wanted) {
		/* records staged while this CPU was busier go now, not when the agent flushes them */
		if (st->count)
			flush_stage(st);
		return NULL;
	}
	if (st->count >= BH_STAGE_RECORDS)
		return NULL;
	WRITE_ONCE_U32(st->busy, 1);
	barrier(); /* busy before the record: a flush interrupting this program must see it */
	return st;
}

/*
 * The stage's next record (stage_take left room for it), or without a stage a record of its own in the
 * ring; NULL, counted as dropped, when there is none.
 */
static __always_inline struct bh_event *record_slot(struct bh_stage *st)
{
	if (st) {
		__u32 n = st->count;
		if (n >= BH_STAGE_RECORDS) { /* stage_take saw room, and only a flush can have run since */
			struct bh_stats *s = stats();
			if (s)
				COUNT(s, events_dropped, 1);
			return NULL;
		}
		/* the mask changes nothing (a power of two above n), but leaves the verifier no doubt */
		return &st->records[n & (BH_STAGE_RECORDS - 1)];
	}
	return ring_slot();
}

/* Commits a record of record_slot: staged (the stage flushed when full, and let go), or submitted to the ring. */
static __always_inline void record_commit(struct bh_stage *st, struct bh_event *e)
{
	if (!st) {
		event_submit(e);
		return;
	}
	barrier(); /* the record before the count that shows it */
	__u32 n = st->count + 1;
	WRITE_ONCE_U32(st->count, n);
	if (n >= BH_STAGE_RECORDS)
		stage_flush(st);
	stage_release(st);
}

static __always_inline void fill_task(struct bh_event *e)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

/* Kernels before 6.2 kept ancestor ids instead of ancestor pointers. */
struct cgroup___ids {
	int level;
	__u64 ancestor_ids[];
} __attribute__((preserve_access_index));

/* The id of this cgroup's ancestor at depth level (level <= its own depth). */
static __always_inline __u64 ancestor_id_at(struct cgroup *cg, __u32 level)
{
	__u64 ancestor_id = 0;
	if (bpf_core_field_exists(cg->ancestors)) {
		struct cgroup *ancestor = NULL;
		__u64 off = bpf_core_field_offset(cg->ancestors);
		bpf_probe_read_kernel(&ancestor, sizeof(ancestor), (void *)cg + off + level * sizeof(void *));
		ancestor_id = BPF_CORE_READ(ancestor, kn, id);
	} else {
		struct cgroup___ids *old = (void *)cg;
		__u64 off = bpf_core_field_offset(old->ancestor_ids);
		bpf_probe_read_kernel(&ancestor_id, sizeof(ancestor_id), (void *)cg + off + level * sizeof(__u64));
	}
	return ancestor_id;
}

/* The depth of the monitored cgroup: the agent's, or the one the programs found (found_scope_level); 0 while
 * neither is known, and for the whole host. */
static __always_inline __u32 known_scope_level(void)
{
	__u32 level = bh_config.scope_level;
	return level != BH_LEVEL_UNKNOWN ? level : found_scope_level;
}

/* Is this cgroup the monitored cgroup or below it? */
static __always_inline bool cgroup_in_scope(struct cgroup *cg)
{
	if (bh_config.scope_level == 0)
		return true;
	if (!cg)
		return false;
	int depth = BPF_CORE_READ(cg, level);
	__u32 level = known_scope_level();
	if (level)
		return depth >= (int)level && ancestor_id_at(cg, level) == bh_config.scope_cgroup_id;
	/* the depth not known yet (see found_scope_level): is one of this cgroup's ancestors the monitored one? */
	for (__u32 l = 1; l <= MAX_SCOPE_LEVEL; l++) {
		if ((int)l > depth)
			break;
		if (ancestor_id_at(cg, l) == bh_config.scope_cgroup_id) {
			found_scope_level = l;
			return true;
		}
	}
	return false;
}

/* cgroup_in_scope, through scope_cache. */
static __always_inline bool cgroup_in_scope_cached(struct cgroup *cg, __u64 cgroup_id)
{
	if (bh_config.scope_level == 0)
		return true;
	__u32 slot = cgroup_id & (SCOPE_CACHE_SLOTS - 1);
	__u64 *entry = bpf_map_lookup_elem(&scope_cache, &slot);
	if (entry) {
		__u64 word = *entry;
		if ((word & ~SCOPE_CACHE_IN) == cgroup_id && cgroup_id != 0)
			return word & SCOPE_CACHE_IN;
	}
	bool in = cgroup_in_scope(cg);
	if (entry)
		*entry = cgroup_id | (in ? SCOPE_CACHE_IN : 0);
	return in;
}

static __always_inline bool task_in_scope(void)
{
	if (bh_config.scope_level == 0)
		return true;
	__u32 level = known_scope_level();
	if (level)
		return bpf_get_current_ancestor_cgroup_id(level) == bh_config.scope_cgroup_id;
	/* the depth not known yet (see found_scope_level): the task's ancestors, from the top */
	for (__u32 l = 1; l <= MAX_SCOPE_LEVEL; l++) {
		__u64 id = bpf_get_current_ancestor_cgroup_id(l);
		if (id == 0)
			return false;
		if (id == bh_config.scope_cgroup_id) {
			found_scope_level = l;
			return true;
		}
	}
	return false;
}

/*
 * What the programs need to know of a socket, read once. Two readers: one
 * with direct loads, for BTF pointers (tp_btf, iterators: no helper call per
 * field), one with bpf_probe_read_kernel, for raw pointers (the classic
 * tracepoint, the accept hooks).
 */
struct sock_facts {
	struct cgroup *cgroup; /* the socket's cgroup v2 */
	struct tcp_sock *tcp;  /* BTF readers only: the socket as a tcp_sock, or NULL */
	__u64 cgroup_id;
	__u64 netns;           /* network-namespace cookie */
	__u16 family;
	__u16 protocol;
	__u16 local_port;      /* host order; from inet_sport: skc_num is cleared just before CLOSE */
	__u16 remote_port;     /* host order */
	int state;
	__u8 local_addr[BH_ADDR_LEN];
	__u8 remote_addr[BH_ADDR_LEN];
};

/*
 * The socket's cgroup, read before anything else: the scope check needs only
 * this, and most transitions on a busy host are other services' sockets.
 */
static __always_inline void read_cgroup_btf(struct sock *sk, struct sock_facts *f)
{
	struct cgroup *cg = sk->sk_cgrp_data.cgroup;
	f->cgroup = cg;
	f->cgroup_id = cg ? cg->kn->id : 0;
}

static __always_inline void read_cgroup_probe(struct sock *sk, struct sock_facts *f)
{
	struct cgroup *cg = BPF_CORE_READ(sk, sk_cgrp_data.cgroup); /* a local: CO-RE must not see sock_facts */
	f->cgroup = cg;
	f->cgroup_id = BPF_CORE_READ(cg, kn, id);
}

/* The rest of what the programs need, once the socket is known to be in scope. */
static __always_inline void read_facts_btf(struct sock *sk, struct sock_facts *f)
{
	struct sock_common *skc = &sk->__sk_common;
	f->netns = skc->skc_net.net->net_cookie;
	f->family = skc->skc_family;
	f->protocol = sk->sk_protocol;
	/* the verifier knows sk as a struct sock: the helper hands out the tcp_sock (or NULL); kept for the close */
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
	f->tcp = tp;
	f->local_port = tp ? bpf_ntohs(tp->inet_conn.icsk_inet.inet_sport) : 0;
	f->remote_port = bpf_ntohs(skc->skc_dport);
	f->state = skc->skc_state;
	if (f->family == AF_INET6) {
		__builtin_memcpy(f->local_addr, &skc->skc_v6_rcv_saddr, BH_ADDR_LEN);
		__builtin_memcpy(f->remote_addr, &skc->skc_v6_daddr, BH_ADDR_LEN);
	} else {
		/* all 16 bytes: the rest of the stack slot held what the scope walk left there */
		__builtin_memset(f->local_addr, 0, BH_ADDR_LEN);
		__builtin_memset(f->remote_addr, 0, BH_ADDR_LEN);
		*(__u32 *)f->local_addr = skc->skc_rcv_saddr;
		*(__u32 *)f->remote_addr = skc->skc_daddr;
	}
}

static __always_inline void read_facts_probe(struct sock *sk, struct sock_facts *f)
{
	f->tcp = NULL;
	f->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, net_cookie);
	f->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	f->protocol = BPF_CORE_READ(sk, sk_protocol);
	f->local_port = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	f->remote_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	f->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (f->family == AF_INET6) {
		BPF_CORE_READ_INTO(&f->local_addr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&f->remote_addr, sk, __sk_common.skc_v6_daddr);
	} else {
		__builtin_memset(f->local_addr, 0, BH_ADDR_LEN);
		__builtin_memset(f->remote_addr, 0, BH_ADDR_LEN);
		BPF_CORE_READ_INTO((__u32 *)f->local_addr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)f->remote_addr, sk, __sk_common.skc_daddr);
	}
}

/* Addresses, ports and family of a socket into an event. */
static __always_inline void fill_endpoints(struct bh_event *e, const struct sock_facts *f)
{
	e->family = f->family;
	e->local_port = f->local_port;
	e->remote_port = f->remote_port;
	__builtin_memcpy(e->local_addr, f->local_addr, BH_ADDR_LEN);
	__builtin_memcpy(e->remote_addr, f->remote_addr, BH_ADDR_LEN);
}

/* ---------------------------------------------- inbound: accept attribution */

/*
 * First in the object: libbpf loads the programs in the object's order and stops at the first the kernel
 * refuses, and the accept hook's better tiers are the ones kernels refuse most (no BPF trampolines, no
 * kprobes). Such a refusal costs the agent a second load without that tier; with these programs first,
 * the first load stops before the kernel verified the others for nothing (about 40 ms less per start on
 * a kernel that refuses fexit).
 */

/*
 * The accept record: the socket's cookie, family and state, and the accepting task. The state is CLOSE when
 * the peer reset the connection while it waited in the accept queue: accept() still hands it out, after its
 * close was reported, and user space must not take it for an open connection.
 */
static __always_inline void submit_accept(__u64 cookie, __u16 family, __u8 state)
{
	struct bh_event *e = event_reserve(BH_EVENT_ACCEPT, cookie, 0, 0, IPPROTO_TCP, BH_DIR_INBOUND);
	if (!e)
		return;
	e->family = family;
	e->new_state = state;
	fill_task(e);
	event_submit(e);
}

/*
 * The only record of who accepted a connection. It carries the process and the
 * cookie, and reads nothing else of the socket but what filters it: user space
 * completes the endpoints, cgroup and namespace from the connection's state
 * events, joined by cookie (each probe read here costs about 20 ns). Its
 * callers checked the accepting task's scope first.
 */
static __always_inline int on_accept(struct sock *sk)
{
	if (!sk)
		return 0;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0; /* accept() on a unix socket */
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;

	submit_accept(BPF_CORE_READ(sk, __sk_common.skc_cookie.counter), family, BPF_CORE_READ(sk, __sk_common.skc_state));
	return 0;
}

/* Tier 1: a BPF trampoline on the function that hands out accepted sockets. */
SEC("fexit/inet_csk_accept")
int bh_accept_fexit(void *ctx)
{
	__u64 ret = 0;
	if (!task_in_scope())
		return 0;
	bpf_get_func_ret(ctx, &ret); /* the argument list differs between kernels */
	return on_accept((struct sock *)ret);
}

/* Tier 2: the same as a kretprobe, where trampolines are missing. */
SEC("kretprobe/inet_csk_accept")
int BPF_KRETPROBE(bh_accept_kretprobe, struct sock *sk)
{
	if (!task_in_scope())
		return 0;
	return on_accept(sk);
}

/*
 * Tier 3: the accepted socket's peer address, which accept() reads for its
 * caller before it returns, in the accepting task: a cgroup program, so it runs
 * only for the watched cgroup's sockets and costs the rest of the host nothing,
 * where the syscall tracepoints of tier 4 slow every system call on the host
 * while attached (the kernel then takes its traced path for all of them). It
 * sees only the accepts that ask for the address: every JVM's do; a program that
 * calls accept(fd, NULL, NULL), as libuv does, is seen by tier 4 only. The
 * agent prefers it when a cgroup is watched. Other calls read the peer address
 * too (getpeername(), getsockopt(SO_PEERNAME)): the current system call tells
 * the accept apart. Neither tier sees io_uring's accepts, and this one not a
 * 32-bit process's (its system calls have other numbers).
 */
#if defined(__TARGET_ARCH_x86)
#define CURRENT_SYSCALL(regs) ((regs)->orig_ax)
#define NR_ACCEPT 43
#define NR_ACCEPT4 288
#elif defined(__TARGET_ARCH_arm64)
#define CURRENT_SYSCALL(regs) ((regs)->syscallno)
#define NR_ACCEPT 202
#define NR_ACCEPT4 242
#else
#error "the accept syscalls' numbers are not known for this architecture"
#endif

static __always_inline int on_peer_name(struct bpf_sock_addr *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return 1;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	long syscall = CURRENT_SYSCALL(regs);
	if (syscall != NR_ACCEPT && syscall != NR_ACCEPT4)
		return 1;
	struct bpf_sock *sk = ctx->sk;
	if (!sk)
		return 1;
	submit_accept(bpf_get_socket_cookie(ctx), ctx->family, sk->state);
	return 1; /* never change the address */
}

SEC("cgroup/getpeername4")
int bh_getpeername4(struct bpf_sock_addr *ctx)
{
	return on_peer_name(ctx);
}

SEC("cgroup/getpeername6")
int bh_getpeername6(struct bpf_sock_addr *ctx)
{
	return on_peer_name(ctx);
}

/* Tier 4: the accept syscalls' exit; the new fd leads to the socket. */
static __always_inline int on_accept_syscall_exit(long fd)
{
	/* the scope first: every accept() on the host runs this, and the walk from the fd to the socket
	 * takes three probe reads (seven without BTF task pointers) */
	if (fd < 0 || !task_in_scope())
		return 0;
	struct file **fds;
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf)) {
		/* 5.11+: the task through BTF pointers: loads instead of four probe reads (about 70 ns less) */
		struct fdtable *fdt = bpf_get_current_task_btf()->files->fdt;
		if (fd >= fdt->max_fds)
			return 0;
		fds = fdt->fd;
	} else {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
		if (fd >= BPF_CORE_READ(fdt, max_fds))
			return 0;
		fds = BPF_CORE_READ(fdt, fd);
	}
	struct file *file = NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	struct socket *sock = BPF_CORE_READ(file, private_data);
	return on_accept(BPF_CORE_READ(sock, sk));
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int bh_accept4_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_accept_syscall_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int bh_accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_accept_syscall_exit(ctx->ret);
}

/* ----------------------------------------- outbound: cgroup/connect4, 6 */

static __always_inline int on_connect(struct bpf_sock_addr *ctx, bool ipv6)
{
	__u8 protocol = ctx->protocol;
	if (protocol == IPPROTO_TCP) {
		/* Counted and reported by the state hook as the socket enters SYN_SENT (see submit_connect): a
		 * connect the kernel refuses before that (no route, a broadcast address) sends nothing, and
		 * would be an attempt without an outcome. The cookie is made here for the classic tracepoint,
		 * which can read a socket's cookie but not make one. */
		bpf_get_socket_cookie(ctx);
		return 1;
	}
	if (protocol != IPPROTO_UDP)
		return 1;

	__u64 cookie = bpf_get_socket_cookie(ctx);
	__u64 cgroup_id = bpf_get_current_cgroup_id();
	__u64 netns = bpf_get_netns_cookie(ctx);
	struct bh_counters *counters = counters_for(cgroup_id, netns);
	if (counters)
		COUNT(counters, udp_connects, 1);

	/* The only record of who connected: a UDP socket has no lifecycle here. */
	struct bh_event *e = event_reserve(BH_EVENT_CONNECT, cookie, cgroup_id, netns, protocol, BH_DIR_OUTBOUND);
	if (!e)
		return 1;
	fill_task(e);
	e->remote_port = bpf_ntohs(ctx->user_port);
	if (ipv6) {
		e->family = AF_INET6;
		__u32 *dst = (__u32 *)e->remote_addr;
		dst[0] = ctx->user_ip6[0];
		dst[1] = ctx->user_ip6[1];
		dst[2] = ctx->user_ip6[2];
		dst[3] = ctx->user_ip6[3];
	} else {
		e->family = AF_INET;
		*(__u32 *)e->remote_addr = ctx->user_ip4;
	}
	event_submit(e);
	return 1; /* never block the connect */
}

SEC("cgroup/connect4")
int bh_connect4(struct bpf_sock_addr *ctx)
{
	return on_connect(ctx, false);
}

SEC("cgroup/connect6")
int bh_connect6(struct bpf_sock_addr *ctx)
{
	return on_connect(ctx, true);
}

/* ------------------------------------------ TCP lifecycle: state tracepoint */

static __always_inline bool is_established_family(int state)
{
	/* states a connection can only be in after it was established */
	return state == BPF_TCP_ESTABLISHED || state == BPF_TCP_FIN_WAIT1 || state == BPF_TCP_FIN_WAIT2 ||
	       state == BPF_TCP_CLOSE_WAIT || state == BPF_TCP_CLOSING || state == BPF_TCP_LAST_ACK ||
	       state == BPF_TCP_TIME_WAIT;
}

/*
 * A TCP Fast Open server's connection can be accepted while still in SYN_RECV (its SYN carried data) and
 * close, or get the peer's FIN, before the handshake's last ACK: it then never passes ESTABLISHED, and these
 * transitions are its opening, counted as an accepted connection so that its close has a start.
 */
static __always_inline bool opened_without_established(int oldstate, int newstate)
{
	return oldstate == BPF_TCP_SYN_RECV && (newstate == BPF_TCP_FIN_WAIT1 || newstate == BPF_TCP_CLOSE_WAIT);
}

/*
 * Whether a socket leaving SYN_RECV is an active opener's: a simultaneous open goes SYN_SENT -> SYN_RECV ->
 * ESTABLISHED, and so does a socket connected to itself (a connect to a local port nothing listens on, from
 * that same port: a known hazard of connects to ports in the ephemeral range). Its outcome is its connect's.
 * A passive connection's socket has no struct socket until accept(), and one accept() made already
 * connected (TCP Fast Open); the connecting task's socket is connecting.
 */
static __always_inline bool active_opener(struct sock *sk, bool btf)
{
	if (btf) {
		struct socket *sock = sk->sk_socket;
		return sock && sock->state == SS_CONNECTING;
	}
	return BPF_CORE_READ(sk, sk_socket, state) == SS_CONNECTING;
}

/* Is this transition one we count or report? Decided before anything is read. */
static __always_inline bool wanted(int oldstate, int newstate)
{
	/* A listener opening or closing is not a connection; LISTEN -> SYN_RECV,
	 * the first state of a passive connection's own socket, is. */
	if (oldstate == newstate || newstate == BPF_TCP_LISTEN ||
	    (oldstate == BPF_TCP_LISTEN && newstate != BPF_TCP_SYN_RECV))
		return false;
	return bh_config.all_states || newstate == BPF_TCP_ESTABLISHED || newstate == BPF_TCP_CLOSE ||
	       (oldstate == BPF_TCP_CLOSE && newstate == BPF_TCP_SYN_SENT) || opened_without_established(oldstate, newstate);
}

static __always_inline void count_failure(struct bh_counters *c, int err)
{
	COUNT(c, failed_connects, 1);
	if (err == ECONNREFUSED)
		COUNT(c, failed_refused, 1);
	else if (err == ETIMEDOUT)
		COUNT(c, failed_timed_out, 1);
	else if (err == EHOSTUNREACH || err == ENETUNREACH)
		COUNT(c, failed_unreachable, 1);
	else if (err == ECONNRESET)
		COUNT(c, failed_reset, 1);
	else if (err == 0)
		COUNT(c, failed_closed_locally, 1);
}

/* What a connection carried, read from its socket as it closes. */
struct close_stats {
	__u64 bytes_sent;     /* payload, each byte once: retransmitted bytes taken out */
	__u64 bytes_received; /* payload: the peer's FIN, counted in sequence space, taken out */
	__u32 srtt_us;
	__u32 retransmits;
};

static __always_inline bool sock_done(unsigned long flags)
{
	/* SOCK_DONE: the peer's FIN was processed */
	return flags & (1UL << bpf_core_enum_value(enum sock_flags, SOCK_DONE));
}

static __always_inline void read_close_stats_btf(struct sock *sk, struct tcp_sock *tp, struct close_stats *st)
{
	if (!tp)
		return;
	st->bytes_sent = tp->bytes_sent - tp->bytes_retrans;
	st->bytes_received = tp->bytes_received;
	if (sock_done(sk->__sk_common.skc_flags) && st->bytes_received > 0)
		st->bytes_received--;
	st->srtt_us = tp->srtt_us >> 3; /* the kernel keeps srtt << 3 */
	st->retransmits = tp->total_retrans;
}

static __always_inline void read_close_stats_probe(struct sock *sk, struct close_stats *st)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	st->bytes_sent = BPF_CORE_READ(tp, bytes_sent) - BPF_CORE_READ(tp, bytes_retrans);
	st->bytes_received = BPF_CORE_READ(tp, bytes_received);
	if (sock_done(BPF_CORE_READ(sk, __sk_common.skc_flags)) && st->bytes_received > 0)
		st->bytes_received--;
	st->srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
	st->retransmits = BPF_CORE_READ(tp, total_retrans);
}

/*
 * A close of an established connection is counted only if its start was: in
 * the start window, that is known from start_set; after it, always.
 */
static __always_inline bool start_was_counted(__u64 cookie)
{
	if (listing_done)
		return true;
	return cookie && bpf_map_delete_elem(&start_set, &cookie) == 0;
}

static __always_inline void remember_start(__u64 cookie)
{
	if (!listing_done && cookie) {
		__u8 one = 1;
		bpf_map_update_elem(&start_set, &cookie, &one, BPF_NOEXIST);
	}
}

/*
 * A TCP connect: the socket enters SYN_SENT inside connect() (or sendmsg() with MSG_FASTOPEN), in the
 * connecting task, just before its SYN. Counted in the socket's cgroup, like its outcome, and reported with
 * the task: the only record of who connected, as the later transitions run in softirq, where the current
 * task is unrelated to the socket. The record carries the destination only, as connect() was given it.
 */
static __always_inline void submit_connect(const struct sock_facts *f, __u64 cookie)
{
	struct bh_counters *c = counters_for(f->cgroup_id, f->netns);
	if (c)
		COUNT(c, connect_attempts, 1);
	struct bh_stage *st = stage_take();
	struct bh_event *e = record_slot(st);
	if (!e) {
		stage_release(st);
		return;
	}
	event_init(e, BH_EVENT_CONNECT, cookie, f->cgroup_id, f->netns, IPPROTO_TCP, BH_DIR_OUTBOUND);
	fill_task(e);
	e->family = f->family;
	e->remote_port = f->remote_port;
	__builtin_memcpy(e->remote_addr, f->remote_addr, BH_ADDR_LEN);
	record_commit(st, e);
}

/* A wanted transition of a socket in scope, its facts read. */
static __always_inline int on_state(struct sock *sk, const struct sock_facts *f, __u64 cookie, int oldstate,
				    int newstate, bool btf)
{
	if (oldstate == BPF_TCP_CLOSE && newstate == BPF_TCP_SYN_SENT) {
		submit_connect(f, cookie);
		if (!bh_config.all_states)
			return 0;
	}
	bool closing = newstate == BPF_TCP_CLOSE;
	bool opened = (newstate == BPF_TCP_ESTABLISHED && (oldstate == BPF_TCP_SYN_SENT || oldstate == BPF_TCP_SYN_RECV)) ||
		      opened_without_established(oldstate, newstate);
	/* a connect's outcome: from SYN_SENT, or from the SYN_RECV of a simultaneous open */
	bool connecting = oldstate == BPF_TCP_SYN_SENT || (oldstate == BPF_TCP_SYN_RECV && active_opener(sk, btf));
	__u8 direction = BH_DIR_UNKNOWN;
	if (connecting || newstate == BPF_TCP_SYN_SENT)
		direction = BH_DIR_OUTBOUND;
	else if (newstate == BPF_TCP_SYN_RECV || oldstate == BPF_TCP_SYN_RECV)
		direction = BH_DIR_INBOUND;

	__u16 error = 0;
	struct close_stats st = {};
	bool with_stats = false;
	if (opened) {
		struct bh_counters *c = counters_for(f->cgroup_id, f->netns);
		if (c) {
			if (connecting)
				COUNT(c, outbound_established, 1);
			else
				COUNT(c, inbound_accepted, 1);
		}
		remember_start(cookie);
	} else if (closing && connecting) {
		error = btf ? sk->sk_err : BPF_CORE_READ(sk, sk_err);
		struct bh_counters *c = counters_for(f->cgroup_id, f->netns);
		if (c)
			count_failure(c, error);
	} else if (closing && is_established_family(oldstate)) {
		if (btf)
			read_close_stats_btf(sk, f->tcp, &st);
		else
			read_close_stats_probe(sk, &st);
		with_stats = true;
		if (start_was_counted(cookie)) {
			struct bh_counters *c = counters_for(f->cgroup_id, f->netns);
			if (c) {
				COUNT(c, closed, 1);
				COUNT(c, bytes_sent, st.bytes_sent);
				COUNT(c, bytes_received, st.bytes_received);
				COUNT(c, retransmits, st.retransmits);
			}
		} else {
			struct bh_stats *s = stats();
			if (s)
				COUNT(s, closed_untracked, 1);
		}
	}

	struct bh_stage *stage = stage_take();
	struct bh_event *e = record_slot(stage);
	if (!e) {
		stage_release(stage);
		return 0;
	}
	event_init(e, BH_EVENT_STATE, cookie, f->cgroup_id, f->netns, IPPROTO_TCP, direction);
	e->old_state = oldstate;
	e->new_state = newstate;
	e->error = error;
	fill_endpoints(e, f);
	if (with_stats) {
		e->bytes_sent = st.bytes_sent;
		e->bytes_received = st.bytes_received;
		e->srtt_us = st.srtt_us;
		e->retransmits = st.retransmits;
	}
	record_commit(stage, e);
	return 0;
}

/* Preferred tier: typed arguments, direct reads, and the cookie from the socket itself. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(bh_state_btf, struct sock *sk, int oldstate, int newstate)
{
	if (!wanted(oldstate, newstate) || sk->sk_protocol != IPPROTO_TCP)
		return 0;
	struct sock_facts f;
	read_cgroup_btf(sk, &f);
	if (!cgroup_in_scope_cached(f.cgroup, f.cgroup_id))
		return 0;
	read_facts_btf(sk, &f);
	/* the socket's own cookie; the helper only where none was made yet (one call fewer per record) */
	__u64 cookie = sk->__sk_common.skc_cookie.counter;
	if (!cookie)
		cookie = bpf_get_socket_cookie(sk);
	return on_state(sk, &f, cookie, oldstate, newstate, true);
}

/* Fallback tier: the classic tracepoint (needs tracefs). The cookie is read from
 * the socket; it is 0 until a hook asked for it (sockops does, at ESTABLISHED),
 * so a half-open passive connection cannot be joined to its later events. */
SEC("tracepoint/sock/inet_sock_set_state")
int bh_state_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (!wanted(ctx->oldstate, ctx->newstate) || ctx->protocol != IPPROTO_TCP)
		return 0;
	struct sock *sk = (struct sock *)ctx->skaddr;
	struct sock_facts f;
	read_cgroup_probe(sk, &f);
	if (!cgroup_in_scope_cached(f.cgroup, f.cgroup_id))
		return 0;
	read_facts_probe(sk, &f);
	__u64 cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	return on_state(sk, &f, cookie, ctx->oldstate, ctx->newstate, false);
}

/* --------------------------------------------- staged records, flushed */

/*
 * Run by the agent with BPF_PROG_TEST_RUN on one CPU (never attached), for a CPU whose stage holds records
 * it has waited for: hands them to the ring (2: no stage). It runs in an interrupt on that CPU, or (when the
 * agent's thread is on that CPU) with only preemption off, where a softirq's state hook can interrupt it: so
 * it may find the state hook halfway through the stage, and then leaves it and says so (1: the agent asks
 * again later).
 */
SEC("raw_tp")
int bh_stage_flush(void *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct bh_stage *st = bpf_map_lookup_elem(&stages, &cpu);
	return st ? flush_stage(st) : 2;
}

/*
 * A CPU taken offline keeps its stage, and the agent cannot run bh_stage_flush there any more: its records
 * would wait until it is back. The kernel takes a CPU down in steps, each passing this tracepoint; the steps
 * below CPUHP_TEARDOWN_CPU run on another CPU once the CPU is dead, when nothing writes to its stage and it
 * cannot come back before they end: the first of them hands the stage to the ring. Attached by the agent when
 * it stages records; every other step, and a CPU coming online, leave at once.
 */
SEC("raw_tp/cpuhp_enter")
int BPF_PROG(bh_stage_flush_hotplug, unsigned int cpu, int target, int step)
{
	if (!bpf_core_enum_value_exists(enum cpuhp_state, CPUHP_TEARDOWN_CPU))
		return 0;
	bool dead = target < step && step < bpf_core_enum_value(enum cpuhp_state, CPUHP_TEARDOWN_CPU);
	if (!dead)
		return 0;
	struct bh_stage *st = bpf_map_lookup_elem(&stages, &cpu);
	if (st)
		flush_stage(st);
	return 0;
}

/* ------------------------------- passive cookies for the classic tracepoint */

/*
 * Attached only with the classic tracepoint tier, which can read a socket's
 * cookie but not create one: a passive socket gets its cookie here, just
 * before its transition to ESTABLISHED, so that its later events and its
 * accept join. tp_btf creates cookies itself and needs no sockops.
 */
SEC("sockops")
int bh_sockops(struct bpf_sock_ops *skops)
{
	if (skops->op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
		bpf_get_socket_cookie(skops);
	return 1;
}

/* ------------------------------ at start: connections that already exist */

/*
 * Run after every other hook is attached, once in each network namespace of
 * the watched processes (the kernel's iterator lists the namespace it was made
 * in): lists the scope's TCP connections that were open before and counts
 * them, so that their close is counted like any other. A socket already in
 * start_set was counted by the state tracepoint after the hooks attached.
 */
SEC("iter/tcp")
int bh_iter_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	if (!skc)
		return 0; /* the agent ends the start window once every namespace is listed (listing_done) */
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(skc);
	if (!tp)
		return 0; /* request and time-wait sockets: no connection to track */
	struct sock *sk = (struct sock *)tp;
	struct sock_facts f;
	read_cgroup_probe(sk, &f);
	read_facts_probe(sk, &f);
	int state = f.state;
	bool established = is_established_family(state);
	if (!established && state != BPF_TCP_SYN_SENT)
		return 0;
	if (!cgroup_in_scope(f.cgroup))
		return 0;

	__u64 cookie = bpf_get_socket_cookie(sk);
	__u8 one = 1;
	if (bpf_map_update_elem(&start_set, &cookie, &one, BPF_NOEXIST) == -EEXIST)
		return 0; /* its start was counted by the state hook, after the hooks attached */
	/* in the set, or the set is full: counted here (skipped, its close would be counted without a start) */
	if (established) {
		struct bh_counters *c = counters_for(f.cgroup_id, f.netns);
		if (c)
			COUNT(c, preexisting, 1);
	}

	__u8 direction = state == BPF_TCP_SYN_SENT ? BH_DIR_OUTBOUND : BH_DIR_UNKNOWN;
	struct bh_event *e = event_reserve(BH_EVENT_EXISTING, cookie, f.cgroup_id, f.netns, IPPROTO_TCP, direction);
	if (!e)
		return 0;
	e->new_state = state;
	fill_endpoints(e, &f);
	event_submit(e);
	return 0;
}
