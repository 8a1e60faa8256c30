#!/usr/bin/env bash
# Startup cost of the agent beside no agent and beside peer agents, in one run: each round runs a
# hello-world JVM once in every mode (the order rotates from round to round, so machine noise hits
# all modes alike; one warm-up run per mode is not counted). Each JVM runs in a cgroup of the
# script's own making. Prints per mode the median and range, and the difference of the medians to
# no agent, of: the time before main() (JVM uptime at the first line of main), the whole-process
# wall time, its CPU time (user + system, all threads: less disturbed by other jobs than wall time)
# and its peak resident memory (maxrss; CPU and maxrss come from /usr/bin/time, without it VmHWM at
# the end of main and no CPU). Then the time bpfhook's premain took on the application's thread (the
# agent publishes it in the system property dev.bpfhook.agent.premainMicros), and the issue's targets.
#   usage: sudo ./scripts/bench-startup.sh [ROUNDS=15] [MORE_BPFHOOK_OPTIONS]
#   MODES="none bpfhook" sudo ./scripts/bench-startup.sh    # only some modes
#   LIVE_MS=4000 sudo ./scripts/bench-startup.sh 5          # the hello world lives 4 s after its line: the
#                                                           # agents finish loading, and CPU shows what that costs
# Modes:
#   none               no agent
#   noop-agent         a -javaagent whose premain does nothing: what the JVM spends on any agent
#   bpfhook            our agent with its default outputs (JMX, JFR, Jolokia on loopback); premain only
#                      checks options, privileges and cgroup, the BPF programs load on the
#                      bpfhook-loader daemon thread while main() runs (a hello world may exit before)
#   bpfhook-nojolokia  our agent with jolokia=off
#   jolokia            the Jolokia JVM agent alone (org.jolokia:jolokia-agent-jvm, classifier javaagent)
#   jmx-exporter       the Prometheus JMX exporter agent alone (io.prometheus.jmx:jmx_prometheus_javaagent,
#                      configuration {}: every MBean)
# The peer jars come from agent/target/it-deps (mvn verify puts them there), else from Maven
# (the local repository first, then Maven Central). A peer that cannot be had is left out, and said so.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/agent/target/bpfhook-agent.jar"
ROUNDS="${1:-15}"
OPTIONS="${2:-}"
JAVA="${JAVA:-java}"
MODES="${MODES:-none noop-agent bpfhook bpfhook-nojolokia jolokia jmx-exporter}"
LIVE_MS="${LIVE_MS:-}"
if [[ -n "$LIVE_MS" && ! "$LIVE_MS" =~ ^[0-9]+$ ]]; then
    echo "bench-startup.sh: LIVE_MS must be milliseconds, e.g. LIVE_MS=4000, not '$LIVE_MS'" >&2
    exit 2
fi
JOLOKIA_VERSION=2.4.2
EXPORTER_VERSION=1.0.1

if [[ "$(id -u)" != 0 ]]; then
    echo "bench-startup.sh: needs root (the agent loads BPF programs; the runs go to a cgroup of their own); run: sudo $0 $*" >&2
    exit 2
fi
if [[ ",$OPTIONS," == *",jolokia="* ]]; then
    echo "bench-startup.sh: leave jolokia out of the options: the modes bpfhook and bpfhook-nojolokia set it" >&2
    exit 2
fi
[[ -f "$JAR" ]] || "$ROOT/scripts/build.sh" >&2
grep -qs ' /sys/kernel/tracing tracefs ' /proc/self/mounts || mount -t tracefs nodev /sys/kernel/tracing || true

WORK="$(mktemp -d)"
# the cgroup v2 mount point: mountinfo's field 5, on the line whose file system (after "-") is cgroup2
CG_MOUNT="$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
    /proc/self/mountinfo)"
