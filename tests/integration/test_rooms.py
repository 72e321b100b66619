"""Local platforms (Jitsi, FaceTime, LiveKit), GET /api/v1/platforms, room
tokens (POST /api/v1/meetings/{id}/token) and 003's provider webhooks
(POST /api/webhooks/meeting)."""

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import time

import pytest

import stack as stackmod
from conftest import new_root, remove_root
from helpers import assert_error, assert_success
from meetings_fixtures import create, mpath, q, set_member, sql_rows, sql_value, user

CAPS = {"update", "delete", "end", "status", "webhooks", "passcode", "waiting_room", "dial_in"}
PLATFORMS = ["native", "jitsi", "zoom", "google_meet", "teams", "webex", "facetime", "livekit"]
LIVEKIT_KEY = "APIrooms" + secrets.token_hex(4)
LIVEKIT_URL = "wss://livekit.example.test"
JITSI_APP = "meetd-app"
JITSI_RE = re.compile(r"^https://meet\.jit\.si/(meetd-[a-z2-7]{26})$")


@pytest.fixture(scope="module")
def rooms(shared_db):
    """meetd with LiveKit, Jitsi token auth and 003 webhooks configured."""
    root = new_root("rooms")
    secret_dir = os.path.join(root, "secrets")
    os.makedirs(secret_dir, mode=0o700)
    keys = {"livekit": secrets.token_urlsafe(32), "jitsi": secrets.token_urlsafe(32),
            "webhook": secrets.token_urlsafe(32)}
    for name, value in keys.items():
        stackmod.write_secret(os.path.join(secret_dir, name), value)
    s = stackmod.Stack(root, db=shared_db,
                       livekit__url=LIVEKIT_URL, livekit__api_key=LIVEKIT_KEY,
                       livekit__api_secret_file=os.path.join(secret_dir, "livekit"),
                       jitsi__app_id=JITSI_APP, jitsi__app_secret_file=os.path.join(secret_dir, "jitsi"),
                       webhooks__secret_file=os.path.join(secret_dir, "webhook"))
    s.keys = keys
    try:
        s.start()
        yield s
    finally:
        try:
            s.stop()
        finally:
            remove_root(root)


# --- JWT checks, written independently of meetd's code ------------------------

def b64url_decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify_hs256(token, key):
    """The claims of an HS256 compact JWT whose signature checks with key."""
    head, body, sig = token.split(".")
    assert json.loads(b64url_decode(head)) == {"alg": "HS256", "typ": "JWT"}
    want = hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    assert hmac.compare_digest(want, b64url_decode(sig)), "bad signature"
    return json.loads(b64url_decode(body))


def token_for(s, tok, mid, body=None):
    return s.call("POST", mpath(mid, "/token"), body, token=tok)


# --- GET /api/v1/platforms -------------------------------------------------------

def platforms(s, tok):
    data = assert_success(s.call("GET", "/api/v1/platforms", token=tok))
    return {p["name"]: p for p in data["platforms"]}


def test_platforms_shape_and_defaults(stack):
    _, tok = user(stack)
    got = platforms(stack, tok)
    assert list(got) == PLATFORMS
    for p in got.values():
        assert set(p) == {"name", "label", "configured", "capabilities"}
        assert isinstance(p["label"], str) and p["label"]
        assert set(p["capabilities"]) == CAPS
        assert all(isinstance(v, bool) for v in p["capabilities"].values())
    configured = {n for n, p in got.items() if p["configured"]}
    assert {"native", "jitsi", "facetime"} <= configured
    assert not configured & {"zoom", "google_meet", "teams", "webex", "livekit"}
    ft = got["facetime"]["capabilities"]
    assert not ft["end"] and not ft["status"] and not ft["webhooks"]
    assert stack.call("GET", "/api/v1/platforms").status == 401


def test_platforms_livekit_configured(rooms):
    _, tok = user(rooms)
    got = platforms(rooms, tok)
    assert got["livekit"]["configured"] and got["jitsi"]["configured"]


# --- local platforms -------------------------------------------------------------

def test_jitsi_rooms_are_unguessable(stack):
    _, tok = user(stack)
    a = create(stack, tok, platform="jitsi")
    b = create(stack, tok, platform="jitsi")
    for m in (a, b):
        match = JITSI_RE.match(m["meeting_url"])
        assert match, m["meeting_url"]
        assert m["platform_meeting_id"] == match.group(1)
    assert a["meeting_url"] != b["meeting_url"]


