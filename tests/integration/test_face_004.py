"""The 004 face (password-protected rooms): every example request of
/work/shared/spec/004_*.txt, read out of the document itself, replayed
against meetd, and the answers checked for 004's exact shapes (bare JSON,
the meeting code as "meeting_id", the passcode as "password")."""

import glob
import json
import os
import re
import secrets

import pytest

from helpers import ENVELOPE_ERR_KEYS, ULID_RE, assert_success
from meetings_fixtures import CODE_RE, PASSCODE_RE, TOKEN_RE, YEAR, call_from, fresh_addr, set_member, user

SPEC_DIR = os.environ.get("MEETD_SPEC_DIR", "/work/shared/spec")
ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$")


def _spec_text():
    paths = glob.glob(os.path.join(SPEC_DIR, "004_*.txt"))
    if not paths:
        pytest.skip(f"004's document is not in {SPEC_DIR}")
    with open(paths[0], encoding="utf-8") as f:
        return f.read()


def _examples():
    """{(METHOD, path template): {"body": dict|None, "response": dict|None}}
    from the '#### N. Title (METHOD /path)' sections of 004, plus the request
    lines of its Testing section."""
    text = _spec_text()
    out = {}
    for m in re.finditer(r"^#### \d+\. [^\n]*\((GET|POST|PUT|PATCH|DELETE) (/[^)\s]+)\)\n(.*?)(?=^#{2,4} )",
                         text, re.S | re.M):
        method, path, section = m.group(1), m.group(2), m.group(3)
        body = re.search(r"-d '(\{.*?\})'", section, re.S)
        resp = re.search(r"\*\*Response:\*\*\s*```json\n(.*?)```", section, re.S)
        out[(method, path)] = {"body": json.loads(body.group(1)) if body else None,
                               "response": json.loads(resp.group(1)) if resp else None}
    testing = text[text.index("## Testing"):]
    for m in re.finditer(r"```bash\n(?:#[^\n]*\n)*(GET|POST) (/\S+)\n(\{.*?\})?\s*```", testing, re.S):
        method, path, body = m.group(1), m.group(2), m.group(3)
        out.setdefault((method, path), {"body": None, "response": None})
        out[(method, path)].setdefault("tests", []).append(json.loads(body) if body else None)
    summary = text[text.index("## API Summary"):]
    for method, path in re.findall(r"^\| (GET|POST) \| `(/[^`]+)` \|", summary, re.M):
        out.setdefault((method, path), {"body": None, "response": None})
    return out


EXAMPLES = _examples() if glob.glob(os.path.join(SPEC_DIR, "004_*.txt")) else {}


def _same_shape(doc, got, where):
    """The keys of the documented object, each value of the same JSON type
    (strings standing for times are checked as ISO-8601)."""
    assert isinstance(got, dict), (where, got)
    assert set(got) == set(doc), (where, set(got) ^ set(doc))
    for k, v in doc.items():
        if k == "host_id":
            continue        # 004 shows an integer user id; meetd's users have ULIDs (checked below)
        assert type(got[k]) is type(v), (where, k, got[k], v)
        if isinstance(v, str) and ISO_RE.match(v):
            assert ISO_RE.match(got[k]), (where, k, got[k])


def _bare(resp, status):
    assert resp.status == status, (resp.status, resp.body)
    assert resp.headers["Content-Type"].startswith("application/json")
    body = json.loads(resp.body)
    assert "status" not in body if isinstance(body, dict) else True, body    # no envelope
    return body


def _joined(resp):
    """004's join answer: 200 with its backend's own small envelope."""
    assert resp.status == 200, (resp.status, resp.body)
    assert resp.headers["Content-Type"].startswith("application/json")
    body = json.loads(resp.body)
    assert set(body) == {"status", "message", "data"}, body
    assert set(body["data"]) == {"room_id", "title", "joined_as"}, body
    return body