[[ -n "$CG_MOUNT" ]] || { echo "$(basename "$0"): no cgroup v2 hierarchy is mounted; mount one, e.g. mount -t cgroup2 none /sys/fs/cgroup/unified" >&2; exit 2; }
CGROUP="$CG_MOUNT/bpfhook-bench-startup-$$"
mkdir -p "$CGROUP"
cleanup() { # after an interrupt, end what is left in our cgroup (a JVM living LIVE_MS more) before removing it
    local i
    for ((i = 0; i < 100; i++)); do
        [[ -n "$(cat "$CGROUP/cgroup.procs" 2>/dev/null)" ]] || break
        if ((i == 0)); then xargs -r kill -9 <"$CGROUP/cgroup.procs" 2>/dev/null || true; fi
        sleep 0.1
    done
    rmdir "$CGROUP" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

mkdir "$WORK/classes"
javac -d "$WORK/classes" "$ROOT/bench/StartupHello.java" "$ROOT/bench/NoopAgent.java"
printf 'Premain-Class: NoopAgent\n' >"$WORK/noop.mf"
jar cfm "$WORK/noop-agent.jar" "$WORK/noop.mf" -C "$WORK/classes" NoopAgent.class
echo '{}' >"$WORK/exporter.yaml"

# peer_jar GROUP ARTIFACT VERSION [CLASSIFIER]: prints the jar's path, or nothing when it cannot be had
peer_jar() {
    local file="$2-$3${4:+-$4}.jar" artifact="$1:$2:$3:jar${4:+:$4}"
    local goal=org.apache.maven.plugins:maven-dependency-plugin:3.7.1:copy
    if [[ -f "$ROOT/agent/target/it-deps/$file" ]]; then
        echo "$ROOT/agent/target/it-deps/$file"
        return
    fi
    command -v mvn >/dev/null || return 0
    (cd "$WORK" && { mvn -B -q -o "$goal" -Dartifact="$artifact" -DoutputDirectory="$WORK/peers" >/dev/null 2>&1 \
        || mvn -B -q "$goal" -Dartifact="$artifact" -DoutputDirectory="$WORK/peers" >/dev/null 2>&1; }) || true
    [[ -f "$WORK/peers/$file" ]] && echo "$WORK/peers/$file" || true
}

free_port() { # the first TCP port from $1 up that nothing listens on
    local port=$1
    while ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; do port=$((port + 1)); done
    echo "$port"
}

SKIPPED=""
for mode in $MODES; do
    case "$mode" in
        none|noop-agent|bpfhook|bpfhook-nojolokia) ;;
        jolokia)
            JOLOKIA_JAR="$(peer_jar org.jolokia jolokia-agent-jvm "$JOLOKIA_VERSION" javaagent)"
            [[ -n "$JOLOKIA_JAR" ]] || SKIPPED="$SKIPPED jolokia" ;;
        jmx-exporter)
            EXPORTER_JAR="$(peer_jar io.prometheus.jmx jmx_prometheus_javaagent "$EXPORTER_VERSION")"
            [[ -n "$EXPORTER_JAR" ]] || SKIPPED="$SKIPPED jmx-exporter" ;;
        *) echo "bench-startup.sh: unknown mode '$mode'" >&2; exit 2 ;;
    esac
done
for mode in $SKIPPED; do
    MODES="$(echo " $MODES " | sed "s/ $mode / /; s/^ *//; s/ *$//")"
done

# Jolokia's default port is 8778, ours and the peer's alike (their runs never overlap). Ports are
# chosen before each run: when another process holds 8778, that run takes the next free port (said
# at the end), and a run whose port was taken in between is run again.
join() { local IFS=,; echo "$*"; }
NOJOLOKIA_OPTIONS="$(join ${OPTIONS:+"$OPTIONS"} jolokia=off)"
: >"$WORK/moved"

if [[ -x /usr/bin/time ]]; then
    RSS_SOURCE="maxrss of the whole process (/usr/bin/time); process CPU = user + system time, all threads"
    TIME=(/usr/bin/time -f '%M %U %S' -o "$WORK/maxrss")
else
    RSS_SOURCE="VmHWM at the end of main (no /usr/bin/time, so no process CPU either)"
    TIME=()
fi

