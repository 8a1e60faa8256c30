// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_producer: a source of bh_event records faster than any connection
 * loop, for the pipeline benchmark (java -jar bpfhook-agent.jar bench-pipeline).
 *
 * One SEC("syscall") program, run with BPF_PROG_TEST_RUN: it reserves, fills
 * and submits struct bh_event records in a bpf_loop, as the monitor's programs
 * do, into a ring buffer named like theirs. Before load the agent points this
 * object's `events` at the running monitor's ring (bpf_map__reuse_fd), so the
 * records reach the monitor's real consumer.
 *
 * The records look like the monitor's for real outbound TCP connections with
 * the agent's default states=lifecycle: a CONNECT with the process, then the
 * transitions SYN_SENT -> ESTABLISHED and FIN_WAIT2 -> CLOSE (with the close
 * statistics) without it, as user space joins them by cookie; 64 connections
 * interleaved, every fourth one over IPv6.
 *
 * A run stops early when the ring holds bh_bench_run.max_backlog bytes, so that
 * the benchmark measures what the consumer takes, not how fast a full ring
 * drops; with max_backlog 0 it never stops, and the drops are counted.
 *
 * With bh_bench_run.staged, the records go to the ring eight at a time, in one
 * ring record, as a CPU's staged records do under load: the consumer's path for
 * most of the agent's records at churn, and a producer that costs less per
 * record (one reservation per eight), so that it outruns the consumer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "bpfhook.h"
#include "bench_producer.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6

#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_FIN_WAIT2 5
#define TCP_CLOSE 7

#define STEPS 3       /* records per connection */
#define INTERLEAVE 64 /* connections open at once */
#define CHECK_EVERY 16 /* records per read of the backlog and the clock */
/* bpf_loop's own limit (BPF_MAX_LOOPS) */
#define MAX_PER_RUN (1 << 23)

/* Replaced by the monitor's ring before load: the size here does not matter. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

struct loop_state {
	struct bh_bench_run *run;
	__u64 submitted;
	__u64 dropped;
	__u64 wakeups;
	__u64 now;
	__u32 pid;
	__u32 tid;
	char comm[BH_COMM_LEN];
};

/* Fills record seq of the pattern (zeroed first). */
static __always_inline void fill_record(struct bh_event *e, const struct loop_state *st, __u64 seq)
{
	const struct bh_bench_run *run = st->run;
	__u64 group = seq / (STEPS * INTERLEAVE);
	__u64 within = seq % (STEPS * INTERLEAVE);
	__u32 step = within / INTERLEAVE;
	__u64 conn = group * INTERLEAVE + within % INTERLEAVE;
	int ipv6 = (conn & 3) == 3;

	__builtin_memset(e, 0, sizeof(*e));
	e->timestamp_ns = st->now;
	e->socket_cookie = run->cookie_base + conn;
	e->cgroup_id = run->cgroup_id;
	e->netns_cookie = run->netns_cookie;
	e->protocol = IPPROTO_TCP;
	e->family = ipv6 ? AF_INET6 : AF_INET;
	e->remote_port = 8080 + (conn & 15);
	if (ipv6) {
		e->remote_addr[15] = 1; /* ::1 */
	} else {
		e->remote_addr[0] = 127; /* 127.0.0.1 */
		e->remote_addr[3] = 1;
	}
	if (step == 0) {
		e->kind = BH_EVENT_CONNECT; /* the only record with the process, as the monitor's */
		e->direction = BH_DIR_OUTBOUND;
		e->pid = st->pid;
		e->tid = st->tid;
		__builtin_memcpy(e->comm, st->comm, BH_COMM_LEN);
	} else {
		e->kind = BH_EVENT_STATE;
		e->local_port = 32768 + (conn % 28000);
		if (ipv6) {
			e->local_addr[15] = 1;
		} else {
			e->local_addr[0] = 127;
			e->local_addr[3] = 1;
		}
		if (step == 1) {
			e->old_state = TCP_SYN_SENT;
			e->new_state = TCP_ESTABLISHED;
			e->direction = BH_DIR_OUTBOUND; /* known on the opening transition only */
		} else {
			e->old_state = TCP_FIN_WAIT2;
			e->new_state = TCP_CLOSE;
			e->bytes_sent = 64 + (conn & 1023);
			e->bytes_received = 64 + (conn & 511);
			e->srtt_us = 25 + (conn & 63);
		}
	}
}

