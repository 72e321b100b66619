"""Zoom: the provider behind /api/v1/meetings (platform "zoom"), 000's proxy
face under /api/meetings/proxy/zoom/, and Zoom's webhooks (issue "Platform
proxy", Zoom part), against ZoomFake (tests/fakes/zoom.py).

One meetd + nginx configured for the fake serves the module; tests that
need other settings (timeouts, quotas, no Zoom at all) start their own.
"""
import hashlib
import hmac
import json
import os
import secrets
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from helpers import assert_error, assert_success  # noqa: E402
from meetings_fixtures import (dump_database, future, meeting_body, mpath, q,  # noqa: E402
                               sql_rows, sql_value, user)
import stack as stackmod  # noqa: E402
from conftest import new_root, remove_root  # noqa: E402

try:
    from fakes.zoom import ZoomFake
except ImportError:             # being written by another engineer
    ZoomFake = None

ACCOUNT_ID = "acct_" + secrets.token_hex(4)
CLIENT_ID = "cid_" + secrets.token_hex(6)
CLIENT_SECRET = "csecret_" + secrets.token_hex(16)
WEBHOOK_SECRET = "whsecret_" + secrets.token_hex(16)
PROXY = "/api/meetings/proxy/zoom"
CREATE_KEYS = {"meetingId", "joinUrl", "password", "hostUrl", "hostKey", "dialInNumber", "dialInPassword"}
STATUS_KEYS = {"meetingId", "status", "startTime", "duration", "participantCount"}


def write_secret(directory, name, value):
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    return path


def zoom_settings(directory, fake=None, account_id=ACCOUNT_ID, **extra):
    settings = {
        "zoom__webhook_secret_file": write_secret(directory, "zoom_webhook.secret", WEBHOOK_SECRET),
    }
    if fake is not None:
        settings.update({
            "zoom__account_id": account_id,
            "zoom__client_id": CLIENT_ID,
            "zoom__client_secret_file": write_secret(directory, "zoom_client.secret", CLIENT_SECRET),
            "zoom__oauth_url": fake.url,
            "zoom__api_url": fake.url + "/v2",
        })
    settings.update(extra)
    return settings


@pytest.fixture(scope="module")
def zoom(shared_db):
    """(stack, fake): meetd configured for a Server-to-Server app on the fake."""
    if ZoomFake is None:
        pytest.skip("tests/fakes/zoom.py is not there yet")
    fake = make_fake().start()
    root = new_root("zoom")
    s = None
    try:
        s = stackmod.Stack(root, db=shared_db, **zoom_settings(
            root, fake, http__timeout="3s", zoom__daily_limit="100000/24h",
            limits__meeting="100000/1h", limits__create_per_platform="100000/1h"))
        s.start()
        yield s, fake
    finally:
        try:
            if s is not None:
                s.stop()
        finally:
            fake.stop()
            remove_root(root)


@pytest.fixture(scope="module")
def webhook_stack(shared_db):
    """meetd with a webhook secret only (Zoom's API not configured)."""
    root = new_root("zoomwh")
    s = stackmod.Stack(root, db=shared_db, **zoom_settings(root))
    try:
        s.start()
        yield s
    finally:
        try:
            s.stop()
        finally:
            remove_root(root)


def make_fake(account_id=ACCOUNT_ID):
    return ZoomFake(account_id=account_id, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)


def own_account():
    """Stacks of their own share the database (and its token cache) but not
    the data key: each uses an account of its own."""
    return "acct_" + secrets.token_hex(4)


# --- not configured ------------------------------------------------------------

def test_not_configured_is_503(webhook_stack):
    _, token = user(webhook_stack)
    r = webhook_stack.call("POST", "/api/v1/meetings", meeting_body(platform="zoom"), token=token)
    assert_error(r, 503, "zoom_not_configured")
    body = {"title": "T", "scheduledFor": future(), "duration": 30}
    r = webhook_stack.call("POST", PROXY + "/create", body, token=token)
    assert_error(r, 503, "zoom_not_configured")
    assert_error(webhook_stack.call("POST", PROXY + "/123456789/cancel", token=token), 503, "zoom_not_configured")
    assert_error(webhook_stack.call("GET", PROXY + "/123456789/status", token=token), 503, "zoom_not_configured")
    r = webhook_stack.call("GET", "/api/v1/platforms", token=token)
    if r.status == 200:
        zoom = [p for p in r.json()["data"]["platforms"] if p.get("name", p.get("id")) == "zoom"]
        assert not zoom or zoom[0].get("configured") is False


def test_proxy_requires_auth(webhook_stack):
    body = {"title": "T", "scheduledFor": future(), "duration": 30}
    assert webhook_stack.call("POST", PROXY + "/create", body).status == 401
    assert webhook_stack.call("GET", PROXY + "/1/status").status == 401


# --- webhooks --------------------------------------------------------------------

def sign(body, ts=None, secret=WEBHOOK_SECRET):
    ts = str(int(time.time()) if ts is None else ts)
    mac = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"x-zm-request-timestamp": ts, "x-zm-signature": "v0=" + mac, "Content-Type": "application/json"}


def deliver(s, event, obj=None, headers=None, raw=None, payload=None, ts_ms=None):
    body = raw if raw is not None else json.dumps({
        "event": event, "event_ts": ts_ms or int(time.time() * 1000),
        "payload": payload if payload is not None else {"account_id": ACCOUNT_ID, "object": obj or {}},
    }).encode()
    return s.call("POST", "/api/zoom/webhook", body, headers=headers if headers is not None else sign(body))


def zoom_meeting(s, token, zoom_id=None):
    """A meetd meeting made to look like a Zoom one (platform zoom, a Zoom
    id), for webhook tests that need no Zoom API."""
    m = assert_success(s.call("POST", "/api/v1/meetings", meeting_body(), token=token), 201)
    zoom_id = zoom_id or str(10 ** 10 + secrets.randbelow(10 ** 10))
    s.db.sql(f"UPDATE meetings SET platform = 'zoom', platform_meeting_id = {q(zoom_id)} "
             f"WHERE id = {q(m['id'])}", database="meetd")
    return m["id"], zoom_id


