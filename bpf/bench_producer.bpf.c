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

static long produce_one(__u64 index, void *data)
{
	struct loop_state *st = data;
	struct bh_bench_run *run = st->run;
	__u64 seq = run->first + index;
	__u64 group = seq / (STEPS * INTERLEAVE);
	__u64 within = seq % (STEPS * INTERLEAVE);
	__u32 step = within / INTERLEAVE;
	__u64 conn = group * INTERLEAVE + within % INTERLEAVE;
	int ipv6 = (conn & 3) == 3;

	/*
	 * The backlog and the clock are read once per CHECK_EVERY records: each read took about a fifth
	 * of the producer's time per record, and the producer must outrun the consumer it measures. The
	 * backlog then overshoots max_backlog by at most CHECK_EVERY records; records of one group share
	 * a timestamp (they are made within a microsecond).
	 */
	if (index % CHECK_EVERY == 0) {
		if (run->max_backlog && bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= run->max_backlog)
			return 1; /* stop: the caller runs again once the consumer caught up */
		st->now = bpf_ktime_get_ns();
	}
	struct bh_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		st->dropped++;
		return 0;
	}
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

	/* the monitor's event_submit: no wakeup unless the backlog crosses the threshold */
	__u64 waiting = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 flags = BPF_RB_NO_WAKEUP;
	if (waiting < run->wakeup_bytes && waiting + sizeof(*e) + 8 >= run->wakeup_bytes) {
		flags = BPF_RB_FORCE_WAKEUP;
		st->wakeups++;
	}
	bpf_ringbuf_submit(e, flags);
	st->submitted++;
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
