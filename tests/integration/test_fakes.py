"""The Zoom and Google fakes enforce the public contracts meetd's Zoom and
Google Meet backends are tested against (protocols.md 2.1-2.7).

No meetd, nginx or MariaDB here: each test talks to a fake in-process over
HTTP with the standard library, and every server is stopped by its fixture.
"""

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fakes import zoom as zoommod  # noqa: E402
from fakes.base import FakeServer  # noqa: E402
from fakes.google import GoogleFake  # noqa: E402
from fakes.zoom import ZoomFake  # noqa: E402

ACCOUNT = "acctFAKE0001"
CLIENT_ID = "zoomClientId01"
CLIENT_SECRET = "zoomClientSecret0123456789"
WEBHOOK_SECRET = "zoom-secret-token"
REDIRECT = "https://meetd.example/api/zoom/auth/callback"
SA_EMAIL = "meetd@project.iam.gserviceaccount.com"
SUBJECT = "organizer@example.test"
CAL_SCOPE = "https://www.googleapis.com/auth/calendar"


# --- a tiny HTTP client ------------------------------------------------------
def call(method, url, body=None, token=None, form=None, headers=None, timeout=5):
    """(status, headers, parsed JSON or None); non-2xx answers are returned too."""
    hdrs = dict(headers or {})
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
    elif body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    if token is not None:
        hdrs["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, rh, raw = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, rh, raw = e.code, e.headers, e.read()
    return status, rh, (json.loads(raw) if raw else None)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# --- fixtures ----------------------------------------------------------------
# One server per fake for the module (stopping one costs the 0.5 s poll interval
# of serve_forever), reset to its fresh state before every test.
@pytest.fixture(scope="module")
def zoom_server():
    fake = ZoomFake(account_id=ACCOUNT, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                    webhook_secret=WEBHOOK_SECRET, redirect_uri=REDIRECT).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def zoom(zoom_server):
    zoom_server.reset()
    zoom_server.token_mode = "multiple"
    zoom_server.daily_create_limit = None
    zoom_server.jwt_api_key = zoom_server.jwt_api_secret = None
    return zoom_server


@pytest.fixture(scope="module")
def sa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def google_server(sa_key):
    fake = GoogleFake(service_account_email=SA_EMAIL, public_key_pem=None,
                      public_key=sa_key.public_key()).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def google(google_server):
    google_server.reset()
    google_server.pending_polls = 1
    google_server.conference_outcome = "success"
    google_server.allowed_subjects = None
    return google_server


class Hook(FakeServer):
    """A webhook receiver that records what arrives and answers like meetd."""
    routes = [("POST", r"/hook", "hook", "h_hook")]

    def h_hook(self, req, fault):
        body = req.json()
        if body.get("event") == "endpoint.url_validation":
            plain = body["payload"]["plainToken"]
            return 200, {}, {"plainToken": plain,
                             "encryptedToken": zoommod.expected_encrypted_token(WEBHOOK_SECRET, plain)}
        want = zoommod.webhook_signature(WEBHOOK_SECRET, req.headers["x-zm-request-timestamp"], req.body)
        if req.headers.get("x-zm-signature") != want:
            return 401, {}, {"error": "bad signature"}
        return 200, {}, b""


@pytest.fixture(scope="module")
def hook_server():
    hook = Hook().start()
    try:
        yield hook
    finally:
        hook.stop()


@pytest.fixture
def hook(hook_server):
    with hook_server.lock:
        hook_server.log.clear()
        hook_server.counts.clear()
    return hook_server


# --- Zoom helpers ------------------------------------------------------------
def basic(cid=CLIENT_ID, secret=CLIENT_SECRET):
    return "Basic " + base64.b64encode(f"{cid}:{secret}".encode()).decode()


def zoom_token(fake, form=None, query=None, auth=None, headers=None):
    url = fake.url + "/oauth/token"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    hdrs = {"Authorization": auth or basic(), **(headers or {})}
    return call("POST", url, form=form if form is not None else {}, headers=hdrs)


def s2s(fake):
    status, _, body = zoom_token(fake, {"grant_type": "account_credentials", "account_id": ACCOUNT})
    assert status == 200, body
    return body["access_token"]


def zoom_body(**over):
    body = {"topic": "Planning", "type": 2, "start_time": "2030-07-12T14:30:00Z", "duration": 45,
            "timezone": "Europe/Paris", "password": "abc123", "agenda": "meetd:01H",
            "settings": {"waiting_room": True, "join_before_host": False, "jbh_time": 5}}
    body.update(over)
    return body


def create(fake, token, user="me", **over):
    return call("POST", f"{fake.url}/v2/users/{user}/meetings", zoom_body(**over), token)


def authorize(fake, **params):
    """GET /oauth/authorize without following the redirect: (status, Location)."""
    q = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT, **params}
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    try:
        conn.request("GET", "/oauth/authorize?" + urllib.parse.urlencode(q))
        r = conn.getresponse()
        r.read()
        return r.status, r.getheader("Location")
    finally:
        conn.close()


