#!/usr/bin/env bash
# Startup cost of the agent, side by side: a hello-world JVM without and with
# -javaagent (runs alternate, so machine noise hits both alike). Prints the
# median and range of (a) the time before main() and (b) the whole process
# wall time, and the difference of the medians. Run as root to measure the
# real path (the BPF load itself happens on a daemon thread, after main starts).
#   usage: sudo ./scripts/bench-startup.sh [ROUNDS] [AGENT_OPTIONS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/agent/target/bpfhook-agent.jar"
ROUNDS="${1:-15}"
OPTIONS="${2:-}"
JAVA="${JAVA:-java}"
[[ -f "$JAR" ]] || "$ROOT/scripts/build.sh" >&2

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
javac -d "$WORK" "$ROOT/bench/StartupHello.java"

run() { # prints "uptime_ms wall_ms"
    local start end up
    start=$(date +%s%N)
    up=$("$JAVA" "$@" -cp "$WORK" StartupHello)
    end=$(date +%s%N)
    echo "$up $(( (end - start) / 1000000 ))"
}

: >"$WORK/without"; : >"$WORK/with"
for ((i = 0; i < ROUNDS; i++)); do
    run >>"$WORK/without"
    run "-javaagent:$JAR${OPTIONS:+=$OPTIONS}" >>"$WORK/with"
done

stats() { # column file -> "median min max"
    cut -d' ' -f"$1" "$2" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[1], a[NR]}'
}
report() {
    local col=$1 name=$2 w wo
    read -r wo_med wo_min wo_max < <(stats "$col" "$WORK/without")
    read -r w_med w_min w_max < <(stats "$col" "$WORK/with")
    printf '%-22s without agent: median %4d ms (%d-%d)   with agent: median %4d ms (%d-%d)   added: %d ms\n' \
        "$name" "$wo_med" "$wo_min" "$wo_max" "$w_med" "$w_min" "$w_max" $((w_med - wo_med))
}
echo "bpfhook startup benchmark: $ROUNDS rounds each, alternating; agent options: '${OPTIONS}'"
report 1 "time before main():"
report 2 "process wall time:"