def deliveries(s):
    return int(sql_value(s, "SELECT COUNT(*) FROM webhook_deliveries WHERE provider = 'zoom'"))


def test_webhook_bad_signatures_rejected(webhook_stack):
    s = webhook_stack
    _, token = user(s)
    mid, zid = zoom_meeting(s, token)
    body = json.dumps({"event": "meeting.started", "event_ts": int(time.time() * 1000),
                       "payload": {"object": {"id": int(zid)}}}).encode()
    before = deliveries(s)
    good = sign(body)
    cases = [
        {"Content-Type": "application/json"},                                     # missing
        {**good, "x-zm-signature": "v0=" + "0" * 64},                             # wrong
        {**good, "x-zm-signature": good["x-zm-signature"][:-1]},                  # truncated
        {**good, "x-zm-signature": good["x-zm-signature"].upper()},               # not exact
        sign(body, secret="other-secret"),                                        # other key
        sign(body, ts=int(time.time()) - 301),                                    # stale
        sign(body, ts=int(time.time()) + 400),                                    # future
        {**good, "x-zm-request-timestamp": str(int(good["x-zm-request-timestamp"]) + 1)},  # ts not signed
        {k: v for k, v in good.items() if k != "x-zm-request-timestamp"},         # no timestamp
    ]
    for hdrs in cases:
        assert_error(s.call("POST", "/api/zoom/webhook", body, headers=hdrs), 401, "INVALID_SIGNATURE")
    # a body changed after signing
    assert_error(s.call("POST", "/api/zoom/webhook", body.replace(b"started", b"ended "), headers=good),
                 401, "INVALID_SIGNATURE")
    assert deliveries(s) == before
    assert sql_value(s, f"SELECT status FROM meetings WHERE id = {q(mid)}") == "scheduled"
    # the same request, signed: applied
    assert s.call("POST", "/api/zoom/webhook", body, headers=good).status == 200
    assert sql_value(s, f"SELECT status FROM meetings WHERE id = {q(mid)}") == "started"


def test_webhook_signature_over_raw_bytes(webhook_stack):
    """The body as sent (spacing, key order, escapes) is what is signed."""
    s = webhook_stack
    _, token = user(s)
    mid, zid = zoom_meeting(s, token)
    body = ('{ "payload" : {"object":{"id":"%s", "topic":"caf\\u00e9"}},\n "event":"meeting.started" }' % zid).encode()
    r = s.call("POST", "/api/zoom/webhook", body, headers=sign(body))
    assert r.status == 200, r.body
    assert sql_value(s, f"SELECT status FROM meetings WHERE id = {q(mid)}") == "started"


def test_url_validation(webhook_stack):
    s = webhook_stack
    plain = "qgg8vlvZRS6UYooatFL8Aw"
    r = deliver(s, "endpoint.url_validation", payload={"plainToken": plain})
    assert r.status == 200, r.body
    want = hmac.new(WEBHOOK_SECRET.encode(), plain.encode(), hashlib.sha256).hexdigest()
    assert r.json() == {"plainToken": plain, "encryptedToken": want}


def test_url_validation_is_no_signing_oracle(webhook_stack):
    s = webhook_stack
    ts = str(int(time.time()))
    forged = b'{"event":"meeting.ended","payload":{"object":{"id":1}}}'
    plain = f"v0:{ts}:{forged.decode()}"
    body = json.dumps({"event": "endpoint.url_validation", "event_ts": int(time.time() * 1000),
                       "payload": {"plainToken": plain}}).encode()
    # unsigned: refused, nothing computed
    r = s.call("POST", "/api/zoom/webhook", body, headers={"Content-Type": "application/json"})
    assert_error(r, 401, "INVALID_SIGNATURE")
    assert "encryptedToken" not in r.body.decode()
    # badly signed: refused
    r = s.call("POST", "/api/zoom/webhook", body,
               headers={**sign(body), "x-zm-signature": "v0=" + "1" * 64})
    assert_error(r, 401, "INVALID_SIGNATURE")
    # even signed, a token with ':' is refused
    r = s.call("POST", "/api/zoom/webhook", body, headers=sign(body))
    assert r.status == 400
    assert "encryptedToken" not in r.body.decode()
    oracle = hmac.new(WEBHOOK_SECRET.encode(), plain.encode(), hashlib.sha256).hexdigest()
    assert oracle not in r.body.decode()


def test_webhook_duplicate_delivery_changes_nothing(webhook_stack):
    s = webhook_stack
    _, token = user(s)
    mid, zid = zoom_meeting(s, token)
    body = json.dumps({"event": "meeting.participant_joined", "event_ts": int(time.time() * 1000),
                       "payload": {"object": {"id": zid, "participant": {
                           "participant_uuid": "P1", "user_name": "Ann", "join_time": "2030-01-01T10:00:00Z"}}}}).encode()
    before = deliveries(s)
    r1 = s.call("POST", "/api/zoom/webhook", body, headers=sign(body))
    assert r1.status == 200 and r1.json()["status"] == "ok"
    rows1 = sql_rows(s, f"SELECT participant_key, joined_at, left_at FROM remote_participants WHERE meeting_id = {q(mid)}")
    # the same delivery again (Zoom retries; a fresh signature, same body)
    time.sleep(1.1)
    r2 = s.call("POST", "/api/zoom/webhook", body, headers=sign(body))
    assert r2.status == 200 and r2.json()["status"] == "duplicate"
    assert deliveries(s) == before + 1
    assert sql_rows(s, f"SELECT participant_key, joined_at, left_at FROM remote_participants "
                       f"WHERE meeting_id = {q(mid)}") == rows1