# --- Zoom: OAuth -------------------------------------------------------------
def test_zoom_s2s_token(zoom):
    query = {"grant_type": "account_credentials", "account_id": ACCOUNT}
    status, _, body = zoom_token(zoom, query=query)
    assert status == 200
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert "refresh_token" not in body and body["access_token"].count(".") == 2
    assert zoom.tokens_issued == 1 and zoom.count("token") == 1


@pytest.mark.parametrize("auth,ctype", [
    (basic(secret="wrong"), None),
    (basic(cid="other"), None),
    ("Bearer something", None),
    (basic(), "application/json"),
])
def test_zoom_wrong_client_auth_is_401(zoom, auth, ctype):
    headers = {"Content-Type": ctype} if ctype else None
    status, _, body = zoom_token(zoom, {"grant_type": "account_credentials", "account_id": ACCOUNT},
                                 auth=auth, headers=headers)
    assert status == 401
    assert body == {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
    assert zoom.tokens_issued == 0


def test_zoom_account_and_grant_checked(zoom):
    status, _, body = zoom_token(zoom, {"grant_type": "account_credentials", "account_id": "other"})
    assert status == 400 and body["error"] == "invalid_request"
    status, _, body = zoom_token(zoom, {"grant_type": "client_credentials"})
    assert status == 400 and body["error"] == "unsupported_grant_type"


def test_zoom_single_token_mode_invalidates_earlier(zoom):
    zoom.token_mode = "single"
    first, second = s2s(zoom), s2s(zoom)
    status, _, body = call("GET", f"{zoom.url}/v2/users/me/meetings", token=first)
    assert status == 401 and body["code"] == 124
    assert call("GET", f"{zoom.url}/v2/users/me/meetings", token=second)[0] == 200


def test_zoom_authorize_redirects_with_code_and_state(zoom):
    status, location = authorize(zoom, state="st.1/x")
    assert status == 302
    loc = urllib.parse.urlsplit(location)
    assert f"{loc.scheme}://{loc.netloc}{loc.path}" == REDIRECT
    q = dict(urllib.parse.parse_qsl(loc.query))
    assert q["state"] == "st.1/x" and q["code"] in zoom.codes
    assert authorize(zoom, redirect_uri="https://evil.example/cb")[0] == 400


def test_zoom_code_exchange_and_refresh_rotation(zoom):
    code = zoom.issue_code(REDIRECT)
    status, _, body = zoom_token(zoom, {"grant_type": "authorization_code", "code": code,
                                        "redirect_uri": "https://meetd.example/other"})
    assert status == 400 and body["reason"] == "Redirect URI mismatch."
    status, _, first = zoom_token(zoom, {"grant_type": "authorization_code", "code": code,
                                         "redirect_uri": REDIRECT})
    assert status == 200 and first["refresh_token"]
    # single use
    status, _, body = zoom_token(zoom, {"grant_type": "authorization_code", "code": code,
                                        "redirect_uri": REDIRECT})
    assert status == 400 and body["error"] == "invalid_grant"
    # rotation: the new refresh token works, the old one is dead
    status, _, second = zoom_token(zoom, {"grant_type": "refresh_token",
                                          "refresh_token": first["refresh_token"]})
    assert status == 200 and second["refresh_token"] != first["refresh_token"]
    status, _, body = zoom_token(zoom, {"grant_type": "refresh_token",
                                        "refresh_token": first["refresh_token"]})
    assert status == 400 and body == {"error": "invalid_grant", "reason": "Invalid Token!"}
    status, _, third = zoom_token(zoom, {"grant_type": "refresh_token",
                                         "refresh_token": second["refresh_token"]})
    assert status == 200
    # the user token reaches the user's own meetings through "me"
    assert create(zoom, third["access_token"])[0] == 201
    assert zoom.tokens_issued == 3


def test_zoom_code_expires_after_five_minutes(zoom):
    code = zoom.issue_code(REDIRECT)
    zoom.codes[code]["exp"] = time.time() - 1
    status, _, body = zoom_token(zoom, {"grant_type": "authorization_code", "code": code,
                                        "redirect_uri": REDIRECT})
    assert status == 400 and body["error"] == "invalid_grant"


def test_zoom_pkce(zoom):
    verifier = "v" * 50
    challenge = b64url(hashlib.sha256(verifier.encode()).digest())
    code = zoom.issue_code(REDIRECT, code_challenge=challenge)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    assert zoom_token(zoom, {**form, "code_verifier": "w" * 50})[0] == 400
    assert zoom_token(zoom, {**form, "code_verifier": verifier})[0] == 200


def test_zoom_invalid_grant_fault(zoom):
    zoom.fault("token", "invalid_grant")
    status, _, body = zoom_token(zoom, {"grant_type": "account_credentials", "account_id": ACCOUNT})
    assert status == 400 and body["error"] == "invalid_grant"
    assert s2s(zoom)


# --- Zoom: REST authentication ----------------------------------------------------
def test_zoom_expired_token_is_401_code_124(zoom):
    token = s2s(zoom)
    assert create(zoom, token)[0] == 201
    zoom.expire_tokens()
    status, _, body = create(zoom, token)
    assert status == 401 and body["code"] == 124
    assert zoom.creates == 1


def test_zoom_unknown_and_query_tokens_refused(zoom):
    token = s2s(zoom)
    status, _, body = call("GET", f"{zoom.url}/v2/users/me/meetings", token="not-a-token")
    assert status == 401 and body == {"code": 124, "message": "Invalid access token."}
    status, _, body = call("GET", f"{zoom.url}/v2/users/me/meetings?access_token={token}")
    assert status == 401 and body["code"] == 124


def hs256(claims, secret):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(sig)}"