def test_facetime_link_from_organizer_email(stack):
    host, tok = user(stack)
    m = create(stack, tok, platform="facetime")
    assert m["platform"] == "facetime"
    assert m["meeting_url"] == "facetime://" + host["email"]
    # no platform status exists: meetd's own is shown, the capability says so
    r = stack.call("GET", mpath(m["id"], "/status"), token=tok)
    assert assert_success(r)["status"] == "scheduled"
    assert platforms(stack, tok)["facetime"]["capabilities"]["end"] is False


def test_livekit_not_configured(stack):
    _, tok = user(stack)
    r = stack.call("POST", "/api/v1/meetings", {"title": "LK", "scheduled_for": "2030-01-01T10:00:00Z",
                                                "duration": 30, "platform": "livekit"}, token=tok)
    assert_error(r, 503, "PLATFORM_NOT_CONFIGURED", platform="livekit")


# --- LiveKit tokens ---------------------------------------------------------------

def test_livekit_token_for_host_and_guest(rooms):
    host, htok = user(rooms, name="Host Person")
    guest, gtok = user(rooms, name="Guest Person")
    m = create(rooms, htok, platform="livekit")
    assert m["meeting_url"] == LIVEKIT_URL
    set_member(rooms, htok, m["id"], guest["id"], "guest")

    before = int(time.time())
    d = assert_success(token_for(rooms, htok, m["id"], {"user_id": host["id"], "user_name": "Host Person"}))
    assert d["meeting_id"] == m["id"] and d["user_id"] == host["id"] and d["is_host"] is True
    assert d["livekit_url"] == LIVEKIT_URL and d["url"] == LIVEKIT_URL
    assert d["room"] == m["id"] and d["identity"] == host["id"]
    claims = verify_hs256(d["token"], rooms.keys["livekit"])
    assert claims["iss"] == LIVEKIT_KEY and claims["sub"] == host["id"]
    assert claims["name"] == "Host Person"
    assert before - 5 <= claims["nbf"] <= claims["iat"] <= int(time.time()) + 5
    assert claims["exp"] - claims["iat"] == 6 * 3600
    assert claims["video"] == {"room": m["id"], "roomJoin": True, "canPublish": True, "canSubscribe": True,
                               "canPublishData": True, "roomAdmin": True}

    d = assert_success(token_for(rooms, gtok, m["id"]))
    assert d["is_host"] is False and d["user_name"] == "Guest Person"
    claims = verify_hs256(d["token"], rooms.keys["livekit"])
    assert claims["sub"] == guest["id"] and claims["video"]["roomAdmin"] is False


def test_livekit_token_refusals(rooms):
    host, htok = user(rooms)
    other, otok = user(rooms)
    m = create(rooms, htok, platform="livekit")
    assert_error(token_for(rooms, otok, m["id"]), 404, "MEETING_NOT_FOUND")
    assert_error(token_for(rooms, htok, m["id"], {"user_id": other["id"]}), 403, "INSUFFICIENT_PERMISSION")
    assert_error(token_for(rooms, htok, m["id"], {"role": "admin"}), 400, "VALIDATION_ERROR")
    assert_success(rooms.call("POST", mpath(m["id"], "/cancel"), token=htok))
    assert_error(token_for(rooms, htok, m["id"]), 409, "MEETING_CANCELLED")
    native = create(rooms, htok)
    assert_error(token_for(rooms, htok, native["id"]), 501, "NOT_SUPPORTED")


# --- Jitsi tokens ------------------------------------------------------------------

def test_jitsi_token(rooms):
    host, htok = user(rooms, name="Jitsi Host")
    part, ptok = user(rooms, name="Jitsi Member")
    m = create(rooms, htok, platform="jitsi")
    set_member(rooms, htok, m["id"], part["id"], "participant")
    room = m["platform_meeting_id"]

    d = assert_success(token_for(rooms, htok, m["id"]))
    assert d["is_host"] is True and d["room"] == room
    assert d["url"] == m["meeting_url"] + "?jwt=" + d["token"]
    claims = verify_hs256(d["token"], rooms.keys["jitsi"])
    assert claims["iss"] == JITSI_APP and claims["aud"] == "jitsi" and claims["sub"] == "meet.jit.si"
    assert claims["room"] == room
    assert claims["nbf"] <= int(time.time()) + 5 < claims["exp"]
    u = claims["context"]["user"]
    assert all(isinstance(v, str) for v in u.values()), u
    assert u["id"] == host["id"] and u["name"] == "Jitsi Host" and u["email"] == host["email"]
    assert u["avatar"] == "" and u["moderator"] == "true"
    assert all(isinstance(v, str) for v in claims["context"]["features"].values())

    d = assert_success(token_for(rooms, ptok, m["id"]))
    u = verify_hs256(d["token"], rooms.keys["jitsi"])["context"]["user"]
    assert d["is_host"] is False and u["moderator"] == "false" and u["id"] == part["id"]


