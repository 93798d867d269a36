"""Moving-average demand forecast: the reference stdio plugin (see README.md).

Per sku, the units sold each day over the `window` days ending on the day of the last order;
demand over h days is mean * h, with an interval mean*h +/- z * sd * sqrt(h).
`feedback` adds observed sales (online update) without retraining.
"""

import csv
import json
import math
import os
import sys
from datetime import datetime

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sdk", "python"))
from promo_plugin import Plugin, PluginError, parse_duration, run  # noqa: E402

DAY = 86400
FORMAT = 1


def seconds(text):
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


class MovingAverage(Plugin):
    name = "python-moving-average"
    version = "0.1.0"
    functions = [
        {"name": "demand", "params": [{"name": "item", "type": "item"}, {"name": "horizon", "type": "duration"}],
         "result": "number", "per": "item"},
        {"name": "demand_low", "params": [{"name": "item", "type": "item"}, {"name": "horizon", "type": "duration"}],
         "result": "number", "per": "item"},
        {"name": "demand_high", "params": [{"name": "item", "type": "item"}, {"name": "horizon", "type": "duration"}],
         "result": "number", "per": "item"},
        {"name": "days_of_cover", "params": [{"name": "item", "type": "item"}], "result": "number", "per": "item"},
    ]

    def __init__(self):
        super().__init__()
        self.model = None

    def window_days(self):
        return max(1, int(parse_duration(self.settings.get("window", "28d")) // DAY))

    def train(self, data, snapshot_dir):
        window = self.window_days()
        z = float(self.settings.get("z", "1.2816"))
        stock = {}
        if "catalog" in data:
            with open(data["catalog"], newline="") as f:
                for row in csv.DictReader(f):
                    stock[row["sku"]] = int(row.get("stock") or 0)
        orders = []
        if "orders" in data:
            with open(data["orders"], newline="") as f:
                for row in csv.DictReader(f):
                    orders.append((seconds(row["time"]), row["sku"], int(row["quantity"])))
        daily = {}
        last_day = None
        if orders:
            last_day = max(t for t, _, _ in orders) // DAY
            first_day = last_day - window + 1
            for sku in set(stock) | {s for _, s, _ in orders}:
                daily[sku] = {}
            for t, sku, q in orders:
                day = t // DAY
                if first_day <= day <= last_day:
                    daily[sku][day] = daily[sku].get(day, 0) + q
        model = {"format": FORMAT, "plugin": self.name, "window_days": window, "z": z, "last_day": last_day,
                 "stock": stock, "daily": {s: {str(d): u for d, u in sorted(v.items())} for s, v in sorted(daily.items())}}
        with open(os.path.join(snapshot_dir, "model.json"), "w") as f:
            json.dump(model, f, sort_keys=True)
        return self.version_of(snapshot_dir, FORMAT)

    def load(self, snapshot_dir):
        with open(os.path.join(snapshot_dir, "model.json")) as f:
            model = json.load(f)
        if model.get("plugin") != self.name or model.get("format") != FORMAT:
            raise PluginError("the snapshot in %s is of %s format %s; this plugin reads %s format %d: retrain it"
                              % (snapshot_dir, model.get("plugin"), model.get("format"), self.name, FORMAT))
        model["daily"] = {s: {int(d): u for d, u in v.items()} for s, v in model["daily"].items()}
        self.model = model
        self.refresh()

    def refresh(self):
        """Mean and standard deviation of daily units over the window, per sku."""
        m = self.model
        self.stats = {}
        if m["last_day"] is None:
            return
        window = m["window_days"]
        first = m["last_day"] - window + 1
        for sku, days in m["daily"].items():
            series = [float(days.get(first + k, 0)) for k in range(window)]
            mean = sum(series) / window
            var = sum((x - mean) * (x - mean) for x in series) / (window - 1) if window > 1 else 0.0
            self.stats[sku] = (mean, math.sqrt(var))

    def predict(self, function, customer, items, args):
        if self.model is None:
            return [None for _ in items]
        if function == "days_of_cover":
            out = []
            for sku in items:
                if sku not in self.stats:
                    out.append(None)
                    continue
                mean = self.stats[sku][0]
                stock = float(self.model["stock"].get(sku, 0))
                out.append((3650.0 if stock > 0 else 0.0) if mean <= 0 else min(3650.0, stock / mean))
            return out
        h = float(args["horizon"]) / DAY
        out = []
        for sku in items:
            if sku not in self.stats:
                out.append(None)
                continue
            mean, sd = self.stats[sku]
            half = self.model["z"] * sd * math.sqrt(h)
            if function == "demand":
                out.append(mean * h)
            elif function == "demand_low":
                out.append(max(0.0, mean * h - half))
            elif function == "demand_high":
                out.append(mean * h + half)
            else:
                raise PluginError("unknown function %r" % function)
        return out

    def feedback(self, outcomes):
        """Observed sales `{"sku", "time", "units"}` join the series; the window moves forward."""
        if self.model is None:
            raise PluginError("not trained", -32001)
        accepted = 0
        for o in outcomes:
            day = seconds(str(o["time"])) // DAY
            series = self.model["daily"].setdefault(o["sku"], {})
            series[day] = series.get(day, 0) + float(o["units"])
            if self.model["last_day"] is None or day > self.model["last_day"]:
                self.model["last_day"] = day
            accepted += 1
        self.refresh()
        return {"accepted": accepted}


if __name__ == "__main__":
    run(MovingAverage())
