"""The Microsoft Graph and Webex fakes enforce the public contracts meetd's
Teams and Webex backends are tested against (protocols.md 2.8 and 2.9).

No meetd, nginx or MariaDB here: each test talks to a fake in-process over
HTTP with the standard library, and every fake is stopped by its fixture.
"""

import datetime as dt
import http.client
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fakes.graph import GRAPH_SCOPE, GraphFake  # noqa: E402
from fakes.webex import WebexFake  # noqa: E402

TENANT = "7f1c2d3e-0000-4000-8000-00000000aaaa"
CLIENT = "c0ffee00-0000-4000-8000-00000000bbbb"
SECRET = "s3cr3t~value.Of_a-client"
USER = "550fae72-d251-43ec-868c-373732c2704f"
OTHER_USER = "11111111-2222-4333-8444-555555555555"
WEBEX_TOKEN = "static-bot-token-0123456789"


# --- a tiny HTTP client ------------------------------------------------------
def call(method, url, body=None, token=None, form=None, headers=None, timeout=5):
    """(status, headers, parsed JSON or None); non-2xx answers are returned too."""
    hdrs = dict(headers or {})
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        hdrs["Content-Type"] = "application/x-www-form-urlencoded"
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


def utc(minutes):
    """ISO-8601 UTC time `minutes` from now."""
    when = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=minutes)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- fixtures ----------------------------------------------------------------
# One server per fake for the module (stopping one costs the 0.5 s poll interval
# of serve_forever), reset to its fresh state before every test.
@pytest.fixture(scope="module")
def graph_server():
    fake = GraphFake(tenant_id=TENANT, client_id=CLIENT, client_secret=SECRET,
                     policy_users={USER}).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def webex_server():
    fake = WebexFake(access_token=WEBEX_TOKEN, client_id="wx-client", client_secret="wx-secret",
                     refresh_token="wx-refresh").start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def graph(graph_server):
    graph_server.reset()
    return graph_server


@pytest.fixture
def webex(webex_server):
    webex_server.reset()
    return webex_server


def graph_token(fake, secret=SECRET, tenant=TENANT, scope=GRAPH_SCOPE):
    return call("POST", f"{fake.url}/{tenant}/oauth2/v2.0/token",
                form={"client_id": CLIENT, "client_secret": secret, "scope": scope,
                      "grant_type": "client_credentials"})


def bearer(fake):
    status, _, body = graph_token(fake)
    assert status == 200
    return body["access_token"]


def meetings_url(fake, user=USER):
    return f"{fake.url}/v1.0/users/{user}/onlineMeetings"


def meeting_body(**over):
    body = {"startDateTime": "2030-07-12T14:30:34.2444915-07:00",
            "endDateTime": "2030-07-12T15:00:34.2464912-07:00",
            "subject": "Planning"}
    body.update(over)
    return body


def assert_graph_error(status, body, want_status, code):
    assert status == want_status
    err = body["error"]
    assert err["code"] == code and isinstance(err["message"], str) and err["message"]
    assert set(err["innerError"]) >= {"date", "request-id", "client-request-id"}


# --- Graph: token endpoint ---------------------------------------------------
def test_graph_token_issued(graph):
    status, headers, body = graph_token(graph)
    assert status == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3599 and body["ext_expires_in"] == 3599
    assert body["access_token"].count(".") == 2          # JWT-shaped, opaque to meetd
    assert graph.tokens_issued == 1 and graph.count("token") == 1
    assert "no-store" in headers["Cache-Control"]


def test_graph_wrong_secret_is_invalid_client(graph):
    status, _, body = graph_token(graph, secret="not-it")
    assert status == 401
    assert body["error"] == "invalid_client"
    assert body["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")
    assert body["error_codes"] == [7000215]
    assert {"timestamp", "trace_id", "correlation_id"} <= set(body)
    assert graph.tokens_issued == 0


def test_graph_wrong_tenant_and_scope(graph):
    status, _, body = graph_token(graph, tenant="contoso-other")
    assert status == 400 and body["error"] == "invalid_request" and body["error_codes"] == [90002]
    status, _, body = graph_token(graph, scope="https://graph.microsoft.com/OnlineMeetings.ReadWrite")
    assert status == 400 and body["error"] == "invalid_scope"
    status, _, body = call("POST", f"{graph.url}/{TENANT}/oauth2/v2.0/token",
                           form={"client_id": CLIENT, "client_secret": SECRET,
                                 "scope": GRAPH_SCOPE, "grant_type": "password"})
    assert status == 400 and body["error"] == "unsupported_grant_type"


