"""Guests: a token for one meeting, asked for with an invitation link or a
meeting code and passcode, by someone without an account."""

import pytest

from helpers import assert_error, assert_success
from meetings_fixtures import create, fresh_addr, call_from, mpath, meeting_body, q, sql_value, user

GUESTS = "/api/v1/guest-tokens"


def ask(stack, body, token=None):
    return stack.call("POST", GUESTS, body, token=token)


def guest(stack, m, name="Gail Guest", token=None, by="invitation"):
    body = {"display_name": name}
    if by == "invitation":
        body["invitation_token"] = m["invitation_token"]
    else:
        body.update(meeting_code=m["meeting_code"], passcode=m["passcode"])
    return assert_success(ask(stack, body, token=token), 201)


@pytest.fixture
def room(stack):
    _, host = user(stack, "Hal Host")
    return host, create(stack, host)


def test_guest_by_link_joins_and_is_refused_elsewhere(stack, room):
    host, m = room
    g = guest(stack, m)
    assert g["user"]["kind"] == "guest" and g["meeting"]["id"] == m["id"]
    tok = g["access_token"]
    # its meeting: read, join without passcode, appear as guest
    assert assert_success(stack.call("GET", mpath(m["id"]), token=tok))["id"] == m["id"]
    joined = assert_success(stack.call("POST", mpath(m["id"], "/join"), {}, token=tok))
    assert joined["role"] == "guest"
    parts = assert_success(stack.call("GET", mpath(m["id"], "/participants"), token=host))
    me_part = [p for p in parts if p["user_id"] == g["user"]["id"]]
    assert me_part and me_part[0]["role"] == "guest" and me_part[0]["user_name"] == "Gail Guest"
    # another meeting: as unknown as to any stranger, even with its passcode
    other = create(stack, host)
    assert_error(stack.call("GET", mpath(other["id"]), token=tok), 404, "MEETING_NOT_FOUND")
    assert_error(stack.call("POST", mpath(other["id"], "/join"), {"passcode": other["passcode"]}, token=tok),
                 404, "MEETING_NOT_FOUND")
    # account routes and meeting routes outside a guest's reach: 403
    for method, path in (("GET", "/api/v1/me"), ("GET", "/api/v1/meetings"), ("POST", "/api/v1/meetings"),
                         ("POST", "/api/v1/api-keys"), ("POST", "/meetings/create"),
                         ("POST", "/api/v1/meetings/join"), ("GET", "/api/v1/admin/users")):
        r = stack.call(method, path, {} if method == "POST" else None, token=tok)
        assert r.status == 403, (method, path, r.status, r.body[:200])
    # host-only actions in its own meeting are refused as for any guest member
    r = stack.call("POST", mpath(m["id"], "/start"), {}, token=tok)
    assert r.status == 403 or r.status == 404, r.body


def test_guest_by_code_and_passcode(stack, room):
    _, m = room
    g = guest(stack, m, by="code")
    assert g["meeting"]["id"] == m["id"]


def test_same_browser_keeps_its_identity(stack, room):
    _, m = room
    first = guest(stack, m, name="Gus")
    again = guest(stack, m, name="Gus again", token=first["access_token"])
    assert again["user"]["id"] == first["user"]["id"] and again["user"]["returning"] is True
    # without the token it is someone new
    other = guest(stack, m, name="Gus")
    assert other["user"]["id"] != first["user"]["id"]
    # a guest of one meeting asking for another becomes a new guest there
    _, host2 = user(stack)
    m2 = create(stack, host2)
    there = guest(stack, m2, token=first["access_token"])
    assert there["user"]["id"] != first["user"]["id"]


def test_removed_guest_stays_removed(stack, room):
    host, m = room
    g = guest(stack, m)
    tok = g["access_token"]
    assert_success(stack.call("POST", mpath(m["id"], "/join"), {}, token=tok))
    assert_success(stack.call("DELETE", mpath(m["id"], f"/members/{g['user']['id']}"), token=host))
    assert_error(stack.call("POST", mpath(m["id"], "/join"), {}, token=tok), 403, "ACCOUNT_DISABLED")
    assert_error(ask(stack, {"display_name": "Back", "invitation_token": m["invitation_token"]}, token=tok),
                 403, "ACCOUNT_DISABLED")


@pytest.mark.parametrize("body,field", [
    ({}, "display_name"),
    ({"display_name": ""}, "display_name"),
    ({"display_name": "   "}, "display_name"),
    ({"display_name": "x" * 65}, "display_name"),
    ({"display_name": "new\nline"}, "display_name"),
    ({"display_name": ["a"]}, "display_name"),
    ({"display_name": "Ok", "meeting_code": "abc-def-ghi"}, "passcode"),
    ({"display_name": "Ok", "passcode": "123456"}, "meeting_code"),
    ({"display_name": "Ok", "surprise": 1}, "surprise"),
])
def test_guest_request_validation(stack, body, field):
    r = ask(stack, body)
    assert_error(r, 400, "VALIDATION_ERROR")
    assert field in r.json()["details"], r.json()


