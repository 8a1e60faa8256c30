#!/usr/bin/env bash
# Event pipeline capacity: how many events a second the agent's Java side decodes and dispatches, end to
# end through the real ring buffer. A BPF producer (bpf/bench_producer.bpf.c, run with BPF_PROG_TEST_RUN)
# writes connection-like records into the ring of a running monitor, which watches an empty cgroup of its
# own so that its real hooks stay quiet; the monitor's ring thread reads them into the connection table
# and the JFR listener, as the agent does with its defaults. Prints per mode (JFR not recording, JFR
# recording the bpfhook events of jmx-config/bpfhook.jfc): records produced, received and dropped, events
# per second, the ring thread's CPU time per event, wakeups and waits; then the latency of one record
# written into an idle ring until the listeners have it. Exit 1 if received + dropped != produced.
#   usage: sudo ./scripts/bench-pipeline.sh [--events N] [--rounds N] [--ring SIZE] [--jfr] [--flood]
#          (no options: --events 20M --jfr --rounds 3; see --help)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/agent/target/bpfhook-agent.jar"
JAVA="${JAVA:-java}"

if [[ "$(id -u)" != 0 ]]; then
    echo "bench-pipeline.sh: needs root (the monitor and the producer load BPF programs); run: sudo $0 $*" >&2
    exit 2
fi
[[ -f "$JAR" ]] || "$ROOT/scripts/build.sh" >&2
grep -qs ' /sys/kernel/tracing tracefs ' /proc/self/mounts || mount -t tracefs nodev /sys/kernel/tracing || true

(($# > 0)) || set -- --events 20M --jfr --rounds 3
exec "$JAVA" -jar "$JAR" bench-pipeline "$@"
