"""Meetings under attack (issue 3): object-level and function-level
authorization (BOLA/BFLA), secrets kept from participants, logs and the
database, hostile input in every field, and passcode guessing.

Every wrong passcode is sent from a loopback address of its own
(meetings_fixtures.fresh_addr) so the per-address counters of one test never
lock another test out."""

import base64
import json
import os
import re
import socket
import subprocess
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest

from helpers import assert_error, assert_success
from meetings_fixtures import (HOST_ONLY_KEYS, SECRET_KEYS, call_from, contains_number, create,
                               dump_database, error_shape, fresh_addr, get, join, journal,
                               meeting_body, module_stack, mpath, q, random_ulid,
                               responder_crashes, set_member, sql_value, user, wait_logged)
from stack import MEETD_BIN

# =============================================================================
# BOLA: a stranger and a meeting that is not theirs
# =============================================================================


def meeting_routes():
    """(method, pattern) of every route under /api/v1/meetings/:id, from the binary."""
    out = subprocess.run([MEETD_BIN, "routes"], capture_output=True, text=True, check=True).stdout
    routes = []
    for line in out.splitlines():
        method, pattern, _auth, _name = line.split()
        if pattern.startswith("/api/v1/meetings/:id"):
            routes.append((method, pattern))
    return routes


EXPECTED_ID_ROUTES = {
    ("GET", "/api/v1/meetings/:id"), ("PATCH", "/api/v1/meetings/:id"),
    ("POST", "/api/v1/meetings/:id/cancel"), ("POST", "/api/v1/meetings/:id/start"),
    ("POST", "/api/v1/meetings/:id/end"), ("GET", "/api/v1/meetings/:id/status"),
    ("POST", "/api/v1/meetings/:id/join"), ("POST", "/api/v1/meetings/:id/leave"),
    ("GET", "/api/v1/meetings/:id/participants"), ("POST", "/api/v1/meetings/:id/invitation-token"),
    ("POST", "/api/v1/meetings/:id/passcode"), ("PUT", "/api/v1/meetings/:id/members/:user_id"),
    ("DELETE", "/api/v1/meetings/:id/members/:user_id"), ("GET", "/api/v1/meetings/:id/audit"),
    ("POST", "/api/v1/meetings/:id/realtime-ticket"), ("GET", "/api/v1/meetings/:id/events"),
    ("POST", "/api/v1/meetings/:id/signals"),
    ("PUT", "/api/v1/meetings/:id/participants/status"), ("POST", "/api/v1/meetings/:id/participants/:user_id/actions"),
    ("GET", "/api/v1/meetings/:id/waiting-room"), ("POST", "/api/v1/meetings/:id/waiting-room/admit"),
    ("POST", "/api/v1/meetings/:id/waiting-room/deny"), ("GET", "/api/v1/meetings/:id/security/policy"),
    ("POST", "/api/v1/meetings/:id/security/policy"), ("PATCH", "/api/v1/meetings/:id/security/policy"),
}

# a body that is valid for the route, so only authorization can refuse it
VALID_BODY = {
    ("PATCH", "/api/v1/meetings/:id"): {"title": "taken over"},
    ("POST", "/api/v1/meetings/:id/join"): {"device_type": "web"},
    ("PUT", "/api/v1/meetings/:id/members/:user_id"): {"role": "co_host"},
    ("POST", "/api/v1/meetings/:id/signals"): {"type": "typing"},
    ("PUT", "/api/v1/meetings/:id/participants/status"): {"is_muted": True},
    ("POST", "/api/v1/meetings/:id/participants/:user_id/actions"): {"action": "remove"},
    ("POST", "/api/v1/meetings/:id/waiting-room/admit"): {"all": True},
    ("POST", "/api/v1/meetings/:id/waiting-room/deny"): {"all": True},
    ("POST", "/api/v1/meetings/:id/security/policy"): {"lock_meeting": True},
    ("PATCH", "/api/v1/meetings/:id/security/policy"): {"blocked_users": []},
}


def _variants(method, pattern, me, victim_member):
    """(path suffix, body) pairs to try on one route: for member routes both
    promoting oneself and touching a real member; for join, every kind of
    credential."""
    body = VALID_BODY.get((method, pattern))
    if ":user_id" in pattern:
        return [(pattern.replace(":user_id", uid), body) for uid in (me, victim_member)]
    if pattern.endswith("/join"):
        return [(pattern, body), (pattern, {"passcode": "000000"}), (pattern, {"invitation_token": "A" * 43})]
    return [(pattern, body)]


