"""docs/openapi.yaml describes exactly the routes the binary serves (T33)."""
import os
import re
import subprocess

import yaml

from stack import MEETD_BIN, SRCDIR

METHODS = {"get", "post", "put", "patch", "delete"}


def binary_routes():
    out = subprocess.run([MEETD_BIN, "routes"], capture_output=True, text=True, check=True).stdout
    routes = set()
    for line in out.splitlines():
        method, pattern, auth, _name = line.split()
        routes.add((method, pattern, auth))
    return routes


def spec_routes():
    with open(os.path.join(SRCDIR, "docs", "openapi.yaml")) as f:
        spec = yaml.safe_load(f)
    default_auth = bool(spec.get("security"))
    routes = set()
    for path, item in spec["paths"].items():
        pattern = re.sub(r"\{(\w+)\}", r":\1", path)
        for method, op in item.items():
            if method in METHODS:
                secured = bool(op.get("security", spec.get("security"))) and default_auth
                routes.add((method.upper(), pattern, secured))
    return routes


def test_openapi_matches_route_table():
    # "signed" routes (platform webhooks) carry no bearer token: an HMAC of the body;
    # "hook" routes (nchan's callbacks) are reached only through nginx's loopback hook server
    have = {(m, p, a not in ("none", "signed", "hook")) for m, p, a in binary_routes()}
    assert have == spec_routes()


def test_every_error_code_documented():
    with open(os.path.join(SRCDIR, "include", "core", "error.h")) as f:
        codes = set(re.findall(r'X\(\w+,\s+\d+,\s+"([A-Z_]+)"', f.read())) - {"OK"}
    with open(os.path.join(SRCDIR, "docs", "openapi.yaml")) as f:
        spec = yaml.safe_load(f)
    documented = set(spec["components"]["schemas"]["Error"]["properties"]["code"]["enum"])
    assert codes <= documented, codes - documented
