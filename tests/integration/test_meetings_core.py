"""Native meetings end to end (issue 3): lifecycle and state machine, roles
and the no-oracle 404, validation, passcode locks, the SQL limiter's
exactness, idempotency under concurrency, the 004 face, and the journal
(audit and outbox) written with each change and only with it."""

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

from helpers import assert_error, assert_success, register

SOON = "2030-01-01T10:00:00+01:00"


def create(stack, token, **fields):
    # no waiting room: these tests join by passcode (test_controls.py has it)
    body = {"title": "Standup", "scheduled_for": SOON, "duration": 30, "waiting_room": False}
    body.update(fields)
    return assert_success(stack.call("POST", "/api/v1/meetings", body, token=token), 201)


def test_lifecycle_and_state_machine(stack):
    _, host = register(stack)
    m = create(stack, host, timezone="Europe/Paris")
    assert m["status"] == "scheduled" and m["scheduled_for"] == "2030-01-01T09:00:00Z"
    assert re.fullmatch(r"[a-z]{3}-[a-z]{3}-[a-z]{3}", m["meeting_code"])
    assert re.fullmatch(r"\d{6}", m["passcode"]) and len(m["invitation_token"]) >= 22
    mid = m["id"]
    assert_error(stack.call("POST", f"/api/v1/meetings/{mid}/end", token=host), 409, "MEETING_NOT_ACTIVE")
    started = assert_success(stack.call("POST", f"/api/v1/meetings/{mid}/start", token=host))
    assert set(started) == {"meeting_id", "started_by", "started_at"}
    assert_error(stack.call("POST", f"/api/v1/meetings/{mid}/start", token=host), 409, "MEETING_ALREADY_ACTIVE")
    assert_error(stack.call("POST", f"/api/v1/meetings/{mid}/cancel", token=host), 409, "MEETING_ALREADY_ACTIVE")
    assert_error(stack.call("PATCH", f"/api/v1/meetings/{mid}", {"duration": 45}, token=host),
                 409, "MEETING_ALREADY_ACTIVE")
    st = assert_success(stack.call("GET", f"/api/v1/meetings/{mid}/status", token=host))
    assert st["status"] == "in_progress" and st["is_active"] is True
    ended = assert_success(stack.call("POST", f"/api/v1/meetings/{mid}/end", token=host))
    assert set(ended) == {"meeting_id", "ended_by", "ended_at", "duration_minutes"}
    for verb in ("start", "end", "cancel"):
        assert_error(stack.call("POST", f"/api/v1/meetings/{mid}/{verb}", token=host), 409, "MEETING_ENDED")
    other = create(stack, host)
    assert assert_success(stack.call("POST", f"/api/v1/meetings/{other['id']}/cancel", token=host))["status"] == "cancelled"
    assert_error(stack.call("POST", f"/api/v1/meetings/{other['id']}/start", token=host), 409, "MEETING_CANCELLED")
    # one outbox event and one audit row per change, none for refused moves
    rows = stack.db.sql(f"SELECT type FROM outbox_events WHERE meeting_id = '{mid}' ORDER BY seq",
                        database="meetd").stdout.split()
    assert rows == ["meeting.created", "meeting.started", "meeting.ended"]
    audit = assert_success(stack.call("GET", f"/api/v1/meetings/{mid}/audit", token=host))["entries"]
    assert [e["action"] for e in audit] == ["meeting.ended", "meeting.started", "meeting.created"]


def test_non_members_get_404_members_without_rights_403(stack):
    _, host = register(stack)
    _, stranger = register(stack)
    guest_user, guest = register(stack)
    m = create(stack, host)
    mid = m["id"]
    unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
    for method, suffix, body in [("GET", "", None), ("PATCH", "", {"title": "x"}), ("POST", "/start", None),
                                 ("POST", "/end", None), ("POST", "/cancel", None), ("GET", "/status", None),
                                 ("POST", "/join", {}), ("POST", "/leave", None), ("GET", "/participants", None),
                                 ("POST", "/passcode", None), ("POST", "/invitation-token", None),
                                 ("GET", "/audit", None), ("PUT", f"/members/{guest_user['id']}", {"role": "guest"})]:
        a = stack.call(method, f"/api/v1/meetings/{mid}{suffix}", body, token=stranger)
        b = stack.call(method, f"/api/v1/meetings/{unknown}{suffix}", body, token=stranger)
        ea, eb = assert_error(a, 404, "MEETING_NOT_FOUND"), assert_error(b, 404, "MEETING_NOT_FOUND")
        assert ea["message"] == eb["message"] and ea["details"] == eb["details"]
    # a guest who joined with the passcode sees the meeting but no secrets and no host actions
    assert_success(stack.call("POST", f"/api/v1/meetings/{mid}/join", {"passcode": m["passcode"]}, token=guest))
    seen = assert_success(stack.call("GET", f"/api/v1/meetings/{mid}", token=guest))
    assert seen["my_role"] == "guest"
    assert not {"passcode", "invitation_token", "invitation_url", "host_key"} & set(seen)
    for verb in ("start", "cancel", "passcode"):
        assert_error(stack.call("POST", f"/api/v1/meetings/{mid}/{verb}", token=guest), 403, "INSUFFICIENT_PERMISSION")
    assert_error(stack.call("GET", f"/api/v1/meetings/{mid}/audit", token=guest), 403, "INSUFFICIENT_PERMISSION")
    # made co-host, the same user may start it
    assert_success(stack.call("PUT", f"/api/v1/meetings/{mid}/members/{guest_user['id']}", {"role": "co_host"}, token=host))
    assert_success(stack.call("POST", f"/api/v1/meetings/{mid}/start", token=guest))


