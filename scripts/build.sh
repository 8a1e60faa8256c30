#!/usr/bin/env bash
# Builds bpfhook: the eBPF object (only if clang-16 is installed) and the agent jar.
#   usage: scripts/build.sh [extra mvn args...]
#   e.g.   scripts/build.sh -o          (offline Maven build)
# Without clang-16 the BPF object committed under agent/src/main/resources is used.
# Prints the path of the runnable jar at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if command -v clang-16 >/dev/null 2>&1; then
    make -C bpf
else
    echo "build.sh: clang-16 not found; using the committed BPF object"
fi

mvn -B -q -DskipTests package "$@"

echo "$ROOT/agent/target/bpfhook-agent.jar"
