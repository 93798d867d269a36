"""PromoEngine plugin SDK for Python: the stdio plugin protocol, version 1.

Standard library only. Write a plugin as a class and hand it to `run`:

    from promo_plugin import Plugin, run

    class MyForecast(Plugin):
        name = "my-forecast"
        version = "0.1.0"
        functions = [
            {"name": "demand", "params": [{"name": "item", "type": "item"},
                                           {"name": "horizon", "type": "duration"}],
             "result": "number", "per": "item"},
        ]

        def train(self, data, snapshot_dir):      # data: {"orders": "/path/orders.csv", ...}
            ...                                   # write files into snapshot_dir
            return self.version_of(snapshot_dir)  # the model version decisions will name

        def load(self, snapshot_dir): ...         # read what train wrote

        def predict(self, function, customer, items, args):
            return [1.0 for _ in items]           # one value per item (or [value] per customer)

    if __name__ == "__main__":
        run(MyForecast())

The protocol itself is in docs/plugin-protocol.md. The SDK answers `initialize` with the class's
`functions` (which must equal the manifest's), keeps stdout for protocol messages only (a stray
`print` goes to stderr, which the engine logs), refuses NaN and infinity, sends large numeric columns
as base64 of little-endian doubles, and honours `$/cancel`.
"""

import base64
import hashlib
import json
import math
import os
import queue
import struct
import sys
import threading
import traceback

PROTOCOL_VERSION = 1

# JSON-RPC error codes.
INVALID_PARAMS = -32602
METHOD_NOT_FOUND = -32601
INTERNAL_ERROR = -32603
REQUEST_CANCELLED = -32800
NOT_TRAINED = -32001


class PluginError(Exception):
    """Raise to answer a request with a JSON-RPC error and a message the engine shows."""

    def __init__(self, message, code=INTERNAL_ERROR):
        super().__init__(message)
        self.code = code


class Plugin:
    """Base class of a plugin. Override `train`, `load`, `predict` (or `predict_batch`) and,
    for online learners, `feedback`."""

    name = None
    version = "0.0.0"
    functions = []

    def __init__(self):
        self.settings = {}
        self.model_version = None
        self._cancelled = set()
        self._current = None
        self._lock = threading.Lock()

    # --- override these -------------------------------------------------------------------

    def train(self, data, snapshot_dir):
        """Train on the store tables (`data` maps table name to a CSV path) and write the model
        into `snapshot_dir`. Return the model version (see `version_of`)."""
        raise PluginError("this plugin does not train", METHOD_NOT_FOUND)

    def load(self, snapshot_dir):
        """Load a snapshot written by `train`. Raise PluginError if it is of another version."""

    def predict(self, function, customer, items, args):
        """Values of one function: a list with one value per item for per-item functions, a
        one-element list otherwise. None means no value (the rule's fallback applies)."""
        raise PluginError("predict is not implemented")

    def predict_batch(self, customer, items, calls):
        """All calls of one request; the default asks `predict` call by call."""
        columns = []
        for call in calls:
            if self.cancelled():
                raise PluginError("cancelled", REQUEST_CANCELLED)
            per_item = call.get("per") in ("item", "customer_item")
            rows = items if per_item else []
            columns.append(self.predict(call["function"], customer, rows, call.get("args", {})))
        return columns

    def feedback(self, outcomes):
        """Outcomes for online learners, e.g. units sold or offers taken. Return a summary dict."""
        return {"accepted": 0}

    # --- helpers --------------------------------------------------------------------------

    def cancelled(self):
        """Whether the engine cancelled the request being answered (its deadline passed)."""
        with self._lock:
            return self._current in self._cancelled

    @staticmethod
    def version_of(snapshot_dir, format_version=1):
        """`<format>.<first 10 hex digits of SHA-256 of the snapshot's files>`."""
        h = hashlib.sha256()
        for root, _, files in sorted(os.walk(snapshot_dir)):
            for f in sorted(files):
                if f.startswith("."):
                    continue
                with open(os.path.join(root, f), "rb") as fh:
                    h.update(f.encode())
                    h.update(fh.read())
        return "%d.%s" % (format_version, h.hexdigest()[:10])