def test_zoom_jwt_app_tokens(zoom):
    url = f"{zoom.url}/v2/users/me/meetings"
    good = hs256({"iss": "apikey", "exp": int(time.time()) + 60}, "apisecret")
    assert call("GET", url, token=good)[0] == 401             # no JWT app configured
    zoom.jwt_api_key, zoom.jwt_api_secret = "apikey", "apisecret"
    assert call("GET", url, token=good)[0] == 200
    for bad in (hs256({"iss": "apikey", "exp": int(time.time()) - 1}, "apisecret"),
                hs256({"iss": "apikey", "exp": int(time.time()) + 60}, "other"),
                hs256({"iss": "otherkey", "exp": int(time.time()) + 60}, "apisecret")):
        status, _, body = call("GET", url, token=bad)
        assert status == 401 and body["code"] == 124


# --- Zoom: meetings ------------------------------------------------------------------
def test_zoom_meeting_lifecycle(zoom):
    token = s2s(zoom)
    status, _, m = create(zoom, token, user="host@example.com")
    assert status == 201 and zoom.creates == 1
    assert isinstance(m["id"], int) and len(str(m["id"])) == 11
    base64.b64decode(m["uuid"], validate=True)
    assert m["password"] == "abc123" and m["h323_password"].isdigit() and m["pstn_password"].isdigit()
    assert m["join_url"].endswith(f"/j/{m['id']}?pwd={m['encrypted_password']}")
    assert "zak=" in m["start_url"] and m["status"] == "waiting"
    assert m["start_time"] == "2030-07-12T14:30:00Z" and m["timezone"] == "Europe/Paris"
    assert m["settings"]["waiting_room"] is True and m["settings"]["jbh_time"] == 5
    assert m["settings"]["global_dial_in_numbers"][0]["number"]
    assert zoom.meetings[m["id"]]["topic"] == "Planning"

    murl = f"{zoom.url}/v2/meetings/{m['id']}"
    patch = {"topic": "Renamed", "settings": {"mute_upon_entry": True}}
    status, _, body = call("PATCH", murl, patch, token)
    assert status == 204 and body is None
    status, _, got = call("GET", murl, token=token)
    assert status == 200 and got["topic"] == "Renamed" and got["agenda"] == "meetd:01H"
    assert got["settings"]["mute_upon_entry"] is True and got["settings"]["waiting_room"] is True
    assert got["duration"] == 45 and got["password"] == "abc123"

    zoom.set_status(m["id"], "started")
    assert call("GET", murl, token=token)[2]["status"] == "started"
    assert call("PUT", murl + "/status", {"action": "end"}, token)[0] == 204
    assert call("GET", murl, token=token)[2]["status"] == "finished"
    assert zoom.count("end") == 1

    assert call("DELETE", murl, token=token)[0] == 204
    assert m["id"] not in zoom.meetings
    status, _, body = call("DELETE", murl, token=token)
    assert status == 404 and body == {"code": 3001, "message": f"Meeting does not exist: {m['id']}."}
    assert call("GET", murl, token=token)[0] == 404


