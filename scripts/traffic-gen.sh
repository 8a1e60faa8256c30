#!/usr/bin/env bash
# Makes known loopback traffic to compare with the monitor's numbers (no root needed).
#   usage: scripts/traffic-gen.sh [--auto] [--type tcp|http|udp|refused|ipv6] [--requests N] [--in CONTAINER] [--help]
# Builds the jar first if it is missing; set JAVA to use another java binary.
# --in CONTAINER runs the generator inside an emulated container of scripts/testenv.sh (e.g. bpf-traffic-gen:
# its network namespace and cgroup; needs root and `scripts/testenv.sh up`); its traffic stays on that
# container's own loopback.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/agent/target/bpfhook-agent.jar"

IN=""
ARGS=()
while (($# > 0)); do
    case "$1" in
        --in | --in=*)
            if [[ "$1" == --in ]]; then
                IN="${2:-}"
                shift $(($# > 1 ? 2 : 1))
            else
                IN="${1#--in=}"
                shift
            fi
            if [[ -z "$IN" || "$IN" == -* ]]; then
                echo "traffic-gen.sh: --in needs a container name, e.g. --in bpf-traffic-gen (see scripts/testenv.sh)" >&2
                exit 2
            fi
            ;;
        *) ARGS+=("$1"); shift ;;
    esac
done

if [[ ! -f "$JAR" ]]; then
    # build output goes to stderr so stdout carries only this tool's own output
    "$ROOT/scripts/build.sh" >&2
fi

if [[ -n "$IN" ]]; then
    # built above, outside: the container's namespace has no route to a Maven repository
    exec "$ROOT/scripts/testenv.sh" exec "$IN" -- "$ROOT/scripts/traffic-gen.sh" "${ARGS[@]}"
fi

exec "${JAVA:-java}" -jar "$JAR" traffic-gen "${ARGS[@]}"