def test_webhook_started_ended_out_of_order_and_audit(webhook_stack):
    s = webhook_stack
    _, token = user(s)
    mid, zid = zoom_meeting(s, token)
    assert deliver(s, "meeting.ended", {"id": int(zid), "end_time": "2030-01-01T11:00:00Z"}).status == 200
    assert sql_value(s, f"SELECT status FROM meetings WHERE id = {q(mid)}") == "ended"
    # a late "started" must not reopen it
    assert deliver(s, "meeting.started", {"id": int(zid)}).status == 200
    assert sql_value(s, f"SELECT status FROM meetings WHERE id = {q(mid)}") == "ended"
    types = [r[0] for r in sql_rows(s, f"SELECT type FROM outbox_events WHERE meeting_id = {q(mid)} ORDER BY seq")]
    assert types.count("meeting.ended") == 1
    actions = [r[0] for r in sql_rows(s, f"SELECT action FROM audit_log WHERE meeting_id = {q(mid)} ORDER BY id")]
    assert "meeting.ended" in actions
    # unknown meetings are acknowledged and change nothing
    assert deliver(s, "meeting.started", {"id": 99999999999}).status == 200


def test_webhook_participants_any_order(webhook_stack):
    s = webhook_stack
    _, token = user(s)
    mid, zid = zoom_meeting(s, token)

    def part(event, key, **times):
        p = {"participant_uuid": key, "user_name": key.lower()}
        p.update(times)
        assert deliver(s, event, {"id": zid, "participant": p}).status == 200

    # A: left arrives before joined
    part("meeting.participant_left", "A", leave_time="2030-01-01T10:30:00Z")
    part("meeting.participant_joined", "A", join_time="2030-01-01T10:00:00Z")
    # B: joined, still there
    part("meeting.participant_joined", "B", join_time="2030-01-01T10:05:00Z")
    # C: joined, left, joined again (the second join delivered first)
    part("meeting.participant_joined", "C", join_time="2030-01-01T10:40:00Z")
    part("meeting.participant_joined", "C", join_time="2030-01-01T10:00:00Z")
    part("meeting.participant_left", "C", leave_time="2030-01-01T10:20:00Z")
    rows = {r[0]: r[1:] for r in sql_rows(
        s, f"SELECT participant_key, joined_at, left_at FROM remote_participants WHERE meeting_id = {q(mid)}")}
    assert rows["A"] == ["2030-01-01 10:00:00.000", "2030-01-01 10:30:00.000"]
    assert rows["B"][1] == "NULL"
    assert rows["C"] == ["2030-01-01 10:40:00.000", "2030-01-01 10:20:00.000"]
    open_now = int(sql_value(s, f"SELECT COUNT(*) FROM remote_participants WHERE meeting_id = {q(mid)} "
                                f"AND joined_at IS NOT NULL AND (left_at IS NULL OR joined_at > left_at)"))
    assert open_now == 2


def test_webhook_recording_completed(webhook_stack):
    s = webhook_stack
    _, token = user(s)
    mid, zid = zoom_meeting(s, token)
    obj = {"id": int(zid), "uuid": "abc==", "share_url": "https://zoom.example/rec/share/xyz",
           "recording_files": [
               {"id": "f1", "file_type": "MP4", "file_size": 1234, "play_url": "https://zoom.example/p/1",
                "download_url": "https://zoom.example/d/1", "recording_start": "2030-01-01T10:00:00Z",
                "recording_end": "2030-01-01T10:30:00Z", "status": "completed"},
               {"id": "f2", "file_type": "CHAT", "file_size": 10, "status": "completed"}]}
    assert deliver(s, "recording.completed", obj).status == 200
    assert sql_value(s, f"SELECT recording_url FROM meetings WHERE id = {q(mid)}") == obj["share_url"]
    rows = sql_rows(s, f"SELECT remote_id, file_type, file_size FROM recordings WHERE meeting_id = {q(mid)} ORDER BY remote_id")
    assert rows == [["f1", "MP4", "1234"], ["f2", "CHAT", "10"]]
    got = assert_success(s.call("GET", mpath(mid), token=token))
    assert got["recording_url"] == obj["share_url"]


def test_webhook_large_recording_delivery(webhook_stack):
    """A long meeting's recording.completed lists many files: past the 16k
    anonymous callers get, within body_limit for a signed webhook."""
    s = webhook_stack
    _, token = user(s)
    mid, zid = zoom_meeting(s, token)
    files = [{"id": f"file-{i:03d}", "file_type": "MP4", "file_size": 1000 + i,
              "play_url": f"https://zoom.example/rec/play/{'p' * 120}{i}",
              "download_url": f"https://zoom.example/rec/download/{'d' * 120}{i}",
              "recording_start": "2030-01-01T10:00:00Z", "recording_end": "2030-01-01T10:30:00Z",
              "status": "completed"} for i in range(120)]
    obj = {"id": int(zid), "uuid": "big==", "share_url": "https://zoom.example/rec/share/big",
           "recording_files": files}
    body = json.dumps({"event": "recording.completed", "event_ts": int(time.time() * 1000),
                       "payload": {"account_id": ACCOUNT_ID, "object": obj}}).encode()
    assert len(body) > 40 * 1024
    forged = dict(sign(body))
    forged["x-zm-signature"] = "v0=" + "0" * 64
    assert s.call("POST", "/api/zoom/webhook", body, headers=forged).status == 401
    assert sql_value(s, f"SELECT COUNT(*) FROM recordings WHERE meeting_id = {q(mid)}") == "0"
    r = s.call("POST", "/api/zoom/webhook", body, headers=sign(body))
    assert r.status == 200, r.body
    assert sql_value(s, f"SELECT COUNT(*) FROM recordings WHERE meeting_id = {q(mid)}") == "120"


# --- the provider through /api/v1/meetings and 000's face ------------------------

PROXY_BODY = {
    "title": "Team Planning Session",
    "description": "Q4 2026 planning meeting",
    "scheduledFor": future(days=60),
    "duration": 60,
    "timezone": "Europe/Paris",
    "participantLimit": 100,
    "requirePassword": True,
    "waitingRoom": True,
}


def zoom_meetings(fake):
    """Zoom meetings the fake holds now."""
    return list(fake.meetings.values()) if isinstance(fake.meetings, dict) else list(fake.meetings)


def zoom_ids(fake):
    return {str(m["id"]) for m in zoom_meetings(fake)}


def marked(fake, mid):
    return [m for m in zoom_meetings(fake) if f"meetd:{mid}" in (m.get("agenda") or "")]


