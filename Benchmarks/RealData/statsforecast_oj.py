"""statsforecast's AutoETS, AutoARIMA and AutoTheta on the split `promo evaluate forecast` uses.

    python statsforecast_oj.py oj_weekly.csv [--horizon 12] [--min-run 60] [--season 52]

Series are store x brand; each keeps its final run of consecutive weeks, runs shorter than
--min-run are left out, and the last --horizon weeks are held out. Prints sMAPE, MAE, RMSE and
MASE (scaled by the in-sample one-step naive MAE) per model, as `promo evaluate forecast` does,
and each model's fit-and-forecast time. Benchmark only: the engine never runs Python.
"""
import argparse
import csv
import math
import time
from collections import defaultdict

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoARIMA, AutoETS, AutoTheta


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--horizon", type=int, default=12)
    ap.add_argument("--min-run", type=int, default=60)
    ap.add_argument("--season", type=int, default=52)
    args = ap.parse_args()
    h = args.horizon

    by_key = defaultdict(dict)
    with open(args.path, newline="") as f:
        for row in csv.DictReader(f):
            by_key[(row["brand"], row["store"])][int(row["week"])] = float(row["units"])
    series = {}
    for key in sorted(by_key, key=lambda k: k[0] + "|" + k[1]):
        weeks = sorted(by_key[key])
        start = len(weeks) - 1
        while start > 0 and weeks[start - 1] == weeks[start] - 1:
            start -= 1
        run = weeks[start:]
        if len(run) >= args.min_run:
            series["%s|%s" % key] = [by_key[key][w] for w in run]

    train = []
    for uid, y in series.items():
        for t, v in enumerate(y[:-h]):
            train.append((uid, t, v))
    df = pd.DataFrame(train, columns=["unique_id", "ds", "y"])
    print("statsforecast on %d series, last %d held out, season %d" % (len(series), h, args.season))
    print("model                      sMAPE      MAE       RMSE      MASE    seconds")
    for name, model in [
        ("AutoETS", AutoETS(season_length=args.season)),
        ("AutoARIMA", AutoARIMA(season_length=args.season)),
        ("AutoTheta", AutoTheta(season_length=args.season)),
    ]:
        began = time.perf_counter()
        sf = StatsForecast(models=[model], freq=1, n_jobs=1)
        fc = sf.forecast(df=df, h=h)
        took = time.perf_counter() - began
        col = [c for c in fc.columns if c not in ("unique_id", "ds")][0]
        smape = ae = se = n = mase = 0.0
        for uid, y in series.items():
            f = fc[fc["unique_id"] == uid][col].to_numpy()
            a = np.array(y[-h:])
            hist = np.array(y[:-h])
            scale = max(np.mean(np.abs(np.diff(hist))), 1e-9)
            denom = np.abs(f) + np.abs(a)
            smape += float(np.sum(np.where(denom > 0, 200 * np.abs(f - a) / np.where(denom > 0, denom, 1), 0)))
            ae += float(np.sum(np.abs(f - a)))
            se += float(np.sum((f - a) ** 2))
            n += len(a)
            mase += float(np.mean(np.abs(f - a))) / scale
        print("%-25s %7.2f  %9.1f  %9.1f  %6.3f  %7.2f" % (
            name, smape / n, ae / n, math.sqrt(se / n), mase / len(series), took))


if __name__ == "__main__":
    main()