def test_jitsi_without_token_auth(stack):
    _, tok = user(stack)
    m = create(stack, tok, platform="jitsi")
    assert_error(token_for(stack, tok, m["id"]), 501, "NOT_SUPPORTED")


# --- 003 webhooks -----------------------------------------------------------------

def deliver(s, event, key=None, provider="jitsi", signature=None, timestamp=None):
    raw = json.dumps(event).encode()
    key = s.keys["webhook"] if key is None else key
    signed = raw if timestamp is None else f"{timestamp}.".encode() + raw
    headers = {"Content-Type": "application/json", "x-provider": provider}
    if signature is None:
        signature = "sha256=" + hmac.new(key.encode(), signed, hashlib.sha256).hexdigest()
    if signature != "":
        headers["x-webhook-signature"] = signature
    if timestamp is not None:
        headers["x-webhook-timestamp"] = str(timestamp)
    return s.call("POST", "/api/webhooks/meeting", raw, headers=headers)


def evid():
    return "evt_" + secrets.token_hex(8)


def meeting_row(s, mid):
    return sql_rows(s, f"SELECT status, started_at IS NOT NULL, ended_at IS NOT NULL FROM meetings "
                       f"WHERE id = {q(mid)}")[0]


def deliveries(s):
    return int(sql_value(s, "SELECT COUNT(*) FROM webhook_deliveries"))


def open_participants(s, mid):
    return int(sql_value(s, f"SELECT COUNT(*) FROM remote_participants WHERE meeting_id = {q(mid)} "
                            f"AND joined_at IS NOT NULL AND (left_at IS NULL OR joined_at > left_at)"))


def test_webhook_signature_required(rooms):
    _, tok = user(rooms)
    m = create(rooms, tok, platform="jitsi")
    ev = {"id": evid(), "event": "meeting.started", "platform_meeting_id": m["platform_meeting_id"]}
    n = deliveries(rooms)
    assert_error(deliver(rooms, ev, signature=""), 401, "INVALID_SIGNATURE")
    assert_error(deliver(rooms, ev, key="wrong-key"), 401, "INVALID_SIGNATURE")
    assert_error(deliver(rooms, ev, signature="sha256=" + "0" * 64), 401, "INVALID_SIGNATURE")
    assert_error(deliver(rooms, ev, timestamp=int(time.time()) - 3600), 401, "INVALID_SIGNATURE")
    assert deliveries(rooms) == n
    assert meeting_row(rooms, m["id"])[0] == "scheduled"
    # a fresh timestamp signed with the body is accepted
    r = deliver(rooms, ev, timestamp=int(time.time()))
    assert r.status == 200, r.body
    assert meeting_row(rooms, m["id"])[0] == "started"


def test_webhook_started_ended_and_duplicates(rooms):
    _, tok = user(rooms)
    m = create(rooms, tok, platform="jitsi")
    started = {"id": evid(), "event": "meeting.started", "platform_meeting_id": m["platform_meeting_id"],
               "timestamp": "2030-01-01T10:00:00Z"}
    r = deliver(rooms, started, provider="jitsi")
    assert r.status == 200, r.body
    assert r.json() == {"success": True, "event": "meeting.started", "meeting_id": m["id"],
                        "duplicate": False, "applied": True}
    assert meeting_row(rooms, m["id"]) == ["started", "1", "0"]
    n = deliveries(rooms)
    r = deliver(rooms, started)
    assert r.status == 200 and r.json()["duplicate"] is True
    assert deliveries(rooms) == n

    ended = {"id": evid(), "event": "meeting.ended", "meeting_id": m["id"], "timestamp": "2030-01-01T10:45:00Z"}
    assert deliver(rooms, ended).json()["applied"] is True
    assert meeting_row(rooms, m["id"]) == ["ended", "1", "1"]
    got = assert_success(rooms.call("GET", mpath(m["id"]), token=tok))
    assert got["status"] == "ended" and got["ended_at"] == "2030-01-01T10:45:00Z"
    actions = [r[0] for r in sql_rows(rooms, f"SELECT action FROM audit_log WHERE meeting_id = {q(m['id'])} "
                                             f"ORDER BY id")]
    assert actions[-2:] == ["meeting.started", "meeting.ended"]
    events = [r[0] for r in sql_rows(rooms, f"SELECT type FROM outbox_events WHERE meeting_id = {q(m['id'])} "
                                            f"ORDER BY seq")]
    assert events[-2:] == ["meeting.started", "meeting.ended"]
    # a duplicate of the start after the end changes nothing
    assert deliver(rooms, started).json()["duplicate"] is True
    assert meeting_row(rooms, m["id"])[0] == "ended"


