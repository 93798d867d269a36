"""A plugin on the Python SDK that is slow for the sku SLOW and honours `$/cancel`: the engine's
deadline expires, the SDK sees the cancel, and the plugin stays healthy (not hung)."""

import os
import sys
import time

sys.path.insert(0, os.environ["PROMO_SDK"])
from promo_plugin import Plugin, PluginError, REQUEST_CANCELLED, run  # noqa: E402


class Slow(Plugin):
    name = "faulty"
    version = "0.0.1"
    functions = [{"name": "days_of_cover", "params": [{"name": "item", "type": "item"}], "result": "number", "per": "item"}]

    def predict(self, function, customer, items, args):
        if "SLOW" in items:
            for _ in range(500):
                if self.cancelled():
                    print("sdk_slow: cancelled", file=sys.stderr, flush=True)
                    raise PluginError("cancelled", REQUEST_CANCELLED)
                time.sleep(0.01)
        return [100.0 for _ in items]


if __name__ == "__main__":
    run(Slow())