# --- Graph: onlineMeetings -------------------------------------------------------
def test_graph_create_shape(graph):
    token = bearer(graph)
    req = meeting_body(joinMeetingIdSettings={"isPasscodeRequired": True, "passcode": "mine"},
                       participants={"attendees": [{"upn": "ann@contoso.example",
                                                    "identity": {"user": {"id": OTHER_USER}}}]})
    status, _, m = call("POST", meetings_url(graph), req, token)
    assert status == 201
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", m["id"]) and "-" in m["id"] and "_" in m["id"]
    assert m["startDateTime"] == "2030-07-12T21:30:34.2444910Z"     # normalized to UTC
    assert m["endDateTime"] == "2030-07-12T22:00:34.2464910Z"
    assert m["joinWebUrl"].startswith("https://teams.microsoft.com/l/meetup-join/")
    assert m["subject"] == "Planning" and m["externalId"] is None
    assert m["chatInfo"]["threadId"].startswith("19:meeting_")
    assert m["participants"]["organizer"]["identity"]["user"]["id"] == USER
    assert m["participants"]["attendees"][0]["upn"] == "ann@contoso.example"
    assert set(m["audioConferencing"]) >= {"tollNumber", "tollFreeNumber", "conferenceId", "dialinUrl"}
    jm = m["joinMeetingIdSettings"]
    assert jm["isPasscodeRequired"] is True and re.fullmatch(r"\d{10,}", jm["joinMeetingId"])
    assert jm["passcode"] and jm["passcode"] != "mine"                # generated, not chosen
    assert graph.creates == 1 and graph.meetings[m["id"]] == m


def test_graph_token_must_be_issued_and_alive(graph):
    token = bearer(graph)
    status, headers, body = call("POST", meetings_url(graph), meeting_body(), "forged.token.x")
    assert_graph_error(status, body, 401, "InvalidAuthenticationToken")
    assert headers["WWW-Authenticate"].startswith("Bearer")
    status, _, body = call("POST", meetings_url(graph), meeting_body())
    assert_graph_error(status, body, 401, "InvalidAuthenticationToken")
    graph.expire_tokens()
    status, _, body = call("POST", meetings_url(graph), meeting_body(), token)
    assert_graph_error(status, body, 401, "InvalidAuthenticationToken")
    assert graph.creates == 0
    status, _, _ = call("POST", meetings_url(graph), meeting_body(), bearer(graph))
    assert status == 201


def test_graph_access_policy(graph):
    status, _, body = call("POST", meetings_url(graph, OTHER_USER), meeting_body(), bearer(graph))
    assert_graph_error(status, body, 403, "Forbidden")
    assert graph.creates == 0


def test_graph_create_or_get_is_idempotent(graph):
    token = bearer(graph)
    url = meetings_url(graph) + "/createOrGet"
    status, _, first = call("POST", url, meeting_body(externalId="meetd-01HZX"), token)
    assert status == 201 and first["externalId"] == "meetd-01HZX"
    status, _, again = call("POST", url, meeting_body(externalId="meetd-01HZX", subject="x"), token)
    assert status == 200 and again["id"] == first["id"] and again["subject"] == "Planning"
    assert len(graph.meetings) == 1 and graph.creates == 1
    assert graph.count("create_or_get") == 2
    status, _, body = call("POST", url, meeting_body(), token)
    assert_graph_error(status, body, 400, "BadRequest")               # externalId is required


def test_graph_create_or_get_defaults_times(graph):
    status, _, m = call("POST", meetings_url(graph) + "/createOrGet",
                        {"externalId": "e-2", "subject": "now"}, bearer(graph))
    assert status == 201
    start = dt.datetime.fromisoformat(m["startDateTime"][:26])
    end = dt.datetime.fromisoformat(m["endDateTime"][:26])
    assert end - start == dt.timedelta(hours=1)


