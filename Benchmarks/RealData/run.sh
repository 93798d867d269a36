#!/usr/bin/env bash
# Model quality on real data (see Benchmarks/README.md): the recommender on MovieLens, side by side
# with the implicit library on the same split, and the profiler on CDNOW.
#
#   Benchmarks/RealData/run.sh [DATA_DIR]     # DATA_DIR from ../shared/data/fetch-real-data.sh
#
# Skips, saying so, when the files are absent. The implicit library is installed in a private
# virtual environment under DATA_DIR/.implicit-venv (benchmark only; the engine never runs Python).
set -euo pipefail
cd "$(dirname "$0")/../.."
data="${1:-${PROMO_REAL_DATA:-$HOME/.cache/promo-real-data}}"
swift build -c release --product promo >/dev/null
promo=.build/release/promo

if [ -f "$data/movielens_ratings.csv" ]; then
    split="$(mktemp -d)"
    "$promo" evaluate recommend --ratings "$data/movielens_ratings.csv" --export-split "$split"
    venv="$data/.implicit-venv"
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import implicit" 2>/dev/null; then
        python3 -m venv "$venv" && "$venv/bin/pip" install -q implicit || echo "could not install implicit; its line is skipped"
    fi
    if "$venv/bin/python" -c "import implicit" 2>/dev/null; then
        "$venv/bin/python" Benchmarks/RealData/implicit_als.py "$split" 2>/dev/null
    fi
    rm -rf "$split"
else
    echo "skipped: $data/movielens_ratings.csv is absent (run ../shared/data/fetch-real-data.sh $data)"
fi
echo
if [ -f "$data/cdnow_transactions.csv" ]; then
    "$promo" evaluate profile --transactions "$data/cdnow_transactions.csv"
else
    echo "skipped: $data/cdnow_transactions.csv is absent"
fi
echo
if [ -f "$data/cracker_choices.csv" ]; then
    exposures="$(mktemp)"
    python3 Benchmarks/RealData/crackers_to_exposures.py "$data/cracker_choices.csv" "$exposures"
    "$promo" evaluate uplift --exposures "$exposures" --features log_price,sunshine,kleebler,nabisco,loyalty
    rm -f "$exposures"
else
    echo "skipped: $data/cracker_choices.csv is absent"
fi
echo
if [ -f "$data/oj_weekly.csv" ]; then
    "$promo" evaluate forecast --sales "$data/oj_weekly.csv" --item brand --location store --period week --feature feat
else
    echo "skipped: $data/oj_weekly.csv is absent"
fi
