#!/usr/bin/env bash
# Model quality on real data (see Benchmarks/README.md): the recommender on MovieLens, side by side
# with the implicit library on the same split; the profiler on CDNOW; uplift on the crackers; the
# demand forecast on Dominick's orange juice, side by side with statsforecast on the same split;
# and the pricing plugin on a simulator calibrated from the same orange juice data.
#
#   Benchmarks/RealData/run.sh [DATA_DIR]     # DATA_DIR from ../shared/data/fetch-real-data.sh
#
# Skips, saying so, when the files are absent. The implicit and statsforecast libraries are
# installed in private virtual environments under DATA_DIR (.implicit-venv, .statsforecast-venv);
# benchmark only, the engine never runs Python.
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
    echo
    sfvenv="$data/.statsforecast-venv"
    if [ ! -x "$sfvenv/bin/python" ] || ! "$sfvenv/bin/python" -c "import statsforecast" 2>/dev/null; then
        python3 -m venv "$sfvenv" && "$sfvenv/bin/pip" install -q statsforecast || echo "could not install statsforecast; its lines are skipped"
    fi
    if "$sfvenv/bin/python" -c "import statsforecast" 2>/dev/null; then
        "$sfvenv/bin/python" Benchmarks/RealData/statsforecast_oj.py "$data/oj_weekly.csv" 2>/dev/null
    fi
    echo
    "$promo" evaluate pricing --sales "$data/oj_weekly.csv"
else
    echo "skipped: $data/oj_weekly.csv is absent"
fi