def parse_duration(text):
    """Seconds of `28d`, `12h`, `30m`, `45s`, `2w` (as rules and manifests write durations)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    text = str(text).strip()
    if text and text[-1] in units:
        return float(text[:-1]) * units[text[-1]]
    return float(text)


def _column(values):
    """A column as JSON: base64 doubles for long numeric columns, a list otherwise."""
    if len(values) >= 64 and all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values):
        doubles = [math.nan if v is None else float(v) for v in values]
        if any(math.isinf(d) for d in doubles):
            raise PluginError("a column has an infinite value", INTERNAL_ERROR)
        return {"f64": base64.b64encode(struct.pack("<%dd" % len(doubles), *doubles)).decode("ascii")}
    return list(values)


class _Server:
    def __init__(self, plugin, inp, out):
        self.plugin = plugin
        self.inp = inp
        self.out = out
        self.inbox = queue.Queue()
        self.write_lock = threading.Lock()

    def send(self, message):
        try:
            line = json.dumps(message, allow_nan=False, separators=(",", ":"))
        except ValueError:
            line = json.dumps({"jsonrpc": "2.0", "id": message.get("id"),
                               "error": {"code": INTERNAL_ERROR,
                                         "message": "the answer has NaN or infinity, which JSON cannot carry"}})
        with self.write_lock:
            self.out.write(line + "\n")
            self.out.flush()

    def read(self):
        for line in self.inp:
            line = line.strip()
            if not line:
                continue
            try:
                message = json.loads(line)
            except ValueError:
                self.send({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}})
                continue
            if message.get("method") == "$/cancel":
                with self.plugin._lock:
                    self.plugin._cancelled.add(message.get("params", {}).get("id"))
                continue
            self.inbox.put(message)
        self.inbox.put(None)

    def serve(self):
        threading.Thread(target=self.read, daemon=True).start()
        while True:
            message = self.inbox.get()
            if message is None:
                return
            method = message.get("method")
            ident = message.get("id")
            params = message.get("params") or {}
            if ident is None:
                continue  # notifications: initialized
            with self.plugin._lock:
                self.plugin._current = ident
                skip = ident in self.plugin._cancelled
            if skip:
                self.send({"jsonrpc": "2.0", "id": ident, "error": {"code": REQUEST_CANCELLED, "message": "cancelled"}})
                continue
            try:
                result = self.handle(method, params)
                self.send({"jsonrpc": "2.0", "id": ident, "result": result})
            except PluginError as e:
                self.send({"jsonrpc": "2.0", "id": ident, "error": {"code": e.code, "message": str(e)}})
            except Exception as e:  # a bug in the plugin: report it, keep serving
                traceback.print_exc(file=sys.stderr)
                self.send({"jsonrpc": "2.0", "id": ident,
                           "error": {"code": INTERNAL_ERROR, "message": "%s: %s" % (type(e).__name__, e)}})
            finally:
                with self.plugin._lock:
                    self.plugin._cancelled.discard(ident)
                    self.plugin._current = None
            if method == "shutdown":
                return

    def handle(self, method, params):
        p = self.plugin
        if method == "initialize":
            if params.get("protocol_version") != PROTOCOL_VERSION:
                raise PluginError("this plugin speaks protocol version %d" % PROTOCOL_VERSION, INVALID_PARAMS)
            p.settings = params.get("settings") or {}
            snapshot = params.get("snapshot")
            if snapshot:
                p.load(snapshot)
                p.model_version = p.model_version or os.path.basename(snapshot.rstrip("/"))
            return {"protocol_version": PROTOCOL_VERSION, "name": p.name, "version": p.version,
                    "functions": p.functions, "model_version": p.model_version}
        if method == "train":
            version = p.train(params["data"], params["snapshot_dir"])
            p.load(params["snapshot_dir"])
            p.model_version = version
            return {"model_version": version}
        if method == "predict":
            items = params.get("items", [])
            calls = params.get("calls", [])
            columns = p.predict_batch(params.get("customer"), items, calls)
            return {"columns": [_column(c) for c in columns], "model_version": p.model_version}
        if method == "feedback":
            return p.feedback(params.get("outcomes", []))
        if method == "health":
            return {"status": "ok", "model_version": p.model_version}
        if method == "shutdown":
            return None
        raise PluginError("unknown method %r" % method, METHOD_NOT_FOUND)


def run(plugin):
    """Serve the plugin on stdin/stdout until `shutdown` or end of input."""
    out = sys.stdout
    sys.stdout = sys.stderr  # stray prints must not corrupt the protocol stream
    _Server(plugin, sys.stdin, out).serve()
