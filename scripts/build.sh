#!/usr/bin/env bash
# Builds bpfhook: the eBPF object (only if its tools are installed: make, clang-16, llvm-strip-16 and the
# libbpf headers) and the agent jar.
#   usage: scripts/build.sh [extra mvn args...]
#   e.g.   scripts/build.sh -o          (offline Maven build)
# Without them the BPF object committed under agent/src/main/resources is used.
# Prints the path of the runnable jar at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

missing=()
for tool in make clang-16 llvm-strip-16; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[[ -f /usr/include/bpf/bpf_helpers.h ]] || missing+=("the libbpf headers (libbpf-dev)")
if (( ${#missing[@]} == 0 )); then
    make -C bpf
else
    echo "build.sh: ${missing[*]} not found; using the committed BPF object"
fi

mvn -B -q -DskipTests package "$@"

echo "$ROOT/agent/target/bpfhook-agent.jar"