def test_graph_get_patch_delete(graph):
    token = bearer(graph)
    _, _, m = call("POST", meetings_url(graph), meeting_body(), token)
    url = f"{meetings_url(graph)}/{m['id']}"
    status, _, got = call("GET", url, token=token)
    assert status == 200 and got == m
    status, _, body = call("PATCH", url, {"startDateTime": "2030-08-01T10:00:00Z"}, token)
    assert_graph_error(status, body, 400, "BadRequest")               # start needs end too
    status, _, upd = call("PATCH", url, {"startDateTime": "2030-08-01T10:00:00Z",
                                         "endDateTime": "2030-08-01T12:00:00+01:00",
                                         "subject": "Moved",
                                         "lobbyBypassSettings": {"scope": "everyone"}}, token)
    assert status == 200
    assert upd["startDateTime"] == "2030-08-01T10:00:00.0000000Z"
    assert upd["endDateTime"] == "2030-08-01T11:00:00.0000000Z" and upd["subject"] == "Moved"
    assert upd["lobbyBypassSettings"] == {"scope": "everyone", "isDialInBypassEnabled": False}
    assert upd["joinMeetingIdSettings"] == m["joinMeetingIdSettings"]
    status, _, body = call("PATCH", url, {"joinMeetingIdSettings": {"isPasscodeRequired": False}},
                           token)
    assert_graph_error(status, body, 400, "BadRequest")               # fixed at creation
    status, _, body = call("DELETE", url, token=token)
    assert status == 204 and body is None
    status, _, body = call("DELETE", url, token=token)
    assert_graph_error(status, body, 404, "NotFound")
    status, _, body = call("GET", url, token=token)
    assert_graph_error(status, body, 404, "NotFound")
    assert graph.meetings == {}


def test_graph_patch_end_before_start_in_new_times(graph):
    token = bearer(graph)
    _, _, m = call("POST", meetings_url(graph), meeting_body(), token)
    status, _, body = call("PATCH", f"{meetings_url(graph)}/{m['id']}",
                           {"startDateTime": "2030-08-01T10:00:00Z",
                            "endDateTime": "2030-08-01T10:00:00+01:00"}, token)
    assert_graph_error(status, body, 400, "BadRequest")


@pytest.mark.parametrize("bad", [
    {"endDateTime": "2030-07-12T13:00:00Z"},                            # before start
    {"endDateTime": "2030-07-12T21:30:34.2444915Z"},                    # equal to start
    {"startDateTime": 1900000000},                                      # not a string
    {"startDateTime": "2030-07-12 14:30"},                              # not ISO-8601
    {"startDateTime": "2030-13-12T14:30:00Z"},                          # no such month
    {"startDateTime": "2030-07-12T14:30:00"},                           # no offset
    {"subject": ["x"]},
    {"allowedPresenters": "anyone"},
    {"isEntryExitAnnounced": "yes"},
    {"notAProperty": 1},
])
def test_graph_bad_bodies(graph, bad):
    status, _, body = call("POST", meetings_url(graph), meeting_body(**bad), bearer(graph))
    assert_graph_error(status, body, 400, "BadRequest")
    assert graph.creates == 0


def test_graph_not_json(graph):
    status, _, body = call("POST", meetings_url(graph), b"{not json", bearer(graph))
    assert_graph_error(status, body, 400, "BadRequest")


def test_graph_drop_after_creates_without_answer(graph):
    token = bearer(graph)
    graph.fault("create", "drop_after")
    with pytest.raises((ConnectionError, http.client.HTTPException, urllib.error.URLError)):
        call("POST", meetings_url(graph), meeting_body(), token)
    assert graph.creates == 1 and len(graph.meetings) == 1


def test_graph_429_with_retry_after(graph):
    token = bearer(graph)
    graph.fault("create", "429", retry_after="2")
    status, headers, body = call("POST", meetings_url(graph), meeting_body(), token)
    assert status == 429 and headers["Retry-After"] == "2"
    assert body["error"]["code"] == "TooManyRequests"
    assert graph.creates == 0
    status, _, _ = call("POST", meetings_url(graph), meeting_body(), token)
    assert status == 201


def test_graph_handler_faults(graph):
    token = bearer(graph)
    graph.fault("get", "expired_token")
    _, _, m = call("POST", meetings_url(graph), meeting_body(), token)
    status, _, body = call("GET", f"{meetings_url(graph)}/{m['id']}", token=token)
    assert_graph_error(status, body, 401, "InvalidAuthenticationToken")
    graph.fault("token", "invalid_client")
    status, _, body = graph_token(graph)
    assert status == 401 and body["error"] == "invalid_client"


# --- Webex -------------------------------------------------------------------
def wx(fake, method, path, body=None, token=WEBEX_TOKEN, **kw):
    return call(method, f"{fake.url}/v1{path}", body, token, **kw)


