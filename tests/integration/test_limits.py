"""The SQL rate limiter and Idempotency-Key (issue 3): exact across
responders under concurrency, 001's headers and 429 details on every limited
route, 000's per-platform create limit, and idempotent creates."""

import calendar
import http.client
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from helpers import TIMESTAMP_RE, assert_error, assert_success
from meetings_fixtures import (create, meeting_body, module_stack, mpath, outbox_types, q, random_ulid,
                               set_member, sql_rows, sql_value, user)
from stack import Response

busy_stack = module_stack(server__responders=8, limits__meeting="100/1h")
small_stack = module_stack(limits__status="3/1m", limits__participant="5/1m",
                           limits__create_per_platform="3/1h")


def post(s, path, body, token, headers=None):
    """One request on a fresh connection (safe from many threads)."""
    hdrs = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    hdrs.update(headers or {})
    conn = http.client.HTTPConnection("127.0.0.1", s.nginx.port, timeout=30)
    try:
        conn.request("POST", path, body=json.dumps(body).encode(), headers=hdrs)
        r = conn.getresponse()
        return Response(r.status, r.headers, r.read())
    finally:
        conn.close()


def limit_headers(r):
    return (int(r.headers["X-RateLimit-Limit"]), int(r.headers["X-RateLimit-Remaining"]),
            int(r.headers["X-RateLimit-Reset"]))


def assert_rate_limited(r, limit, window, face=False):
    """A limiter 429 (with face=True: the 004 face's, which adds FastAPI's "detail")."""
    if face:
        assert r.status == 429, (r.status, r.body)
        body = json.loads(r.body)
        assert set(body) == {"status", "message", "code", "details", "timestamp", "detail"}, body
        assert body["code"] == "RATE_LIMIT_EXCEEDED" and body["detail"] == body["message"]
    else:
        body = assert_error(r, 429, "RATE_LIMIT_EXCEEDED")
    d = body["details"]
    assert set(d) == {"limit", "window", "reset_at"}, d
    assert d["limit"] == limit and d["window"] == window, d
    assert isinstance(d["limit"], int) and isinstance(d["window"], int)
    assert TIMESTAMP_RE.match(d["reset_at"]), d
    reset_at = calendar.timegm(time.strptime(d["reset_at"][:19], "%Y-%m-%dT%H:%M:%S"))
    assert time.time() - 2 <= reset_at <= time.time() + window + 2, d
    retry = int(r.headers["Retry-After"])
    assert 1 <= retry <= window, retry
    return d


# =============================================================================
# exactness under concurrency
# =============================================================================

def test_meeting_limit_is_exact_across_responders(busy_stack):
    s = busy_stack
    u, token = user(s)
    t0 = time.time()

    def one(i):
        return post(s, "/api/v1/meetings", meeting_body(title=f"load {i}"), token)

    with ThreadPoolExecutor(32) as ex:
        res = list(ex.map(one, range(200)))
    statuses = [r.status for r in res]
    assert statuses.count(201) == 100 and statuses.count(429) == 100, \
        {st: statuses.count(st) for st in set(statuses)}
    remaining_ok = []
    for r in res:
        limit, remaining, reset = limit_headers(r)
        assert limit == 100
        assert t0 < reset <= time.time() + 3600 + 2, reset
        if r.status == 201:
            remaining_ok.append(remaining)
            if remaining == 99:         # the first admitted: full again one step (36 s) later
                assert reset <= time.time() + 36 + 2, reset
            if remaining == 0:          # the last: full again a whole window later
                assert reset >= t0 + 3600 - 2, reset
        else:
            assert remaining == 0
            d = assert_rate_limited(r, 100, 3600)
            assert int(r.headers["Retry-After"]) <= 36 + 1    # the next place frees in one step
            assert abs(calendar.timegm(time.strptime(d["reset_at"], "%Y-%m-%dT%H:%M:%SZ")) - reset) <= 1
    # each admitted request took its own place in the bucket
    assert sorted(remaining_ok) == list(range(100)), sorted(remaining_ok)
    # and did its work exactly once; the refused did none
    mid_count = sql_value(s, f"SELECT COUNT(*) FROM meetings WHERE organizer_id = {q(u['id'])}")
    assert mid_count == "100"
    events = sql_value(s, f"SELECT COUNT(*) FROM outbox_events e JOIN meetings m ON m.id = e.meeting_id "
                          f"WHERE m.organizer_id = {q(u['id'])}")
    assert events == "100"
    # every write of the category is now refused for this user, and only for him
    any_meeting = assert_success(s.call("GET", "/api/v1/meetings?limit=1", token=token))["meetings"][0]
    r = s.call("PATCH", mpath(any_meeting["id"]), {"title": "over"}, token=token)
    assert_rate_limited(r, 100, 3600)
    assert s.call("GET", mpath(any_meeting["id"]), token=token).json()["data"]["title"] != "over"
    _, other = user(s)
    r = s.call("POST", "/api/v1/meetings", meeting_body(), token=other)
    assert r.status == 201 and limit_headers(r)[:2] == (100, 99)


