#!/usr/bin/env bash
# Memory the agent adds to a JVM, idle and with many tracked (open) connections, with and without
# the agent in one run (runs alternate, so machine noise hits both alike). A JVM in a cgroup of the
# script's own making opens CONNECTIONS loopback connections and keeps them open (both ends are in
# it: twice as many sockets), then prints its heap used and committed after System.gc(), VmRSS and
# VmHWM; idle, it opens none. The agent runs with its default outputs (JMX, JFR, Jolokia) and a
# table big enough for every socket (connections=262144, or more for more connections).
# Prints per case the median and range of each figure, what the agent adds idle and loaded, and
# that difference per tracked connection (an entry of the agent's table: one per socket, so two
# per loopback connection).
# Open files: the script raises the limit to 2 x CONNECTIONS + 1024 (root with CAP_SYS_RESOURCE);
# where it cannot, the JVM holds what its limit allows and child processes (small JVMs without
# the agent, in the same cgroup, so the agent tracks them too) hold the rest, and the output says so.
#   usage: sudo ./scripts/bench-memory.sh [CONNECTIONS=100000] [ROUNDS=2] [MORE_BPFHOOK_OPTIONS]
#   JVM_OPTIONS="-Xmx1g" ...  options for the measured JVM in both modes (default: none, JVM defaults)
#   SETTLE_MS=2000 ...        wait after the connections are open (and tracked) before measuring
#   RATE=4000 ...             at most this many connections opened a second (0: no limit); a burst faster
#                             than the agent drains its ring loses events (counted, and shown)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/agent/target/bpfhook-agent.jar"
CONNECTIONS="${1:-100000}"
ROUNDS="${2:-2}"
OPTIONS="${3:-}"
JAVA="${JAVA:-java}"
SETTLE_MS="${SETTLE_MS:-2000}"
RATE="${RATE:-4000}"
read -r -a JVM_ARGS <<<"${JVM_OPTIONS:-}"

if [[ "$(id -u)" != 0 ]]; then
    echo "bench-memory.sh: needs root (the agent loads BPF programs; the runs go to a cgroup of their own); run: sudo $0 $*" >&2
    exit 2
fi
[[ -f "$JAR" ]] || "$ROOT/scripts/build.sh" >&2
grep -qs ' /sys/kernel/tracing tracefs ' /proc/self/mounts || mount -t tracefs nodev /sys/kernel/tracing || true

WORK="$(mktemp -d)"
# the cgroup v2 mount point: mountinfo's field 5, on the line whose file system (after "-") is cgroup2
CG_MOUNT="$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
    /proc/self/mountinfo)"
