#!/usr/bin/env bash
# An emulated two-container environment, without Docker: the services bpf-traffic-gen and
# bpf-target-server (examples/docker-compose.yml has the real thing), each one a network namespace
# plus a cgroup v2 named the way Docker names its containers' cgroups.
#
#   usage: sudo scripts/testenv.sh up | down | status
#          sudo scripts/testenv.sh exec NAME -- COMMAND [ARG...]
#
#   up      two network namespaces joined by a veth pair, eth0 in each:
#             bpf-traffic-gen    10.200.0.1/24
#             bpf-target-server  10.200.0.2/24
#           two cgroups, <cgroup v2 mount>/system.slice/docker-<id>.scope, id = sha256 of the name:
#             bpf-traffic-gen    3bf7773c78475a35cedc4a59be04042e9c222130618704959e223ab8256e81a7
#             bpf-target-server  f13b99ac2d2a2130a9126188afae3b3b6301e1a1dd6d7063d5ae3883cdc2f6b1
#           and a TCP echo server (python3) in bpf-target-server's namespace and cgroup, on 10.200.0.2:8080.
#           Already up: says so, exit 0.
#   status  what exists; exit 0 up, 3 down, 1 partly up (run down, then up)
#   down    kills what runs in the namespaces, deletes them (the veth goes with them), moves stray
#           processes out of the cgroups and removes them; idempotent
#   exec    runs COMMAND in the named container's network namespace and cgroup, in place (same pid, its
#           exit code). It enters the namespace with nsenter, not `ip netns exec`, which remounts /sys
#           and so hides the cgroup v2 mount from the command (the agent needs it).
#
# State for other tools: /run/bpfhook-testenv/state, KEY=VALUE lines (a shell can source it), e.g.
#   TARGET_SERVER_ID=f13b...  TARGET_SERVER_CGROUP=/.../system.slice/docker-f13b....scope
#   TARGET_SERVER_NETNS=bpf-target-server  TARGET_SERVER_ADDRESS=10.200.0.2  SERVER_PORT=8080  SERVER_PID=123
# and the same TRAFFIC_GEN_* keys; the server's output is in /run/bpfhook-testenv/server.log.
# Exit codes: 0 done, 2 a problem you can fix (one line on stderr), 1 anything else.
set -euo pipefail

NAMES=(bpf-traffic-gen bpf-target-server)
declare -A ADDRESS=([bpf-traffic-gen]=10.200.0.1 [bpf-target-server]=10.200.0.2)
declare -A KEY=([bpf-traffic-gen]=TRAFFIC_GEN [bpf-target-server]=TARGET_SERVER)
SERVER=bpf-target-server
PORT=8080
STATE_DIR=/run/bpfhook-testenv
STATE="$STATE_DIR/state"

fail() { # a problem the user can fix: one line, exit 2
    echo "testenv.sh: $*" >&2
    exit 2
}

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
}

# A threaded TCP echo server: argv = address port.
ECHO_SERVER='
import socketserver, sys
class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                return
            self.request.sendall(data)
class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
server = Server((sys.argv[1], int(sys.argv[2])), Echo)
print("echo server on %s:%s" % server.server_address, flush=True)
server.serve_forever()
'

container_id() { printf '%s' "$1" | sha256sum | cut -c1-64; }

# The cgroup v2 mount point, from mountinfo ("... mountpoint options [optional...] - cgroup2 ...").
cgroup_mount() {
    local mount
    mount="$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
        /proc/self/mountinfo)"
    [[ -n "$mount" ]] || fail "no cgroup v2 hierarchy is mounted (cgroup v1 only); mount one, e.g. mount -t cgroup2 none /sys/fs/cgroup/unified"
    printf '%b' "$mount" # mountinfo writes a space as \040
}

cgroup_of() { echo "$MOUNT/system.slice/docker-$(container_id "$1").scope"; }

netns_exists() { [[ -e "/run/netns/$1" ]]; }

alive() { # a process that runs: not a zombie that nobody has reaped yet
    local stat
    [[ -n "${1:-}" ]] && stat="$(cat "/proc/$1/stat" 2>/dev/null)" && stat="${stat##*) }" && [[ "${stat%% *}" != Z ]]
}

listening() { nsenter --net="/run/netns/$SERVER" ss -Htln "sport = :$PORT" 2>/dev/null | grep -q "${ADDRESS[$SERVER]}:$PORT"; }

load_state() { # sets SERVER_PID and CREATED_SLICE when the state file exists
    SERVER_PID=""
    CREATED_SLICE=0
    if [[ -f "$STATE" ]]; then
        SERVER_PID="$(sed -n 's/^SERVER_PID=//p' "$STATE")"
        CREATED_SLICE="$(sed -n 's/^CREATED_SLICE=//p' "$STATE")"
    fi
}