# =============================================================================
# headers on limited routes
# =============================================================================

def test_rate_limit_headers_on_every_limited_route(stack):
    org, to = user(stack)
    pa, tp = user(stack)
    r = stack.call("POST", "/api/v1/meetings", meeting_body(), token=to)
    m = assert_success(r, 201)
    assert limit_headers(r)[:2] == (100, 99)
    mid = m["id"]
    meeting_calls = [
        ("PATCH", mpath(mid), {"title": "a"}),
        ("PUT", mpath(mid, f"/members/{pa['id']}"), {"role": "participant"}),
        ("POST", mpath(mid, "/passcode"), None),
        ("POST", mpath(mid, "/invitation-token"), None),
        ("POST", mpath(mid, "/start"), None),
        ("POST", mpath(mid, "/start"), None),            # 409: still counted, still told
        ("POST", mpath(mid, "/end"), None),
        ("DELETE", mpath(mid, f"/members/{pa['id']}"), None),
        ("POST", "/meetings/create", {"title": "face"}),
    ]
    expected_remaining = 98
    for method, path, body in meeting_calls:
        r = stack.call(method, path, body, token=to)
        assert r.status < 500, (path, r.body)
        limit, remaining, reset = limit_headers(r)
        assert (limit, remaining) == (100, expected_remaining), (method, path)
        assert time.time() < reset <= time.time() + 3600 + 2
        expected_remaining -= 1
    # the cancel route, on a meeting of its own
    m2 = create(stack, to)
    r = stack.call("POST", mpath(m2["id"], "/cancel"), token=to)
    assert limit_headers(r)[:2] == (100, expected_remaining - 1)

    # participant category (1000/h) and status category (120/min), counted per user
    m3 = create(stack, to)
    set_member(stack, to, m3["id"], pa["id"], "participant")
    participant_calls = [
        ("POST", mpath(m3["id"], "/join"), {}),
        ("POST", mpath(m3["id"], "/leave"), None),
        ("POST", mpath(m3["id"], "/leave"), None),        # 404 PARTICIPANT_NOT_FOUND, still counted
        ("GET", f"/api/v1/invitations/{m3['invitation_token']}", None),
        ("POST", "/api/v1/meetings/join", {"meeting_code": m3["meeting_code"], "passcode": m3["passcode"]}),
        ("GET", f"/meetings/invitation/{m3['invitation_token']}", None),
        ("POST", "/meetings/join", {"meeting_id": m3["meeting_code"], "password": m3["passcode"]}),
    ]
    expected_remaining = 999
    for method, path, body in participant_calls:
        r = stack.call(method, path, body, token=tp)
        assert r.status < 500, (path, r.body)
        assert limit_headers(r)[:2] == (1000, expected_remaining), (method, path)
        expected_remaining -= 1
    for expected in (119, 118):
        r = stack.call("GET", mpath(m3["id"], "/status"), token=tp)
        assert r.status == 200 and limit_headers(r)[:2] == (120, expected)
    # a stranger's refused request on a limited route is limited (and told) too
    _, stranger = user(stack)
    r = stack.call("POST", mpath(m3["id"], "/start"), token=stranger)
    assert r.status == 404 and limit_headers(r)[:2] == (100, 99)

    # routes outside every category carry no limiter headers
    for path in (mpath(m3["id"]), "/api/v1/meetings", mpath(m3["id"], "/participants"), mpath(m3["id"], "/audit"),
                 "/meetings/my-meetings"):
        r = stack.call("GET", path, token=to)
        assert r.status == 200, path
        assert not {h.lower() for h in r.headers} & {"x-ratelimit-limit", "x-ratelimit-remaining",
                                                      "x-ratelimit-reset"}, path