def test_validation_lists_every_bad_field(stack):
    _, host = register(stack)
    r = stack.call("POST", "/api/v1/meetings", {"title": "  ", "scheduled_for": "2024-01-15T10:00:00",
                                                "duration": 1441, "timezone": "Mars/Base",
                                                "description": "x" * 5001, "extra": 1}, token=host)
    details = assert_error(r, 400, "VALIDATION_ERROR")["details"]
    assert set(details) == {"title", "scheduled_for", "duration", "timezone", "description", "extra"}
    for bad in ({"title": "t" * 201}, {"duration": 0}, {"duration": "30"}, {"duration": 2 ** 40}, {"duration": 1.5},
                {"scheduled_for": "2020-01-01T00:00:00Z"}, {"timezone": "../../etc/passwd"},
                {"title": ["x"]}, {"require_password": "yes"}, {"platform": "skype"}):
        body = {"title": "ok", "scheduled_for": SOON, "duration": 30}
        body.update(bad)
        details = assert_error(stack.call("POST", "/api/v1/meetings", body, token=host), 400, "VALIDATION_ERROR")["details"]
        assert set(details) == set(bad), (bad, details)
    # beyond 64 bits Jansson cannot read the number: still a clear 400
    r = stack.call("POST", "/api/v1/meetings", '{"title":"x","scheduled_for":"%s","duration":%d}' % (SOON, 2 ** 64),
                   token=host, headers={"Content-Type": "application/json"})
    assert_error(r, 400, "INVALID_JSON")
    # stored text round-trips literally
    title = "'; DROP TABLE meetings; -- 🎉 <b>"
    m = create(stack, host, title=title, description="line 1\nline 2")
    assert assert_success(stack.call("GET", f"/api/v1/meetings/{m['id']}", token=host))["title"] == title
    assert_error(stack.call("POST", "/api/v1/meetings", {"title": "z", "scheduled_for": SOON, "duration": 5,
                                                          "platform": "zoom"}, token=host), 503, "PLATFORM_NOT_CONFIGURED", platform="zoom")


def test_passcode_lock(make_stack):
    s = make_stack(limits__passcode_attempts=10, limits__passcode_window="3s")
    _, host = register(s)
    _, guesser = register(s)
    m = create(s, host)
    wrong = "000000" if m["passcode"] != "000000" else "111111"
    url = f"/api/v1/meetings/{m['id']}/join"
    for _ in range(10):
        assert_error(s.call("POST", url, {"passcode": wrong}, token=guesser), 404, "MEETING_NOT_FOUND")
    r = s.call("POST", url, {"passcode": wrong}, token=guesser)
    assert_error(r, 429, "TOO_MANY_ATTEMPTS")
    assert 1 <= int(r.headers["Retry-After"]) <= 3
    assert_error(s.call("POST", url, {"passcode": m["passcode"]}, token=guesser), 429, "TOO_MANY_ATTEMPTS")
    time.sleep(3.2)
    assert_success(s.call("POST", url, {"passcode": m["passcode"]}, token=guesser))
    # by code: an unknown code and a wrong passcode answer alike
    a = s.call("POST", "/api/v1/meetings/join", {"meeting_code": "zzz-zzz-zzz", "passcode": "123456"}, token=guesser)
    b = s.call("POST", "/api/v1/meetings/join", {"meeting_code": m["meeting_code"], "passcode": wrong}, token=guesser)
    ea, eb = assert_error(a, 403, "INVALID_MEETING_CREDENTIALS"), assert_error(b, 403, "INVALID_MEETING_CREDENTIALS")
    assert ea["message"] == eb["message"]


