#!/bin/bash
# Median latency of a run of /bin/true, waited for, through pactownd (pactownctl run --wait)
# against systemd-run --wait on the same throwaway systemd, in the same run: once plain, and
# once with the user, limits and sandboxing properties that pactownd sets for a run, which
# separates pactownd's own cost from the cost of the sandbox systemd builds.
# Usage: bench/run-latency.sh BUILD_DIR [ITERATIONS]   (as root)
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)

if [[ ${1-} == --inside ]]; then
    iterations=$2
    uid=$(pactownctl user create bench-tenant --json | sed -n 's/.*"linux_uid": *\([0-9]*\).*/\1/p')
    same_properties=(-p User="$uid" -p Group="$uid" -p CPUQuota=100% -p MemoryMax=512M -p TasksMax=256
        -p PrivateTmp=yes -p PrivateDevices=yes -p TemporaryFileSystem="/dev/shm:mode=1777,nosuid,nodev"
        -p PrivateIPC=yes -p ProtectProc=invisible -p NoNewPrivileges=yes -p RestrictSUIDSGID=yes
        -p ProtectKernelTunables=yes -p ProtectKernelModules=yes -p ProtectKernelLogs=yes
        -p ProtectControlGroups=yes -p ProtectClock=yes -p ProtectHostname=yes -p LockPersonality=yes
        -p RestrictRealtime=yes)

    # Prints the median, in milliseconds, of ITERATIONS timings of the command.
    median_ms() {
        local samples=() i start end
        for ((i = 0; i < iterations; i++)); do
            start=$(date +%s%N)
            "$@" >/dev/null 2>&1
            end=$(date +%s%N)
            samples+=($(((end - start) / 1000)))
        done
        printf '%s\n' "${samples[@]}" | sort -n | awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f\n", m / 1000}'
    }

    # One untimed round of each warms the caches of both paths.
    pactownctl run bench-tenant --wait -- /bin/true >/dev/null
    systemd-run --wait --quiet /bin/true
    ours=$(median_ms pactownctl run bench-tenant --wait -- /bin/true)
    theirs=$(median_ms systemd-run --wait --quiet /bin/true)
    same=$(median_ms systemd-run --wait --quiet "${same_properties[@]}" /bin/true)
    echo "iterations:                                    $iterations"
    echo "pactownctl run --wait /bin/true:               $ours ms (median)"
    echo "systemd-run --wait /bin/true:                  $theirs ms (median)"
    echo "systemd-run --wait, pactownd's properties:     $same ms (median)"
    awk -v a="$ours" -v b="$theirs" 'BEGIN {printf "ratio pactownctl / systemd-run:                 %.2f\n", a / b}'
    awk -v a="$ours" -v b="$same" 'BEGIN {printf "ratio pactownctl / systemd-run, same properties: %.2f\n", a / b}'
    exit 0
fi

build_dir=$(cd "${1:?usage: run-latency.sh BUILD_DIR [ITERATIONS]}" && pwd)
iterations=${2:-50}
exec "$source_dir/tests/integration/pactownd-sandbox" "$build_dir" -- \
    "$source_dir/bench/run-latency.sh" --inside "$iterations"