def test_small_category_limits(small_stack):
    s = small_stack
    org, to = user(s)
    pa, tp = user(s)
    m = create(s, to)
    set_member(s, to, m["id"], pa["id"], "participant")
    # status: 3 per minute
    for expected in (2, 1, 0):
        r = s.call("GET", mpath(m["id"], "/status"), token=tp)
        assert r.status == 200 and limit_headers(r)[:2] == (3, expected)
    r = s.call("GET", mpath(m["id"], "/status"), token=tp)
    assert_rate_limited(r, 3, 60)
    assert 1 <= int(r.headers["Retry-After"]) <= 20 + 1          # one place frees every 20 s
    # other users and other categories are not affected
    assert s.call("GET", mpath(m["id"], "/status"), token=to).status == 200
    # participant: 5 per minute, shared by every participant route
    calls = [("POST", mpath(m["id"], "/join"), {}), ("POST", mpath(m["id"], "/leave"), None),
             ("GET", f"/api/v1/invitations/{m['invitation_token']}", None),
             ("POST", mpath(m["id"], "/join"), {}), ("POST", mpath(m["id"], "/leave"), None)]
    for method, path, body in calls:
        assert s.call(method, path, body, token=tp).status == 200, path
    r = s.call("POST", mpath(m["id"], "/join"), {}, token=tp)
    assert_rate_limited(r, 5, 60)
    # a refused join did nothing
    assert assert_success(s.call("GET", mpath(m["id"], "/participants"), token=to)) == []
    assert outbox_types(s, m["id"]).count("participant.joined") == 2
    for method, path in (("GET", f"/meetings/invitation/{m['invitation_token']}"),
                         ("POST", "/api/v1/meetings/join")):
        r = s.call(method, path, {"invitation_token": m["invitation_token"]} if method == "POST" else None, token=tp)
        assert_rate_limited(r, 5, 60, face=path.startswith("/meetings/"))


def test_create_limit_per_platform(small_stack):
    s = small_stack
    _, token = user(s)
    for i in range(3):
        assert s.call("POST", "/api/v1/meetings", meeting_body(title=f"n{i}"), token=token).status == 201
    r = s.call("POST", "/api/v1/meetings", meeting_body(), token=token)
    assert_rate_limited(r, 3, 3600)
    # the 004 face creates native meetings: the same bucket
    assert_rate_limited(s.call("POST", "/meetings/create", {"title": "face"}, token=token), 3, 3600, face=True)
    # another platform has its own bucket (and is simply not configured)
    assert_error(s.call("POST", "/api/v1/meetings", meeting_body(platform="zoom"), token=token),
                 503, "PLATFORM_NOT_CONFIGURED", platform="zoom")
    # the meeting category itself is far from its limit: updates still pass
    mine = assert_success(s.call("GET", "/api/v1/meetings", token=token))["meetings"]
    assert len(mine) == 3
    assert s.call("PATCH", mpath(mine[0]["id"]), {"title": "ok"}, token=token).status == 200
    # per user
    _, other = user(s)
    assert s.call("POST", "/api/v1/meetings", meeting_body(), token=other).status == 201


