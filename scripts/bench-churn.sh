#!/usr/bin/env bash
# Connection churn with and without the agent, side by side in one run: rounds alternate between
# modes, so machine noise hits them alike. Prints connections per second per mode, the ratio to the
# no-agent rounds (median, min, max), CPU time per connection of the whole process (median, and its
# ratio to the no-agent rounds') and of the agent's own threads, and,
# in agent rounds, connections counted vs made, events received/dropped/lost and our BPF programs'
# run time per connection (kernel.bpf_stats_enabled is turned on for the agent-stats and agent-elsewhere
# modes only), and the JIT compilers' CPU per connection. Each round warms up with WARMUP connections
# (default: CONNECTIONS) before the measured ones: the JIT compilation of a fresh JVM, the agent's code
# and the JDK's alike, is a one-time cost (after a warm-up of 2000 it was a third of a 20000-connection
# round's CPU, with or without the agent) that would hide the per-connection one.
#   usage: sudo ./scripts/bench-churn.sh [CONNECTIONS=20000] [ROUNDS=3] [THREADS="1 2"]
#          MODES="none agent" sudo -E ./scripts/bench-churn.sh ...   (only these modes; none is always run)
#          WARMUP=2000 sudo -E ./scripts/bench-churn.sh ...   (connections before each round's measured ones)
#          RATE=50 sudo -E ./scripts/bench-churn.sh 1000 3 1 ...   (the measured connections paced at RATE a second
#              in all, the warm-up not: what a service that connects now and then pays per connection, in CPU;
#              the conn/s column then shows the pace)
#          OTHER_JAR=/path/to/bpfhook-agent.jar sudo -E ./scripts/bench-churn.sh ...   (adds agent-stats-other:
#              agent-stats with that build of the agent, alternating with this one, to compare two builds;
#              MODES="agent agent-other" compares them with the statistics off, as production runs)
#          BUILDS="empty=builds/empty.jar scratch=builds/scratch.jar" sudo -E ./scripts/bench-churn.sh ...   (adds
#              a mode build-NAME per build, as agent with that jar: builds made to take the agent apart, all
#              alternating in one run; NAME=JAR@OPTIONS adds agent options to that mode's, e.g.
#              BUILDS="small=agent/target/bpfhook-agent.jar@ring=512K" for this build with a smaller ring)
# Modes: none (no agent), agent (every connection reported, JFR events not recorded), agent-all (the
# same with states=all: an event per TCP transition), agent-jfr (a
# recording with bpfhook.jfc), agent-stats (as agent, with BPF run-time statistics), agent-elsewhere (no
# agent in the churn JVM, while another JVM runs one that watches its own cgroup: what our hooks cost the
# services the agent does not watch, from the kernel's run-time statistics, read with bpftool), and peers
# where they run: bpftrace counting state changes in a map (bpftrace-count) and printing each
# (bpftrace-print); they run by default when bpftrace is installed (BPFTRACE=/path/to/bpftrace names another).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/agent/target/bpfhook-agent.jar"
CONNECTIONS="${1:-20000}"
ROUNDS="${2:-3}"
THREADS="${3:-1 2}"
JAVA="${JAVA:-java}"
WARMUP="${WARMUP:-}"
OTHER_JAR="${OTHER_JAR:-}"
BPFTRACE="${BPFTRACE:-bpftrace}"
if [[ -n "$OTHER_JAR" && ! -f "$OTHER_JAR" ]]; then
    echo "bench-churn.sh: OTHER_JAR=$OTHER_JAR is not a file: give the agent jar of the build to compare with" >&2
    exit 2
fi
declare -A BUILD_JAR=() BUILD_OPTIONS=()
for build in ${BUILDS:-}; do
    name="${build%%=*}"
    jar="${build#*=}"
    options=""
    if [[ "$jar" == *@* ]]; then
        options="${jar#*@}"
        jar="${jar%%@*}"
    fi
    if [[ "$build" != *=* || ! "$name" =~ ^[A-Za-z0-9_-]+$ || ! -f "$jar" ]]; then
        echo "bench-churn.sh: BUILDS entry '$build' is not NAME=JAR or NAME=JAR@OPTIONS (NAME of letters, digits, - and _; JAR an agent jar that exists; OPTIONS agent options such as ring=512K)" >&2
        exit 2
    fi
    BUILD_JAR[$name]="$jar"
    BUILD_OPTIONS[$name]="$options"