def test_create_update_status_cancel_v1(zoom):
    s, fake = zoom
    _, token = user(s)
    r = s.call("POST", "/api/v1/meetings", meeting_body(platform="zoom", description="Agenda text",
                                                        timezone="Europe/Paris"), token=token)
    m = assert_success(r, 201)
    zid = m["platform_meeting_id"]
    assert zid and zid.isdigit()
    assert zid in zoom_ids(fake)
    remote = marked(fake, m["id"])
    assert len(remote) == 1 and str(remote[0]["id"]) == zid
    assert remote[0]["topic"] == "Planning" and remote[0]["type"] == 2
    assert remote[0]["agenda"].startswith("Agenda text")
    assert remote[0]["start_time"] == m["scheduled_for"]
    assert m["meeting_url"] == remote[0]["join_url"]
    assert m["host_url"] == remote[0]["start_url"]
    assert m["passcode"] == remote[0].get("password")
    # update: in place, the join URL kept
    r = s.call("PATCH", mpath(m["id"]), {"title": "Renamed", "duration": 45}, token=token)
    u = assert_success(r)
    assert u["meeting_url"] == m["meeting_url"] and u["platform_meeting_id"] == zid
    remote = [x for x in zoom_meetings(fake) if str(x["id"]) == zid][0]
    assert remote["topic"] == "Renamed" and remote["duration"] == 45
    # status
    assert_success(s.call("GET", mpath(m["id"], "/status?refresh=true"), token=token))
    # cancel: deleted on Zoom
    assert_success(s.call("POST", mpath(m["id"], "/cancel"), token=token))
    assert zid not in zoom_ids(fake)


def test_end_v1(zoom):
    s, fake = zoom
    _, token = user(s)
    m = assert_success(s.call("POST", "/api/v1/meetings", meeting_body(platform="zoom"), token=token), 201)
    assert_success(s.call("POST", mpath(m["id"], "/start"), token=token))
    before = fake.count("end") if hasattr(fake, "count") else 0
    assert_success(s.call("POST", mpath(m["id"], "/end"), token=token))
    assert fake.count("end") == before + 1


def test_proxy_create_exact_shape(zoom):
    s, fake = zoom
    _, token = user(s)
    r = s.call("POST", PROXY + "/create", PROXY_BODY, token=token)
    assert r.status == 200, r.body
    body = r.json()
    assert set(body) == CREATE_KEYS
    assert body["meetingId"].isdigit()
    remote = [x for x in zoom_meetings(fake) if str(x["id"]) == body["meetingId"]][0]
    assert body["joinUrl"] == remote["join_url"]
    assert body["hostUrl"] == remote["start_url"]
    assert body["password"] == remote.get("password")
    assert remote["timezone"] == "Europe/Paris"
    assert remote["settings"]["waiting_room"] is True
    assert remote["agenda"].startswith("Q4 2026 planning meeting")
    dial = (remote.get("settings") or {}).get("global_dial_in_numbers") or []
    assert body["dialInNumber"] == (dial[0]["number"] if dial else None)
    assert body["dialInPassword"] == (remote.get("pstn_password") or remote.get("h323_password"))
    # it is a meetd meeting too
    mid = sql_value(s, f"SELECT id FROM meetings WHERE platform = 'zoom' AND platform_meeting_id = {q(body['meetingId'])}")
    got = assert_success(s.call("GET", mpath(mid), token=token))
    assert got["title"] == "Team Planning Session" and got["participant_limit"] == 100
    # status: 000's shape
    r = s.call("GET", f"{PROXY}/{body['meetingId']}/status", token=token)
    assert r.status == 200, r.body
    st = r.json()
    assert set(st) == STATUS_KEYS
    assert st == {"meetingId": body["meetingId"], "status": "scheduled", "startTime": PROXY_BODY["scheduledFor"],
                  "duration": 60, "participantCount": 0}
    # cancel: 000's shape
    r = s.call("POST", f"{PROXY}/{body['meetingId']}/cancel", token=token)
    assert r.status == 200, r.body
    assert r.json() == {"success": True, "message": f"Meeting {body['meetingId']} cancelled successfully"}
    assert body["meetingId"] not in zoom_ids(fake)
    r = s.call("GET", f"{PROXY}/{body['meetingId']}/status", token=token)
    assert r.json()["status"] == "cancelled"


def test_proxy_validation(zoom):
    s, fake = zoom
    _, token = user(s)
    before = len(zoom_meetings(fake))
    bad = [
        {},
        {**PROXY_BODY, "unknown": 1},
        {**PROXY_BODY, "scheduled_for": PROXY_BODY["scheduledFor"]},
        {**PROXY_BODY, "title": ""},
        {**PROXY_BODY, "title": "x" * 201},
        {**PROXY_BODY, "duration": 0},
        {**PROXY_BODY, "duration": 1441},
        {**PROXY_BODY, "scheduledFor": "2020-01-01T00:00:00Z"},
        {**PROXY_BODY, "scheduledFor": "tomorrow"},
        {**PROXY_BODY, "timezone": "Mars/Olympus"},
        {**PROXY_BODY, "participantLimit": 0},
        {**PROXY_BODY, "requirePassword": "yes"},
        {**PROXY_BODY, "description": "d" * 5001},
    ]
    for b in bad:
        r = s.call("POST", PROXY + "/create", b, token=token)
        assert r.status == 400, (b, r.body)
        assert r.json()["status"] == "error"
    assert len(zoom_meetings(fake)) == before


