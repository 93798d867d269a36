#!/usr/bin/env bash
# Compares builds of promo-bench-decide at 1,000 offers x 10 lines on this shared machine, whose
# speed drifts by tens of percent within minutes (and differs between its two cores at times), so
# that runs of one build taken at another time are not comparable.
#
#   cp .build/release/promo-bench-decide /tmp/before   # (build the older version first)
#   Benchmarks/compare-decide.sh /tmp/before .build/release/promo-bench-decide
#   MODE=together Benchmarks/compare-decide.sh /tmp/before .build/release/promo-bench-decide
#
# MODE=alternate (default): runs the builds one after the other, ROUNDS times each, and prints each
# one's CPU time per decision (the CPU time of 100,000 decisions minus that of 20,000, so that
# set-up cancels out), sorted, and the medians.
#
# MODE=together (two builds): runs both at the same time, one per core (taskset), then again with
# the cores swapped, so that both see the same machine and each core's speed cancels out in
# sqrt((b1/a1) x (b2/a2)). Each run prints the median over requests of each request's fastest of
# 10 passes (PROMO_BENCH_PERREQ). Prints that ratio per round (below 1: the second build is
# faster) and its median. The steadiest of the methods tried; a difference under about 5% is
# still within its noise.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BINARY BINARY... (ROUNDS=5, MODE=alternate|together)" >&2; exit 2; }
ROUNDS=${ROUNDS:-5}
MODE=${MODE:-alternate}

if [ "$MODE" = together ]; then
    [ $# -eq 2 ] || { echo "MODE=together compares exactly two builds" >&2; exit 2; }
    best() { # per-request best-of-10 p50 of build $1 on core $2
        PROMO_BENCH_ONLY=1000x10 PROMO_BENCH_COUNT=1 PROMO_BENCH_PERREQ=1 taskset -c "$2" "$1" \
            | grep -oE 'p50 [0-9.]+' | awk '{print $2}'
    }
    out=$(mktemp)
    ratios=""
    for _ in $(seq "$ROUNDS"); do
        best "$1" 0 >"$out" & b1=$(best "$2" 1); wait; a1=$(cat "$out")
        best "$1" 1 >"$out" & b2=$(best "$2" 0); wait; a2=$(cat "$out")
        r=$(awk -v a1="$a1" -v b1="$b1" -v a2="$a2" -v b2="$b2" 'BEGIN { printf "%.3f", sqrt((b1 / a1) * (b2 / a2)) }')
        echo "us per decision: first $a1 / $a2, second $b1 / $b2 (cores 0/1, then 1/0): second/first $r"
        ratios+="$r "
    done
    rm -f "$out"
    echo "median second/first: $(echo "$ratios" | tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
    exit 0
fi

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