done
for number in "$CONNECTIONS" "$ROUNDS" ${WARMUP:+"$WARMUP"} ${RATE:+"$RATE"}; do
    [[ "$number" =~ ^[0-9]+$ ]] || { echo "bench-churn.sh: '$number' is not a count: CONNECTIONS, ROUNDS, WARMUP and RATE are whole numbers" >&2; exit 2; }
done

if [[ "$(id -u)" != 0 ]]; then
    echo "bench-churn.sh: needs root (the agent loads BPF programs); run: sudo $0 $*" >&2
    exit 2
fi
[[ -f "$JAR" ]] || "$ROOT/scripts/build.sh" >&2
grep -qs ' /sys/kernel/tracing tracefs ' /proc/self/mounts || mount -t tracefs nodev /sys/kernel/tracing || true

WORK="$(mktemp -d)"
# the cgroup v2 mount point: mountinfo's field 5, on the line whose file system (after "-") is cgroup2
CG_MOUNT="$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
    /proc/self/mountinfo)"
[[ -n "$CG_MOUNT" ]] || { echo "$(basename "$0"): no cgroup v2 hierarchy is mounted; mount one, e.g. mount -t cgroup2 none /sys/fs/cgroup/unified" >&2; exit 2; }
CGROUP="$CG_MOUNT/bpfhook-bench-$$"
NEIGHBOUR="$CG_MOUNT/bpfhook-bench-$$-neighbour"
mkdir -p "$CGROUP"
STATS_BEFORE="$(cat /proc/sys/kernel/bpf_stats_enabled)"
# stop_peer: bpftrace ends on SIGINT (Ctrl-C); it sometimes ignored SIGTERM and the run waited for it forever
stop_peer() {
    kill -INT "$PEER_PID" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$PEER_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$PEER_PID" 2>/dev/null || true
    wait "$PEER_PID" 2>/dev/null || true
    PEER_PID=
    rm -f "$WORK/peer.pid"
}
# start_peer PROGRAM: bpftrace running PROGRAM, its output thrown away, given 3 s to attach; a bpftrace that
# exited by then fails the run (a round without its peer would be labelled as one with it)
start_peer() {
    "$BPFTRACE" -e "$1" >/dev/null 2>"$WORK/peer.err" &
    PEER_PID=$!
    echo "$PEER_PID" >"$WORK/peer.pid"
    sleep 3
    if ! kill -0 "$PEER_PID" 2>/dev/null; then
        stop_peer # reaps it and forgets it
        local reason
        reason="$(grep -v '^$' "$WORK/peer.err" | tail -1)"
        echo "bench-churn.sh: $BPFTRACE exited before the round${reason:+: $reason}" >&2
        return 1
    fi
}
cleanup() {
    echo "$STATS_BEFORE" > /proc/sys/kernel/bpf_stats_enabled
    # a peer a round started (in the round's subshell, whose variables this shell does not see)
    [[ ! -f "$WORK/peer.pid" ]] || PEER_PID="$(cat "$WORK/peer.pid")"
    [[ -z "${PEER_PID:-}" ]] || stop_peer >/dev/null
    stop_neighbour
    # a churn JVM still running (the script was interrupted in a round): its cgroup goes with it
    local pid
    for pid in $(cat "$CGROUP/cgroup.procs" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    for _ in $(seq 50); do rmdir "$CGROUP" 2>/dev/null && break; sleep 0.1; done
    rm -rf "$WORK"
}
# start_neighbour: a JVM with the agent, idle in a cgroup of its own, which it watches (scope=self)
start_neighbour() {
    mkdir -p "$NEIGHBOUR"
    sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$NEIGHBOUR" "$JAVA" "-javaagent:$JAR=jolokia=off,jfr=off,jmx=off" \
        -cp "$WORK" StartupHello 3600000 >/dev/null 2>"$WORK/neighbour.err" &
    NEIGHBOUR_PID=$!
    for _ in $(seq 200); do # its hooks attach on the agent's loader thread
        bpftool prog show name bh_state_btf >/dev/null 2>&1 || bpftool prog show name bh_state_tp >/dev/null 2>&1 \
            && { sleep 1; return 0; }
        kill -0 "$NEIGHBOUR_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "bench-churn.sh: the neighbour's agent did not attach its hooks: $(cat "$WORK/neighbour.err")" >&2
    stop_neighbour
    return 1
}
# stop_neighbour: ends every process of the neighbour's cgroup and removes it. By cgroup, not by pid:
# run() starts the neighbour in a subshell, whose pid variable the EXIT trap does not see
stop_neighbour() {
    [[ -d "$NEIGHBOUR" ]] || return 0
    local pid
    for pid in $(cat "$NEIGHBOUR/cgroup.procs" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    [[ -n "${NEIGHBOUR_PID:-}" ]] && wait "$NEIGHBOUR_PID" 2>/dev/null || true
    NEIGHBOUR_PID=
    for _ in $(seq 50); do rmdir "$NEIGHBOUR" 2>/dev/null && break; sleep 0.1; done
}
# bpf_runs: the run time (ns) and the runs the kernel counted for all bpfhook programs (bh_*) so far: "NS RUNS"
bpf_runs() {
    bpftool prog show -j | python3 -c 'import json, sys
ours = [p for p in json.load(sys.stdin) if p.get("name", "").startswith("bh_")]
print(sum(p.get("run_time_ns", 0) for p in ours), sum(p.get("run_cnt", 0) for p in ours))'
}
trap cleanup EXIT
javac -d "$WORK" "$ROOT/bench/Churn.java" "$ROOT/bench/StartupHello.java"

if [[ -n "${MODES:-}" ]]; then
    [[ " $MODES " == *" none "* ]] || MODES="none $MODES" # the ratios need the no-agent rounds
else
    MODES="none agent agent-all agent-jfr agent-stats"
    if command -v bpftool >/dev/null && command -v python3 >/dev/null; then
        MODES="$MODES agent-elsewhere"
    fi
    if command -v "$BPFTRACE" >/dev/null; then
        MODES="$MODES bpftrace-count bpftrace-print"
    else
        PEERS_LEFT_OUT="peers left out: no $BPFTRACE (apt-get install bpftrace adds bpftrace-count and bpftrace-print)"
    fi
fi
if [[ " $MODES " == *" bpftrace-"* ]] && ! command -v "$BPFTRACE" >/dev/null; then
    echo "bench-churn.sh: modes bpftrace-count and bpftrace-print need bpftrace, and $BPFTRACE is not a command: install it (apt-get install bpftrace) or name it with BPFTRACE=/path/to/bpftrace" >&2
    exit 2
fi
if [[ -n "$OTHER_JAR" && " $MODES " != *" agent-stats-other "* && " $MODES " != *" agent-other "* ]]; then
    MODES="$MODES agent-stats-other"
fi
for build in ${BUILDS:-}; do # in the order given
    [[ " $MODES " == *" build-${build%%=*} "* ]] || MODES="$MODES build-${build%%=*}"
done
for mode in $MODES; do
    if [[ "$mode" == build-* && -z "${BUILD_JAR[${mode#build-}]:-}" ]]; then
        echo "bench-churn.sh: mode $mode needs BUILDS=\"${mode#build-}=/path/to/bpfhook-agent.jar\"" >&2
        exit 2
    fi
done
if [[ ( " $MODES " == *" agent-stats-other "* || " $MODES " == *" agent-other "* ) && -z "$OTHER_JAR" ]]; then
    echo "bench-churn.sh: modes agent-other and agent-stats-other need OTHER_JAR, the agent jar of the build to compare with" >&2
    exit 2
fi

# run MODE THREADS: one churn JVM in the benchmark's cgroup; prints its result line
run() {
    local mode=$1 threads=$2 args=()
    case "$mode" in
        agent|agent-stats) args=("-javaagent:$JAR=jolokia=off,jfr=off" -Dbench.agent=true) ;;
        agent-other|agent-stats-other) args=("-javaagent:$OTHER_JAR=jolokia=off,jfr=off" -Dbench.agent=true) ;;
        build-*) local build=${mode#build-}
                 args=("-javaagent:${BUILD_JAR[$build]}=jolokia=off,jfr=off${BUILD_OPTIONS[$build]:+,${BUILD_OPTIONS[$build]}}"
                       -Dbench.agent=true) ;;
        agent-all) args=("-javaagent:$JAR=jolokia=off,jfr=off,states=all" -Dbench.agent=true) ;;
        agent-jfr) args=("-javaagent:$JAR=jolokia=off" -Dbench.agent=true
                         "-XX:StartFlightRecording:settings=$ROOT/jmx-config/bpfhook.jfc,filename=$WORK/r.jfr") ;;
    esac
    [[ "$mode" == agent-stats* || "$mode" == agent-elsewhere ]] && echo 1 > /proc/sys/kernel/bpf_stats_enabled
    local ran_before="0 0"
    if [[ "$mode" == agent-elsewhere ]]; then
        start_neighbour || return 1
        ran_before="$(bpf_runs)"
    fi
    case "$mode" in
        bpftrace-count)
            start_peer 'tracepoint:sock:inet_sock_set_state { @[args->newstate] = count(); }' || return 1 ;;
        bpftrace-print)
            start_peer 'tracepoint:sock:inet_sock_set_state { printf("%d %d %d\n", pid, args->oldstate, args->newstate); }' \
                || return 1 ;;
    esac
    local line
    line="$(sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CGROUP" "$JAVA" "${args[@]}" \
        ${WARMUP:+-Dbench.warmup=$WARMUP} ${RATE:+-Dbench.rate=$RATE} -cp "$WORK" Churn "$CONNECTIONS" "$threads" 2>"$WORK/err" | grep '^connections=')" \
        || { cat "$WORK/err" >&2; stop_neighbour; [[ -z "${PEER_PID:-}" ]] || stop_peer >/dev/null; return 1; }
    if [[ "$mode" == agent-elsewhere ]]; then
        # every connection of the round, its warm-up included, ran the neighbour's hooks
        local made=$(( CONNECTIONS + $(echo "$line" | field warmup) )) ran_after
        ran_after="$(bpf_runs)"
        line="$line bpf_ns_per_connection=$(( (${ran_after% *} - ${ran_before% *}) / made ))"
        line="$line bpf_runs_per_connection=$(awk -v a="${ran_after#* }" -v b="${ran_before#* }" -v m="$made" 'BEGIN {printf "%.1f", (a - b) / m}')"
        stop_neighbour
    fi
    echo "$line"
    [[ "$mode" == agent-stats* || "$mode" == agent-elsewhere ]] && echo "$STATS_BEFORE" > /proc/sys/kernel/bpf_stats_enabled
    if [[ -n "${PEER_PID:-}" ]]; then stop_peer; fi
}

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p; s/^$1=\([0-9.]*\).*/\1/p" | head -1; }