def test_limiter_is_exact_across_responders(make_stack):
    s = make_stack(server__responders=8, limits__meeting="100/1h")
    _, token = register(s)
    body = {"title": "load", "scheduled_for": SOON, "duration": 30}

    def one(i):
        r = s.call("POST", "/api/v1/meetings", dict(body, title=f"m{i}"), token=token)
        return r.status, r
    with ThreadPoolExecutor(32) as ex:
        res = list(ex.map(one, range(200)))
    statuses = [st for st, _ in res]
    assert statuses.count(201) == 100 and statuses.count(429) == 100, statuses
    denied = next(r for st, r in res if st == 429)
    details = json.loads(denied.body)["details"]
    assert details["limit"] == 100 and details["window"] == 3600 and details["reset_at"]
    assert int(denied.headers["Retry-After"]) >= 1
    ok = next(r for st, r in res if st == 201)
    assert ok.headers["X-RateLimit-Limit"] == "100" and "X-RateLimit-Reset" in ok.headers
    count = s.db.sql("SELECT COUNT(*) FROM meetings WHERE title LIKE 'm%'", database="meetd").stdout.split()
    assert int(count[-1]) >= 100


def test_idempotency_under_concurrency(make_stack):
    s = make_stack(server__responders=8)
    user, token = register(s)
    body = {"title": "idem", "scheduled_for": SOON, "duration": 30}

    def one(_):
        return s.call("POST", "/api/v1/meetings", body, token=token, headers={"Idempotency-Key": "abc-123"})
    with ThreadPoolExecutor(10) as ex:
        res = list(ex.map(one, range(10)))
    created = [r for r in res if r.status == 201]
    assert created and all(r.status in (201, 409) for r in res), [r.status for r in res]
    for r in res:
        if r.status == 409:
            assert_error(r, 409, "IDEMPOTENCY_KEY_IN_USE")
    ids = {json.loads(r.body)["data"]["id"] for r in created}
    assert len(ids) == 1
    n = s.db.sql(f"SELECT COUNT(*) FROM meetings WHERE organizer_id = '{user['id']}'", database="meetd").stdout.split()[-1]
    assert n == "1"
    again = s.call("POST", "/api/v1/meetings", body, token=token, headers={"Idempotency-Key": "abc-123"})
    assert again.status == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert json.loads(again.body)["data"]["id"] in ids
    assert_error(s.call("POST", "/api/v1/meetings", dict(body, duration=31), token=token,
                        headers={"Idempotency-Key": "abc-123"}), 422, "IDEMPOTENCY_KEY_REUSED")


def test_face_004_examples(stack):
    host_user, host = register(stack)
    _, joiner = register(stack)
    r = stack.call("POST", "/meetings/create", {"title": "Team Standup"}, token=host)
    assert r.status == 200
    c = json.loads(r.body)
    assert set(c) == {"meeting_id", "title", "password", "invitation_token", "created_at"}
    assert re.fullmatch(r"[a-z]{3}-[a-z]{3}-[a-z]{3}", c["meeting_id"]) and re.fullmatch(r"\d{6}", c["password"])
    inv = json.loads(stack.call("GET", f"/meetings/invitation/{c['invitation_token']}", token=joiner).body)
    assert inv == {"meeting_id": c["meeting_id"], "title": "Team Standup", "password": c["password"],
                   "host_id": host_user["id"], "created_at": c["created_at"]}
    r = stack.call("POST", "/meetings/join", {"meeting_id": c["meeting_id"], "password": c["password"]}, token=joiner)
    assert r.status == 200 and json.loads(r.body)["data"]["room_id"] == c["meeting_id"]
    r = stack.call("POST", "/meetings/join", {"meeting_id": c["meeting_id"], "password": "x"}, token=joiner)
    assert r.status == 403 and json.loads(r.body)["detail"]
    assert stack.call("GET", "/meetings/invitation/nope", token=joiner).status == 404
    mine = json.loads(stack.call("GET", "/meetings/my-meetings", token=host).body)
    assert any(x["meeting_id"] == c["meeting_id"] and x["is_active"] for x in mine)


def test_secrets_not_in_database_or_log(stack):
    _, host = register(stack)
    m = create(stack, host)
    dump = stack.db.sql(f"SELECT HEX(passcode_box), HEX(invite_box), HEX(invite_hash), code, title "
                        f"FROM meetings WHERE id = '{m['id']}'", database="meetd").stdout
    assert m["meeting_code"] in dump      # the query did find the row
    assert m["passcode"].encode().hex().upper() not in dump and m["passcode"] not in dump
    assert m["invitation_token"].encode().hex().upper() not in dump
    with open(stack.meetd.log, encoding="utf-8", errors="replace") as f:
        log = f.read()
    assert m["passcode"] not in log and m["invitation_token"] not in log
