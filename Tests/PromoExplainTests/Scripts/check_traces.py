#!/usr/bin/env python3
"""Validates decision traces against docs/trace-schema.json.

Usage: check_traces.py SCHEMA.json TRACE.json...   Prints one line per invalid file; exit 1 if any.
"""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
bad = 0
for path in sys.argv[2:]:
    errors = list(validator.iter_errors(json.load(open(path))))
    for e in errors[:3]:
        print(f"{path}: {'/'.join(map(str, e.absolute_path))}: {e.message[:300]}")
    bad += bool(errors)
print(f"{len(sys.argv) - 2 - bad} of {len(sys.argv) - 2} traces valid")
sys.exit(1 if bad else 0)