def test_bola_matrix(stack):
    """User B against every route and verb of user A's meeting: 404
    MEETING_NOT_FOUND, answered exactly as for an id that does not exist."""
    a, ta = user(stack, "Alice")
    b, tb = user(stack, "Bob")
    co, tco = user(stack, "Carol")
    m = create(stack, ta)
    set_member(stack, ta, m["id"], co["id"], "co_host")
    join(stack, ta, m["id"])
    join(stack, tco, m["id"])
    before_meeting, before_journal = get(stack, ta, m["id"]), journal(stack, m["id"])
    ghost = random_ulid()
    routes = meeting_routes()
    assert EXPECTED_ID_ROUTES <= set(routes), EXPECTED_ID_ROUTES - set(routes)
    src = fresh_addr()
    tried = 0
    for method, pattern in routes:
        for suffix, body in _variants(method, pattern, b["id"], co["id"]):
            real = call_from(stack, src, method, suffix.replace("/api/v1/meetings/:id", mpath(m["id"])), body,
                             token=tb)
            fake = call_from(stack, src, method, suffix.replace("/api/v1/meetings/:id", mpath(ghost)), body,
                             token=tb)
            what = (method, suffix, body)
            assert_error(real, 404, "MEETING_NOT_FOUND")
            assert_error(fake, 404, "MEETING_NOT_FOUND")
            assert error_shape(real) == error_shape(fake), what
            skip = {"date", "x-request-id", "x-ratelimit-remaining", "x-ratelimit-reset", "content-length"}
            assert ({k.lower() for k in real.headers} - skip) == ({k.lower() for k in fake.headers} - skip), what
            tried += 1
    assert tried >= len(EXPECTED_ID_ROUTES) + 3
    # methods the routes do not have: the same 405 for both
    for method in ("DELETE", "PUT"):
        real = stack.call(method, mpath(m["id"]), {}, token=tb)
        fake = stack.call(method, mpath(ghost), {}, token=tb)
        assert real.status == fake.status == 405 and error_shape(real) == error_shape(fake)
    # nothing changed, B gained nothing
    assert get(stack, ta, m["id"]) == before_meeting
    assert journal(stack, m["id"]) == before_journal
    assert sql_value(stack, f"SELECT COUNT(*) FROM meeting_members WHERE meeting_id = {q(m['id'])} "
                            f"AND user_id = {q(b['id'])}") == "0"
    listed = assert_success(stack.call("GET", "/api/v1/meetings?limit=100", token=tb))["meetings"]
    assert m["id"] not in {x["id"] for x in listed}
    mine = json.loads(stack.call("GET", "/meetings/my-meetings", token=tb).body)
    assert m["meeting_code"] not in {x["meeting_id"] for x in mine}


def test_bola_invalid_bodies_do_not_tell_either(stack):
    """A bad body against someone else's meeting answers as it would for a
    meeting that does not exist (validation must not leak existence)."""
    _, ta = user(stack)
    _, tb = user(stack)
    m = create(stack, ta)
    ghost = random_ulid()
    for method, suffix, body in [("PATCH", "", {"duration": 0}), ("PATCH", "", {}),
                                 ("POST", "/join", {"device_type": "toaster"}),
                                 ("PUT", f"/members/{random_ulid()}", {"role": "king"})]:
        real = stack.call(method, mpath(m["id"], suffix), body, token=tb)
        fake = stack.call(method, mpath(ghost, suffix), body, token=tb)
        assert real.status == fake.status and error_shape(real) == error_shape(fake), (method, suffix)
        assert real.status in (400, 404)


# =============================================================================
# BFLA: members without the right
# =============================================================================

HOST_ONLY = [("PATCH", "", {"title": "x"}), ("POST", "/cancel", None), ("POST", "/start", None),
             ("POST", "/end", None), ("POST", "/invitation-token", None), ("POST", "/passcode", None)]
ORGANIZER_ONLY = [("PUT", "/members/{uid}", {"role": "co_host"}), ("DELETE", "/members/{uid}", None),
                  ("GET", "/audit", None)]


@pytest.mark.parametrize("role", ["participant", "guest", "guest-by-passcode", "guest-by-token"])
def test_members_without_rights_get_403(stack, role):
    org, to = user(stack)
    member, tm = user(stack)
    other, _ = user(stack)
    m = create(stack, to)
    set_member(stack, to, m["id"], other["id"], "participant")
    if role == "guest-by-passcode":
        join(stack, tm, m["id"], {"passcode": m["passcode"]})
    elif role == "guest-by-token":
        join(stack, tm, m["id"], {"invitation_token": m["invitation_token"]})
    else:
        set_member(stack, to, m["id"], member["id"], role)
    assert get(stack, tm, m["id"])["my_role"] == role.split("-")[0]
    before_meeting, before_journal = get(stack, to, m["id"]), journal(stack, m["id"])
    for method, suffix, body in HOST_ONLY + ORGANIZER_ONLY:
        for uid in (member["id"], other["id"], org["id"]):
            r = stack.call(method, mpath(m["id"], suffix.format(uid=uid)), body, token=tm)
            assert_error(r, 403, "INSUFFICIENT_PERMISSION")
            if "{uid}" not in suffix:
                break
    assert get(stack, to, m["id"]) == before_meeting
    assert journal(stack, m["id"]) == before_journal
    # the same requests on a started meeting
    assert_success(stack.call("POST", mpath(m["id"], "/start"), token=to))
    for method, suffix, body in [("POST", "/end", None), ("PATCH", "", {"title": "x"}), ("POST", "/passcode", None)]:
        assert_error(stack.call(method, mpath(m["id"], suffix), body, token=tm), 403, "INSUFFICIENT_PERMISSION")


def test_co_host_cannot_manage_members_or_read_audit(stack):
    org, to = user(stack)
    co, tco = user(stack)
    pa, _ = user(stack)
    m = create(stack, to)
    set_member(stack, to, m["id"], co["id"], "co_host")
    set_member(stack, to, m["id"], pa["id"], "participant")
    before = journal(stack, m["id"])
    for method, suffix, body in ORGANIZER_ONLY:
        for uid in (pa["id"], co["id"], org["id"]):
            r = stack.call(method, mpath(m["id"], suffix.format(uid=uid)), body, token=tco)
            assert_error(r, 403, "INSUFFICIENT_PERMISSION")
    assert journal(stack, m["id"]) == before
    assert get(stack, to, m["id"])["my_role"] == "organizer"