def test_proxy_membership(zoom):
    s, fake = zoom
    _, host = user(s)
    stranger, other = user(s)
    zid = s.call("POST", PROXY + "/create", PROXY_BODY, token=host).json()["meetingId"]
    # not a member: 404 as for an unknown id
    assert_error(s.call("GET", f"{PROXY}/{zid}/status", token=other), 404, "MEETING_NOT_FOUND")
    assert_error(s.call("POST", f"{PROXY}/{zid}/cancel", token=other), 404, "MEETING_NOT_FOUND")
    assert_error(s.call("GET", f"{PROXY}/99999999999/status", token=other), 404, "MEETING_NOT_FOUND")
    assert_error(s.call("GET", f"{PROXY}/not-a-number/status", token=other), 404, "MEETING_NOT_FOUND")
    # a participant sees it but cannot cancel it
    mid = sql_value(s, f"SELECT id FROM meetings WHERE platform_meeting_id = {q(zid)}")
    assert_success(s.call("PUT", mpath(mid, f"/members/{stranger['id']}"), {"role": "participant"}, token=host))
    assert s.call("GET", f"{PROXY}/{zid}/status", token=other).status == 200
    assert_error(s.call("POST", f"{PROXY}/{zid}/cancel", token=other), 403, "INSUFFICIENT_PERMISSION")
    assert zid in zoom_ids(fake)


def test_cancel_already_gone_on_zoom(zoom):
    s, fake = zoom
    _, token = user(s)
    zid = s.call("POST", PROXY + "/create", PROXY_BODY, token=token).json()["meetingId"]
    # someone deleted it in Zoom's web portal
    for k in [k for k, m in list(fake.meetings.items()) if str(m["id"]) == zid]:
        del fake.meetings[k]
    r = s.call("POST", f"{PROXY}/{zid}/cancel", token=token)
    assert r.status == 200, r.body


def test_status_cached_five_minutes(zoom):
    s, fake = zoom
    _, token = user(s)
    zid = s.call("POST", PROXY + "/create", PROXY_BODY, token=token).json()["meetingId"]
    before = fake.count("get")
    for _ in range(3):
        assert s.call("GET", f"{PROXY}/{zid}/status", token=token).status == 200
    assert fake.count("get") == before      # read at create time: fresh for 5 minutes
    mid = sql_value(s, f"SELECT id FROM meetings WHERE platform_meeting_id = {q(zid)}")
    s.db.sql(f"UPDATE meetings SET remote_checked_at = UTC_TIMESTAMP(3) - INTERVAL 6 MINUTE WHERE id = {q(mid)}",
             database="meetd")
    assert s.call("GET", f"{PROXY}/{zid}/status", token=token).status == 200
    assert fake.count("get") == before + 1


def test_concurrent_creates_fetch_one_token(zoom):
    s, fake = zoom
    users = [user(s)[1] for _ in range(5)]
    s.db.sql("UPDATE provider_tokens SET expires_at = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND "
             "WHERE provider = 'zoom'", database="meetd")
    tokens_before = fake.count("token")
    creates_before = len(zoom_meetings(fake))
    results = [None] * 50

    def one(i):
        results[i] = s.call("POST", "/api/v1/meetings", meeting_body(platform="zoom", title=f"C{i}"),
                            token=users[i % 5], timeout=60)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status for r in results] == [201] * 50, [r.body for r in results if r.status != 201][:2]
    assert fake.count("token") - tokens_before == 1
    assert len(zoom_meetings(fake)) == creates_before + 50


def test_rejected_token_refetched_once(zoom):
    s, fake = zoom
    _, token = user(s)
    fake.expire_tokens()        # Zoom no longer accepts the cached token (401 code 124)
    before = fake.count("token")
    assert_success(s.call("POST", "/api/v1/meetings", meeting_body(platform="zoom"), token=token), 201)
    assert fake.count("token") == before + 1


# --- faults: bounded retries, no duplicate, no orphan ------------------------------

def create_v1(s, token, **fields):
    return s.call("POST", "/api/v1/meetings", meeting_body(platform="zoom", **fields), token=token, timeout=60)


def created_id(s, title):
    rows = sql_rows(s, f"SELECT id FROM meetings WHERE title = {q(title)}")
    return rows[0][0] if rows else None


def fault_title(kind):
    return f"F{kind}{secrets.token_hex(4)}"


def test_create_500_then_ok_no_duplicate(zoom):
    s, fake = zoom
    _, token = user(s)
    title = fault_title("500")
    fake.fault("create", "status", status=500)
    m = assert_success(create_v1(s, token, title=title), 201)
    assert len(marked(fake, m["id"])) == 1
    assert str(marked(fake, m["id"])[0]["id"]) == m["platform_meeting_id"]


def test_create_500_twice_fails_cleanly(zoom):
    s, fake = zoom
    _, token = user(s)
    title = fault_title("5002")
    before = fake.count("create")
    fake.fault("create", "status", status=503, count=2)
    r = create_v1(s, token, title=title)
    assert_error(r, 502, "PLATFORM_UNAVAILABLE")
    assert fake.count("create") - before == 2          # bounded: the first, and one more after reconciling
    assert created_id(s, title) is None
    assert not [m for m in zoom_meetings(fake) if m.get("topic") == title]


def test_create_answer_lost_adopts_the_meeting(zoom):
    s, fake = zoom
    _, token = user(s)
    title = fault_title("drop")
    fake.fault("create", "drop_after")
    m = assert_success(create_v1(s, token, title=title), 201)
    remote = [x for x in zoom_meetings(fake) if x.get("topic") == title]
    assert len(remote) == 1
    assert str(remote[0]["id"]) == m["platform_meeting_id"]
    assert m["meeting_url"] == remote[0]["join_url"]


def test_create_hang_times_out_and_recovers(zoom):
    s, fake = zoom
    _, token = user(s)
    title = fault_title("hang")
    fake.fault("create", "hang", seconds=5)
    t0 = time.monotonic()
    r = create_v1(s, token, title=title)
    assert time.monotonic() - t0 < 15
    if r.status == 201:
        m = r.json()["data"]
        assert len([x for x in zoom_meetings(fake) if x.get("topic") == title]) == 1
        assert str(marked(fake, m["id"])[0]["id"]) == m["platform_meeting_id"]
    else:
        assert_error(r, 504, "PLATFORM_TIMEOUT")
        assert created_id(s, title) is None
        assert not [x for x in zoom_meetings(fake) if x.get("topic") == title]


def test_create_429_retry_after_seconds(zoom):
    s, fake = zoom
    _, token = user(s)
    before = fake.count("create")
    fake.fault("create", "429", retry_after="1")
    t0 = time.monotonic()
    m = assert_success(create_v1(s, token), 201)
    assert time.monotonic() - t0 >= 0.9
    assert fake.count("create") - before == 2
    assert len(marked(fake, m["id"])) == 1