def test_zoom_uuid_with_slash_found_double_encoded(zoom):
    token = s2s(zoom)
    uuids = [create(zoom, token)[2]["uuid"] for _ in range(4)]
    slashed = [u for u in uuids if "/" in u]
    assert slashed and any(u.startswith("/") for u in slashed)
    u = slashed[0]
    enc = urllib.parse.quote(urllib.parse.quote(u, safe=""), safe="")
    status, _, got = call("GET", f"{zoom.url}/v2/meetings/{enc}", token=token)
    assert status == 200 and got["uuid"] == u


def test_zoom_list_pages(zoom):
    token = s2s(zoom)
    ids = {create(zoom, token, user="lister@example.com")[2]["id"] for _ in range(3)}
    create(zoom, token, user="someone-else@example.com")
    url = f"{zoom.url}/v2/users/lister@example.com/meetings?page_size=2"
    status, _, page1 = call("GET", url, token=token)
    assert status == 200 and page1["total_records"] == 3 and page1["page_size"] == 2
    assert len(page1["meetings"]) == 2 and page1["next_page_token"]
    item = page1["meetings"][0]
    assert set(item) == {"uuid", "id", "host_id", "topic", "type", "start_time", "duration",
                         "timezone", "agenda", "created_at", "join_url"}
    status, _, page2 = call("GET", url + "&next_page_token=" + page1["next_page_token"], token=token)
    assert status == 200 and len(page2["meetings"]) == 1 and page2["next_page_token"] == ""
    assert {x["id"] for x in page1["meetings"] + page2["meetings"]} == ids


@pytest.mark.parametrize("over", [
    {"topic": "x" * 201},
    {"type": 5},
    {"type": "2"},
    {"start_time": "2030-07-12 14:30:00"},
    {"start_time": "2030-07-12T14:30:00+02:00"},
    {"start_time": "2030-13-12T14:30:00Z"},
    {"duration": "60"},
    {"timezone": "Mars/Olympus"},
    {"password": "elevenchars"},
    {"password": "bad pass"},
    {"agenda": "a" * 2001},
    {"settings": "on"},
    {"settings": {"jbh_time": 7}},
    {"settings": {"waiting_room": "yes"}},
])
def test_zoom_bad_body_is_400_code_300(zoom, over):
    token = s2s(zoom)
    status, _, body = create(zoom, token, **over)
    assert status == 400 and body["code"] == 300 and body["message"] == "Validation Failed."
    assert body["errors"][0]["field"].split(".")[0] == next(iter(over))
    assert zoom.creates == 0 and not zoom.meetings


def test_zoom_non_json_body_is_400_code_300(zoom):
    token = s2s(zoom)
    status, _, body = call("POST", f"{zoom.url}/v2/users/me/meetings", b"topic=x", token,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400
    assert body == {"code": 300, "message": "Request Body should be a valid JSON object."}
    m = create(zoom, token)[2]
    status, _, body = call("PATCH", f"{zoom.url}/v2/meetings/{m['id']}", {"password": "x" * 11}, token)
    assert status == 400 and body["code"] == 300
    assert zoom.meetings[m["id"]]["password"] == "abc123"


def test_zoom_local_start_time_uses_timezone(zoom):
    token = s2s(zoom)
    _, _, m = create(zoom, token, start_time="2030-07-12T16:30:00", timezone="Europe/Paris")
    assert m["start_time"] == "2030-07-12T14:30:00Z"


def test_zoom_drop_after_creates_without_answer(zoom):
    token = s2s(zoom)
    zoom.fault("create", "drop_after")
    with pytest.raises((ConnectionError, http.client.HTTPException, urllib.error.URLError)):
        create(zoom, token)
    assert zoom.creates == 1 and len(zoom.meetings) == 1      # an orphan for meetd to find


def test_zoom_429_fault_carries_retry_after(zoom):
    token = s2s(zoom)
    zoom.fault("create", "429", retry_after="2")
    status, headers, body = create(zoom, token)
    assert status == 429 and headers["Retry-After"] == "2" and body["code"] == 429
    assert zoom.creates == 0
    assert create(zoom, token)[0] == 201


def test_zoom_daily_limit(zoom):
    zoom.daily_create_limit = 2
    token = s2s(zoom)
    m = create(zoom, token, user="quota@example.com")[2]
    assert call("PATCH", f"{zoom.url}/v2/meetings/{m['id']}", {"topic": "T"}, token)[0] == 204
    status, headers, body = create(zoom, token, user="quota@example.com")
    assert status == 429 and body["code"] == 429 and "daily rate limit (2)" in body["message"]
    assert headers["X-RateLimit-Type"] == "Daily-limit"
    tomorrow = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1)
    assert headers["Retry-After"] == f"{tomorrow.isoformat()}T00:00:00Z"
    assert call("PATCH", f"{zoom.url}/v2/meetings/{m['id']}", {"topic": "U"}, token)[0] == 429
    assert create(zoom, token, user="other@example.com")[0] == 201      # per user
    assert zoom.creates == 2