is_up() { # everything there and the server listening
    load_state
    [[ -f "$STATE" ]] && alive "$SERVER_PID" && listening || return 1
    local name
    for name in "${NAMES[@]}"; do
        netns_exists "$name" && [[ -d "$(cgroup_of "$name")" ]] || return 1
    done
}

anything_there() {
    local name
    [[ -e "$STATE_DIR" ]] && return 0
    for name in "${NAMES[@]}"; do
        if netns_exists "$name" || [[ -d "$(cgroup_of "$name")" ]]; then
            return 0
        fi
    done
    return 1
}

write_state() {
    local name k
    {
        echo "# written by scripts/testenv.sh up; KEY=VALUE, no quoting needed"
        echo "CGROUP_MOUNT=$MOUNT"
        echo "CREATED_SLICE=$CREATED_SLICE"
        for name in "${NAMES[@]}"; do
            k="${KEY[$name]}"
            echo "${k}_NETNS=$name"
            echo "${k}_ID=$(container_id "$name")"
            echo "${k}_CGROUP=$(cgroup_of "$name")"
            echo "${k}_ADDRESS=${ADDRESS[$name]}"
        done
        echo "SERVER_ADDRESS=${ADDRESS[$SERVER]}"
        echo "SERVER_PORT=$PORT"
        echo "SERVER_PID=$SERVER_PID"
    } >"$STATE.tmp"
    mv "$STATE.tmp" "$STATE"
}

up() {
    if is_up; then
        echo "testenv is already up (server pid $SERVER_PID on ${ADDRESS[$SERVER]}:$PORT); scripts/testenv.sh status tells more"
        return 0
    fi
    if anything_there; then
        echo "testenv is partly up; taking it down first"
        down >/dev/null
    fi
    local python name cgroup
    python="$(command -v "${PYTHON:-python3}")" || fail "python3 is needed for the echo server; install it (apt-get install python3) or set PYTHON"
    mkdir -p "$STATE_DIR"
    CREATED_SLICE=0
    if [[ ! -d "$MOUNT/system.slice" ]]; then
        mkdir "$MOUNT/system.slice"
        CREATED_SLICE=1
    fi
    SERVER_PID=""
    write_state # from here on, down knows what to remove even if up fails half-way
    trap 'echo "testenv.sh: up failed; taking down what it made" >&2; down >/dev/null 2>&1 || true' ERR

    for name in "${NAMES[@]}"; do
        ip netns add "$name"
        ip -n "$name" link set lo up
        mkdir -p "$(cgroup_of "$name")"
    done
    # created in place, each end straight in its namespace: nothing ever appears on the host
    ip link add eth0 netns bpf-traffic-gen type veth peer name eth0 netns bpf-target-server
    for name in "${NAMES[@]}"; do
        ip -n "$name" addr add "${ADDRESS[$name]}/24" dev eth0
        ip -n "$name" link set eth0 up
    done

    # The subshell joins the cgroup, then becomes (setsid, nsenter: exec, no fork) the server.
    cgroup="$(cgroup_of "$SERVER")"
    (
        echo "$BASHPID" >"$cgroup/cgroup.procs"
        exec setsid nsenter --net="/run/netns/$SERVER" "$python" -c "$ECHO_SERVER" "${ADDRESS[$SERVER]}" "$PORT"
    ) </dev/null >"$STATE_DIR/server.log" 2>&1 &
    local started=$! tries=0
    until listening; do
        if ! alive "$started" && [[ -z "$(cat "$cgroup/cgroup.procs")" ]] || ((++tries > 100)); then
            echo "testenv.sh: the echo server did not start listening on ${ADDRESS[$SERVER]}:$PORT; its output:" >&2
            sed 's/^/  /' "$STATE_DIR/server.log" >&2
            false
        fi
        sleep 0.05
    done
    SERVER_PID="$(cat "$cgroup/cgroup.procs")" # the only process there, whether or not setsid forked
    [[ "$SERVER_PID" =~ ^[0-9]+$ ]] || { echo "testenv.sh: expected only the server in $cgroup: $SERVER_PID" >&2; false; }
    write_state
    trap - ERR
    echo "testenv up: echo server pid $SERVER_PID on ${ADDRESS[$SERVER]}:$PORT"
    status
}

# Moves every process out of a cgroup (to this script's own cgroup) and removes it.
remove_cgroup() {
    local cgroup="$1" own pid tries=0
    [[ -d "$cgroup" ]] || return 0
    own="$MOUNT$(sed -n 's/^0:://p' /proc/self/cgroup)"
    while ! rmdir "$cgroup" 2>/dev/null; do
        while read -r pid; do
            echo "moving stray pid $pid ($(cat "/proc/$pid/comm" 2>/dev/null || echo gone)) out of $cgroup"
            echo "$pid" >"$own/cgroup.procs" 2>/dev/null || true
        done <"$cgroup/cgroup.procs"
        ((++tries > 100)) && fail "cannot remove $cgroup (still has processes or child cgroups); look at it, then run down again"
        sleep 0.05
    done
}

