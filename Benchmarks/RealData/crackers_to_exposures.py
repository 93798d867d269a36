"""Cracker purchase occasions (ERIM panel) as exposures for `promo evaluate uplift`: one row per
occasion and brand; treated = the brand on display or feature; outcome = the household chose it;
features: the brand's log price, brand one-hots, and the household's earlier share of that brand.
Benchmark only (the engine never runs Python)."""
import csv
import math
import sys

brands = ["sunshine", "kleebler", "nabisco", "private"]
source, target = sys.argv[1], sys.argv[2]
history = {}
with open(source, newline="") as f, open(target, "w", newline="") as out:
    w = csv.writer(out)
    w.writerow(["treated", "outcome", "log_price", "sunshine", "kleebler", "nabisco", "loyalty"])
    for row in csv.DictReader(f):
        h = history.setdefault(row["household_id"], {b: 0 for b in brands})
        seen = sum(h.values())
        for b in brands:
            treated = int(row["disp." + b] == "1" or row["feat." + b] == "1")
            w.writerow([treated, int(row["choice"] == b), "%.5f" % math.log(max(1.0, float(row["price." + b]))),
                        int(b == "sunshine"), int(b == "kleebler"), int(b == "nabisco"),
                        "%.4f" % ((h[b] + 0.5) / (seen + 2))])
        h[row["choice"]] += 1
