#!/usr/bin/env bash
# Runs the bpfhook connection monitor (needs root to load eBPF programs).
#   usage: sudo ./scripts/monitor.sh [options]
#   options pass through to the agent: -c/--cgroup, -m/--metrics-interval,
#   -s/--show-containers, -e/--show-events, --duration, --json, --help
# Builds the jar first if it is missing; set JAVA to use another java binary.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/agent/target/bpfhook-agent.jar"

if [[ "$(id -u)" != 0 ]]; then
    echo "monitor.sh: bpfhook needs root (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_SYS_ADMIN) to load eBPF programs; run: sudo $0${*:+ $*}" >&2
    exit 2
fi

if [[ ! -f "$JAR" ]]; then
    # build output goes to stderr so stdout carries only this tool's own output
    "$ROOT/scripts/build.sh" >&2
fi

# is_mounted DIR FSTYPE: true if /proc/self/mounts has FSTYPE mounted exactly at DIR
is_mounted() {
    local _device dir fstype _rest
    while read -r _device dir fstype _rest; do
        if [[ "$dir" == "$1" && "$fstype" == "$2" ]]; then
            return 0
        fi
    done </proc/self/mounts
    return 1
}

# ensure_mounted DIR FSTYPE: best effort; a failed mount is noted, not fatal
ensure_mounted() {
    if ! is_mounted "$1" "$2"; then
        mount -t "$2" nodev "$1" 2>/dev/null \
            || echo "monitor.sh: note: could not mount $2 at $1; continuing without it" >&2
    fi
}

ensure_mounted /sys/kernel/tracing tracefs
ensure_mounted /sys/fs/bpf bpf

exec "${JAVA:-java}" -jar "$JAR" "$@"
