"""A plugin that misbehaves on purpose, for the engine's fault-injection tests.

Speaks the protocol by hand (no SDK) so it can break it. The fault is the first argument:
ok, crash, hang, malformed, nan, infinity, wrong_type, wrong_id, flood, exit_at_start,
protocol_v2, mismatch, slow (answers after 2 s, honours nothing).
Each `predict` answers `days_of_cover` with 100.0 per item unless the fault says otherwise.
"""

import json
import sys
import time

fault = sys.argv[1] if len(sys.argv) > 1 else "ok"
out = sys.stdout

if fault == "exit_at_start":
    print("faulty: refusing to start", file=sys.stderr)
    sys.exit(1)

FUNCTIONS = [{"name": "days_of_cover", "params": [{"name": "item", "type": "item"}], "result": "number", "per": "item"}]


def send(text):
    out.write(text + "\n")
    out.flush()


def answer(ident, result):
    send(json.dumps({"jsonrpc": "2.0", "id": ident, "result": result}))


for line in sys.stdin:
    message = json.loads(line)
    method = message.get("method")
    ident = message.get("id")
    if ident is None:
        continue
    if method == "initialize":
        functions = FUNCTIONS
        if fault == "mismatch":
            functions = [dict(FUNCTIONS[0], result="string"), {"name": "extra", "params": [], "result": "number", "per": "customer"}]
        answer(ident, {"protocol_version": 2 if fault == "protocol_v2" else 1, "name": "faulty", "version": "0.0.1",
                       "functions": functions, "model_version": "faulty-1"})
        print("faulty: started with fault %s" % fault, file=sys.stderr, flush=True)
        continue
    if method == "shutdown":
        answer(ident, None)
        break
    if method != "predict":
        answer(ident, {"status": "ok"})
        continue
    rows = len(message["params"]["items"])
    if fault == "crash":
        print("faulty: crashing mid-call", file=sys.stderr, flush=True)
        sys.exit(3)
    elif fault == "hang":
        time.sleep(3600)
    elif fault == "slow":
        time.sleep(2)
        answer(ident, {"columns": [[100.0] * rows]})
    elif fault == "malformed":
        send("this is not json {")
    elif fault == "nan":
        send('{"jsonrpc":"2.0","id":%d,"result":{"columns":[[%s]]}}' % (ident, ",".join(["NaN"] * rows)))
    elif fault == "infinity":
        send('{"jsonrpc":"2.0","id":%d,"result":{"columns":[[%s]]}}' % (ident, ",".join(["Infinity"] * rows)))
    elif fault == "wrong_type":
        answer(ident, {"columns": [["plenty"] * rows]})
    elif fault == "wrong_id":
        answer(ident + 1000, {"columns": [[100.0] * rows]})
    elif fault == "flood":
        chunk = "x" * (1 << 20)
        for _ in range(20):
            out.write(chunk)
        out.flush()
        time.sleep(3600)
    else:
        answer(ident, {"columns": [[100.0] * rows]})