def _face_error(resp, status):
    assert resp.status == status, (resp.status, resp.body)
    body = json.loads(resp.body)
    assert set(body) == ENVELOPE_ERR_KEYS | {"detail"}, body
    assert isinstance(body["detail"], str) and body["detail"], body
    return body


def test_the_document_has_the_examples():
    assert {("POST", "/meetings/create"), ("GET", "/meetings/invitation/{token}"),
            ("POST", "/meetings/join"), ("GET", "/meetings/my-meetings")} <= set(EXAMPLES), set(EXAMPLES)
    assert EXAMPLES[("POST", "/meetings/create")]["response"]
    assert EXAMPLES[("GET", "/meetings/invitation/{token}")]["response"]
    assert EXAMPLES[("POST", "/meetings/join")]["body"]


def test_replay_004_examples(stack):
    host_user, host = user(stack, "Hannah Host")
    joiner_user, joiner = user(stack, "Jo Joiner")

    # 1. POST /meetings/create
    ex = EXAMPLES[("POST", "/meetings/create")]
    r = stack.call("POST", "/meetings/create", ex["body"], token=host)
    created = _bare(r, 200)
    _same_shape(ex["response"], created, "create")
    assert CODE_RE.match(created["meeting_id"])
    assert created["title"] == ex["body"]["title"]
    assert PASSCODE_RE.match(created["password"])
    assert TOKEN_RE.match(created["invitation_token"])                # >= 128 bits, base64url
    assert ISO_RE.match(created["created_at"])

    # 2. GET /meetings/invitation/{token}
    ex = EXAMPLES[("GET", "/meetings/invitation/{token}")]
    r = stack.call("GET", "/meetings/invitation/{token}".replace("{token}", created["invitation_token"]),
                   token=joiner)
    inv = _bare(r, 200)
    _same_shape(ex["response"], inv, "invitation")
    assert inv == {"meeting_id": created["meeting_id"], "title": created["title"], "password": created["password"],
                   "host_id": host_user["id"], "created_at": created["created_at"]}
    assert ULID_RE.match(inv["host_id"])

    # 3. POST /meetings/join with the document's body, its placeholders replaced
    ex = EXAMPLES[("POST", "/meetings/join")]
    body = {k: {"abc-def-ghi": inv["meeting_id"], "123456": inv["password"]}.get(v, v) for k, v in ex["body"].items()}
    assert set(body) == {"meeting_id", "password"}
    r = stack.call("POST", "/meetings/join", body, token=joiner)
    joined = _joined(r)
    assert joined == {"status": "success", "message": f"Successfully joined {created['title']}",
                      "data": {"room_id": created["meeting_id"], "title": created["title"],
                               "joined_as": joiner_user["email"]}}
    # joining again answers the same (and keeps the one session, checked below)
    assert _joined(stack.call("POST", "/meetings/join", body, token=joiner)) == joined
    m = next(x for x in assert_success(stack.call("GET", "/api/v1/meetings", token=host))["meetings"]
             if x["meeting_code"] == created["meeting_id"])
    people = assert_success(stack.call("GET", f"/api/v1/meetings/{m['id']}/participants", token=host))
    assert [p["user_id"] for p in people].count(joiner_user["id"]) == 1, people

    # 4. GET /meetings/my-meetings
    mine = _bare(stack.call("GET", "/meetings/my-meetings", token=host), 200)
    assert isinstance(mine, list) and len(mine) == 1
    assert mine[0] == {"meeting_id": created["meeting_id"], "title": created["title"],
                       "password": created["password"], "invitation_token": created["invitation_token"],
                       "is_active": True, "created_at": created["created_at"]}
    assert _bare(stack.call("GET", "/meetings/my-meetings", token=joiner), 200) == []


