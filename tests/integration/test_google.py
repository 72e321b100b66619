"""Google Meet through Google Calendar: the provider behind /api/v1/meetings
(platform "google_meet") and 000's POST /api/meetings/proxy/google-meet/create
(issue "Platform proxy", Google Meet part), against GoogleFake
(tests/fakes/google.py): a service account's signed assertion, the token
reused, a fixed event id so that a retried insert never makes a second
event, a pending conference polled, a failed one deleted, update, cancel and
status, faults, and no secret in meetd's log or database.

One meetd + nginx configured for the fake serves the module; a wrong key and
"not configured" use stacks of their own.
"""
import json
import os
import secrets
import sys

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from helpers import assert_error, assert_success  # noqa: E402
from meetings_fixtures import dump_database, future, meeting_body, mpath, user  # noqa: E402
import stack as stackmod  # noqa: E402
from conftest import new_root, remove_root  # noqa: E402
from stack import write_secret  # noqa: E402

try:
    from fakes.google import GoogleFake
except ImportError:             # being written by another engineer
    GoogleFake = None

needs_fake = pytest.mark.skipif(GoogleFake is None, reason="tests/fakes/google.py is not there yet")

SUBJECT = "organizer@example.test"
PROXY = "/api/meetings/proxy/google-meet/create"
INSERT = "insert"               # the fake's route name for events.insert
# google.c: the meeting's ULID, lower-cased, Crockford's w x y z mapped onto
# base32hex's i l o u
CROCKFORD_TO_HEX = str.maketrans("wxyz", "ilou")


def event_id(meeting_id):
    return meeting_id.lower().translate(CROCKFORD_TO_HEX)


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def own_email():
    """Stacks share the database (and its token cache) but not the data key:
    each uses a service account of its own."""
    return f"meetd-{secrets.token_hex(4)}@project.iam.gserviceaccount.com"


def write_account(root, token_url, key, email, kid=None):
    """A service account key file as Google issues it (0600); its path."""
    path = os.path.join(root, f"sa-{secrets.token_hex(3)}.json")
    write_secret(path, json.dumps({
        "type": "service_account", "project_id": "project", "private_key_id": kid or secrets.token_hex(20),
        "private_key": pem(key), "client_email": email, "client_id": "1234567890",
        "token_uri": token_url}))
    return path


def google_settings(path, base, subject=SUBJECT, **extra):
    s = {"google__service_account_file": path, "google__token_url": base + "/token",
         "google__api_url": base + "/calendar/v3", "http__timeout": "3s",
         "limits__meeting": "100000/1h", "limits__create_per_platform": "100000/1h"}
    if subject is not None:
        s["google__subject"] = subject
    s.update(extra)
    return s


class Env:
    def __init__(self, stack, fake, key, email):
        self.stack, self.fake, self.key, self.email = stack, fake, key, email


def start_fake(key, email):
    return GoogleFake(client_email=email, public_key=key.public_key()).start()


@pytest.fixture(scope="module")
def google(shared_db):
    """meetd configured for the fake (or, without the fake, for a dead port:
    enough for what is refused before any call)."""
    key, email = new_key(), own_email()
    fake = start_fake(key, email) if GoogleFake is not None else None
    base = fake.url if fake is not None else "http://127.0.0.1:9"
    root = new_root("google")
    s = None
    try:
        path = write_account(root, base + "/token", key, email)
        s = stackmod.Stack(root, db=shared_db, **google_settings(path, base))
        s.start()
        yield Env(s, fake, key, email)
    finally:
        try:
            if s is not None:
                s.stop()
        finally:
            if fake is not None:
                fake.stop()
            remove_root(root)


def create_v1(env, token, **fields):
    return env.stack.call("POST", "/api/v1/meetings", meeting_body(platform="google_meet", **fields),
                          token=token, timeout=30)


def proxy_body(**fields):
    """000's example body."""
    body = {"title": "Team Planning Session", "description": "Q4 2026 planning meeting",
            "scheduledFor": future(), "duration": 60, "timezone": "Europe/Paris"}
    body.update(fields)
    return body


def events(env):
    return env.fake.events


# --- refused before any call ------------------------------------------------------

def test_not_configured(stack):
    _, token = user(stack)
    assert_error(stack.call("POST", PROXY, proxy_body(), token=token), 503, "PLATFORM_NOT_CONFIGURED", platform="google_meet")
    r = stack.call("POST", "/api/v1/meetings", meeting_body(platform="google_meet"), token=token)
    assert_error(r, 503, "PLATFORM_NOT_CONFIGURED", platform="google_meet")


def test_unreadable_key_file_is_not_configured(make_stack, scratch):
    path = os.path.join(scratch, "sa.json")
    write_secret(path, "{not json")
    s = make_stack(**google_settings(path, "http://127.0.0.1:9"))
    _, token = user(s)
    assert_error(s.call("POST", PROXY, proxy_body(), token=token), 503, "PLATFORM_NOT_CONFIGURED", platform="google_meet")