# run MODE [warm-up]: one hello-world JVM; appends "before_main_ms wall_ms rss_kb premain_us cpu_ms" to
# $WORK/MODE.results
run() {
    local mode=$1 args=() start end line rss cpu=-1 jolokia_port exporter_port options attempt
    for attempt in 1 2 3; do
        jolokia_port="$(free_port 8778)"
        exporter_port="$(free_port 9404)"
        options="$OPTIONS"
        if [[ "$jolokia_port" != 8778 ]]; then
            options="$(join ${OPTIONS:+"$OPTIONS"} "jolokia=127.0.0.1:$jolokia_port")"
            [[ "$mode" == bpfhook || "$mode" == jolokia ]] && echo "$mode" >>"$WORK/moved"
        fi
        case "$mode" in
            noop-agent) args=("-javaagent:$WORK/noop-agent.jar") ;;
            bpfhook) args=("-javaagent:$JAR${options:+=$options}") ;;
            bpfhook-nojolokia) args=("-javaagent:$JAR=$NOJOLOKIA_OPTIONS") ;;
            jolokia) args=("-javaagent:$JOLOKIA_JAR=host=127.0.0.1,port=$jolokia_port") ;;
            jmx-exporter) args=("-javaagent:$EXPORTER_JAR=127.0.0.1:$exporter_port:$WORK/exporter.yaml") ;;
        esac
        start=$(date +%s%N)
        if "${TIME[@]}" sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CGROUP" \
            "$JAVA" "${args[@]}" -cp "$WORK/classes" StartupHello $LIVE_MS >"$WORK/out" 2>"$WORK/err"; then
            break
        fi
        if ((attempt == 3)) || ! grep -q 'Address already in use' "$WORK/err"; then
            echo "bench-startup.sh: mode $mode failed:" >&2; cat "$WORK/out" "$WORK/err" >&2; exit 1
        fi
    done
    end=$(date +%s%N)
    # peers may print their own lines on stdout; ours is the last line of three numbers
    line="$(grep -E '^[0-9]+ -?[0-9]+ -?[0-9]+$' "$WORK/out" | tail -1)"
    [[ -n "$line" ]] || { echo "bench-startup.sh: mode $mode printed no figures:" >&2; cat "$WORK/out" "$WORK/err" >&2; exit 1; }
    if [[ "$mode" == bpfhook* ]] && grep -q '^bpfhook: agent disabled' "$WORK/err"; then
        echo "bench-startup.sh: the agent disabled itself, so there is nothing to measure:" >&2; cat "$WORK/err" >&2; exit 1
    fi
    read -r up hwm premain <<<"$line"
    rss="$hwm"
    if [[ ${#TIME[@]} -gt 0 ]]; then
        read -r rss user sys < <(tail -1 "$WORK/maxrss")
        cpu="$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%d", (u + s) * 1000}')"
    fi
    if [[ -s "$WORK/err" ]] && ! grep -qs "^$mode: " "$WORK/said"; then
        head -3 "$WORK/err" | sed "s/^/$mode: /" >>"$WORK/said"
    fi
    [[ "${2:-}" == warm-up ]] || echo "$up $(( (end - start) / 1000000 )) $rss $premain $cpu" >>"$WORK/$mode.results"
}

read -r -a MODE_LIST <<<"$MODES"
for mode in "${MODE_LIST[@]}"; do
    : >"$WORK/$mode.results"
    run "$mode" warm-up
done
for ((r = 0; r < ROUNDS; r++)); do
    for ((m = 0; m < ${#MODE_LIST[@]}; m++)); do
        run "${MODE_LIST[(r + m) % ${#MODE_LIST[@]}]}"
    done
done

stats() { # column file -> "median min max"
    cut -d' ' -f"$1" "$2" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[1], a[NR]}'
}
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
ms() { awk -v u="$1" 'BEGIN {printf "%.1f", u / 1000}'; }

echo "bpfhook startup benchmark: $ROUNDS rounds, modes alternating in each round ($(nproc) CPUs, kernel $(uname -r), $("$JAVA" -version 2>&1 | head -1))"
echo "modes: $MODES${SKIPPED:+ (left out, jar not found:$SKIPPED)}"
echo "bpfhook options: bpfhook '${OPTIONS}', bpfhook-nojolokia '${NOJOLOKIA_OPTIONS}'; Jolokia on 127.0.0.1:8778 (both), exporter on 127.0.0.1:9404"
echo "peak RSS: $RSS_SOURCE"
echo "bpfhook's premain only checks options, privileges and cgroup; its BPF programs load on the bpfhook-loader daemon"
if [[ -n "$LIVE_MS" ]]; then
    echo "the hello world lives $LIVE_MS ms after its line (LIVE_MS): the agents finish loading, and process CPU and wall"
    echo "include what that costs (wall includes the $LIVE_MS ms)"
else
    echo "thread while main() runs, and a hello world exits before they are loaded (LIVE_MS=4000 lets them finish); for"
    echo "a running agent's memory see bench-memory.sh"
fi
ROW='%-18s %-20s %6s   %-20s %6s   %-20s %6s   %-20s %6s\n'
printf "$ROW" "" "before main() [ms]" "" "process wall [ms]" "" "process CPU [ms]" "" "peak RSS [MiB]" ""
printf "$ROW" mode "median (min-max)" added "median (min-max)" added "median (min-max)" added "median (min-max)" added
if [[ " $MODES " == *" none "* ]]; then
    read -r base_up _ _ < <(stats 1 "$WORK/none.results")
    read -r base_wall _ _ < <(stats 2 "$WORK/none.results")
    read -r base_rss _ _ < <(stats 3 "$WORK/none.results")
    read -r base_cpu _ _ < <(stats 5 "$WORK/none.results")
fi
for mode in "${MODE_LIST[@]}"; do
    read -r up up_min up_max < <(stats 1 "$WORK/$mode.results")
    read -r wall wall_min wall_max < <(stats 2 "$WORK/$mode.results")
    read -r rss rss_min rss_max < <(stats 3 "$WORK/$mode.results")
    read -r cpu cpu_min cpu_max < <(stats 5 "$WORK/$mode.results")
    add_up=-; add_wall=-; add_rss=-; add_cpu=-
    if [[ -n "${base_up:-}" && "$mode" != none ]]; then
        add_up="$(printf '%+d' $((up - base_up)))"
        add_wall="$(printf '%+d' $((wall - base_wall)))"
        ((cpu < 0)) || add_cpu="$(printf '%+d' $((cpu - base_cpu)))"
        add_rss="$(awk -v a="$rss" -v b="$base_rss" 'BEGIN {printf "%+.1f", (a - b) / 1024}')"
    fi
    printf "$ROW" "$mode" "$(printf '%5d (%d-%d)' "$up" "$up_min" "$up_max")" "$add_up" \
        "$(printf '%5d (%d-%d)' "$wall" "$wall_min" "$wall_max")" "$add_wall" \
        "$( ((cpu < 0)) && echo "    -" || printf '%5d (%d-%d)' "$cpu" "$cpu_min" "$cpu_max")" "$add_cpu" \
        "$(printf '%5s (%s-%s)' "$(mib "$rss")" "$(mib "$rss_min")" "$(mib "$rss_max")")" "$add_rss"
done
for mode in bpfhook bpfhook-nojolokia; do
    [[ -s "$WORK/$mode.results" ]] || continue
    read -r pm pm_min pm_max < <(stats 4 "$WORK/$mode.results")
    echo "$mode premain (on the application's thread, before main()): median $(ms "$pm") ms ($(ms "$pm_min")-$(ms "$pm_max"))"
done
if [[ -n "${base_up:-}" && -s "$WORK/bpfhook.results" && -z "$LIVE_MS" ]]; then
    read -r wall _ _ < <(stats 2 "$WORK/bpfhook.results")
    read -r rss _ _ < <(stats 3 "$WORK/bpfhook.results")
    read -r pm _ _ < <(stats 4 "$WORK/bpfhook.results")
    echo "targets for bpfhook (issue 9): wall $(printf '%+d' $((wall - base_wall))) ms (<= +100 ms)," \
        "peak RSS $(awk -v a="$rss" -v b="$base_rss" 'BEGIN {printf "%+.1f", (a - b) / 1024}') MiB (<= +8 MiB)," \
        "premain $(ms "$pm") ms (<= 50 ms)"
fi
if [[ -s "$WORK/moved" ]]; then
    echo "another process held port 8778 in $(sort "$WORK/moved" | uniq -c | awk '{printf "%s%d %s runs", sep, $1, $2; sep = ", "}'):" \
        "those took the next free port (with jolokia=127.0.0.1:PORT for bpfhook)"
fi
if [[ -s "$WORK/said" ]]; then
    echo "on stderr (first run of each mode that wrote any, up to 3 lines):"
    sed 's/^/  /' "$WORK/said"
fi
