#!/usr/bin/env bash
# Makes known loopback traffic to compare with the monitor's numbers (no root needed).
#   usage: scripts/traffic-gen.sh [--auto] [--type tcp|http|udp|refused|ipv6] [--requests N] [--help]
# Builds the jar first if it is missing; set JAVA to use another java binary.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/agent/target/bpfhook-agent.jar"

if [[ ! -f "$JAR" ]]; then
    # build output goes to stderr so stdout carries only this tool's own output
    "$ROOT/scripts/build.sh" >&2
fi

exec "${JAVA:-java}" -jar "$JAR" traffic-gen "$@"