# what the kernel's run-time statistics add to each run they measure (one of their clock reads), to
# take out of the agent-stats rounds' figure: measured on a program that does nothing
STATS_CLOCK_NS=
if [[ " $MODES " == *" agent-stats"* || " $MODES " == *" agent-elsewhere "* ]]; then
    STATS_CLOCK_NS="$("$JAVA" -jar "$JAR" bench-clock | sed -n 's/^stats_clock_ns_per_run=\([0-9.]*\) .*/\1/p')" \
        || { echo "bench-churn.sh: bench-clock failed (above): the BPF sums keep the statistics' own clock" >&2
             STATS_CLOCK_NS=; }
fi
echo "bpfhook churn benchmark: $CONNECTIONS connections per round${RATE:+ paced at $RATE a second}, $ROUNDS rounds, threads: $THREADS"
echo "modes: $MODES ($(nproc) CPUs, kernel $(uname -r))"
[[ -z "${PEERS_LEFT_OUT:-}" ]] || echo "$PEERS_LEFT_OUT"
for threads in $THREADS; do
    : >"$WORK/results"
    for ((r = 1; r <= ROUNDS; r++)); do
        # every other round in the reverse order, so that no mode always runs right after another
        order="$MODES"
        (( r % 2 == 0 )) && order="$(echo $MODES | tr ' ' '\n' | tac | tr '\n' ' ')"
        for mode in $order; do
            line="$(run "$mode" "$threads")"
            echo "$mode $line round=$r" >>"$WORK/results"
        done
    done
    echo
    echo "threads=$threads"
    printf '  %-17s %10s %22s %9s %9s %9s %9s %s\n' mode "conn/s" "ratio to none (min-max)" "cpu us/c" "cpu ratio" \
        "agent us/c" "jit us/c" \
        "agent rounds: counted/made, events received/dropped/lost (last round), BPF ns per connection (median, min-max)"
    median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
    # per_connection MODE FIELD: median over the mode's rounds of FIELD (CPU seconds) in microseconds per connection
    per_connection() {
        grep "^$1 " "$WORK/results" | sed -n "s/.* $2=\([0-9.]*\).*/\1/p" \
            | awk -v n="$CONNECTIONS" '{printf "%.1f\n", $1 * 1e6 / n}' | median
    }
    base="$(grep '^none ' "$WORK/results" | sed 's/.* rate=\([0-9]*\).*/\1/' | median)"
    base_cpu="$(per_connection none cpu)"
    for mode in $MODES; do
        rates="$(grep "^$mode " "$WORK/results" | sed 's/.* rate=\([0-9]*\).*/\1/' | sort -n)"
        med="$(echo "$rates" | median)"
        min="$(echo "$rates" | head -1)"; max="$(echo "$rates" | tail -1)"
        cpu="$(per_connection "$mode" cpu)"; agent="$(per_connection "$mode" agent_cpu)"
        jit="$(per_connection "$mode" jit_cpu)"
        last="$(grep "^$mode " "$WORK/results" | tail -1)"
        extra=""
        if [[ "$last" == *counted_outbound=* ]]; then
            extra="$(echo "$last" | field counted_outbound)/$CONNECTIONS, $(echo "$last" | field events_received)/$(echo "$last" | field events_dropped)/$(echo "$last" | field events_lost)"
            if [[ "$mode" == agent-stats* ]]; then # every round's: builds are compared by them
                ns="$(grep "^$mode " "$WORK/results" | sed -n 's/.* bpf_ns_per_connection=\([0-9]*\).*/\1/p' | sort -n)"
                extra="$extra, $(echo "$ns" | median) ns ($(echo "$ns" | head -1)-$(echo "$ns" | tail -1))"
            fi
        elif [[ "$mode" == agent-elsewhere ]]; then
            ns="$(echo "$last" | field bpf_ns_per_connection)"
            runs="$(echo "$last" | field bpf_runs_per_connection)"
            extra="$ns ns in $runs runs of the hooks of an agent watching another cgroup"
            [[ -z "$STATS_CLOCK_NS" ]] || extra="$extra ($(awk -v n="$ns" -v r="$runs" -v c="$STATS_CLOCK_NS" \
                'BEGIN {printf "%d", n - r * c}') ns less the statistics' clock)"
        fi
        printf '  %-17s %10s %8s (%s-%s) %9s %9s %9s %9s %s\n' "$mode" "$med" \
            "$(awk -v m="$med" -v b="$base" 'BEGIN {printf "%.3f", m/b}')" \
            "$(awk -v m="$min" -v b="$base" 'BEGIN {printf "%.2f", m/b}')" \
            "$(awk -v m="$max" -v b="$base" 'BEGIN {printf "%.2f", m/b}')" \
            "$cpu" "$(awk -v m="$cpu" -v b="$base_cpu" 'BEGIN {printf "%.3f", m/b}')" "$agent" "$jit" "$extra"
    done
    # paired MODE FIELD: each round's MODE figure over the same round's no-agent one: median (min-max). The
    # host drifts between slow and fast phases over a run, and the rounds of one pair ran minutes apart at most.
    paired() {
        awk -v mode="$1" -v field="$2" '
            { round = ""; value = ""
              for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "round") round = kv[2]; if (kv[1] == field) value = kv[2] }
              if ($1 == "none") base[round] = value; else if ($1 == mode) of[round] = value }
            END { for (r in of) if (base[r] > 0) print of[r] / base[r] }' "$WORK/results" \
            | sort -n | awk '{a[NR] = $1} END {if (NR) printf "%.3f (%.2f-%.2f)", a[int((NR + 1) / 2)], a[1], a[NR]}'
    }
    echo "  each round against the same round's no-agent run (ratio per round, median (min-max)):"
    for mode in $MODES; do
        [[ "$mode" == none ]] && continue
        printf '    %-17s rate %s, cpu %s\n' "$mode" "$(paired "$mode" rate)" "$(paired "$mode" cpu)"
    done
    stats_line="$(grep '^agent-stats ' "$WORK/results" | tail -1 || true)"
    if [[ "$stats_line" == *bpf_programs=* ]]; then
        echo "  BPF run time per connection by program (last agent-stats round; a loopback connection runs both ends):"
        echo "$stats_line" | sed 's/.*bpf_programs=\([^ ]*\).*/\1/' | tr ',' '\n' \
            | awk -F: -v clock="$STATS_CLOCK_NS" '{printf "    %-18s %8s ns %6s runs\n", $1, $2, $3; total += $2; runs += $3}
                END {printf "    %-18s %8d ns\n", "sum", total
                     if (clock != "") printf "    %-18s %8d ns (less the statistics\047 own clock: %s ns per run, measured on a program that does nothing, times %.1f runs)\n", "sum less clock", total - clock * runs, clock, runs}'
    fi
done
