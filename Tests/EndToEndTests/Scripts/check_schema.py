"""Validate the JSON Schema printed by `promo schema`, then every rules file against it.

Usage: check_schema.py SCHEMA.json FILE.yaml...
YAML is read with YAML 1.2 core typing, as yaml-language-server reads it: no timestamps, and only
true/false are booleans (YAML 1.1 would read the tier key `off` as false).
Prints one line per invalid file and exits 1 if any is invalid.
"""
import json
import re
import sys

import jsonschema
import yaml


class CoreLoader(yaml.SafeLoader):
    pass


CoreLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
bad = 0
for path in sys.argv[2:]:
    with open(path) as f:
        data = yaml.load(f, Loader=CoreLoader)
    for error in validator.iter_errors(data):
        bad += 1
        print(f"{path}: {'/'.join(map(str, error.absolute_path))}: {error.message}")
sys.exit(1 if bad else 0)