# =============================================================================
# secrets: never shown to participants and guests
# =============================================================================

def _all_strings(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _all_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _all_strings(v)
    elif isinstance(value, str):
        yield value


def _assert_no_secret(resp, m, what):
    text = resp.body.decode("utf-8", errors="replace")
    assert m["invitation_token"] not in text, what
    assert not contains_number(text, m["passcode"]), what
    try:
        body = json.loads(resp.body)
    except ValueError:
        return
    for s in _all_strings(body):
        assert s not in SECRET_KEYS, (what, s)


def test_participants_and_guests_never_see_secrets(stack):
    org, to = user(stack)
    pa, tp = user(stack)
    gu, tg = user(stack)
    m = create(stack, to)
    set_member(stack, to, m["id"], pa["id"], "participant")
    seen = []
    seen.append(("join guest", stack.call("POST", mpath(m["id"], "/join"), {"passcode": m["passcode"]}, token=tg)))
    seen.append(("join participant", stack.call("POST", mpath(m["id"], "/join"), {}, token=tp)))
    assert_success(stack.call("POST", mpath(m["id"], "/start"), token=to))
    for tok, who in ((tp, "participant"), (tg, "guest")):
        for path in (mpath(m["id"]), mpath(m["id"], "/status"), mpath(m["id"], "/participants"),
                     "/api/v1/meetings?limit=100", f"/api/v1/meetings?role={who}",
                     "/meetings/my-meetings"):
            r = stack.call("GET", path, token=tok)
            assert r.status == 200, (path, r.body)
            seen.append((f"{who} GET {path}", r))
        # refused writes do not echo anything either
        for method, suffix, body in HOST_ONLY:
            seen.append((f"{who} {method} {suffix}", stack.call(method, mpath(m["id"], suffix), body, token=tok)))
        seen.append((f"{who} leave", stack.call("POST", mpath(m["id"], "/leave"), token=tok)))
    for what, r in seen:
        _assert_no_secret(r, m, what)
    # the meeting object of a participant has every public key and no secret one
    data = get(stack, tp, m["id"])
    assert not HOST_ONLY_KEYS & set(data)
    # ... while the organizer's has them (so the checks above could fail)
    assert {"passcode", "invitation_token"} <= set(get(stack, to, m["id"]))


# =============================================================================
# secrets: never in meetd's log, never in the database in clear
# =============================================================================

def _secret_forms(m):
    """The clear texts that must not be stored or logged, and their
    common encodings."""
    forms = []
    for s in (m["passcode"], m["invitation_token"]):
        forms.append(s)
        forms.append(base64.b64encode(s.encode()).decode().rstrip("="))
        forms.append(s.encode().hex())
        forms.append(s.encode().hex().upper())
    return forms


def _find_secrets(text, metas):
    found = []
    for m in metas:
        if m["invitation_token"] in text:
            found.append(("token", m["invitation_token"]))
        if contains_number(text, m["passcode"]):
            found.append(("passcode", m["passcode"]))
        for form in _secret_forms(m)[1:]:
            if len(form) >= 8 and form not in (m["invitation_token"],) and form in text:
                found.append(("encoded", form))
    return found


def _exercise(stack, with_lookups):
    """Creates a meeting and uses its secrets every legitimate way; returns
    every version of its credentials (they are regenerated on the way)."""
    _, to = user(stack)
    _, tg = user(stack)
    _, tg2 = user(stack)
    m = create(stack, to)
    versions = [dict(m)]
    src = fresh_addr()
    assert_success(call_from(stack, src, "POST", mpath(m["id"], "/join"), {"passcode": m["passcode"]}, token=tg))
    r = call_from(stack, src, "POST", "/api/v1/meetings/join",
                  {"meeting_code": m["meeting_code"], "passcode": "0" + m["passcode"][1:]
                   if m["passcode"][0] != "0" else "1" + m["passcode"][1:]}, token=tg2)
    assert r.status == 403
    assert_success(call_from(stack, src, "POST", "/api/v1/meetings/join",
                             {"invitation_token": m["invitation_token"]}, token=tg2))
    if with_lookups:
        assert_success(stack.call("GET", f"/api/v1/invitations/{m['invitation_token']}", token=tg))
        assert stack.call("GET", f"/meetings/invitation/{m['invitation_token']}", token=tg).status == 200
    for suffix in ("/passcode", "/invitation-token"):
        versions.append(assert_success(stack.call("POST", mpath(m["id"], suffix), token=to)))
    assert stack.call("GET", "/meetings/my-meetings", token=to).status == 200
    assert_success(stack.call("PATCH", mpath(m["id"]), {"title": "after"}, token=to))
    last = stack.call("GET", mpath(m["id"]), token=to)
    assert wait_logged(stack, last.headers["X-Request-Id"])
    return versions


def _log_text(stack):
    """Every string meetd's log holds: the string values of its JSON lines
    (numbers such as durations are left out: a passcode is a string) and any
    line that is not JSON, whole."""
    out = []
    with open(stack.meetd.log, "rb") as f:
        for raw in f:
            try:
                line = json.loads(raw)
            except ValueError:
                out.append(raw.decode("utf-8", errors="replace"))
                continue
            out.extend(_all_strings(line))
    return "\n".join(out)


def test_secrets_not_in_meetd_log(stack):
    versions = _exercise(stack, with_lookups=False)
    assert _find_secrets(_log_text(stack), versions) == []


def test_invitation_token_not_in_meetd_log_when_looked_up(stack):
    """GET /api/v1/invitations/<token> and /meetings/invitation/<token> carry
    the token in the path: the access log must not write it down."""
    versions = _exercise(stack, with_lookups=True)
    found = _find_secrets(_log_text(stack), versions)
    assert found == [], f"secrets in meetd's log: {found}"


def test_invitation_token_not_in_nginx_access_log(stack):
    """nginx logs request lines too: its log_format writes ":token" where a
    lookup's path holds the invitation token."""
    versions = _exercise(stack, with_lookups=True)
    with open(os.path.join(stack.nginx.root, "nginx-access.log"), encoding="utf-8", errors="replace") as f:
        text = f.read()
    assert "/meetings/invitation/:token" in text and "/api/v1/invitations/:token" in text
    assert [m["invitation_token"] for m in versions if m["invitation_token"] in text] == []


def test_secrets_not_in_database(make_stack, make_database):
    # a database of its own: a dump of every test's rows would, now and
    # then, hold a six-digit run that happens to be this passcode
    name = make_database()
    stack = make_stack(database__name=name)
    versions = _exercise(stack, with_lookups=True)
    dump = dump_database(stack, name)
    assert versions[0]["meeting_code"] in dump          # the dump does hold the meeting
    assert _find_secrets(dump, versions) == []


def test_secrets_not_in_database_with_idempotency_key(make_stack, make_database):
    """The stored answer of an Idempotency-Key is kept for 24 hours: it must
    not hold the passcode or the invitation token in clear either."""
    name = make_database()
    stack = make_stack(database__name=name)
    _, token = user(stack)
    r = stack.call("POST", "/api/v1/meetings", meeting_body(), token=token,
                   headers={"Idempotency-Key": f"secret-check-{random_ulid()}"})
    m = assert_success(r, 201)
    dump = dump_database(stack, name)
    assert m["meeting_code"] in dump
    found = _find_secrets(dump, [m])
    assert found == [], f"secrets in the database in clear: {found}"


def test_boxes_are_distinct_per_meeting(stack):
    """Sealed secrets: two meetings never share a box, and a box is not the
    passcode in some encoding."""
    _, token = user(stack)
    ms = [create(stack, token) for _ in range(3)]
    rows = [stack.db.sql(f"SELECT HEX(passcode_box), HEX(invite_box), HEX(invite_hash) FROM meetings "
                         f"WHERE id = {q(m['id'])}", database="meetd").stdout.split() for m in ms]
    for row in rows:
        assert len(row) == 3 and all(len(x) >= 64 for x in row)
    for i in range(3):
        assert len({rows[j][i] for j in range(3)}) == 3


# =============================================================================
# hostile input: injection, invalid UTF-8, huge numbers, wrong types
# =============================================================================

INJECTIONS = [
    "'; DROP TABLE meetings; --",
    "' OR '1'='1",
    '" OR ""="',
    "admin'--",
    "1; SELECT SLEEP(5)",
    "x' AND SLEEP(5) AND 'x'='x",
    "%' UNION SELECT passcode_box FROM meetings -- ",
    "\\'; DROP TABLE users; -- \\",
    "${jndi:ldap://x/a}",
    "<script>alert(1)</script>",
    "{{7*7}}",
]
FANCY_TEXT = [
    "🎉 Party \U0001F9D1\u200D\U0001F4BB",
    "\u202Eright-to-left override",
    "zero\u200Bwidth",
    "日本語のタイトル",
    "ℌ𝔢𝔩𝔩𝔬 – “quotes” ‘too’",
]


@pytest.mark.parametrize("text", INJECTIONS + FANCY_TEXT)
def test_text_round_trips_literally(stack, text):
    _, token = user(stack)
    t0 = time.monotonic()
    m = create(stack, token, title=text, description=f"{text}\n{text}", event_id=text[:64])
    assert time.monotonic() - t0 < 3, "an injected SLEEP ran"
    assert (m["title"], m["description"], m["event_id"]) == (text, f"{text}\n{text}", text[:64])
    assert get(stack, token, m["id"])["title"] == text
    listed = assert_success(stack.call("GET", "/api/v1/meetings", token=token))["meetings"]
    assert [x["title"] for x in listed] == [text]
    upd = assert_success(stack.call("PATCH", mpath(m["id"]), {"title": text[::-1]}, token=token))
    assert upd["title"] == text[::-1]
    r = stack.call("POST", "/meetings/create", {"title": text}, token=token)
    assert r.status == 200 and json.loads(r.body)["title"] == text
    assert sql_value(stack, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'meetd' "
                            "AND table_name IN ('meetings', 'users', 'meeting_members')") == "3"


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_in_every_other_input(stack, payload):
    _, token = user(stack)
    m = create(stack, token)
    src = fresh_addr()
    enc = urllib.parse.quote(payload, safe="")
    calls = [
        ("POST", "/api/v1/meetings", meeting_body(timezone=payload)),
        ("POST", "/api/v1/meetings", meeting_body(platform=payload)),
        ("POST", "/api/v1/meetings", meeting_body(scheduled_for=payload)),
        ("PATCH", mpath(m["id"]), {"timezone": payload}),
        ("GET", f"/api/v1/meetings?status={enc}", None),
        ("GET", f"/api/v1/meetings?platform={enc}", None),
        ("GET", f"/api/v1/meetings?role={enc}", None),
        ("GET", f"/api/v1/meetings?from={enc}", None),
        ("GET", f"/api/v1/meetings?to={enc}", None),
        ("GET", f"/api/v1/meetings?cursor={enc}", None),
        ("GET", f"/api/v1/meetings?limit={enc}", None),
        ("GET", f"/api/v1/meetings/{enc}", None),
        ("POST", f"/api/v1/meetings/{enc}/start", None),
        ("GET", mpath(m["id"], f"/audit?cursor={enc}"), None),
        ("PUT", mpath(m["id"], f"/members/{enc}"), {"role": "guest"}),
        ("PUT", mpath(m["id"], f"/members/{random_ulid()}"), {"role": payload}),
        ("POST", mpath(m["id"], "/join"), {"device_type": payload}),
        ("POST", "/api/v1/meetings/join", {"meeting_code": payload, "passcode": payload}),
        ("POST", "/api/v1/meetings/join", {"invitation_token": payload}),
        ("GET", f"/api/v1/invitations/{enc}", None),
        ("POST", "/meetings/join", {"meeting_id": payload, "password": payload}),
        ("GET", f"/meetings/invitation/{enc}", None),
    ]
    for method, path, body in calls:
        t0 = time.monotonic()
        r = call_from(stack, src, method, path, body, token=token)
        assert 400 <= r.status < 500, (method, path, body, r.status, r.body)
        assert time.monotonic() - t0 < 3, (method, path, "an injected SLEEP ran")
    # the connection_id is free text: it is accepted as it is
    p, t2 = user(stack)
    set_member(stack, token, m["id"], p["id"], "participant")
    assert_success(stack.call("POST", mpath(m["id"], "/join"), {"connection_id": payload[:128]}, token=t2))
    assert get(stack, token, m["id"]) == m
    assert sql_value(stack, f"SELECT COUNT(*) FROM meetings WHERE id = {q(m['id'])}") == "1"


def test_idempotency_key_with_quotes_is_just_a_key(stack):
    _, token = user(stack)
    key = "'OR'1'='1';--"
    a = stack.call("POST", "/api/v1/meetings", meeting_body(), token=token, headers={"Idempotency-Key": key})
    assert a.status == 201
    b = stack.call("POST", "/api/v1/meetings", meeting_body(title="other"), token=token,
                   headers={"Idempotency-Key": "'OR'1'='2';--"})
    assert b.status == 201 and json.loads(b.body)["data"]["id"] != json.loads(a.body)["data"]["id"]


BAD_UTF8 = [b"\xff", b"\xfe\xff", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
            b"\xe2\x82", b"caf\xe9", b"\x80"]


def _raw_json(template, bad):
    return template.replace(b"@", bad)


@pytest.mark.parametrize("bad", BAD_UTF8, ids=[b.hex() for b in BAD_UTF8])
def test_invalid_utf8_is_refused(stack, bad):
    _, token = user(stack)
    m = create(stack, token)
    sched = meeting_body()["scheduled_for"].encode()
    bodies = [
        ("POST", "/api/v1/meetings", b'{"title":"x@y","scheduled_for":"' + sched + b'","duration":30}'),
        ("POST", "/api/v1/meetings", b'{"title":"x","description":"@","scheduled_for":"' + sched + b'","duration":30}'),
        ("POST", "/api/v1/meetings", b'{"title":"x","scheduled_for":"' + sched + b'","duration":30,"@":1}'),
        ("PATCH", mpath(m["id"]), b'{"title":"@"}'),
        ("POST", mpath(m["id"], "/join"), b'{"connection_id":"@"}'),
        ("POST", "/api/v1/meetings/join", b'{"meeting_code":"@","passcode":"123456"}'),
        ("PUT", mpath(m["id"], f"/members/{random_ulid()}"), b'{"role":"@"}'),
        ("POST", "/meetings/create", b'{"title":"@"}'),
        ("POST", "/meetings/join", b'{"meeting_id":"@","password":"123456"}'),
    ]
    src = fresh_addr()
    for method, path, template in bodies:
        r = call_from(stack, src, method, path, _raw_json(template, bad), token=token,
                      headers={"Content-Type": "application/json"})
        assert 400 <= r.status < 500, (method, path, r.status, r.body)
        json.loads(r.body)                           # the answer itself is valid JSON
    pct = "".join(f"%{c:02X}" for c in bad)
    for path in (f"/api/v1/meetings?status={pct}", f"/api/v1/meetings?cursor={pct}",
                 f"/api/v1/meetings/{pct}", f"/api/v1/invitations/{pct}", f"/meetings/invitation/{pct}",
                 mpath(m["id"], f"/members/{pct}")):
        r = stack.call("GET" if "members" not in path else "DELETE", path, token=token)
        assert 400 <= r.status < 500, (path, r.status, r.body)
    assert get(stack, token, m["id"])["title"] == m["title"]


def test_invalid_utf8_in_raw_request_line_and_headers(stack):
    _, token = user(stack)
    m = create(stack, token)
    requests = [
        b"GET /api/v1/meetings/\xff\xfe HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token.encode() +
        b"\r\nConnection: close\r\n\r\n",
        b"GET /api/v1/meetings/" + m["id"].encode() + b" HTTP/1.1\r\nHost: x\r\nX-Request-Id: \xff\xfe\r\n"
        b"Authorization: Bearer " + token.encode() + b"\r\nConnection: close\r\n\r\n",
        b"POST /api/v1/meetings HTTP/1.1\r\nHost: x\r\nIdempotency-Key: k\xff\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer " + token.encode() + b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    ]
    for raw in requests:
        with socket.create_connection(("127.0.0.1", stack.nginx.port), timeout=5) as c:
            c.sendall(raw)
            out = b""
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    break
                out += chunk
        status = int(out.split(b" ", 2)[1])
        assert status < 500, (raw[:60], out[:300])
    # the second request (valid apart from its request id) was served under a new id
    r = stack.call("GET", mpath(m["id"]), token=token, headers={"X-Request-Id": "ok-id"})
    assert r.status == 200


HUGE_NUMBERS = ["1e400", "-1e400", str(2 ** 64), str(-2 ** 64), str(2 ** 63), str(2 ** 63 - 1),
                str(-2 ** 63), "1e308", "0.1", "-0", "1E2", "30.0", "NaN", "Infinity", "0x1E", "030"]


@pytest.mark.parametrize("field", ["duration", "participant_limit"])
def test_huge_and_odd_numbers(stack, field):
    _, token = user(stack)
    m = create(stack, token)
    crashes = responder_crashes(stack)
    sched = meeting_body()["scheduled_for"]
    for num in HUGE_NUMBERS:
        base = {"title": "n", "scheduled_for": sched, "duration": 30}
        raw = json.dumps(base)[:-1] + f', "{field}": {num}}}' if field not in base else \
            json.dumps(base).replace('"duration": 30', f'"duration": {num}')
        r = stack.call("POST", "/api/v1/meetings", raw, token=token, headers={"Content-Type": "application/json"})
        assert r.status == 400, (num, r.status, r.body)
        assert json.loads(r.body)["code"] in ("INVALID_JSON", "VALIDATION_ERROR")
        r = stack.call("PATCH", mpath(m["id"]), f'{{"{field}": {num}}}', token=token,
                       headers={"Content-Type": "application/json"})
        assert r.status == 400, (num, r.status, r.body)
    assert responder_crashes(stack) == crashes
    assert get(stack, token, m["id"]) == m


# every field of the create body: values of the wrong type
CREATE_FIELDS = {"title": "string", "description": "string", "scheduled_for": "string", "duration": "integer",
                 "timezone": "string", "participant_limit": "integer", "require_password": "boolean",
                 "waiting_room": "boolean", "platform": "string", "event_id": "string"}
REQUIRED = {"title", "scheduled_for", "duration"}
WRONG = {"string": [[], {}, True, False, 0, 1.5, ["x"], {"x": "y"}],
         "integer": [[], {}, True, False, "30", 1.5, [30], {"v": 30}],
         "boolean": [[], {}, "true", 0, 1, "false", [True], {"v": True}]}


@pytest.mark.parametrize("field", sorted(CREATE_FIELDS))
def test_wrong_types_in_every_create_field(stack, field):
    _, token = user(stack)
    for value in WRONG[CREATE_FIELDS[field]]:
        r = stack.call("POST", "/api/v1/meetings", meeting_body(**{field: value}), token=token)
        details = assert_error(r, 400, "VALIDATION_ERROR")["details"]
        assert set(details) == {field}, (value, details)
    r = stack.call("POST", "/api/v1/meetings", meeting_body(**{field: None}), token=token)
    if field in REQUIRED:
        assert set(assert_error(r, 400, "VALIDATION_ERROR")["details"]) == {field}
    else:
        assert r.status in (201, 400), r.body        # null may mean "absent"; never a 5xx


PATCH_FIELDS = {k: v for k, v in CREATE_FIELDS.items() if k not in ("platform", "event_id")}


@pytest.mark.parametrize("field", sorted(PATCH_FIELDS))
def test_wrong_types_in_every_update_field(stack, field):
    _, token = user(stack)
    m = create(stack, token)
    for value in WRONG[PATCH_FIELDS[field]]:
        r = stack.call("PATCH", mpath(m["id"]), {field: value}, token=token)
        details = assert_error(r, 400, "VALIDATION_ERROR")["details"]
        assert set(details) == {field}, (value, details)
    assert get(stack, token, m["id"]) == m


JOIN_FIELDS = {"connection_id": "string", "device_type": "string", "join_muted": "boolean",
               "join_without_video": "boolean", "passcode": "string", "invitation_token": "string"}


def test_wrong_types_in_join_member_and_face_bodies(stack):
    _, token = user(stack)
    m = create(stack, token)
    src = fresh_addr()
    cases = []
    for field, kind in JOIN_FIELDS.items():
        for value in WRONG[kind]:
            cases.append(("POST", mpath(m["id"], "/join"), {field: value}, field))
            cases.append(("POST", "/api/v1/meetings/join", {"meeting_code": m["meeting_code"],
                                                            "passcode": m["passcode"], field: value}, field))
    for value in WRONG["string"]:
        cases.append(("POST", "/api/v1/meetings/join", {"meeting_code": value, "passcode": "123456"}, "meeting_code"))
        cases.append(("PUT", mpath(m["id"], f"/members/{random_ulid()}"), {"role": value}, "role"))
        cases.append(("POST", "/meetings/create", {"title": value}, "title"))
        cases.append(("POST", "/meetings/join", {"meeting_id": value, "password": "123456"}, "meeting_id"))
        cases.append(("POST", "/meetings/join", {"meeting_id": m["meeting_code"], "password": value}, "password"))
    for method, path, body, field in cases:
        r = call_from(stack, src, method, path, body, token=token)
        assert r.status == 400, (method, path, body, r.status, r.body)
        assert field in json.loads(r.body)["details"], (method, path, body, r.body)
    for top in ([], "x", 1, None, True):
        for method, path in (("PATCH", mpath(m["id"])), ("POST", mpath(m["id"], "/join")),
                             ("POST", "/api/v1/meetings/join"), ("POST", "/meetings/create"),
                             ("PUT", mpath(m["id"], f"/members/{random_ulid()}"))):
            r = stack.call(method, path, json.dumps(top), token=token, headers={"Content-Type": "application/json"})
            assert r.status == 400, (method, path, top, r.status, r.body)
    assert journal(stack, m["id"]) == (["meeting.created"], ["meeting.created"])


def test_deep_and_huge_documents(stack):
    _, token = user(stack)
    crashes = responder_crashes(stack)
    deep = '{"title":' + "[" * 20000 + "]" * 20000 + ',"duration":30}'
    r = stack.call("POST", "/api/v1/meetings", deep, token=token, headers={"Content-Type": "application/json"})
    assert r.status == 400, r.body
    big = meeting_body(title="t" * 900_000)
    r = stack.call("POST", "/api/v1/meetings", big, token=token)
    assert r.status in (400, 413), r.status
    many = meeting_body(**{f"k{i}": i for i in range(5000)})
    r = stack.call("POST", "/api/v1/meetings", many, token=token)
    assert r.status == 400 and len(json.loads(r.body)["details"]) >= 1
    assert responder_crashes(stack) == crashes


# =============================================================================
# passcode guessing
# =============================================================================

WINDOW = 2            # seconds (limits.passcode_window of the stack below)
passcode_stack = module_stack(limits__passcode_attempts=10, limits__passcode_window=f"{WINDOW}s")


def _wrong(m):
    return "000000" if m["passcode"] != "000000" else "111111"


def _sleep_until(t):
    delay = t - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def test_passcode_lock_per_meeting_and_address(passcode_stack):
    s = passcode_stack
    _, host = user(s)
    _, guesser = user(s)
    m = create(s, host)
    src = fresh_addr()
    url = mpath(m["id"], "/join")
    t_first = time.monotonic()
    for i in range(10):
        assert_error(call_from(s, src, "POST", url, {"passcode": _wrong(m)}, token=guesser), 404, "MEETING_NOT_FOUND")
    r = call_from(s, src, "POST", url, {"passcode": _wrong(m)}, token=guesser)
    body = assert_error(r, 429, "TOO_MANY_ATTEMPTS")
    assert 1 <= int(r.headers["Retry-After"]) <= WINDOW
    # the right passcode is refused too while locked
    r = call_from(s, src, "POST", url, {"passcode": m["passcode"]}, token=guesser)
    assert_error(r, 429, "TOO_MANY_ATTEMPTS")
    assert 1 <= int(r.headers["Retry-After"]) <= WINDOW
    assert_error(s.call("GET", mpath(m["id"]), token=guesser), 404, "MEETING_NOT_FOUND")
    assert body["details"] == {} or isinstance(body["details"], dict)
    _sleep_until(t_first + WINDOW + 0.2)
    assert assert_success(call_from(s, src, "POST", url, {"passcode": m["passcode"]}, token=guesser))["role"] == "guest"


def test_passcode_lock_counts_per_meeting_across_addresses(passcode_stack):
    s = passcode_stack
    _, host = user(s)
    _, guesser = user(s)
    _, honest = user(s)
    m = create(s, host)
    url = mpath(m["id"], "/join")
    t_first = time.monotonic()
    for _ in range(10):
        assert_error(call_from(s, fresh_addr(), "POST", url, {"passcode": _wrong(m)}, token=guesser),
                     404, "MEETING_NOT_FOUND")
    r = call_from(s, fresh_addr(), "POST", url, {"passcode": _wrong(m)}, token=guesser)
    assert_error(r, 429, "TOO_MANY_ATTEMPTS")
    assert "Retry-After" in r.headers
    # a different person from a different address: the meeting is locked
    assert_error(call_from(s, fresh_addr(), "POST", url, {"passcode": m["passcode"]}, token=honest),
                 429, "TOO_MANY_ATTEMPTS")
    # members need no passcode and are not locked out of their own meeting
    assert_success(s.call("POST", url, {}, token=host))
    _sleep_until(t_first + WINDOW + 0.2)
    assert_success(call_from(s, fresh_addr(), "POST", url, {"passcode": m["passcode"]}, token=honest))


def test_passcode_lock_counts_per_address_across_meetings(passcode_stack):
    s = passcode_stack
    _, host = user(s)
    _, guesser = user(s)
    ms = [create(s, host) for _ in range(12)]
    src = fresh_addr()
    t_first = time.monotonic()
    for i, m in enumerate(ms[:10]):
        # headers a client may forge do not change its address
        fake = f"198.51.100.{i}"
        spoof = {"X-Forwarded-For": fake, "X-Real-IP": fake, "Forwarded": f"for={fake}"}
        assert_error(call_from(s, src, "POST", mpath(m["id"], "/join"), {"passcode": _wrong(m)}, token=guesser,
                               headers=spoof), 404, "MEETING_NOT_FOUND")
    assert_error(call_from(s, src, "POST", mpath(ms[10]["id"], "/join"), {"passcode": _wrong(ms[10])},
                           token=guesser), 429, "TOO_MANY_ATTEMPTS")
    assert_error(call_from(s, src, "POST", mpath(ms[11]["id"], "/join"), {"passcode": ms[11]["passcode"]},
                           token=guesser), 429, "TOO_MANY_ATTEMPTS")
    # by code as well: the address is locked
    r = call_from(s, src, "POST", "/api/v1/meetings/join",
                  {"meeting_code": ms[11]["meeting_code"], "passcode": ms[11]["passcode"]}, token=guesser)
    assert_error(r, 429, "TOO_MANY_ATTEMPTS")
    # another address is not
    assert_success(call_from(s, fresh_addr(), "POST", mpath(ms[11]["id"], "/join"),
                             {"passcode": ms[11]["passcode"]}, token=guesser))
    _sleep_until(t_first + WINDOW + 0.2)
    assert_success(call_from(s, src, "POST", mpath(ms[10]["id"], "/join"), {"passcode": ms[10]["passcode"]},
                             token=guesser))


def test_passcode_lock_is_shared_by_every_join_route(passcode_stack):
    """At most 10 wrong passcodes per meeting, whichever route they come by:
    by id, by code (canonical) or by code on the 004 face."""
    s = passcode_stack
    _, host = user(s)
    _, guesser = user(s)
    for first, then in [("id", "code"), ("id", "face"), ("code", "id"), ("face", "id")]:
        m = create(s, host)
        wrong = _wrong(m)
        send = {
            "id": lambda pw: call_from(s, fresh_addr(), "POST", mpath(m["id"], "/join"), {"passcode": pw},
                                       token=guesser),
            "code": lambda pw: call_from(s, fresh_addr(), "POST", "/api/v1/meetings/join",
                                         {"meeting_code": m["meeting_code"], "passcode": pw}, token=guesser),
            "face": lambda pw: call_from(s, fresh_addr(), "POST", "/meetings/join",
                                         {"meeting_id": m["meeting_code"], "password": pw}, token=guesser),
        }
        for _ in range(10):
            r = send[first](wrong)
            assert r.status in (403, 404), r.body
        r = send[then](wrong)
        assert r.status == 429 and json.loads(r.body)["code"] == "TOO_MANY_ATTEMPTS", \
            f"after 10 wrong passcodes by {first}, a guess by {then} got {r.status} {r.body!r}"


def test_concurrent_guesses_cannot_overshoot(make_stack):
    s = make_stack(server__responders=8, limits__passcode_attempts=10, limits__passcode_window="1m")
    _, host = user(s)
    _, guesser = user(s)
    m = create(s, host)
    srcs = [fresh_addr() for _ in range(40)]

    def guess(src):
        return call_from(s, src, "POST", mpath(m["id"], "/join"), {"passcode": _wrong(m)}, token=guesser).status

    with ThreadPoolExecutor(20) as ex:
        statuses = list(ex.map(guess, srcs))
    assert statuses.count(404) == 10 and statuses.count(429) == 30, statuses


def test_no_oracle_between_unknown_code_and_wrong_passcode(stack):
    _, host = user(stack)
    _, guesser = user(stack)
    m = create(stack, host)
    src = fresh_addr()
    wrong = _wrong(m)
    # canonical: by code
    answers = [call_from(stack, src, "POST", "/api/v1/meetings/join", body, token=guesser) for body in (
        {"meeting_code": "zzz-zzz-zzz", "passcode": m["passcode"]},     # unknown code
        {"meeting_code": m["meeting_code"], "passcode": wrong},         # wrong passcode
        {"meeting_code": "not-a-code", "passcode": wrong},              # malformed code
        {"invitation_token": "A" * 43})]                                # unknown token
    for r in answers:
        assert_error(r, 403, "INVALID_MEETING_CREDENTIALS")
    assert len({json.dumps(error_shape(r)) for r in answers}) == 1
    # by id: unknown id, wrong passcode, wrong token, no credentials
    answers = [call_from(stack, src, "POST", path, body, token=guesser) for path, body in (
        (mpath(random_ulid(), "/join"), {"passcode": wrong}),
        (mpath(m["id"], "/join"), {"passcode": wrong}),
        (mpath(m["id"], "/join"), {"invitation_token": "A" * 43}),
        (mpath(m["id"], "/join"), {}))]
    for r in answers:
        assert_error(r, 404, "MEETING_NOT_FOUND")
    assert len({json.dumps(error_shape(r)) for r in answers}) == 1
    # the 004 face
    answers = [call_from(stack, src, "POST", "/meetings/join", body, token=guesser) for body in (
        {"meeting_id": "zzz-zzz-zzz", "password": m["passcode"]},
        {"meeting_id": m["meeting_code"], "password": wrong})]
    assert {r.status for r in answers} == {403}
    assert len({json.dumps(error_shape(r)) for r in answers}) == 1
    assert re.search(r"[a-z]", json.loads(answers[0].body)["detail"])
