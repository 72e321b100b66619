"""docs/openapi.yaml describes what meetd really answers on the meetings
routes: every answer below has a status code documented for its operation,
the headers documented for that answer, and a body valid against the
documented schema (a small validator for the part of OpenAPI 3.0 the
document uses: $ref, allOf, type, nullable, enum, required, properties,
additionalProperties, items, pattern, lengths, bounds)."""

import json
import os
import re

import pytest
import yaml

from meetings_fixtures import (call_from, create, fresh_addr, meeting_body, module_stack, mpath,
                               random_ulid, user)
from stack import SRCDIR


@pytest.fixture(scope="module")
def spec():
    with open(os.path.join(SRCDIR, "docs", "openapi.yaml")) as f:
        return yaml.safe_load(f)


def resolve(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        cur = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            cur = cur[part]
        node = cur
    return node


TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


def validate(spec, schema, value, where="$"):
    """A list of problems (empty when value is valid)."""
    schema = resolve(spec, schema)
    problems = []
    for sub in schema.get("allOf", []):
        problems += validate(spec, sub, value, where)
    if value is None:
        if not schema.get("nullable") and "type" in schema:
            problems.append(f"{where}: null where {schema.get('type')} is documented")
        return problems
    kind = schema.get("type")
    if kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return problems + [f"{where}: {value!r} is not an integer"]
    elif kind == "number":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return problems + [f"{where}: {value!r} is not a number"]
    elif kind is not None and not isinstance(value, TYPES[kind]):
        return problems + [f"{where}: {value!r} is not {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            problems.append(f"{where}: {value!r} does not match {schema['pattern']}")
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 1 << 60):
            problems.append(f"{where}: length {len(value)} out of bounds")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < schema.get("minimum", float("-inf")) or value > schema.get("maximum", float("inf")):
            problems.append(f"{where}: {value} out of bounds")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for k in schema.get("required", []):
            if k not in value:
                problems.append(f"{where}: required key {k!r} missing")
        extra = schema.get("additionalProperties", True)
        for k, v in value.items():
            if k in props:
                problems += validate(spec, props[k], v, f"{where}.{k}")
            elif extra is False and not schema.get("allOf"):
                problems.append(f"{where}: undocumented key {k!r}")
            elif isinstance(extra, dict):
                problems += validate(spec, extra, v, f"{where}.{k}")
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            problems += validate(spec, schema["items"], v, f"{where}[{i}]")
    return problems


def check(spec, resp, method, template):
    """resp is documented for this operation: status, headers, body."""
    op = spec["paths"][template][method.lower()]
    doc = op["responses"].get(str(resp.status))
    assert doc is not None, f"{method} {template}: {resp.status} is not documented ({resp.body[:200]!r})"
    doc = resolve(spec, doc)
    for name in doc.get("headers", {}):
        if name == "Idempotent-Replayed":
            continue                # only on replays
        assert name in resp.headers, f"{method} {template} {resp.status}: header {name} missing"
    content = doc.get("content", {}).get("application/json")
    if content:
        problems = validate(spec, content["schema"], json.loads(resp.body))
        assert not problems, f"{method} {template} {resp.status}: " + "; ".join(problems)
    return resp


def test_every_meeting_answer_is_documented(stack, spec):
    org, to = user(stack, "Olive Organizer")
    pa, tp = user(stack, "Pete Participant")
    _, stranger = user(stack)
    src = fresh_addr()

    def c(method, template, path=None, body=None, token=to, **kw):
        r = call_from(stack, src, method, path or template, body, token=token, **kw)
        return check(spec, r, method, template)

    m = json.loads(c("POST", "/api/v1/meetings", body=meeting_body(description="d", event_id="e1")).body)["data"]
    mid = m["id"]
    P = lambda suffix="": mpath(mid, suffix)  # noqa: E731
    T = "/api/v1/meetings/{id}"
    c("POST", "/api/v1/meetings", body=meeting_body(duration=0))                       # 400
    c("POST", "/api/v1/meetings", body=meeting_body(), token=None)                     # 401
    c("POST", "/api/v1/meetings", body=meeting_body(platform="zoom"))                  # 503
    c("POST", "/api/v1/meetings", body="title=x", headers={"Content-Type": "text/plain"})  # 415
    key = {"Idempotency-Key": f"doc-{random_ulid()}"}
    c("POST", "/api/v1/meetings", body=meeting_body(title="idem"), headers=key)        # 201
    c("POST", "/api/v1/meetings", body=meeting_body(title="idem"), headers=key)        # 201 replayed
    c("POST", "/api/v1/meetings", body=meeting_body(title="other"), headers=key)       # 422
    c("GET", "/api/v1/meetings", "/api/v1/meetings?limit=1")
    c("GET", "/api/v1/meetings", "/api/v1/meetings?limit=0&status=x")                  # 400
    c("GET", T, P())
    c("GET", T, mpath(random_ulid()))                                                  # 404
    c("PATCH", T, P(), {"title": "documented"})
    c("PATCH", T, P(), {"title": ""})                                                  # 400
    c("PUT", T + "/members/{user_id}", P(f"/members/{pa['id']}"), {"role": "participant"})
    c("PUT", T + "/members/{user_id}", P(f"/members/{random_ulid()}"), {"role": "guest"})   # 404
    c("PATCH", T, P(), {"title": "x"}, token=tp)                                       # 403
    c("GET", T, P(), token=tp)                                                         # participant view
    c("GET", T + "/status", P("/status"), token=tp)
    c("POST", T + "/end", P("/end"))                                                   # 409
    c("POST", T + "/passcode", P("/passcode"))
    c("POST", T + "/invitation-token", P("/invitation-token"))
    m = json.loads(c("GET", T, P()).body)["data"]
    c("POST", T + "/start", P("/start"))
    c("PATCH", T, P(), {"duration": 5})                                                # 409
    c("POST", T + "/join", P("/join"), {"device_type": "desktop"})
    c("POST", T + "/join", P("/join"), {"device_type": "toaster"})                     # 400
    c("POST", T + "/join", P("/join"), {"passcode": "000000" if m["passcode"] != "000000" else "1" * 6},
      token=stranger)                                                                  # 404
    c("POST", T + "/join", P("/join"), {}, token=tp)
    c("GET", T + "/participants", P("/participants"), token=tp)
    c("POST", T + "/leave", P("/leave"), token=tp)
    c("POST", T + "/leave", P("/leave"), token=tp)                                     # 404
    c("GET", "/api/v1/invitations/{token}", f"/api/v1/invitations/{m['invitation_token']}", token=stranger)
    c("GET", "/api/v1/invitations/{token}", "/api/v1/invitations/nope", token=stranger)  # 404
    c("POST", "/api/v1/meetings/join", body={"meeting_code": m["meeting_code"], "passcode": m["passcode"]},
      token=stranger)
    c("POST", "/api/v1/meetings/join", body={"meeting_code": "zzz-zzz-zzz", "passcode": "123456"}, token=stranger)
    c("GET", T + "/audit", P("/audit?limit=2"))
    c("GET", T + "/audit", P("/audit"), token=tp)                                      # 403
    c("DELETE", T + "/members/{user_id}", P(f"/members/{pa['id']}"))
    c("POST", T + "/end", P("/end"))
    c("GET", T + "/status", P("/status"))
    c("POST", T + "/cancel", P("/cancel"))                                             # 409 ended
    other = json.loads(c("POST", "/api/v1/meetings", body=meeting_body()).body)["data"]
    c("POST", T + "/cancel", mpath(other["id"], "/cancel"))
    # the 004 face
    f = json.loads(c("POST", "/meetings/create", body={"title": "Face"}).body)
    c("POST", "/meetings/create", body={"title": ""})                                  # 400
    c("GET", "/meetings/invitation/{token}", f"/meetings/invitation/{f['invitation_token']}", token=stranger)
    c("GET", "/meetings/invitation/{token}", "/meetings/invitation/nope", token=stranger)   # 404
    c("POST", "/meetings/join", body={"meeting_id": f["meeting_id"], "password": f["password"]}, token=stranger)
    c("POST", "/meetings/join", body={"meeting_id": "zzz-zzz-zzz", "password": "123456"}, token=stranger)  # 403
    c("GET", "/meetings/my-meetings")
    c("GET", "/meetings/my-meetings", token=None)                                      # 401


limited = module_stack(limits__status="1/1m", limits__passcode_attempts=1, limits__passcode_window="1m")


def test_limited_answers_are_documented(limited, spec):
    s = limited
    _, token = user(s)
    _, guesser = user(s)
    m = create(s, token)
    for _ in range(2):
        check(spec, s.call("GET", mpath(m["id"], "/status"), token=token), "GET", "/api/v1/meetings/{id}/status")
    src = fresh_addr()
    wrong = "000000" if m["passcode"] != "000000" else "111111"
    for _ in range(2):
        r = call_from(s, src, "POST", mpath(m["id"], "/join"), {"passcode": wrong}, token=guesser)
        check(spec, r, "POST", "/api/v1/meetings/{id}/join")
    assert r.status == 429


def test_account_answers_are_documented(stack, spec):
    acct, token = user(stack, "Sam Schema")
    src = fresh_addr()

    def c(method, template, body=None, token=token):
        return check(spec, call_from(stack, src, method, template, body, token=token), method, template)

    me = json.loads(c("GET", "/api/v1/me").body)["data"]
    assert me["id"] == acct["id"] and me["auth"] == "jwt"
    key = json.loads(c("POST", "/api/v1/api-keys", {"name": "schema"}).body)["data"]["key"]
    assert json.loads(c("GET", "/api/v1/me", token=key).body)["data"]["auth"] == "api_key"
    keys = json.loads(c("GET", "/api/v1/api-keys").body)["data"]
    assert [k["name"] for k in keys] == ["schema"]
    c("GET", "/api/v1/me", token=None)                                                 # 401