def test_zoom_handler_fault_expired_token(zoom):
    token = s2s(zoom)
    zoom.fault("list", "expired_token")
    status, _, body = call("GET", f"{zoom.url}/v2/users/me/meetings", token=token)
    assert status == 401 and body["code"] == 124
    assert call("GET", f"{zoom.url}/v2/users/me/meetings", token=token)[0] == 200


# --- Zoom: webhooks -----------------------------------------------------------------
# Computed with `openssl dgst -sha256 -hmac zoom-secret-token`, not with the fake.
FIXED_BODY = (b'{"event":"meeting.started","payload":{"account_id":"acct","object":'
              b'{"id":12345678901}},"event_ts":1700000000000}')
FIXED_SIGNATURE = "v0=e0a92aa8a50e0747f124cf3cff4cffc2a1d9573ef1dad592ea256211625e6ce7"
FIXED_PLAIN = "qgg8vlvZRS6UYooatFL8Aw"
FIXED_ENCRYPTED = "d9e0d764a78494688ba3f2d5c0ed4ca311394b4834d959759213424d2df961e3"


def test_webhook_signature_fixed_vector():
    assert zoommod.webhook_signature(WEBHOOK_SECRET, "1700000000", FIXED_BODY) == FIXED_SIGNATURE
    assert zoommod.webhook_signature(WEBHOOK_SECRET, 1700000000, FIXED_BODY) == FIXED_SIGNATURE
    assert zoommod.expected_encrypted_token(WEBHOOK_SECRET, FIXED_PLAIN) == FIXED_ENCRYPTED