def test_guest_needs_exactly_one_proof(stack, room):
    _, m = room
    assert_error(ask(stack, {"display_name": "Ok"}), 400, "VALIDATION_ERROR")
    assert_error(ask(stack, {"display_name": "Ok", "invitation_token": m["invitation_token"],
                             "meeting_code": m["meeting_code"], "passcode": m["passcode"]}), 400, "VALIDATION_ERROR")


def test_name_stored_literally(stack, room):
    host, m = room
    name = "<script>alert('x')</script> \"Zoë\" 🙂"
    g = guest(stack, m, name=name)
    assert g["user"]["display_name"] == name
    assert_success(stack.call("POST", mpath(m["id"], "/join"), {}, token=g["access_token"]))
    parts = assert_success(stack.call("GET", mpath(m["id"], "/participants"), token=host))
    assert name in {p["user_name"] for p in parts}


def test_wrong_proofs_answer_alike_and_are_counted(stack, room):
    _, m = room
    src = fresh_addr()
    r = call_from(stack, src, "POST", GUESTS, {"display_name": "G", "invitation_token": "x" * 43})
    assert_error(r, 404, "INVITATION_NOT_FOUND")
    codes = set()
    for passcode in ("000000", "111111"):
        r = call_from(stack, src, "POST", GUESTS, {"display_name": "G", "meeting_code": m["meeting_code"],
                                                   "passcode": passcode})
        codes.add((r.status, r.json()["code"]))
    r = call_from(stack, src, "POST", GUESTS, {"display_name": "G", "meeting_code": "zzz-zzz-zzz",
                                               "passcode": "123456"})
    codes.add((r.status, r.json()["code"]))
    assert codes == {(403, "INVALID_MEETING_CREDENTIALS")}
    # the failures count on the meeting's passcode lock like any join's
    left = sql_value(stack, f"SELECT COUNT(*) FROM attempt_counters WHERE k = {q('pc:m:' + m['id'])}")
    assert left == "1"


def test_passcode_lock_applies(stack):
    _, host = user(stack)
    m = create(stack, host)
    locked = False
    for i in range(40):
        r = call_from(stack, fresh_addr(), "POST", GUESTS, {"display_name": "G", "meeting_code": m["meeting_code"],
                                                            "passcode": f"{i:06d}" if f"{i:06d}" != m["passcode"]
                                                            else "999999"})
        if r.status == 429:
            assert_error(r, 429, "TOO_MANY_ATTEMPTS")
            locked = True
            break
        assert_error(r, 403, "INVALID_MEETING_CREDENTIALS")
    assert locked
    # the right passcode is refused too while the lock holds
    r = call_from(stack, fresh_addr(), "POST", GUESTS, {"display_name": "G", "meeting_code": m["meeting_code"],
                                                        "passcode": m["passcode"]})
    assert_error(r, 429, "TOO_MANY_ATTEMPTS")


def test_meetings_that_admit_no_guests(stack):
    _, host = user(stack)
    ended = create(stack, host)
    assert_success(stack.call("POST", mpath(ended["id"], "/start"), {}, token=host))
    assert_success(stack.call("POST", mpath(ended["id"], "/end"), {}, token=host))
    assert_error(ask(stack, {"display_name": "G", "invitation_token": ended["invitation_token"]}), 409,
                 "MEETING_ENDED")
    closed = create(stack, host)
    stack.db.sql(f"UPDATE meetings SET allow_guests = 0 WHERE id = {q(closed['id'])}", database="meetd")
    assert_error(ask(stack, {"display_name": "G", "invitation_token": closed["invitation_token"]}), 403,
                 "GUESTS_NOT_ALLOWED")


def test_signed_in_users_join_as_themselves(stack, room):
    _, m = room
    _, tok = user(stack)
    assert_error(ask(stack, {"display_name": "G", "invitation_token": m["invitation_token"]}, token=tok), 400,
                 "INVALID_REQUEST")
    assert_error(ask(stack, {"display_name": "G", "invitation_token": m["invitation_token"]}, token="garbage"),
                 401, "INVALID_TOKEN")


def test_guest_admission_is_audited(stack, room):
    _, m = room
    g = guest(stack, m)
    assert sql_value(stack, f"SELECT COUNT(*) FROM audit_log WHERE meeting_id = {q(m['id'])} "
                            f"AND action = 'guest.admitted' AND actor_id = {q(g['user']['id'])}") == "1"
    assert sql_value(stack, f"SELECT CONCAT(kind, ':', guest_meeting_id) FROM users "
                            f"WHERE id = {q(g['user']['id'])}") == f"guest:{m['id']}"
