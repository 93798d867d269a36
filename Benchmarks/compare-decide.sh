#!/usr/bin/env bash
# Compares two builds of promo-bench-decide on this shared machine: runs them alternately, ROUNDS
# times each, and prints each one's CPU time per decision at 1,000 offers x 10 lines (the CPU time
# of 100,000 decisions minus that of 20,000, so that set-up cancels out), sorted, and the medians.
# Alternating matters: the machine's speed drifts by tens of percent within minutes, so runs of one
# build taken at another time are not comparable.
#
#   cp .build/release/promo-bench-decide /tmp/before   # (build the older version first)
#   Benchmarks/compare-decide.sh /tmp/before .build/release/promo-bench-decide
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BINARY BINARY... (ROUNDS=5 by default)" >&2; exit 2; }
ROUNDS=${ROUNDS:-5}
cpu() { # CPU seconds (user + system) of N decisions
    local TIMEFORMAT='%U %S'
    { time PROMO_BENCH_ONLY=1000x10 PROMO_BENCH_COUNT=$2 "$1" >/dev/null 2>&1; } 2>&1 | awk '{print $1 + $2}'
}
declare -A runs
for _ in $(seq "$ROUNDS"); do
    for b in "$@"; do
        small=$(cpu "$b" 20000)
        large=$(cpu "$b" 100000)
        runs[$b]+="$(awk -v a="$small" -v b="$large" 'BEGIN { printf "%.1f ", (b - a) / 80000 * 1e6 }')"
    done
done
for b in "$@"; do
    sorted=$(echo "${runs[$b]}" | tr ' ' '\n' | grep . | sort -n | tr '\n' ' ')
    median=$(echo "$sorted" | awk '{ print $(int((NF + 1) / 2)) }')
    echo "$b: us per decision ${sorted}(median ${median})"
done