# Ends every process in a network namespace: TERM, then KILL after 2 s.
kill_netns_processes() {
    local name="$1" pids tries=0
    netns_exists "$name" || return 0
    pids="$(ip netns pids "$name" 2>/dev/null | tr '\n' ' ')"
    [[ -n "${pids// /}" ]] || return 0
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    while [[ -n "$(ip netns pids "$name" 2>/dev/null)" ]]; do
        if ((++tries == 40)); then
            # shellcheck disable=SC2086
            kill -KILL $(ip netns pids "$name") 2>/dev/null || true
        fi
        ((tries > 100)) && fail "processes of namespace $name do not end: $(ip netns pids "$name" | tr '\n' ' ')"
        sleep 0.05
    done
}

down() {
    load_state
    local name
    # the server first, if it still is ours (in our cgroup): a pid may have been reused
    if alive "$SERVER_PID" && grep -qs "docker-$(container_id "$SERVER").scope" "/proc/$SERVER_PID/cgroup"; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
    fi
    for name in "${NAMES[@]}"; do
        kill_netns_processes "$name"
        if netns_exists "$name"; then
            ip netns delete "$name"
        fi
        remove_cgroup "$(cgroup_of "$name")"
    done
    if [[ "$CREATED_SLICE" == 1 ]]; then
        rmdir "$MOUNT/system.slice" 2>/dev/null || true # something else may use it by now
    fi
    rm -rf "$STATE_DIR"
    echo "testenv down"
}

status() {
    local name cgroup procs state=0 present=0
    load_state
    echo "cgroup v2 mount: $MOUNT"
    for name in "${NAMES[@]}"; do
        cgroup="$(cgroup_of "$name")"
        echo "$name:"
        if netns_exists "$name"; then
            echo "  netns    $name ($(ip -n "$name" -br -4 addr show dev eth0 2>/dev/null | awk '{print $1, $2, $3}' || echo 'no eth0'))"
            present=$((present + 1))
        else
            echo "  netns    $name: missing"
        fi
        echo "  id       $(container_id "$name")"
        if [[ -d "$cgroup" ]]; then
            procs="$(paste -sd ' ' "$cgroup/cgroup.procs")"
            echo "  cgroup   $cgroup (pids: ${procs:-none})"
            present=$((present + 1))
        else
            echo "  cgroup   $cgroup: missing"
        fi
        echo "  address  ${ADDRESS[$name]}/24"
    done
    if alive "$SERVER_PID"; then
        echo "echo server: pid $SERVER_PID alive, $(listening && echo "listening on ${ADDRESS[$SERVER]}:$PORT" || echo "NOT listening on ${ADDRESS[$SERVER]}:$PORT")"
    else
        echo "echo server: ${SERVER_PID:+pid $SERVER_PID }not running"
    fi
    if is_up; then
        echo "state: up ($STATE)"
    elif ((present == 0)) && [[ ! -e "$STATE_DIR" ]]; then
        echo "state: down"
        state=3
    else
        echo "state: partly up; run scripts/testenv.sh down, then up"
        state=1
    fi
    return $state
}

exec_in() {
    local name="${1:-}"
    [[ -n "$name" ]] || fail "exec needs a container name: ${NAMES[*]}"
    [[ -n "${KEY[$name]:-}" ]] || fail "no container '$name'; the names are: ${NAMES[*]}"
    shift
    [[ "${1:-}" == "--" ]] && shift
    (($# > 0)) || fail "exec needs a command: scripts/testenv.sh exec $name -- COMMAND [ARG...]"
    netns_exists "$name" && [[ -d "$(cgroup_of "$name")" ]] || fail "container $name is not there; run scripts/testenv.sh up first"
    echo "$$" >"$(cgroup_of "$name")/cgroup.procs"
    exec nsenter --net="/run/netns/$name" "$@"
}

case "${1:-}" in
    -h | --help | help)
        usage
        exit 0
        ;;
    up | down | status | exec) ;;
    "") fail "which command? up, down, status or exec NAME -- COMMAND (see --help)" ;;
    *) fail "unknown command '$1'; use up, down, status or exec NAME -- COMMAND (see --help)" ;;
esac
[[ $EUID -eq 0 ]] || fail "needs root (it makes network namespaces and cgroups); run it with sudo"
for tool in ip nsenter setsid sha256sum awk ss; do
    command -v "$tool" >/dev/null || fail "'$tool' is missing; install iproute2, util-linux and coreutils"
done
MOUNT="$(cgroup_mount)"
command="$1"
shift
case "$command" in
    up) (($# == 0)) || fail "up takes no arguments"; up ;;
    down) (($# == 0)) || fail "down takes no arguments"; down ;;
    status) (($# == 0)) || fail "status takes no arguments"; status ;;
    exec) exec_in "$@" ;;
esac