/* The monitor's event_submit: no wakeup unless the backlog crosses the threshold. */
static __always_inline __u64 wakeup_flags(struct loop_state *st, __u64 bytes)
{
	__u64 waiting = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	if (waiting < st->run->wakeup_bytes && waiting + bytes + 8 >= st->run->wakeup_bytes) {
		st->wakeups++;
		return BPF_RB_FORCE_WAKEUP;
	}
	return BPF_RB_NO_WAKEUP;
}

/*
 * The backlog and the clock are read once per CHECK_EVERY records: each read took about a fifth of the
 * producer's time per record, and the producer must outrun the consumer it measures. The backlog then
 * overshoots max_backlog by at most CHECK_EVERY records; records of one group share a timestamp (they are
 * made within a microsecond). 1: the backlog is full; stop the run, the consumer must catch up first.
 */
static __always_inline int backlog_full(struct loop_state *st, __u64 index)
{
	if (index % CHECK_EVERY == 0) {
		if (st->run->max_backlog && bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= st->run->max_backlog)
			return 1;
		st->now = bpf_ktime_get_ns();
	}
	return 0;
}

/* Record index of the run, in a ring record of its own. */
static long produce_one(__u64 index, void *data)
{
	struct loop_state *st = data;
	if (backlog_full(st, index))
		return 1;
	struct bh_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		st->dropped++;
		return 0;
	}
	fill_record(e, st, st->run->first + index);
	bpf_ringbuf_submit(e, wakeup_flags(st, sizeof(*e)));
	st->submitted++;
	return 0;
}

/* Records 8 * group to 8 * group + 7 of the run, in one ring record. */
static long produce_eight(__u64 group, void *data)
{
	struct loop_state *st = data;
	__u64 index = group * BH_STAGE_RECORDS;
	if (backlog_full(st, index))
		return 1;
	struct bh_event *e = bpf_ringbuf_reserve(&events, BH_STAGE_RECORDS * sizeof(*e), 0);
	if (!e) {
		st->dropped += BH_STAGE_RECORDS;
		return 0;
	}
	for (int i = 0; i < BH_STAGE_RECORDS; i++)
		fill_record(&e[i], st, st->run->first + index + i);
	bpf_ringbuf_submit(e, wakeup_flags(st, BH_STAGE_RECORDS * sizeof(*e)));
	st->submitted += BH_STAGE_RECORDS;
	return 0;
}

SEC("syscall")
int bh_bench_produce(struct bh_bench_run *run)
{
	struct loop_state st = { .run = run };
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 count = run->count;

	st.pid = pid_tgid >> 32;
	st.tid = (__u32)pid_tgid;
	bpf_get_current_comm(st.comm, sizeof(st.comm));
	if (count > MAX_PER_RUN)
		count = MAX_PER_RUN;
	if (run->staged)
		bpf_loop(count / BH_STAGE_RECORDS, produce_eight, &st, 0); /* the caller asks for whole stages */
	else
		bpf_loop(count, produce_one, &st, 0);
	run->submitted = st.submitted;
	run->dropped = st.dropped;
	run->wakeups = st.wakeups;
	return 0;
}

/*
 * Does nothing. What the kernel's run-time statistics (kernel.bpf_stats_enabled) report for it is
 * their own cost: the kernel reads its clock before and after every run it measures, and one read
 * falls inside what it counts; every measured run of the monitor's programs includes the same.
 */
SEC("syscall")
int bh_bench_nop(void *ctx)
{
	return 0;
}
