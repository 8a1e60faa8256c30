#!/usr/bin/env bash
# The long soak: a million loopback connections (or CONNECTIONS) through one JVM with the agent, checked
# as the suite's short SoakIT run is: OutboundConnections, InboundConnections and ClosedConnections equal
# to what was made, and heap after GC, threads and open file descriptors flat from the first tenth on.
# Prints a line per tenth and a summary; exits non-zero when a check fails.
#   usage: sudo ./scripts/soak.sh [CONNECTIONS=1000000]
# About two to three minutes for a million on a 2-vCPU VM (6,000 to 8,000 connections a second).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONNECTIONS="${1:-1000000}"

if [[ "$(id -u)" != 0 ]]; then
    echo "soak.sh: needs root (the agent loads BPF programs); run: sudo $0 $*" >&2
    exit 2
fi
if ! [[ "$CONNECTIONS" =~ ^[0-9]+$ ]] || (( CONNECTIONS < 10 )); then
    echo "soak.sh: CONNECTIONS must be a number of at least 10, not '$CONNECTIONS'; usage: sudo $0 [CONNECTIONS]" >&2
    exit 2
fi
grep -qs ' /sys/kernel/tracing tracefs ' /proc/self/mounts || mount -t tracefs nodev /sys/kernel/tracing || true

cd "$ROOT"
exec mvn -B -q verify -Dit.test=SoakIT -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
    -Dsoak.connections="$CONNECTIONS"