[[ -n "$CG_MOUNT" ]] || { echo "$(basename "$0"): no cgroup v2 hierarchy is mounted; mount one, e.g. mount -t cgroup2 none /sys/fs/cgroup/unified" >&2; exit 2; }
CGROUP="$CG_MOUNT/bpfhook-bench-memory-$$"
mkdir -p "$CGROUP"
cleanup() { # the benchmark's processes end on their own; after an interrupt, end the ones left in our cgroup
    local i
    for ((i = 0; i < 300; i++)); do
        [[ -n "$(cat "$CGROUP/cgroup.procs" 2>/dev/null)" ]] || break
        if ((i == 100)); then xargs -r kill -9 <"$CGROUP/cgroup.procs" 2>/dev/null || true; fi
        sleep 0.1
    done
    rmdir "$CGROUP" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
javac -d "$WORK" "$ROOT/bench/MemoryLoad.java"

free_port() { # the first TCP port from $1 up that nothing listens on
    local port=$1
    while ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; do port=$((port + 1)); done
    echo "$port"
}
join() { local IFS=,; echo "$*"; }

TABLE=262144
((2 * CONNECTIONS + 1024 > TABLE)) && TABLE=$((2 * CONNECTIONS + 1024))
AGENT_OPTIONS="$(join "connections=$TABLE" ${OPTIONS:+"$OPTIONS"})"
NOFILE=$((2 * CONNECTIONS + 1024))

# run CASE MODE: one JVM in the benchmark's cgroup; appends "CASE MODE <its line>" to $WORK/results.
# Jolokia's port is chosen before each run (8778, the default, unless another process holds it); a
# run whose port was taken in between (the agent says so) is run again.
run() {
    local case=$1 mode=$2 args=() conns=0 line options port attempt i
    [[ "$case" == load ]] && conns="$CONNECTIONS"
    for attempt in 1 2 3; do
        options="$AGENT_OPTIONS"
        port="$(free_port 8778)"
        if [[ "$port" != 8778 ]]; then
            options="$(join "$options" "jolokia=127.0.0.1:$port")"
            [[ "$mode" == agent ]] && echo "$case" >>"$WORK/moved"
        fi
        [[ "$mode" == agent ]] && args=("-javaagent:$JAR=$options" -Dbench.agent=true)
        line="$(bash -c 'echo $$ > "$0/cgroup.procs" && { ulimit -n "$1" 2>/dev/null || ulimit -n "$(ulimit -Hn)"; } && shift && exec "$@"' \
            "$CGROUP" "$NOFILE" "$JAVA" "${JVM_ARGS[@]}" "${args[@]}" -cp "$WORK" MemoryLoad "$conns" "$SETTLE_MS" "$RATE" \
            2>"$WORK/err" | grep '^connections=')" || { echo "bench-memory.sh: $case $mode failed:" >&2; cat "$WORK/err" >&2; exit 1; }
        for ((i = 0; i < 600; i++)); do # the processes take a moment to close their sockets as they go
            [[ -n "$(cat "$CGROUP/cgroup.procs")" ]] || break
            sleep 0.1
        done
        grep -q 'jolokia cannot listen' "$WORK/err" && ((attempt < 3)) || break
    done
    echo "$case $mode $line" >>"$WORK/results"
    if [[ -s "$WORK/err" ]] && ! grep -qs "^$case $mode: " "$WORK/said"; then
        head -3 "$WORK/err" | sed "s/^/$case $mode: /" >>"$WORK/said"
    fi
}

: >"$WORK/results"; : >"$WORK/moved"
for ((r = 0; r < ROUNDS; r++)); do
    for case in idle load; do
        if ((r % 2 == 0)); then run "$case" none; run "$case" agent; else run "$case" agent; run "$case" none; fi
    done
done

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
stats() { # CASE MODE FIELD -> "median min max"
    grep "^$1 $2 " "$WORK/results" | field "$3" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[1], a[NR]}'
}
median() { stats "$@" | cut -d' ' -f1; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
added() { awk -v a="$(median "$1" agent "$2")" -v b="$(median "$1" none "$2")" 'BEGIN {printf "%+.1f", (a - b) / 1024}'; }

last="$(grep '^load agent ' "$WORK/results" | tail -1)"
own="$(echo "$last" | field own)"; children="$(echo "$last" | field children)"; limit="$(echo "$last" | field fd_limit)"
echo "bpfhook memory benchmark: $CONNECTIONS loopback connections held open ($((2 * CONNECTIONS)) sockets, at most $RATE" \
    "opened a second), $ROUNDS rounds, agent and no agent alternating ($(nproc) CPUs, kernel $(uname -r)," \
    "$("$JAVA" -version 2>&1 | head -1))"
echo "agent: -javaagent:bpfhook-agent.jar=$AGENT_OPTIONS (default outputs: JMX, JFR, Jolokia); JVM options: '${JVM_OPTIONS:-}'"
if [[ "$children" != 0 ]]; then
    echo "open files: limit $limit (it cannot be raised here to $NOFILE: that takes CAP_SYS_RESOURCE), so the measured JVM" \
        "holds $own connections and $children child processes in its cgroup (small JVMs without the agent) hold the rest"
fi
ROW='%-12s %-24s %-24s %-24s %-24s\n'
printf "$ROW" case "heap after GC [MiB]" "heap committed [MiB]" "VmRSS [MiB]" "VmHWM [MiB]"
for case in idle load; do
    for mode in none agent; do
        cols=()
        for f in heap_kb heap_committed_kb rss_kb hwm_kb; do
            read -r med min max < <(stats "$case" "$mode" "$f")
            cols+=("$(printf '%7s (%s-%s)' "$(mib "$med")" "$(mib "$min")" "$(mib "$max")")")
        done
        printf "$ROW" "$case $mode" "${cols[@]}"
    done
done
echo "agent, last load round: table entries $(echo "$last" | field tracked) (established $(echo "$last" | field established))," \
    "kernel's active connections $(echo "$last" | field active), evicted $(echo "$last" | field evicted), events received" \
    "$(echo "$last" | field received), dropped $(echo "$last" | field dropped), lost $(echo "$last" | field lost);" \
    "opening took $(median load agent seconds) s (no agent: $(median load none seconds) s, medians)"
printf "$ROW" "added" "heap after GC [MiB]" "heap committed [MiB]" "VmRSS [MiB]" "VmHWM [MiB]"
printf "$ROW" "idle" "$(added idle heap_kb)" "$(added idle heap_committed_kb)" "$(added idle rss_kb)" "$(added idle hwm_kb)"
printf "$ROW" "loaded" "$(added load heap_kb)" "$(added load heap_committed_kb)" "$(added load rss_kb)" "$(added load hwm_kb)"
tracked="$(median load agent tracked)"
per() { # FIELD -> bytes per tracked connection: (added loaded - added idle) / table entries
    awk -v la="$(median load agent "$1")" -v ln="$(median load none "$1")" -v ia="$(median idle agent "$1")" \
        -v in_="$(median idle none "$1")" -v t="$tracked" \
        'BEGIN {if (t > 0) printf "%+d B", ((la - ln) - (ia - in_)) * 1024 / t; else print "-"}'
}
printf "$ROW" "per tracked" "$(per heap_kb)" "$(per heap_committed_kb)" "$(per rss_kb)" "$(per hwm_kb)"
echo "(per tracked connection = (added loaded - added idle) / $tracked table entries, medians; heap after GC is what the"
echo " table keeps, the rest also counts garbage the agent made and the heap the JVM grew to for it)"
if [[ -s "$WORK/moved" ]]; then
    echo "another process held port 8778 in $(wc -l <"$WORK/moved") agent runs: those had jolokia=127.0.0.1:PORT (the next free one)"
fi
if [[ -s "$WORK/said" ]]; then
    echo "on stderr (first run of each case that wrote any, up to 3 lines):"
    sed 's/^/  /' "$WORK/said"
fi