def webex_body(**over):
    body = {"title": "Weekly sync", "start": utc(60), "end": utc(90), "timezone": "Europe/Paris",
            "agenda": "Notes [meetd:01HZXABC]",
            "invitees": [{"email": "ann@example.com", "displayName": "Ann", "coHost": False}],
            "sendEmail": False}
    body.update(over)
    return body


def assert_webex_error(status, body, want_status):
    assert status == want_status
    assert isinstance(body["message"], str) and body["message"]
    assert body["errors"][0]["description"]
    assert body["trackingId"]


def test_webex_wrong_token(webex):
    status, _, body = wx(webex, "POST", "/meetings", webex_body(), token="nope")
    assert_webex_error(status, body, 401)
    status, _, body = wx(webex, "GET", "/meetings", token=None)
    assert_webex_error(status, body, 401)
    assert webex.creates == 0


def test_webex_create_shape(webex):
    status, _, m = wx(webex, "POST", "/meetings", webex_body())
    assert status == 200
    assert re.fullmatch(r"[0-9a-f]{32}", m["id"])
    assert re.fullmatch(r"\d{9,11}", m["meetingNumber"])
    assert m["title"] == "Weekly sync" and m["agenda"] == "Notes [meetd:01HZXABC]"
    assert 4 <= len(m["password"]) <= 64                          # generated
    assert re.fullmatch(r"\d{8}", m["phoneAndVideoSystemPassword"])
    assert m["meetingType"] == "meetingSeries" and m["state"] == "active"
    assert m["timezone"] == "Europe/Paris"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:00Z", m["start"])  # kept to the minute, UTC
    assert m["webLink"].startswith("https://example.webex.com/example/j.php?MTID=m")
    assert m["sipAddress"] == f"{m['meetingNumber']}@example.webex.com"
    assert m["siteUrl"] == "example.webex.com" and m["hostEmail"]
    assert m["telephony"]["callInNumbers"][0]["tollType"] == "toll"
    assert webex.creates == 1 and webex.meetings[m["id"]] == m
    assert webex.invitees[m["id"]][0]["email"] == "ann@example.com"


def test_webex_chosen_password_and_timezone_header(webex):
    status, _, m = wx(webex, "POST", "/meetings", webex_body(password="Abc123"),
                      headers={"timezone": "Asia/Tokyo"})
    assert status == 200 and m["password"] == "Abc123"
    assert m["start"].endswith("+09:00")


# Times are given as lambdas: parametrize runs at collection, minutes before the test.
@pytest.mark.parametrize("bad", [
    {"title": None}, {"title": ""}, {"title": "t" * 129}, {"agenda": "a" * 1301},
    {"start": "tomorrow"}, lambda: {"start": utc(-120), "end": utc(-60)},
    lambda: {"start": utc(90), "end": utc(60)},                       # end before start
    lambda: {"end": utc(65)},                                         # 5 minutes
    lambda: {"end": utc(60 + 24 * 60)},                               # longer than 23 h 59
    {"timezone": "Mars/Olympus"}, {"password": "abc"}, {"password": "p" * 65},
    {"joinBeforeHostMinutes": 7}, {"enabledJoinBeforeHost": "true"},
    {"invitees": [{"displayName": "no email"}]},
])
def test_webex_create_rejects(webex, bad):
    if callable(bad):
        bad = bad()
    status, _, body = wx(webex, "POST", "/meetings", webex_body(**bad))
    assert_webex_error(status, body, 400)
    assert webex.creates == 0