def test_send_webhook_signs_the_raw_body(hook):
    url = hook.url + "/hook"
    status, _, _ = zoommod.send_webhook(url, "meeting.started", {"id": 12345678901}, WEBHOOK_SECRET,
                                        ts=1700000000, body_override=FIXED_BODY)
    assert status == 200
    req = hook.requests("hook")[-1]
    assert req.body == FIXED_BODY and req.headers["x-zm-signature"] == FIXED_SIGNATURE
    assert req.headers["x-zm-request-timestamp"] == "1700000000" and req.headers["x-zm-trackingid"]

    obj = zoommod.meeting_started({"id": 12345678901, "uuid": "a/b==", "topic": "T"})
    status, _, _ = zoommod.send_webhook(url, "meeting.started", obj, WEBHOOK_SECRET)
    assert status == 200
    req = hook.requests("hook")[-1]
    env = json.loads(req.body)
    assert env["event"] == "meeting.started" and env["payload"]["object"] == obj
    assert "account_id" in env["payload"]
    assert abs(env["event_ts"] // 1000 - int(req.headers["x-zm-request-timestamp"])) <= 1
    want = "v0=" + hmac.new(WEBHOOK_SECRET.encode(),
                            f"v0:{req.headers['x-zm-request-timestamp']}:".encode() + req.body,
                            hashlib.sha256).hexdigest()
    assert req.headers["x-zm-signature"] == want

    assert zoommod.send_webhook(url, "meeting.ended", obj, WEBHOOK_SECRET, bad_signature=True)[0] == 401
    status, _, _ = zoommod.send_webhook(url, "meeting.ended", obj, WEBHOOK_SECRET, sign=False)
    assert status == 401 and "x-zm-signature" not in hook.requests("hook")[-1].headers


def test_url_validation_sender(hook):
    status, _, body = zoommod.url_validation(hook.url + "/hook", WEBHOOK_SECRET, FIXED_PLAIN)
    assert status == 200
    assert json.loads(body) == {"plainToken": FIXED_PLAIN, "encryptedToken": FIXED_ENCRYPTED}
    req = hook.requests("hook")[-1]
    assert json.loads(req.body)["event"] == "endpoint.url_validation"
    assert req.headers["x-zm-signature"] == zoommod.webhook_signature(
        WEBHOOK_SECRET, req.headers["x-zm-request-timestamp"], req.body)


def test_webhook_objects():
    m = {"id": 12345678901, "uuid": "Gn+g70mXRpycwYH+zl/rOg==", "host_id": "h", "topic": "T",
         "type": 2, "start_time": "2030-01-01T00:00:00Z", "timezone": "UTC", "duration": 30}
    base = {"id", "uuid", "host_id", "topic", "type", "start_time", "timezone", "duration"}
    assert set(zoommod.meeting_started(m)) == base
    assert set(zoommod.meeting_ended(m)) == base | {"end_time"}
    assert zoommod.meeting_started(m, id_as_string=True)["id"] == "12345678901"
    who = zoommod.participant("Ann", "ann@example.com")
    joined = zoommod.participant_joined(m, who)
    assert set(joined["participant"]) == {"user_id", "user_name", "id", "participant_uuid", "join_time",
                                          "email", "registrant_id", "participant_user_id",
                                          "customer_key", "phone_number"}
    left = zoommod.participant_left(m, who)
    assert left["participant"]["id"] == joined["participant"]["id"]
    assert {"leave_time", "leave_reason"} <= set(left["participant"])
    rec = zoommod.recording_completed(m, ("MP4", "TRANSCRIPT"))
    assert rec["recording_count"] == 2 and rec["recording_files"][1]["file_type"] == "TRANSCRIPT"
    assert all(f["status"] == "completed" and f["download_url"] for f in rec["recording_files"])


def test_recording_webhook_has_download_token(hook):
    obj = zoommod.recording_completed(12345678901)
    assert zoommod.send_webhook(hook.url + "/hook", "recording.completed", obj, WEBHOOK_SECRET)[0] == 200
    assert json.loads(hook.requests("hook")[-1].body)["download_token"]


# --- Google helpers -----------------------------------------------------------------
def assertion(key, aud, iss=SA_EMAIL, scope=CAL_SCOPE, sub=None, iat=None, exp=None, alg="RS256"):
    now = int(time.time())
    iat = now if iat is None else iat
    exp = iat + 3600 if exp is None else exp
    claims = {"iss": iss, "scope": scope, "aud": aud, "iat": iat, "exp": exp}
    if sub:
        claims["sub"] = sub
    head = b64url(json.dumps({"alg": alg, "typ": "JWT", "kid": "k1"}).encode())
    body = b64url(json.dumps(claims).encode())
    sig = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{body}.{b64url(sig)}"


def google_token(fake, jwt):
    return call("POST", fake.url + "/token",
                form={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": jwt})


def bearer(fake, key, sub=SUBJECT):
    status, _, body = google_token(fake, assertion(key, fake.url + "/token", sub=sub))
    assert status == 200, body
    return body["access_token"]


def events_url(fake, cal="primary"):
    return f"{fake.url}/calendar/v3/calendars/{urllib.parse.quote(cal, safe='')}/events"


def event_body(**over):
    body = {"summary": "Planning", "description": "meetd",
            "start": {"dateTime": "2030-07-12T14:30:00+02:00", "timeZone": "Europe/Paris"},
            "end": {"dateTime": "2030-07-12T15:30:00+02:00", "timeZone": "Europe/Paris"},
            "attendees": [{"email": "guest@example.com"}],
            "conferenceData": {"createRequest": {"requestId": "req-1",
                                                 "conferenceSolutionKey": {"type": "hangoutsMeet"}}}}
    body.update(over)
    return body


def assert_google_error(status, body, want_status, reason):
    assert status == want_status
    err = body["error"]
    assert err["code"] == want_status and err["errors"][0]["reason"] == reason
    assert err["message"] == err["errors"][0]["message"]


# --- Google: token endpoint ------------------------------------------------------------
def test_google_token_issued(google, sa_key):
    status, _, body = google_token(google, assertion(sa_key, google.url + "/token", sub=SUBJECT))
    assert status == 200
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599 and body["access_token"]
    assert google.tokens_issued == 1 and google.count("token") == 1


def test_google_assertion_with_wrong_key_is_invalid_grant(google):
    other = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    status, _, body = google_token(google, assertion(other, google.url + "/token"))
    assert status == 400
    assert body == {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
    assert google.tokens_issued == 0


def test_google_assertion_claims_checked(google, sa_key):
    aud, now = google.url + "/token", int(time.time())
    cases = [
        (assertion(sa_key, "https://oauth2.googleapis.com/token"), "invalid_grant"),
        (assertion(sa_key, aud, iss="other@project.iam.gserviceaccount.com"), "invalid_grant"),
        (assertion(sa_key, aud, iat=now - 600, exp=now + 600), "invalid_grant"),
        (assertion(sa_key, aud, iat=now + 600), "invalid_grant"),
        (assertion(sa_key, aud, exp=now + 3700), "invalid_grant"),
        (assertion(sa_key, aud, alg="HS256"), "invalid_grant"),
        (assertion(sa_key, aud, scope="https://www.googleapis.com/auth/drive"), "invalid_scope"),
        ("not.a.jwt", "invalid_grant"),
    ]
    for jwt, error in cases:
        status, _, body = google_token(google, jwt)
        assert status == 400 and body["error"] == error, body
    status, _, body = call("POST", google.url + "/token", form={"grant_type": "password"})
    assert status == 400 and body["error"] == "unsupported_grant_type"
    assert google.tokens_issued == 0


def test_google_subject_outside_delegation_is_unauthorized_client(google, sa_key):
    google.allowed_subjects = {SUBJECT}
    jwt = assertion(sa_key, google.url + "/token", sub="x@example.test")
    status, _, body = google_token(google, jwt)
    assert status == 401 and body["error"] == "unauthorized_client"
    assert bearer(google, sa_key)


def test_google_invalid_grant_fault(google, sa_key):
    google.fault("token", "invalid_grant")
    status, _, body = google_token(google, assertion(sa_key, google.url + "/token"))
    assert status == 400 and body["error"] == "invalid_grant"
    assert bearer(google, sa_key)


# --- Google: calendar --------------------------------------------------------------------
def test_google_bad_or_expired_token_is_401(google, sa_key):
    status, _, body = call("POST", events_url(google), event_body(), "ya29.unknown")
    assert_google_error(status, body, 401, "authError")
    token = bearer(google, sa_key)
    google.expire_tokens()
    status, _, body = call("POST", events_url(google), event_body(), token)
    assert_google_error(status, body, 401, "authError")
    assert not google.events


def test_google_conference_dropped_without_version(google, sa_key):
    token = bearer(google, sa_key)
    status, _, ev = call("POST", events_url(google), event_body(), token)
    assert status == 200 and ev["status"] == "confirmed"
    assert "conferenceData" not in ev and "hangoutLink" not in ev
    assert ev["iCalUID"] == f"{ev['id']}@google.com" and ev["htmlLink"].startswith("https://")
    assert google.events[ev["id"]]["summary"] == "Planning" and google.inserts == 1


def test_google_pending_then_success(google, sa_key):
    google.pending_polls = 2
    token = bearer(google, sa_key)
    status, _, ev = call("POST", events_url(google) + "?conferenceDataVersion=1&sendUpdates=none",
                         event_body(), token)
    assert status == 200
    conf = ev["conferenceData"]
    assert conf["createRequest"]["status"]["statusCode"] == "pending"
    assert conf["createRequest"]["requestId"] == "req-1"
    assert "entryPoints" not in conf and "hangoutLink" not in ev
    get = f"{events_url(google)}/{ev['id']}"
    _, _, ev = call("GET", get, token=token)
    assert ev["conferenceData"]["createRequest"]["status"]["statusCode"] == "pending"
    _, _, ev = call("GET", get, token=token)
    conf = ev["conferenceData"]
    assert conf["createRequest"]["status"]["statusCode"] == "success"
    assert re.fullmatch(r"[a-z]{3}-[a-z]{4}-[a-z]{3}", conf["conferenceId"])
    video = [e for e in conf["entryPoints"] if e["entryPointType"] == "video"][0]
    phone = [e for e in conf["entryPoints"] if e["entryPointType"] == "phone"][0]
    assert video["uri"] == f"https://meet.google.com/{conf['conferenceId']}" == ev["hangoutLink"]
    assert phone["uri"].startswith("tel:") and phone["pin"]
    assert google.events[ev["id"]]["hangoutLink"] == ev["hangoutLink"]
    assert google.count("get") == 2


def test_google_conference_failure(google, sa_key):
    google.pending_polls, google.conference_outcome = 0, "failure"
    token = bearer(google, sa_key)
    _, _, ev = call("POST", events_url(google) + "?conferenceDataVersion=1", event_body(), token)
    assert ev["conferenceData"]["createRequest"]["status"]["statusCode"] == "failure"
    assert "entryPoints" not in ev["conferenceData"] and "hangoutLink" not in ev


def test_google_client_chosen_id(google, sa_key):
    token = bearer(google, sa_key)
    status, _, body = call("POST", events_url(google), event_body(id="UPPER-case"), token)
    assert_google_error(status, body, 400, "invalid")
    status, _, ev = call("POST", events_url(google), event_body(id="meetd01h0abc"), token)
    assert status == 200 and ev["id"] == "meetd01h0abc"
    status, _, body = call("POST", events_url(google), event_body(id="meetd01h0abc"), token)
    assert status == 409 and body == {"error": {
        "errors": [{"domain": "global", "reason": "duplicate",
                    "message": "The requested identifier already exists."}],
        "code": 409, "message": "The requested identifier already exists."}}
    assert google.inserts == 1 and len(google.events) == 1


def test_google_delete_twice_is_410(google, sa_key):
    token = bearer(google, sa_key)
    _, _, ev = call("POST", events_url(google), event_body(), token)
    url = f"{events_url(google)}/{ev['id']}"
    assert call("DELETE", url + "?sendUpdates=all", token=token)[0] == 204
    assert ev["id"] not in google.events
    status, _, body = call("DELETE", url, token=token)
    assert status == 410 and body == {"error": {
        "errors": [{"domain": "global", "reason": "deleted", "message": "Resource has been deleted"}],
        "code": 410, "message": "Resource has been deleted"}}
    status, _, got = call("GET", url, token=token)          # get always returns deleted events
    assert status == 200 and got["status"] == "cancelled"
    status, _, body = call("DELETE", f"{events_url(google)}/unknown0id", token=token)
    assert_google_error(status, body, 404, "notFound")
    status, _, body = call("GET", url.replace("/primary/", "/someone%40example.com/"), token=token)
    assert_google_error(status, body, 404, "notFound")


def test_google_attendees_need_delegation(google, sa_key):
    token = bearer(google, sa_key, sub=None)
    status, _, body = call("POST", events_url(google), event_body(), token)
    assert_google_error(status, body, 403, "forbiddenForServiceAccounts")
    assert body["error"]["errors"][0]["domain"] == "calendar"
    status, _, ev = call("POST", events_url(google), event_body(attendees=[]), token)
    assert status == 200 and ev["organizer"]["email"] == SA_EMAIL


def test_google_patch_merges(google, sa_key):
    token = bearer(google, sa_key)
    _, _, ev = call("POST", events_url(google), event_body(), token)
    url = f"{events_url(google)}/{ev['id']}"
    status, _, got = call("PATCH", url, {"summary": "Renamed",
                                         "end": {"dateTime": "2030-07-12T16:00:00+02:00"}}, token)
    assert status == 200 and got["summary"] == "Renamed" and got["description"] == "meetd"
    assert got["end"] == {"dateTime": "2030-07-12T16:00:00+02:00", "timeZone": "Europe/Paris"}
    assert got["sequence"] == 1 and google.events[ev["id"]]["summary"] == "Renamed"
    status, _, body = call("PATCH", url, {"end": {"dateTime": "2030-07-12T10:00:00+02:00"}}, token)
    assert_google_error(status, body, 400, "timeRangeEmpty")
    assert google.events[ev["id"]]["end"]["dateTime"] == "2030-07-12T16:00:00+02:00"


def test_google_times_validated(google, sa_key):
    token = bearer(google, sa_key)
    body = event_body(start={"dateTime": "2030-07-12T14:30:00"}, end={"dateTime": "2030-07-12T15:30:00"})
    status, _, err = call("POST", events_url(google), body, token)
    assert_google_error(status, err, 400, "required")
    status, _, err = call("POST", events_url(google), event_body(end=None), token)
    assert_google_error(status, err, 400, "required")
    status, _, err = call("POST", events_url(google) + "?sendUpdates=sometimes", event_body(), token)
    assert_google_error(status, err, 400, "invalidParameter")
    assert not google.events


def test_google_drop_after_inserts_then_409(google, sa_key):
    token = bearer(google, sa_key)
    google.fault("insert", "drop_after")
    with pytest.raises((ConnectionError, http.client.HTTPException, urllib.error.URLError)):
        call("POST", events_url(google), event_body(id="meetdretr0001"), token)
    assert "meetdretr0001" in google.events
    assert call("POST", events_url(google), event_body(id="meetdretr0001"), token)[0] == 409
    assert call("GET", f"{events_url(google)}/meetdretr0001", token=token)[0] == 200


def test_google_429_fault(google, sa_key):
    token = bearer(google, sa_key)
    google.fault("insert", "429", retry_after="3")
    status, headers, body = call("POST", events_url(google), event_body(), token)
    assert headers["Retry-After"] == "3"
    assert_google_error(status, body, 429, "rateLimitExceeded")
