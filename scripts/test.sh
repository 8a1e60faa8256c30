#!/usr/bin/env bash
# Runs the whole test suite, real eBPF included: sudo ./scripts/test.sh [extra mvn args]
# Kernel tests need root; as root this script also mounts tracefs (the accept
# hook's syscall tracepoints need it) when it is not mounted. Outside CI,
# kernel tests skip when not root; with CI=true they must run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [[ "$(id -u)" == 0 ]] && ! grep -qs ' /sys/kernel/tracing tracefs ' /proc/self/mounts; then
    mount -t tracefs nodev /sys/kernel/tracing || echo "test.sh: could not mount tracefs; accept tests will fail" >&2
fi

cd "$ROOT"
exec mvn -B verify "$@"