def test_webex_get_put_patch_delete(webex):
    _, _, m = wx(webex, "POST", "/meetings", webex_body(enabledJoinBeforeHost=True,
                                                        joinBeforeHostMinutes=5))
    path = f"/meetings/{m['id']}"
    status, _, got = wx(webex, "GET", path)
    assert status == 200 and got == m
    status, _, body = wx(webex, "PUT", path, {"title": "Replaced", "start": utc(120),
                                              "end": utc(150)})
    assert_webex_error(status, body, 400)                              # PUT needs the password
    status, _, put = wx(webex, "PUT", path, {"title": "Replaced", "password": "N3wPass",
                                             "start": utc(120), "end": utc(150)})
    assert status == 200 and put["title"] == "Replaced" and put["password"] == "N3wPass"
    assert put["agenda"] == "" and put["enabledJoinBeforeHost"] is False   # full replace
    assert put["phoneAndVideoSystemPassword"] != m["phoneAndVideoSystemPassword"]
    status, _, pat = wx(webex, "PATCH", path, {"agenda": "patched"})
    assert status == 200 and pat["agenda"] == "patched" and pat["title"] == "Replaced"
    assert pat["password"] == "N3wPass" and pat["start"] == put["start"]
    status, _, body = wx(webex, "PATCH", path, {"end": put["start"]})
    assert_webex_error(status, body, 400)
    status, _, body = wx(webex, "DELETE", path)
    assert status == 204 and body is None
    status, _, body = wx(webex, "GET", path)
    assert_webex_error(status, body, 404)
    status, _, body = wx(webex, "DELETE", path)
    assert_webex_error(status, body, 404)
    assert webex.meetings == {}


def test_webex_list_finds_marker_and_pages(webex):
    ids = [wx(webex, "POST", "/meetings", webex_body(agenda=f"[meetd:{i}]", start=utc(60 + i),
                                                     end=utc(120 + i)))[2]["id"]
           for i in range(3)]
    wx(webex, "POST", "/meetings", webex_body(start=utc(60 * 24 * 10), end=utc(60 * 24 * 10 + 30)))
    status, _, body = wx(webex, "GET", "/meetings?meetingType=meetingSeries")
    assert status == 200 and [m["id"] for m in body["items"]] == ids   # default window: 7 days
    assert [m for m in body["items"] if "[meetd:1]" in m["agenda"]][0]["id"] == ids[1]
    status, headers, body = wx(webex, "GET", "/meetings?max=2")
    assert len(body["items"]) == 2 and 'rel="next"' in headers["Link"]
    nxt = re.match(r"<([^>]+)>", headers["Link"]).group(1)
    status, headers, body = call("GET", nxt, token=WEBEX_TOKEN)
    assert [m["id"] for m in body["items"]] == ids[2:] and "Link" not in headers
    frm, to = utc(60 * 24 * 9), utc(60 * 24 * 11)
    status, _, body = wx(webex, "GET", "/meetings?" + urllib.parse.urlencode({"from": frm, "to": to}))
    assert len(body["items"]) == 1
    status, _, body = wx(webex, "GET", "/meetings?meetingType=bogus")
    assert_webex_error(status, body, 400)
    assert webex.count("list") == 5


def test_webex_refresh_token_flow(webex):
    form = {"grant_type": "refresh_token", "client_id": "wx-client",
            "client_secret": "wx-secret", "refresh_token": "wx-refresh"}
    webex.expire_tokens()
    status, _, body = wx(webex, "GET", "/meetings")
    assert_webex_error(status, body, 401)
    status, _, tok = call("POST", f"{webex.url}/v1/access_token", form=form)
    assert status == 200 and tok["refresh_token"] == "wx-refresh"
    assert tok["expires_in"] > 0 and tok["refresh_token_expires_in"] > 0
    status, _, _ = wx(webex, "GET", "/meetings", token=tok["access_token"])
    assert status == 200
    status, _, tok2 = call("POST", f"{webex.url}/v1/access_token", form=form)
    assert tok2["access_token"] != tok["access_token"] and webex.tokens_issued == 2
    status, _, body = call("POST", f"{webex.url}/v1/access_token",
                           form=dict(form, refresh_token="stale"))
    assert_webex_error(status, body, 400)
    status, _, body = call("POST", f"{webex.url}/v1/access_token",
                           form=dict(form, client_secret="wrong"))
    assert_webex_error(status, body, 401)


def test_webex_drop_after_creates_without_answer(webex):
    webex.fault("create", "drop_after")
    with pytest.raises((ConnectionError, http.client.HTTPException, urllib.error.URLError)):
        wx(webex, "POST", "/meetings", webex_body())
    assert webex.creates == 1 and len(webex.meetings) == 1


def test_webex_429_with_retry_after(webex):
    webex.fault("create", "429", retry_after="3")
    status, headers, body = wx(webex, "POST", "/meetings", webex_body())
    assert headers["Retry-After"] == "3"
    assert_webex_error(status, body, 429)
    assert webex.creates == 0
    webex.fault("get", "expired_token")
    status, _, body = wx(webex, "GET", "/meetings/0123456789abcdef0123456789abcdef")
    assert_webex_error(status, body, 401)