def test_create_limit_per_platform_is_exact(small_stack):
    s = small_stack
    u, token = user(s)
    with ThreadPoolExecutor(12) as ex:
        res = list(ex.map(lambda i: post(s, "/api/v1/meetings", meeting_body(title=f"c{i}"), token), range(12)))
    statuses = [r.status for r in res]
    assert statuses.count(201) == 3 and statuses.count(429) == 9, statuses
    for r in res:
        if r.status == 429:
            assert_rate_limited(r, 3, 3600)
    assert sql_value(s, f"SELECT COUNT(*) FROM meetings WHERE organizer_id = {q(u['id'])}") == "3"


# =============================================================================
# Idempotency-Key
# =============================================================================

def _meetings_of(s, user_id):
    return [r[0] for r in sql_rows(s, f"SELECT id FROM meetings WHERE organizer_id = {q(user_id)}")]


def test_idempotent_create_under_concurrency(busy_stack):
    s = busy_stack
    u, token = user(s)
    body = meeting_body(title="idempotent")
    key = f"idem-{random_ulid()}"
    with ThreadPoolExecutor(10) as ex:
        res = list(ex.map(lambda _: post(s, "/api/v1/meetings", body, token, {"Idempotency-Key": key}), range(10)))
    statuses = [r.status for r in res]
    assert set(statuses) <= {201, 409}, statuses
    created = [r for r in res if r.status == 201]
    assert created
    for r in res:
        if r.status == 409:
            assert_error(r, 409, "IDEMPOTENCY_KEY_IN_USE")
    originals = [r for r in created if r.headers.get("Idempotent-Replayed") is None]
    replays = [r for r in created if r.headers.get("Idempotent-Replayed") is not None]
    assert len(originals) == 1, [dict(r.headers) for r in created]
    assert all(r.headers["Idempotent-Replayed"] == "true" for r in replays)
    first = json.loads(originals[0].body)
    for r in created:
        b = json.loads(r.body)
        assert (b["status"], b["message"], b["data"]) == (first["status"], first["message"], first["data"])
    # exactly one meeting, one event, one audit row
    assert _meetings_of(s, u["id"]) == [first["data"]["id"]]
    assert outbox_types(s, first["data"]["id"]) == ["meeting.created"]
    assert sql_value(s, f"SELECT COUNT(*) FROM audit_log WHERE meeting_id = {q(first['data']['id'])}") == "1"
    # later, the same request is replayed with the same status and data
    again = post(s, "/api/v1/meetings", body, token, {"Idempotency-Key": key})
    assert again.status == 201 and again.headers["Idempotent-Replayed"] == "true"
    b = json.loads(again.body)
    assert (b["status"], b["message"], b["data"]) == (first["status"], first["message"], first["data"])
    assert _meetings_of(s, u["id"]) == [first["data"]["id"]]


def test_idempotency_key_reused_with_another_body(stack):
    u, token = user(stack)
    key = f"k-{random_ulid()}"
    body = meeting_body(title="first")
    a = stack.call("POST", "/api/v1/meetings", body, token=token, headers={"Idempotency-Key": key})
    assert a.status == 201 and "Idempotent-Replayed" not in a.headers
    for other in (dict(body, title="second"), dict(body, duration=body["duration"] + 1), {**body, "timezone": "UTC"}):
        assert_error(stack.call("POST", "/api/v1/meetings", other, token=token, headers={"Idempotency-Key": key}),
                     422, "IDEMPOTENCY_KEY_REUSED")
    # the same JSON with other key order and spacing is the same request
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=3)
    r = stack.call("POST", "/api/v1/meetings", reordered, token=token,
                   headers={"Idempotency-Key": key, "Content-Type": "application/json"})
    assert r.status == 201 and r.headers["Idempotent-Replayed"] == "true"
    assert json.loads(r.body)["data"] == json.loads(a.body)["data"]
    assert len(_meetings_of(stack, u["id"])) == 1