def test_webhook_participants_any_order(rooms):
    _, tok = user(rooms)
    m = create(rooms, tok, platform="jitsi")
    room = m["platform_meeting_id"]

    def part(event, who, at):
        ev = {"id": evid(), "event": event, "platform_meeting_id": room, "timestamp": at,
              "participant": {"id": who, "name": who.title()}}
        r = deliver(rooms, ev)
        assert r.status == 200, r.body
        return ev

    # "left" delivered before its "joined": closed in the end
    part("participant.left", "alice", "2030-01-01T10:30:00Z")
    part("participant.joined", "alice", "2030-01-01T10:05:00Z")
    assert open_participants(rooms, m["id"]) == 0
    # an ordinary join stays open; a rejoin after leaving is open again
    joined = part("participant.joined", "bob", "2030-01-01T10:06:00Z")
    assert open_participants(rooms, m["id"]) == 1
    part("participant.left", "bob", "2030-01-01T10:10:00Z")
    assert open_participants(rooms, m["id"]) == 0
    assert deliver(rooms, joined).json()["duplicate"] is True
    assert open_participants(rooms, m["id"]) == 0
    part("participant.joined", "bob", "2030-01-01T10:20:00Z")
    assert open_participants(rooms, m["id"]) == 1
    rows = sql_rows(rooms, f"SELECT participant_key, display_name FROM remote_participants "
                           f"WHERE meeting_id = {q(m['id'])} ORDER BY participant_key")
    assert rows == [["alice", "Alice"], ["bob", "Bob"]]
    # the meeting's end closes whoever is still in
    ended = {"id": evid(), "event": "meeting.ended", "platform_meeting_id": room,
             "timestamp": "2030-01-01T11:00:00Z"}
    assert deliver(rooms, ended).status == 200
    assert open_participants(rooms, m["id"]) == 0
    assert meeting_row(rooms, m["id"])[0] == "ended"


def test_webhook_bad_input(rooms):
    _, tok = user(rooms)
    m = create(rooms, tok, platform="jitsi")
    n = deliveries(rooms)
    base = {"id": evid(), "event": "meeting.started", "platform_meeting_id": m["platform_meeting_id"]}
    assert_error(deliver(rooms, dict(base, event="meeting.exploded")), 400, "VALIDATION_ERROR")
    assert_error(deliver(rooms, {k: v for k, v in base.items() if k != "id"}), 400, "VALIDATION_ERROR")
    assert_error(deliver(rooms, base, provider="skype"), 400, "VALIDATION_ERROR")
    assert_error(deliver(rooms, dict(base, timestamp="yesterday")), 400, "VALIDATION_ERROR")
    assert_error(deliver(rooms, dict(base, event="participant.joined")), 400, "VALIDATION_ERROR")
    # the wrong platform or an unknown room: not found, nothing stored
    assert_error(deliver(rooms, base, provider="zoom"), 404, "MEETING_NOT_FOUND")
    assert_error(deliver(rooms, dict(base, platform_meeting_id="meetd-nope")), 404, "MEETING_NOT_FOUND")
    assert deliveries(rooms) == n
    assert meeting_row(rooms, m["id"])[0] == "scheduled"


def test_webhook_not_configured(stack):
    r = stack.call("POST", "/api/webhooks/meeting", {"id": "x", "event": "meeting.started"},
                   headers={"x-provider": "jitsi", "x-webhook-signature": "sha256=" + "0" * 64})
    assert_error(r, 503, "NOT_CONFIGURED")