def test_replay_004_testing_section(stack):
    _, host = user(stack)
    _, joiner = user(stack)
    tests = EXAMPLES[("POST", "/meetings/create")].get("tests") or [EXAMPLES[("POST", "/meetings/create")]["body"]]
    for body in tests:
        created = _bare(stack.call("POST", "/meetings/create", body, token=host), 200)
        assert created["title"] == body["title"]
        for path in (p for (m, p) in EXAMPLES if m == "GET" and "{invitation_token}" in p):
            inv = _bare(stack.call("GET", path.replace("{invitation_token}", created["invitation_token"]),
                                   token=joiner), 200)
            assert inv["password"] == created["password"]
        for jb in EXAMPLES[("POST", "/meetings/join")].get("tests", []):
            jb = {k: {"abc-def-ghi": created["meeting_id"], "123456": created["password"]}.get(v, v)
                  for k, v in jb.items()}
            assert _joined(stack.call("POST", "/meetings/join", jb, token=joiner))["data"]["room_id"] == \
                created["meeting_id"]


def test_face_defaults_are_a_native_room_starting_now(stack):
    u, host = user(stack)
    created = _bare(stack.call("POST", "/meetings/create", {"title": "Now"}, token=host), 200)
    canonical = assert_success(stack.call("GET", "/api/v1/meetings?limit=100", token=host))["meetings"]
    m = next(x for x in canonical if x["meeting_code"] == created["meeting_id"])
    assert m["platform"] == "native" and m["duration"] == 60 and m["timezone"] == "UTC"
    assert m["require_password"] is True and m["organizer_id"] == u["id"]
    assert m["passcode"] == created["password"] and m["invitation_token"] == created["invitation_token"]
    assert m["created_at"] == created["created_at"]
    assert abs(_epoch(m["scheduled_for"]) - _epoch(m["created_at"])) <= 2


