/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bench_producer.h - the context of bench_producer.bpf.c's program, shared with
 * dev.bpfhook.kernel.BenchProducer (BenchProducerLayoutTest checks the offsets
 * against the BTF of the compiled object).
 *
 * The program is run with BPF_PROG_TEST_RUN; the kernel copies this struct in
 * before the run and back out after it, so one struct carries the arguments
 * and the results.
 */
#ifndef BENCH_PRODUCER_H
#define BENCH_PRODUCER_H

struct bh_bench_run {
	__u64 first;         /*  0: in: sequence number of the first record; the pattern of
	                            connections continues across runs */
	__u64 count;         /*  8: in: records to produce in this run */
	__u64 cookie_base;   /* 16: in: socket cookie of connection 0 (connection n has cookie_base + n) */
	__u64 cgroup_id;     /* 24: in: cgroup id every record carries */
	__u64 netns_cookie;  /* 32: in: network-namespace cookie every record carries */
	__u32 wakeup_bytes;  /* 40: in: wake the consumer when this many bytes wait, as bh_config.wakeup_bytes */
	__u32 max_backlog;   /* 44: in: stop the run early, before a record, when this many bytes wait in
	                            the ring: the producer then waits for the consumer instead of
	                            overrunning it; 0: never stop (the ring overflows, drops counted) */
	__u64 submitted;     /* 48: out: records committed to the ring */
	__u64 dropped;       /* 56: out: records not produced because the ring was full (reserve failed) */
	__u64 wakeups;       /* 64: out: ring records committed with BPF_RB_FORCE_WAKEUP */
	__u32 staged;        /* 72: in: 1: eight records per ring record, as a CPU's stage reaches the ring
	                            (BH_STAGE_RECORDS); 0: one per ring record */
};                           /* 80 bytes, padded */

#endif /* BENCH_PRODUCER_H */