def test_idempotency_keys_are_per_user(stack):
    a, ta = user(stack)
    b, tb = user(stack)
    key = f"shared-{random_ulid()}"
    body = meeting_body(title="same body")
    ra = stack.call("POST", "/api/v1/meetings", body, token=ta, headers={"Idempotency-Key": key})
    rb = stack.call("POST", "/api/v1/meetings", body, token=tb, headers={"Idempotency-Key": key})
    assert ra.status == rb.status == 201
    assert "Idempotent-Replayed" not in rb.headers
    da, db = json.loads(ra.body)["data"], json.loads(rb.body)["data"]
    assert da["id"] != db["id"] and db["organizer_id"] == b["id"]
    # B's different body under the same key is no reuse of A's
    rb2 = stack.call("POST", "/api/v1/meetings", dict(body, title="B's"), token=tb,
                     headers={"Idempotency-Key": f"{key}-b"})
    assert rb2.status == 201


@pytest.mark.parametrize("key", ["x" * 256, "has space", "tab\there", "caf\u00e9", ""])
def test_idempotency_key_format(stack, key):
    u, token = user(stack)
    r = stack.call("POST", "/api/v1/meetings", meeting_body(), token=token,
                   headers={"Idempotency-Key": key.encode("utf-8").decode("latin-1")})
    body = assert_error(r, 400, "VALIDATION_ERROR")
    assert "Idempotency-Key" in body["details"], body
    assert _meetings_of(stack, u["id"]) == []


def test_idempotency_key_longest_and_printable(stack):
    u, token = user(stack)
    for key in ("k" * 255, "!#$%&'*+-.^_`|~0123456789", "{}[]\"\\/:;<=>?@"):
        r = stack.call("POST", "/api/v1/meetings", meeting_body(), token=token, headers={"Idempotency-Key": key})
        assert r.status == 201, (key, r.body)
    assert len(_meetings_of(stack, u["id"])) == 3


def test_refused_request_does_not_claim_the_key(stack):
    u, token = user(stack)
    key = f"retry-{random_ulid()}"
    bad = meeting_body(duration=0)
    assert_error(stack.call("POST", "/api/v1/meetings", bad, token=token, headers={"Idempotency-Key": key}),
                 400, "VALIDATION_ERROR")
    good = meeting_body()
    r = stack.call("POST", "/api/v1/meetings", good, token=token, headers={"Idempotency-Key": key})
    assert r.status == 201 and "Idempotent-Replayed" not in r.headers
    # a platform that is not configured: no meeting, and the key stays free
    key2 = f"retry2-{random_ulid()}"
    assert stack.call("POST", "/api/v1/meetings", meeting_body(platform="zoom"), token=token,
                      headers={"Idempotency-Key": key2}).status == 503
    r = stack.call("POST", "/api/v1/meetings", meeting_body(), token=token, headers={"Idempotency-Key": key2})
    assert r.status == 201 and "Idempotent-Replayed" not in r.headers
    assert len(_meetings_of(stack, u["id"])) == 2


def test_idempotency_keys_expire_after_24_hours(stack):
    u, token = user(stack)
    key = f"exp-{random_ulid()}"
    body = meeting_body()
    first = json.loads(stack.call("POST", "/api/v1/meetings", body, token=token,
                                  headers={"Idempotency-Key": key}).body)["data"]
    life = sql_value(stack, f"SELECT TIMESTAMPDIFF(SECOND, created_at, expires_at) FROM idempotency_keys "
                            f"WHERE user_id = {q(u['id'])} AND idem_key = {q(key)}")
    assert int(life) == 24 * 3600
    # a day later (moved back in the database) the key names nothing
    stack.db.sql(f"UPDATE idempotency_keys SET created_at = created_at - INTERVAL 1 DAY - INTERVAL 1 SECOND, "
                 f"expires_at = expires_at - INTERVAL 1 DAY - INTERVAL 1 SECOND "
                 f"WHERE user_id = {q(u['id'])} AND idem_key = {q(key)}", database="meetd")
    r = stack.call("POST", "/api/v1/meetings", body, token=token, headers={"Idempotency-Key": key})
    assert r.status == 201 and "Idempotent-Replayed" not in r.headers
    assert json.loads(r.body)["data"]["id"] != first["id"]
    # ... and is claimed afresh: the new answer is what replays now
    again = stack.call("POST", "/api/v1/meetings", body, token=token, headers={"Idempotency-Key": key})
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert json.loads(again.body)["data"]["id"] == json.loads(r.body)["data"]["id"]