def test_create_429_retry_after_http_date(zoom):
    import email.utils
    s, fake = zoom
    _, token = user(s)
    before = fake.count("create")
    fake.fault("create", "429", retry_after=email.utils.formatdate(time.time() + 2, usegmt=True))
    m = assert_success(create_v1(s, token), 201)
    assert fake.count("create") - before == 2
    assert len(marked(fake, m["id"])) == 1


def test_create_429_daily_limit_passed_on(zoom):
    s, fake = zoom
    _, token = user(s)
    title = fault_title("429d")
    tomorrow = time.strftime("%Y-%m-%dT00:00:00Z", time.gmtime(time.time() + 86400))
    fake.fault("create", "429", retry_after=tomorrow)
    r = create_v1(s, token, title=title)
    assert_error(r, 429, "PLATFORM_RATE_LIMITED")
    assert int(r.headers["Retry-After"]) > 60
    assert created_id(s, title) is None


def test_daily_quota(shared_db):
    if ZoomFake is None:
        pytest.skip("tests/fakes/zoom.py is not there yet")
    account = own_account()
    fake = make_fake(account).start()
    root = new_root("zoomq")
    s = None
    try:
        s = stackmod.Stack(root, db=shared_db, **zoom_settings(root, fake, account, zoom__daily_limit="2/24h",
                                                                zoom__user_id="quota@example.com"))
        s.start()
        _, token = user(s)
        m = assert_success(create_v1(s, token), 201)
        assert_success(s.call("PATCH", mpath(m["id"]), {"title": "Again"}, token=token))
        before = fake.count("create")
        r = create_v1(s, token)
        assert_error(r, 429, "PLATFORM_RATE_LIMITED")
        assert int(r.headers["Retry-After"]) > 0
        assert fake.count("create") == before          # refused before calling Zoom
        r = s.call("POST", PROXY + "/create", PROXY_BODY, token=token)
        assert_error(r, 429, "PLATFORM_RATE_LIMITED")
    finally:
        try:
            if s is not None:
                s.stop()
        finally:
            fake.stop()
            remove_root(root)


def test_bad_client_secret_is_auth_failed(shared_db):
    if ZoomFake is None:
        pytest.skip("tests/fakes/zoom.py is not there yet")
    account = own_account()
    fake = make_fake(account).start()
    root = new_root("zoomauth")
    s = None
    try:
        settings = zoom_settings(root, fake, account)
        settings["zoom__client_secret_file"] = write_secret(root, "wrong.secret", "wrong-" + CLIENT_SECRET)
        s = stackmod.Stack(root, db=shared_db, **settings)
        s.start()
        _, token = user(s)
        r = create_v1(s, token)
        assert_error(r, 502, "PLATFORM_AUTH_FAILED")
        assert "wrong-" not in r.body.decode()
        assert not zoom_meetings(fake)
    finally:
        try:
            if s is not None:
                s.stop()
        finally:
            fake.stop()
            remove_root(root)


# --- secrets ----------------------------------------------------------------------------

def test_secrets_absent_from_log_and_database(zoom):
    s, fake = zoom
    _, token = user(s)
    body = s.call("POST", PROXY + "/create", PROXY_BODY, token=token).json()
    zak = body["hostUrl"]
    secrets_ = {"client secret": CLIENT_SECRET, "webhook secret": WEBHOOK_SECRET, "start url": zak}
    if "zak=" in zak:
        secrets_["zak"] = zak.split("zak=", 1)[1].split("&")[0]
    for i, tok in enumerate(getattr(fake, "issued_tokens", lambda: [])() if callable(getattr(fake, "issued_tokens", None))
                            else getattr(fake, "tokens", {}) or {}):
        secrets_[f"access token {i}"] = tok
    with open(s.meetd.log, encoding="utf-8", errors="replace") as f:
        log = f.read()
    dump = dump_database(s)
    for name, value in secrets_.items():
        assert value not in log, f"{name} in meetd's log"
        assert value not in dump, f"{name} in the database dump"


# --- 002: a user's own Zoom account ---------------------------------------------------