def test_000_face_refuses_bad_bodies(google):
    s = google.stack
    _, token = user(s)
    assert_error(s.call("POST", PROXY, proxy_body()), 401, "AUTHENTICATION_REQUIRED")
    body = assert_error(s.call("POST", PROXY, proxy_body(platform="zoom"), token=token), 400, "VALIDATION_ERROR")
    assert "platform" in body["details"]
    body = assert_error(s.call("POST", PROXY, proxy_body(scheduled_for=future()), token=token), 400,
                        "VALIDATION_ERROR")
    assert "scheduled_for" in body["details"]
    body = assert_error(s.call("POST", PROXY, proxy_body(scheduledFor="tomorrow"), token=token), 400,
                        "VALIDATION_ERROR")
    assert set(body["details"]) == {"scheduledFor"}
    body = assert_error(s.call("POST", PROXY, proxy_body(timezone="Mars/Olympus"), token=token), 400,
                        "VALIDATION_ERROR")
    assert set(body["details"]) == {"timezone"}
    body = assert_error(s.call("POST", PROXY, {"title": "x"}, token=token), 400, "VALIDATION_ERROR")
    assert {"scheduledFor", "duration"} <= set(body["details"])
    assert_error(s.call("POST", PROXY, proxy_body(duration=0), token=token), 400, "VALIDATION_ERROR")


# --- create ------------------------------------------------------------------------

@needs_fake
def test_create_via_v1(google):
    s, fake = google.stack, google.fake
    me, token = user(s)
    data = assert_success(create_v1(google, token, title="Design review"), 201)
    assert data["platform"] == "google_meet"
    eid = event_id(data["id"])
    assert data["platform_meeting_id"] == eid
    ev = events(google)[eid]
    assert data["meeting_url"] == ev["hangoutLink"]
    assert ev["summary"] == "Design review"
    req = [r for r in fake.requests("insert") if r.json().get("id") == eid][-1]
    assert req.query.get("conferenceDataVersion") == "1"
    assert req.query.get("sendUpdates") == "all"
    sent = req.json()
    assert sent["conferenceData"]["createRequest"]["requestId"] == data["id"]
    assert sent["conferenceData"]["createRequest"]["conferenceSolutionKey"]["type"] == "hangoutsMeet"
    assert sent["start"]["timeZone"] == "UTC"
    assert sent["attendees"] == [{"email": me["email"]}]       # invited: the account acts for SUBJECT


@needs_fake
def test_create_via_000_face(google):
    s = google.stack
    _, token = user(s)
    r = s.call("POST", PROXY, proxy_body(), token=token, timeout=30)
    assert r.status == 200, r.body
    assert r.headers.get("Content-Type", "").startswith("application/json")
    body = json.loads(r.body)
    assert set(body) == {"meetingUrl", "meetingCode"}
    assert body["meetingUrl"].startswith("https://meet.google.com/")
    assert body["meetingUrl"] == "https://meet.google.com/" + body["meetingCode"]
    ev = [e for e in events(google).values() if e.get("hangoutLink") == body["meetingUrl"]]
    assert any(e["summary"] == "Team Planning Session" and e["start"]["timeZone"] == "Europe/Paris"
               for e in ev)


@needs_fake
def test_token_reused_across_creates(make_stack, scratch):
    key, email = new_key(), own_email()
    fake = start_fake(key, email)
    try:
        s = make_stack(**google_settings(write_account(scratch, fake.url + "/token", key, email), fake.url))
        _, token = user(s)
        for _ in range(3):
            assert_success(create_v1(Env(s, fake, key, email), token), 201)
        assert fake.count("token") == 1
    finally:
        fake.stop()


@needs_fake
def test_wrong_key_is_auth_failed(make_stack, scratch):
    key, email = new_key(), own_email()
    fake = start_fake(key, email)
    try:
        path = write_account(scratch, fake.url + "/token", new_key(), email)
        s = make_stack(**google_settings(path, fake.url))
        _, token = user(s)
        n = len(fake.events)
        r = create_v1(Env(s, fake, key, email), token)
        assert_error(r, 502, "PLATFORM_AUTH_FAILED")
        assert len(fake.events) == n
    finally:
        fake.stop()


# --- update, cancel, status ---------------------------------------------------------

@needs_fake
def test_update_keeps_the_link(google):
    s = google.stack
    _, token = user(s)
    data = assert_success(create_v1(google, token), 201)
    r = s.call("PATCH", mpath(data["id"]), {"title": "Renamed", "duration": 45}, token=token, timeout=30)
    after = assert_success(r)
    assert after["meeting_url"] == data["meeting_url"]
    ev = events(google)[event_id(data["id"])]
    assert ev["summary"] == "Renamed"
    assert ev["hangoutLink"] == data["meeting_url"]


