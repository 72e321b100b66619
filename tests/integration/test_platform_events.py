"""What platforms report, through one pipeline: LiveKit's signed webhooks
(signed here with PyJWT, as LiveKit's own verifier expects them), and the
state table every platform event goes through (a late "started" never
reopens a meeting; ended from scheduled; one event per delivery)."""

import base64
import hashlib
import json
import os
import secrets
import time

import jwt
import pytest

import stack as stackmod
from conftest import new_root, remove_root
from helpers import assert_error, assert_success
from meetings_fixtures import create, mpath, q, sql_rows, sql_value, user

API_KEY = "APIhook" + secrets.token_hex(4)


@pytest.fixture(scope="module")
def lk(shared_db):
    root = new_root("lkhook")
    secret_dir = os.path.join(root, "secrets")
    os.makedirs(secret_dir, mode=0o700)
    secret = secrets.token_urlsafe(32)
    stackmod.write_secret(os.path.join(secret_dir, "livekit"), secret)
    s = stackmod.Stack(root, db=shared_db, livekit__url="wss://livekit.example.test",
                       livekit__api_key=API_KEY,
                       livekit__api_secret_file=os.path.join(secret_dir, "livekit"))
    s.secret = secret
    try:
        s.start()
        yield s
    finally:
        try:
            s.stop()
        finally:
            remove_root(root)


def event(name, room, participant=None, event_id=None, created=None):
    body = {"event": name, "room": {"sid": "RM_" + secrets.token_hex(4), "name": room},
            "id": event_id or "EV_" + secrets.token_hex(8),
            "createdAt": str(created or int(time.time()))}
    if participant:
        body["participant"] = participant
    return json.dumps(body).encode()


def signed(s, body, key=None, secret=None, exp_in=300, digest=None):
    """LiveKit's webhook Authorization: a JWT by the API key whose sha256
    claim is the standard base64 of SHA-256(body); no Bearer prefix."""
    now = int(time.time())
    sha = digest or base64.b64encode(hashlib.sha256(body).digest()).decode()
    tok = jwt.encode({"iss": key or API_KEY, "nbf": now, "exp": now + exp_in, "sha256": sha},
                     secret or s.secret, algorithm="HS256")
    return {"Authorization": tok, "Content-Type": "application/webhook+json"}


def deliver(s, body, headers):
    return s.call("POST", "/api/webhooks/livekit", body, headers=headers)


def livekit_meeting(s):
    _, host = user(s)
    m = create(s, host, platform="livekit")
    assert m["platform"] == "livekit"
    return m, host


def test_room_lifecycle_and_participants(lk):
    s = lk
    m, host = livekit_meeting(s)
    room = m["platform_meeting_id"] or m["id"]
    # unsigned: refused before anything is read
    r = deliver(s, event("room_started", room), {"Content-Type": "application/webhook+json"})
    assert_error(r, 401, "INVALID_SIGNATURE")
    b = event("room_started", room)
    r = deliver(s, b, signed(s, b))
    assert r.status == 200 and r.json()["status"] == "ok", r.body
    assert sql_value(s, f"SELECT status FROM meetings WHERE id = {q(m['id'])}") == "started"
    who = {"identity": "alice-1", "name": 'Alice "A" Ö', "sid": "PA_1"}
    b = event("participant_joined", room, who)
    assert deliver(s, b, signed(s, b)).status == 200
    b = event("participant_left", room, who)
    assert deliver(s, b, signed(s, b)).status == 200
    rows = sql_rows(s, f"SELECT participant_key, display_name, joined_at IS NOT NULL, left_at IS NOT NULL "
                       f"FROM remote_participants WHERE meeting_id = {q(m['id'])}")
    assert rows == [["alice-1", 'Alice "A" Ö', "1", "1"]]
    b = event("room_finished", room)
    assert deliver(s, b, signed(s, b)).status == 200
    assert sql_value(s, f"SELECT status FROM meetings WHERE id = {q(m['id'])}") == "ended"
    # a late room_started does not reopen it
    b = event("room_started", room)
    assert deliver(s, b, signed(s, b)).status == 200
    assert sql_value(s, f"SELECT status FROM meetings WHERE id = {q(m['id'])}") == "ended"
    # every event the pipeline wrote is valid JSON in the outbox and the audit
    for (payload,) in sql_rows(s, f"SELECT payload FROM outbox_events WHERE meeting_id = {q(m['id'])}"):
        json.loads(payload)
    for (details,) in sql_rows(s, f"SELECT details FROM audit_log WHERE meeting_id = {q(m['id'])} "
                                  f"AND details IS NOT NULL"):
        assert json.loads(details)["source"] == "livekit"
    types = [r[0] for r in sql_rows(s, f"SELECT type FROM outbox_events WHERE meeting_id = {q(m['id'])} "
                                       f"ORDER BY seq")]
    assert types.count("meeting.started") == 1 and types.count("meeting.ended") == 1


def test_redelivery_changes_nothing(lk):
    s = lk
    m, _ = livekit_meeting(s)
    b = event("room_started", m["id"], event_id="EV_same_" + secrets.token_hex(4))
    assert deliver(s, b, signed(s, b)).json()["status"] == "ok"
    assert deliver(s, b, signed(s, b)).json()["status"] == "duplicate"
    assert sql_value(s, f"SELECT COUNT(*) FROM outbox_events WHERE meeting_id = {q(m['id'])} "
                        f"AND type = 'meeting.started'") == "1"


@pytest.mark.parametrize("how", ["wrong secret", "other key", "expired", "body changed", "not HS256",
                                 "no sha256", "garbage"])
def test_forged_deliveries_change_nothing(lk, how):
    s = lk
    m, _ = livekit_meeting(s)
    b = event("room_started", m["id"])
    if how == "wrong secret":
        h = signed(s, b, secret="x" * 40)
    elif how == "other key":
        h = signed(s, b, key="APIother")
    elif how == "expired":
        h = signed(s, b, exp_in=-600)
    elif how == "body changed":
        h = signed(s, b)
        b = event("room_started", m["id"])
    elif how == "not HS256":
        now = int(time.time())
        sha = base64.b64encode(hashlib.sha256(b).digest()).decode()
        h = {"Authorization": jwt.encode({"iss": API_KEY, "exp": now + 60, "sha256": sha}, s.secret,
                                         algorithm="HS512"),
             "Content-Type": "application/webhook+json"}
    elif how == "no sha256":
        now = int(time.time())
        h = {"Authorization": jwt.encode({"iss": API_KEY, "exp": now + 60}, s.secret, algorithm="HS256"),
             "Content-Type": "application/webhook+json"}
    else:
        h = {"Authorization": "not.a.jwt", "Content-Type": "application/webhook+json"}
    assert_error(deliver(s, b, h), 401, "INVALID_SIGNATURE")
    assert sql_value(s, f"SELECT status FROM meetings WHERE id = {q(m['id'])}") == "scheduled"


def test_rooms_that_are_not_ours_are_acknowledged(lk):
    s = lk
    b = event("room_finished", "someone-elses-room")
    r = deliver(s, b, signed(s, b))
    assert r.status == 200 and r.json()["status"] == "ok"


def test_unconfigured_livekit_refuses(stack):
    b = event("room_started", "x")
    r = stack.call("POST", "/api/webhooks/livekit", b, headers={"Authorization": "x",
                                                                "Content-Type": "application/webhook+json"})
    assert_error(r, 503, "PLATFORM_NOT_CONFIGURED", platform="livekit")