def _epoch(s):
    import calendar
    import time
    return calendar.timegm(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S"))


def test_face_create_optional_fields(stack):
    """api-spec: POST /meetings/create takes title plus optional description,
    scheduled_for, duration and timezone."""
    _, host = user(stack)
    body = {"title": "Planned", "description": "with details", "scheduled_for": f"{YEAR + 1}-05-04T10:00:00+02:00",
            "duration": 25, "timezone": "Europe/Paris"}
    r = stack.call("POST", "/meetings/create", body, token=host)
    created = _bare(r, 200)
    m = next(x for x in assert_success(stack.call("GET", "/api/v1/meetings?limit=100", token=host))["meetings"]
             if x["meeting_code"] == created["meeting_id"])
    assert (m["description"], m["scheduled_for"], m["duration"], m["timezone"]) == \
        ("with details", f"{YEAR + 1}-05-04T08:00:00Z", 25, "Europe/Paris")


@pytest.mark.parametrize("body,field", [({}, "title"), ({"title": ""}, "title"), ({"title": "  "}, "title"),
                                        ({"title": "t" * 201}, "title"), ({"title": 5}, "title"),
                                        ({"title": "x", "password": "123456"}, "password")])
def test_face_create_validation(stack, body, field):
    _, host = user(stack)
    err = _face_error(stack.call("POST", "/meetings/create", body, token=host), 400)
    assert err["code"] == "VALIDATION_ERROR" and field in err["details"]
    assert _bare(stack.call("GET", "/meetings/my-meetings", token=host), 200) == []


def test_face_errors(stack):
    _, host = user(stack)
    _, joiner = user(stack)
    created = _bare(stack.call("POST", "/meetings/create", {"title": "Errors"}, token=host), 200)
    # "Invitation link not found"
    err = _face_error(stack.call("GET", "/meetings/invitation/aBc1D2eF3gH4iJ5kL6", token=joiner), 404)
    assert err["detail"] == "Invitation link not found"
    # unknown room and wrong password: one answer (no oracle)
    src = fresh_addr()
    wrong = "000000" if created["password"] != "000000" else "111111"
    a = _face_error(call_from(stack, src, "POST", "/meetings/join", {"meeting_id": "zzz-zzz-zzz",
                                                                      "password": created["password"]},
                              token=joiner), 403)
    b = _face_error(call_from(stack, src, "POST", "/meetings/join", {"meeting_id": created["meeting_id"],
                                                                      "password": wrong}, token=joiner), 403)
    a.pop("timestamp"), b.pop("timestamp")
    assert a == b
    assert a["detail"] == a["message"]
    # the right password still admits
    assert _joined(stack.call("POST", "/meetings/join", {"meeting_id": created["meeting_id"],
                                                         "password": created["password"]}, token=joiner))
    # every face route needs a Bearer token
    for method, path, body in [("POST", "/meetings/create", {"title": "x"}),
                               ("GET", f"/meetings/invitation/{created['invitation_token']}", None),
                               ("POST", "/meetings/join", {"meeting_id": created["meeting_id"],
                                                           "password": created["password"]}),
                               ("GET", "/meetings/my-meetings", None)]:
        err = _face_error(stack.call(method, path, body), 401)
        assert err["code"] == "AUTHENTICATION_REQUIRED"


def test_my_meetings_lists_only_rooms_the_caller_organizes(stack):
    u, host = user(stack)
    other_user, other = user(stack)
    a = _bare(stack.call("POST", "/meetings/create", {"title": "A"}, token=host), 200)
    b = _bare(stack.call("POST", "/meetings/create", {"title": "B"}, token=host), 200)
    foreign = _bare(stack.call("POST", "/meetings/create", {"title": "not mine"}, token=other), 200)
    # being co-host of someone else's room does not make it "mine"
    fm = next(x for x in assert_success(stack.call("GET", "/api/v1/meetings", token=other))["meetings"]
              if x["meeting_code"] == foreign["meeting_id"])
    set_member(stack, other, fm["id"], u["id"], "co_host")
    mine = _bare(stack.call("GET", "/meetings/my-meetings", token=host), 200)
    assert {x["meeting_id"] for x in mine} == {a["meeting_id"], b["meeting_id"]}
    for x in mine:
        assert set(x) == {"meeting_id", "title", "password", "invitation_token", "is_active", "created_at"}
        assert CODE_RE.match(x["meeting_id"]) and PASSCODE_RE.match(x["password"])
        assert TOKEN_RE.match(x["invitation_token"]) and x["is_active"] is True
    # a cancelled room is listed as inactive
    am = next(x for x in assert_success(stack.call("GET", "/api/v1/meetings", token=host))["meetings"]
              if x["meeting_code"] == a["meeting_id"])
    assert_success(stack.call("POST", f"/api/v1/meetings/{am['id']}/cancel", token=host))
    mine = {x["meeting_id"]: x for x in _bare(stack.call("GET", "/meetings/my-meetings", token=host), 200)}
    assert mine[a["meeting_id"]]["is_active"] is False and mine[b["meeting_id"]]["is_active"] is True


def test_create_replays_in_the_rooms_shape(stack):
    """An Idempotency-Key on the rooms' create: the retry gets the same room,
    in the rooms app's own shape (the stored outcome is canonical; each face
    renders it), marked as replayed; another body under the key is 422."""
    _, host = user(stack, "Ida Idem")
    key = "room-" + secrets.token_hex(8)
    first = stack.call("POST", "/meetings/create", {"title": "Once"}, token=host,
                       headers={"Idempotency-Key": key})
    assert first.status == 200, first.body
    again = stack.call("POST", "/meetings/create", {"title": "Once"}, token=host,
                       headers={"Idempotency-Key": key})
    assert again.status == 200 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert set(first.json()) == {"meeting_id", "title", "password", "invitation_token", "created_at"}
    other = stack.call("POST", "/meetings/create", {"title": "Twice"}, token=host,
                       headers={"Idempotency-Key": key})
    assert other.status == 422 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    mine = _bare(stack.call("GET", "/meetings/my-meetings", token=host), 200)
    assert [m["meeting_id"] for m in mine] == [first.json()["meeting_id"]]