@needs_fake
def test_cancel_deletes_and_twice_is_fine(google):
    s = google.stack
    _, token = user(s)
    data = assert_success(create_v1(google, token), 201)
    eid = event_id(data["id"])
    assert_success(s.call("POST", mpath(data["id"], "/cancel"), token=token, timeout=30))
    ev = events(google).get(eid)
    assert ev is None or ev.get("status") == "cancelled"
    r = s.call("POST", mpath(data["id"], "/cancel"), token=token, timeout=30)
    assert r.status in (200, 409), r.body         # meetd's record says it is cancelled already


@needs_fake
def test_cancel_of_an_event_already_gone_succeeds(google):
    s = google.stack
    _, token = user(s)
    data = assert_success(create_v1(google, token), 201)
    with google.fake.lock:
        google.fake.events.pop(event_id(data["id"]))
    assert_success(s.call("POST", mpath(data["id"], "/cancel"), token=token, timeout=30))


@needs_fake
def test_status_reads_the_event(google):
    s = google.stack
    _, token = user(s)
    data = assert_success(create_v1(google, token), 201)
    r = s.call("GET", mpath(data["id"], "/status?refresh=true"), token=token, timeout=30)
    assert assert_success(r)["status"] == "scheduled"


@needs_fake
def test_end_is_meetds_record_only(google):
    s = google.stack
    _, token = user(s)
    data = assert_success(create_v1(google, token), 201)
    assert_success(s.call("POST", mpath(data["id"], "/start"), token=token, timeout=30))
    assert_success(s.call("POST", mpath(data["id"], "/end"), token=token, timeout=30))
    assert event_id(data["id"]) in events(google)


# --- pending conferences and faults ----------------------------------------------------

def settle(fake, kind):
    """Makes the fake's next conference pending, then `kind` (success or failure)."""
    fake.pending = 2
    fake.fail = kind == "failure"


@needs_fake
def test_pending_conference_is_polled(google):
    s, fake = google.stack, google.fake
    _, token = user(s)
    settle(fake, "success")
    try:
        data = assert_success(create_v1(google, token), 201)
    finally:
        settle(fake, None)
        fake.pending = 0
    assert data["meeting_url"] == events(google)[event_id(data["id"])]["hangoutLink"]


@needs_fake
def test_failed_conference_leaves_no_event(google):
    s, fake = google.stack, google.fake
    _, token = user(s)
    before = set(events(google))
    settle(fake, "failure")
    try:
        assert_error(create_v1(google, token), 502, "PLATFORM_ERROR")
    finally:
        settle(fake, None)
        fake.pending = 0
    assert set(events(google)) == before


def inserts_of(fake, eid):
    return [r for r in fake.requests(INSERT) if r.body and json.loads(r.body).get("id") == eid]


@needs_fake
@pytest.mark.parametrize("fault", ["drop_after", "status", "429"])
def test_retried_insert_makes_one_event(google, fault):
    s, fake = google.stack, google.fake
    _, token = user(s)
    fake.fault(INSERT, fault, **({"retry_after": "1"} if fault == "429" else {}))
    data = assert_success(create_v1(google, token), 201)
    eid = event_id(data["id"])
    assert eid in events(google)
    assert len(inserts_of(fake, eid)) == 2      # the repeat met the fixed id
    assert data["meeting_url"] == events(google)[eid]["hangoutLink"]


@needs_fake
def test_hang_times_out_without_an_event(google):
    s, fake = google.stack, google.fake
    _, token = user(s)
    before = set(events(google))
    fake.fault(INSERT, "hang", seconds=5)
    assert_error(create_v1(google, token), 504, "PLATFORM_TIMEOUT")
    assert set(events(google)) == before


@needs_fake
def test_persistent_5xx_is_unavailable(google):
    s, fake = google.stack, google.fake
    _, token = user(s)
    before = set(events(google))
    fake.fault(INSERT, "status", count=3, status=503)
    assert_error(create_v1(google, token), 502, "PLATFORM_UNAVAILABLE")
    fake.clear_faults()
    assert set(events(google)) == before


@needs_fake
def test_long_429_passes_retry_after(google):
    s, fake = google.stack, google.fake
    _, token = user(s)
    fake.fault(INSERT, "429", retry_after="120")
    r = create_v1(google, token)
    assert_error(r, 429, "PLATFORM_RATE_LIMITED")
    assert r.headers.get("Retry-After") == "120"


# --- no secret leaks -------------------------------------------------------------------

@needs_fake
def test_no_key_or_token_in_log_or_database(google):
    s = google.stack
    _, token = user(s)
    assert_success(create_v1(google, token), 201)
    key_body = pem(google.key).split("-----")[2].replace("\n", "")[40:100]
    with open(s.meetd.log) as f:
        log = f.read()
    dump = dump_database(s)
    # the access tokens meetd used, as the fake saw them
    tokens = {r.headers["Authorization"].split(" ", 1)[1] for r in google.fake.requests(INSERT)
              if r.headers.get("Authorization")}
    assert tokens
    for text in (log, dump):
        assert key_body not in text
        assert "PRIVATE KEY" not in text
        for t in tokens:
            assert t not in text
