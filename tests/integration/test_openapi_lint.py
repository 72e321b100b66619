"""docs/openapi.yaml is a valid OpenAPI document to an independent validator:
Redocly CLI, pinned in tests/js/package-lock.json and installed by
tests/run-all.sh (`npm ci` in tests/js), lints it with tests/js/redocly.yaml
and must find no error. Every operation has an operationId, unique, and equal
to the binary's name for the route (`meetd routes`)."""
import json
import os
import re
import shutil
import subprocess

import yaml

from stack import MEETD_BIN, SRCDIR

JSDIR = os.path.join(SRCDIR, "tests", "js")
SPEC = os.path.join(SRCDIR, "docs", "openapi.yaml")
METHODS = {"get", "post", "put", "patch", "delete"}
REGISTRY = "https://registry.npmjs.org/"


def load_spec():
    with open(SPEC) as f:
        return yaml.safe_load(f)


def operations(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield method, path, op


def redocly_lint():
    node = shutil.which("node")
    assert node, "node is not installed (build-aux/install-deps.sh installs it)"
    cli = os.path.join(JSDIR, "node_modules", "@redocly", "cli", "bin", "cli.js")
    assert os.path.exists(cli), f"Redocly CLI missing: run `npm ci` in {JSDIR} (tests/run-all.sh does)"
    # No usage report and no update check: the test must not need the network.
    env = dict(os.environ, REDOCLY_TELEMETRY="off", REDOCLY_SUPPRESS_UPDATE_NOTICE="true",
               NO_COLOR="1")
    res = subprocess.run(
        [node, cli, "lint", "--config", os.path.join(JSDIR, "redocly.yaml"), "--format=json", SPEC],
        cwd=JSDIR, env=env, capture_output=True, text=True, timeout=120)
    try:
        report = json.loads(res.stdout)
    except ValueError:
        raise AssertionError(f"redocly lint gave no JSON report (exit {res.returncode}):\n"
                             f"{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
    return res.returncode, report


def test_redocly_lint_finds_no_error():
    rc, report = redocly_lint()
    errors = [f"{p['ruleId']}: {p['message']} at {p['location'][0].get('pointer')}"
              for p in report["problems"] if p["severity"] == "error"]
    assert report["totals"]["errors"] == 0 and not errors, "\n".join(errors)
    assert rc == 0


def test_every_operation_has_the_route_name_as_operation_id():
    out = subprocess.run([MEETD_BIN, "routes"], capture_output=True, text=True, check=True).stdout
    names = {}
    for line in out.splitlines():
        method, pattern, _auth, name = line.split()
        names[(method.lower(), re.sub(r":(\w+)", r"{\1}", pattern))] = name
    seen = {}
    for method, path, op in operations(load_spec()):
        op_id = op.get("operationId")
        assert op_id, f"{method.upper()} {path} has no operationId"
        assert op_id not in seen, f"operationId {op_id} on {seen.get(op_id)} and {method.upper()} {path}"
        seen[op_id] = f"{method.upper()} {path}"
        assert op_id == names.get((method, path)), f"{method.upper()} {path}: {op_id} is not the route's name"
    assert len(seen) == len(names)


def test_no_yaml_key_without_a_value():
    # An unquoted ", " or ": " in a flow mapping ({description: a, b}) turns the
    # rest of the text into a key with no value; no field of this document is null.
    bad = []

    def walk(node, where):
        if isinstance(node, dict):
            for k, v in node.items():
                if v is None and k not in ("example", "default"):
                    bad.append(f"{where}/{k}")
                walk(v, f"{where}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}/{i}")

    walk(load_spec(), "")
    assert not bad, bad


def test_validator_is_pinned_to_the_npm_registry():
    with open(os.path.join(JSDIR, "package.json")) as f:
        manifest = json.load(f)
    for deps in ("dependencies", "devDependencies"):
        for name, version in manifest.get(deps, {}).items():
            assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned: {version}"
    with open(os.path.join(JSDIR, "package-lock.json")) as f:
        lock = json.load(f)
    for path, pkg in lock["packages"].items():
        if path:
            assert pkg.get("integrity", "").startswith("sha512-"), f"{path} has no integrity hash"
            resolved = pkg.get("resolved")
            assert resolved is None or resolved.startswith(REGISTRY), f"{path} comes from {resolved}"