def get_no_redirect(s, path, token=None):
    import http.client
    import urllib.parse
    u = urllib.parse.urlsplit(s.nginx.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


def start_auth(s, token):
    import urllib.parse
    status, headers, _ = get_no_redirect(s, "/api/zoom/auth", token)
    assert status == 302
    loc = urllib.parse.urlsplit(headers["Location"])
    return loc, dict(urllib.parse.parse_qsl(loc.query))


def test_user_oauth_redirect_and_state(zoom):
    import urllib.parse
    s, fake = zoom
    me, token = user(s)
    assert get_no_redirect(s, "/api/zoom/auth")[0] == 401
    loc, query = start_auth(s, token)
    assert f"{loc.scheme}://{loc.netloc}" == fake.url and loc.path == "/oauth/authorize"
    assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
    assert query["redirect_uri"].endswith("/api/zoom/auth/callback")
    state = query["state"]
    assert state.startswith(me["id"] + ".")
    assert CLIENT_SECRET not in state
    # forged, altered, or someone else's state: refused before Zoom is asked
    before = fake.count("token")
    other, _ = user(s)
    forged = [
        "", "x", state[:-1] + ("0" if state[-1] != "0" else "1"),
        state.replace(me["id"], other["id"], 1),
        ".".join([state.split(".")[0], "9999999999"] + state.split(".")[2:]),
    ]
    for st in forged:
        r = s.call("GET", "/api/zoom/auth/callback?" + urllib.parse.urlencode({"code": "abc", "state": st}))
        assert_error(r, 400, "INVALID_OAUTH_STATE")
    assert fake.count("token") == before


def test_create_refused_by_zoom_is_platform_error(zoom):
    s, fake = zoom
    _, token = user(s)
    title = fault_title("400")
    before = fake.count("create")
    fake.fault("create", "status", status=400)
    r = create_v1(s, token, title=title)
    body = assert_error(r, 502, "PLATFORM_ERROR")
    assert "Zoom" in json.dumps(body)
    assert fake.count("create") - before == 1           # a refusal is not retried
    assert created_id(s, title) is None


def consent(s, fake, token):
    """Runs Zoom's consent the way a browser would: meetd -> Zoom's authorize
    page -> back to meetd's callback. Skips if the fake has no consent page."""
    import http.client
    import urllib.parse
    loc, query = start_auth(s, token)
    conn = http.client.HTTPConnection(loc.hostname, loc.port, timeout=10)
    try:
        conn.request("GET", loc.path + "?" + loc.query)
        r = conn.getresponse()
        r.read()
        back = r.getheader("Location")
    finally:
        conn.close()
    if r.status not in (301, 302, 303, 307) or not back:
        pytest.skip("the Zoom fake has no user consent page")
    back = urllib.parse.urlsplit(back)
    params = dict(urllib.parse.parse_qsl(back.query))
    assert params.get("state") == query["state"]
    return s.call("GET", "/api/zoom/auth/callback?" + back.query)


def zoom_body(**over):
    body = {"topic": "Design review", "startTime": future(days=3), "duration": 45}
    body.update(over)
    return body


ZOOM_MEETING_KEYS = {"id", "userId", "meetingId", "topic", "status", "startTime", "duration", "joinUrl",
                     "password", "settings", "recordingUrl", "metadata", "createdAt", "updatedAt"}


def host_of(fake, zoom_id):
    with fake.lock:
        return fake.hosts.get(int(zoom_id))


def test_user_oauth_connect_refresh_and_reauth(zoom):
    s, fake = zoom
    me, token = user(s)
    assert_error(s.call("GET", "/api/zoom/meetings", token=token), 409, "ZOOM_NOT_CONNECTED")
    assert_error(s.call("POST", "/api/zoom/meetings", zoom_body(), token=token), 409, "ZOOM_NOT_CONNECTED")
    r = consent(s, fake, token)
    assert r.status == 200, r.body
    assert sql_value(s, f"SELECT status FROM zoom_connections WHERE user_id = {q(me['id'])}") == "active"
    assert assert_200(s.call("GET", "/api/zoom/meetings", token=token)) == {"meetings": []}
    # an expired access token is refreshed (and the rotated refresh token kept)
    expire = (f"UPDATE provider_tokens SET expires_at = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND "
              f"WHERE provider = 'zoom_user' AND account = {q(me['id'])}")
    s.db.sql(expire, database="meetd")
    before = fake.count("token")
    r = s.call("POST", "/api/zoom/meetings", zoom_body(), token=token)
    assert r.status == 201, r.body
    assert fake.count("token") == before + 1
    s.db.sql(expire, database="meetd")
    r = s.call("POST", "/api/zoom/meetings", zoom_body(), token=token)
    assert r.status == 201, r.body
    assert fake.count("token") == before + 2
    # a dead grant: reconnect required, and said so until then
    s.db.sql(expire, database="meetd")
    creates = fake.count("create")
    fake.fault("token", "invalid_grant")
    assert_error(s.call("POST", "/api/zoom/meetings", zoom_body(), token=token), 409,
                 "ZOOM_REAUTHORIZATION_REQUIRED")
    assert sql_value(s, f"SELECT status FROM zoom_connections WHERE user_id = {q(me['id'])}") == "needs_reauth"
    assert_error(s.call("GET", "/api/zoom/meetings", token=token), 409, "ZOOM_REAUTHORIZATION_REQUIRED")
    assert_error(s.call("POST", "/api/zoom/meetings", zoom_body(), token=token), 409,
                 "ZOOM_REAUTHORIZATION_REQUIRED")
    assert fake.count("create") == creates
    # connecting again brings the account (and its meetings) back
    assert consent(s, fake, token).status == 200
    assert len(assert_200(s.call("GET", "/api/zoom/meetings", token=token))["meetings"]) == 2


def assert_200(r):
    assert r.status == 200, r.body
    return r.json()


def test_002_create_on_the_users_own_account(zoom):
    s, fake = zoom
    me, token = user(s)
    assert consent(s, fake, token).status == 200
    start = future(days=5)
    r = s.call("POST", "/api/zoom/meetings",
               zoom_body(topic="Roadmap", startTime=start, duration=30, agenda="Q3 plans",
                         timezone="Europe/Paris"), token=token)
    assert r.status == 201, r.body
    body = r.json()
    assert set(body) == {"meeting"}
    m = body["meeting"]
    assert set(m) == ZOOM_MEETING_KEYS
    assert m["userId"] == me["id"] and m["topic"] == "Roadmap" and m["status"] == "SCHEDULED"
    assert m["startTime"] == start and m["duration"] == 30
    assert m["settings"] == {"timezone": "Europe/Paris", "requirePassword": True, "waitingRoom": True}
    assert m["recordingUrl"] is None and m["metadata"]["agenda"] == "Q3 plans"
    zm = fake.meetings[int(m["meetingId"])]
    assert m["joinUrl"] == zm["join_url"] and m["password"] == zm["password"]
    assert zm["topic"] == "Roadmap" and zm["duration"] == 30 and zm["timezone"] == "Europe/Paris"
    # made with the user's own grant, on the user's own Zoom account
    assert host_of(fake, m["meetingId"]) not in (None, "me")
    # an ordinary meetd meeting too, which its organizer manages through /api/v1;
    # Zoom is told with the same user's grant
    r = s.call("PATCH", mpath(m["id"]), {"title": "Roadmap v2"}, token=token)
    assert_success(r)
    assert fake.meetings[int(m["meetingId"])]["topic"] == "Roadmap v2"
    assert_success(s.call("POST", mpath(m["id"], "/cancel"), {}, token=token))
    assert int(m["meetingId"]) not in fake.meetings
    listed = assert_200(s.call("GET", "/api/zoom/meetings?status=CANCELED", token=token))["meetings"]
    assert [x["id"] for x in listed] == [m["id"]] and listed[0]["status"] == "CANCELED"
    assert listed[0]["topic"] == "Roadmap v2"


def test_002_list_filters_and_privacy(zoom):
    s, fake = zoom
    me, token = user(s)
    other, other_token = user(s)
    for t in (token, other_token):
        assert consent(s, fake, t).status == 200
    made = {}
    for days in (2, 4, 6):
        r = s.call("POST", "/api/zoom/meetings", zoom_body(topic=f"d{days}", startTime=future(days=days)),
                   token=token)
        assert r.status == 201, r.body
        made[days] = r.json()["meeting"]
    r = s.call("POST", "/api/zoom/meetings", zoom_body(topic="theirs"), token=other_token)
    assert r.status == 201
    # a meeting on the server's account is not the user's Zoom meeting
    assert_success(create_v1(s, token, title="server account"), 201)
    mine = assert_200(s.call("GET", "/api/zoom/meetings", token=token))["meetings"]
    assert [m["topic"] for m in mine] == ["d2", "d4", "d6"]            # by start time
    day = lambda m: m["startTime"][:10]                                  # noqa: E731
    got = assert_200(s.call("GET", f"/api/zoom/meetings?startDate={day(made[4])}&endDate={day(made[4])}",
                            token=token))["meetings"]
    assert [m["topic"] for m in got] == ["d4"]
    got = assert_200(s.call("GET", f"/api/zoom/meetings?startDate={day(made[4])}", token=token))["meetings"]
    assert [m["topic"] for m in got] == ["d4", "d6"]
    got = assert_200(s.call("GET", f"/api/zoom/meetings?endDate={day(made[2])}&status=scheduled",
                            token=token))["meetings"]
    assert [m["topic"] for m in got] == ["d2"]
    assert assert_200(s.call("GET", "/api/zoom/meetings?status=ENDED", token=token)) == {"meetings": []}
    # Zoom's webhook moves the status the list shows
    r = deliver(s, "meeting.started", {"id": int(made[2]["meetingId"]), "uuid": "u2", "topic": "d2"})
    assert r.status == 200, r.body
    got = assert_200(s.call("GET", "/api/zoom/meetings?status=STARTED", token=token))["meetings"]
    assert [m["topic"] for m in got] == ["d2"]
    theirs = assert_200(s.call("GET", "/api/zoom/meetings", token=other_token))["meetings"]
    assert [m["topic"] for m in theirs] == ["theirs"]


@pytest.mark.parametrize("query,field", [
    ("status=done", "status"), ("startDate=soon", "startDate"), ("endDate=2026-13-01", "endDate"),
    ("startDate=2030-02-02&endDate=2030-02-01", "endDate"), ("startDate=2030-1-1", "startDate"),
])
def test_002_list_rejects_bad_queries(zoom, query, field):
    s, _ = zoom
    _, token = user(s)
    body = assert_error(s.call("GET", "/api/zoom/meetings?" + query, token=token), 400, "VALIDATION_ERROR")
    assert field in json.dumps(body)


@pytest.mark.parametrize("over,field", [
    ({"topic": None}, "topic"), ({"topic": ""}, "topic"), ({"topic": "t" * 201}, "topic"),
    ({"startTime": "tomorrow"}, "startTime"), ({"startTime": "2020-01-01T00:00:00Z"}, "startTime"),
    ({"duration": 0}, "duration"), ({"duration": "60"}, "duration"), ({"duration": 1441}, "duration"),
    ({"timezone": "Mars/Olympus"}, "timezone"), ({"agenda": "a" * 2001}, "agenda"),
    ({"settings": {"x": 1}}, "settings"),
])
def test_002_create_rejects_bad_bodies(zoom, over, field):
    s, fake = zoom
    _, token = user(s)
    body = zoom_body(**over)
    if over.get("topic", "") is None:
        del body["topic"]
    before = fake.count("create")
    r = s.call("POST", "/api/zoom/meetings", body, token=token)
    assert_error(r, 400, "VALIDATION_ERROR")
    assert field in json.dumps(r.json())
    assert fake.count("create") == before


def test_002_needs_sign_in(zoom):
    s, _ = zoom
    assert s.call("POST", "/api/zoom/meetings", zoom_body()).status == 401
    assert s.call("GET", "/api/zoom/meetings").status == 401


def test_platforms_lists_zoom(zoom):
    s, _ = zoom
    _, token = user(s)
    r = s.call("GET", "/api/v1/platforms", token=token)
    if r.status == 404:
        pytest.skip("no /api/v1/platforms in this build")
    zoom_ = [p for p in assert_success(r)["platforms"] if p["name"] == "zoom"][0]
    assert zoom_["configured"] is True
    assert all(zoom_["capabilities"].values()), zoom_["capabilities"]


# --- identities ------------------------------------------------------------------

def test_never_seen_subject_creates_through_the_000_face(zoom):
    """A token whose subject meetd never saw creates once at Zoom and nothing is
    deleted again: every local precondition holds before the platform is called."""
    s, fake = zoom
    creates, deletes = fake.count("create"), fake.count("delete")
    token = s.meetd.token("idp:" + secrets.token_hex(8))
    r = s.call("POST", PROXY + "/create", PROXY_BODY, token=token)
    assert r.status == 200, r.body
    assert (fake.count("create"), fake.count("delete")) == (creates + 1, deletes)
    assert r.json()["meetingId"] in zoom_ids(fake)
    # and through the canonical route and 002's own account face
    r = s.call("POST", "/api/v1/meetings", meeting_body(platform="zoom"), token=s.meetd.token("idp:" + secrets.token_hex(8)))
    assert r.status == 201, r.body
    assert (fake.count("create"), fake.count("delete")) == (creates + 2, deletes)


def test_refused_create_calls_no_platform(zoom):
    """A create refused for a local reason (validation) never reaches Zoom."""
    s, fake = zoom
    creates = fake.count("create")
    token = s.meetd.token("idp:" + secrets.token_hex(8))
    r = s.call("POST", PROXY + "/create", {**PROXY_BODY, "duration": 0}, token=token)
    assert r.status == 400, r.body
    r = s.call("POST", "/api/v1/meetings", meeting_body(platform="zoom", title=""), token=token)
    assert r.status == 400, r.body
    assert fake.count("create") == creates
