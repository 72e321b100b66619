"""Microsoft Teams (through Microsoft Graph) and Webex: the providers behind
/api/v1/meetings, platforms "teams" and "webex" (issue "Platform proxy",
Teams and Webex part), against GraphFake and WebexFake (tests/fakes/).

Teams: a client-credentials token cached and reused, createOrGet keyed by
meetd's meeting id (a lost answer is simply asked again), update, cancel,
status, an expired token fetched again, the access-policy refusal.
Webex: a static access token, the "meetd:<id>" agenda marker that lets a
create with no clear answer be reconciled instead of repeated blindly.
Both: what the host sees and others do not, rate limits passed through, and
no secret in meetd's log or database.

One meetd + nginx configured for both fakes serves the module; tests that
need other credentials start stacks of their own.
"""
import datetime as dt
import os
import secrets
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from helpers import assert_error, assert_success  # noqa: E402
from meetings_fixtures import (contains_number, dump_database, meeting_body, mpath,  # noqa: E402
                               parse_iso, set_member, user)
import stack as stackmod  # noqa: E402
from conftest import new_root, remove_root  # noqa: E402
from stack import write_secret  # noqa: E402

try:
    from fakes.graph import GraphFake
except ImportError:             # being written by another engineer
    GraphFake = None
try:
    from fakes.webex import WebexFake
except ImportError:
    WebexFake = None

needs_graph = pytest.mark.skipif(GraphFake is None, reason="tests/fakes/graph.py is not there yet")
needs_webex = pytest.mark.skipif(WebexFake is None, reason="tests/fakes/webex.py is not there yet")

CLIENT_ID = "cid-" + secrets.token_hex(6)
CLIENT_SECRET = "tsecret~" + secrets.token_hex(16)
USER_ID = "u-" + secrets.token_hex(6)
WEBEX_TOKEN = "wxtoken_" + secrets.token_hex(24)
LIMITS = {"http__timeout": "3s", "limits__meeting": "100000/1h", "limits__create_per_platform": "100000/1h"}


def own_tenant():
    """Stacks share the database (and its token cache) but not the data key:
    each uses a tenant of its own."""
    return "tenant-" + secrets.token_hex(4)


def secret_file(directory, value):
    path = os.path.join(directory, f"secret-{secrets.token_hex(3)}")
    write_secret(path, value + "\n")
    return path


def teams_settings(directory, fake, tenant, secret=CLIENT_SECRET):
    return {"teams__tenant_id": tenant, "teams__client_id": CLIENT_ID,
            "teams__client_secret_file": secret_file(directory, secret), "teams__user_id": USER_ID,
            "teams__login_url": fake.url, "teams__graph_url": fake.url + "/v1.0"}


def webex_settings(directory, fake, token=WEBEX_TOKEN):
    return {"webex__access_token_file": secret_file(directory, token), "webex__api_url": fake.url + "/v1"}


class Env:
    def __init__(self, stack, graph, webex, tenant):
        self.stack, self.graph, self.webex, self.tenant = stack, graph, webex, tenant


@pytest.fixture(scope="module")
def tw(shared_db):
    """meetd configured for both fakes."""
    if GraphFake is None or WebexFake is None:
        pytest.skip("the Graph or Webex fake is not there yet")
    tenant = own_tenant()
    graph = GraphFake(tenant, CLIENT_ID, CLIENT_SECRET).start()
    webex = None
    root = new_root("tw")
    s = None
    try:
        webex = WebexFake(WEBEX_TOKEN).start()
        settings = dict(LIMITS)
        settings.update(teams_settings(root, graph, tenant))
        settings.update(webex_settings(root, webex))
        s = stackmod.Stack(root, db=shared_db, **settings)
        s.start()
        yield Env(s, graph, webex, tenant)
    finally:
        try:
            if s is not None:
                s.stop()
        finally:
            graph.stop()
            if webex is not None:
                webex.stop()
            remove_root(root)


def create(env, token, platform, status=201, **fields):
    r = env.stack.call("POST", "/api/v1/meetings", meeting_body(platform=platform, **fields),
                       token=token, timeout=30)
    return assert_success(r, status) if status is not None else r


def graph_meeting(env, data):
    return env.graph.meetings.get(data["platform_meeting_id"])


def webex_meeting(env, data):
    return env.webex.meetings.get(data["platform_meeting_id"])


def marked(fake, mid):
    return [m for m in fake.meetings.values() if f"meetd:{mid}" in (m.get("agenda") or "")]


# --- not configured ------------------------------------------------------------

def test_not_configured_is_503(stack):
    _, token = user(stack)
    for platform in ("teams", "webex"):
        r = stack.call("POST", "/api/v1/meetings", meeting_body(platform=platform), token=token)
        assert_error(r, 503, "PLATFORM_NOT_CONFIGURED", platform=platform)


def test_platforms_lists_caps(tw):
    _, token = user(tw.stack)
    r = tw.stack.call("GET", "/api/v1/platforms", token=token)
    if r.status != 200:
        pytest.skip("no platform list on this build")
    found = {p.get("name", p.get("id")): p for p in r.json()["data"]["platforms"]}
    assert found["teams"].get("configured") is True
    assert found["webex"].get("configured") is True


# --- Teams -----------------------------------------------------------------------------

@needs_graph
def test_teams_create(tw):
    me, token = user(tw.stack)
    data = create(tw, token, "teams", title="Design review", waiting_room=True)
    assert data["platform"] == "teams"
    m = graph_meeting(tw, data)
    assert m is not None
    assert m["externalId"] == data["id"]
    assert m["subject"] == "Design review"
    assert data["meeting_url"] == m["joinWebUrl"]
    assert data["passcode"] == m["joinMeetingIdSettings"]["passcode"]
    assert data["dial_in_number"] == m["audioConferencing"]["tollNumber"]
    assert data["dial_in_password"] == m["audioConferencing"]["conferenceId"]
    assert m["lobbyBypassSettings"]["scope"] == "organizer"
    start = dt.datetime.strptime(m["startDateTime"][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc)
    end = dt.datetime.strptime(m["endDateTime"][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc)
    assert start == parse_iso(data["scheduled_for"])
    assert end - start == dt.timedelta(minutes=data["duration"])
    req = [r for r in tw.graph.requests("create_or_get") if r.json().get("externalId") == data["id"]][-1]
    assert req.headers["Authorization"].startswith("Bearer ")
    assert tw.graph.count("create") == 0          # never the plain create: it could duplicate


@needs_graph
def test_teams_lobby_open_without_waiting_room(tw):
    _, token = user(tw.stack)
    data = create(tw, token, "teams", waiting_room=False)
    assert graph_meeting(tw, data)["lobbyBypassSettings"]["scope"] == "everyone"


@needs_graph
def test_teams_secrets_for_the_host_only(tw):
    s = tw.stack
    _, token = user(s)
    other, other_token = user(s)
    data = create(tw, token, "teams")
    set_member(s, token, data["id"], other["id"], "participant")
    seen = assert_success(s.call("GET", mpath(data["id"]), token=other_token))
    for key in ("passcode", "dial_in_password", "host_key", "host_url"):
        assert key not in seen
    host = assert_success(s.call("GET", mpath(data["id"]), token=token))
    assert host["passcode"] == data["passcode"] and host["dial_in_password"] == data["dial_in_password"]


@needs_graph
def test_teams_update(tw):
    s = tw.stack
    _, token = user(s)
    data = create(tw, token, "teams")
    r = s.call("PATCH", mpath(data["id"]), {"title": "Renamed", "duration": 45}, token=token, timeout=30)
    after = assert_success(r)
    m = graph_meeting(tw, data)
    assert m["subject"] == "Renamed"
    start = dt.datetime.strptime(m["startDateTime"][:19], "%Y-%m-%dT%H:%M:%S")
    end = dt.datetime.strptime(m["endDateTime"][:19], "%Y-%m-%dT%H:%M:%S")
    assert end - start == dt.timedelta(minutes=45)
    assert after["meeting_url"] == data["meeting_url"]
    assert len(tw.graph.requests("patch")) >= 1


@needs_graph
def test_teams_cancel_and_already_gone(tw):
    s = tw.stack
    _, token = user(s)
    data = create(tw, token, "teams")
    assert_success(s.call("POST", mpath(data["id"], "/cancel"), token=token, timeout=30))
    assert graph_meeting(tw, data) is None
    gone = create(tw, token, "teams")
    with tw.graph.lock:
        tw.graph.meetings.pop(gone["platform_meeting_id"])
        tw.graph.owners.pop(gone["platform_meeting_id"])
    assert_success(s.call("POST", mpath(gone["id"], "/cancel"), token=token, timeout=30))


@needs_graph
def test_teams_status_and_end(tw):
    s = tw.stack
    _, token = user(s)
    data = create(tw, token, "teams")
    r = s.call("GET", mpath(data["id"], "/status?refresh=true"), token=token, timeout=30)
    assert assert_success(r)["status"] == "scheduled"
    assert tw.graph.count("get") >= 1
    assert assert_success(s.call("GET", mpath(data["id"]), token=token))["platform_status"] == "scheduled"
    assert_success(s.call("POST", mpath(data["id"], "/start"), token=token, timeout=30))
    assert_success(s.call("POST", mpath(data["id"], "/end"), token=token, timeout=30))
    assert graph_meeting(tw, data) is not None     # Graph has no "end": meetd's record only


@needs_graph
def test_teams_create_or_get_repeated_after_lost_answer(tw):
    _, token = user(tw.stack)
    tw.graph.fault("create_or_get", "drop_after")
    data = create(tw, token, "teams")
    reqs = [r for r in tw.graph.requests("create_or_get") if r.json().get("externalId") == data["id"]]
    assert len(reqs) == 2
    assert len([m for m in tw.graph.meetings.values() if m["externalId"] == data["id"]]) == 1
    assert data["platform_meeting_id"] in tw.graph.meetings


@needs_graph
def test_teams_expired_token_is_fetched_again(tw):
    _, token = user(tw.stack)
    create(tw, token, "teams")
    before = tw.graph.count("token")
    tw.graph.fault("create_or_get", "expired_token")
    create(tw, token, "teams")
    assert tw.graph.count("token") == before + 1


@needs_graph
def test_teams_without_access_policy(tw):
    _, token = user(tw.stack)
    tw.graph.fault("create_or_get", "no_policy")
    body = assert_error(create(tw, token, "teams", status=None), 502, "PLATFORM_ERROR")
    assert "application access policy" in body["message"]


@needs_graph
def test_teams_long_429_passes_retry_after(tw):
    _, token = user(tw.stack)
    tw.graph.fault("create_or_get", "429", retry_after="120")
    r = create(tw, token, "teams", status=None)
    assert_error(r, 429, "PLATFORM_RATE_LIMITED")
    assert r.headers.get("Retry-After") == "120"


@needs_graph
def test_teams_persistent_5xx_is_unavailable(tw):
    _, token = user(tw.stack)
    tw.graph.fault("create_or_get", "status", count=3, status=503)
    try:
        assert_error(create(tw, token, "teams", status=None), 502, "PLATFORM_UNAVAILABLE")
    finally:
        tw.graph.clear_faults()


@needs_graph
def test_teams_hang_is_timeout(tw):
    _, token = user(tw.stack)
    n = len(tw.graph.meetings)
    tw.graph.fault("create_or_get", "hang", seconds=4)
    assert_error(create(tw, token, "teams", status=None), 504, "PLATFORM_TIMEOUT")
    assert len(tw.graph.meetings) == n


@needs_graph
def test_teams_token_reused(make_stack, scratch):
    tenant = own_tenant()
    fake = GraphFake(tenant, CLIENT_ID, CLIENT_SECRET).start()
    try:
        s = make_stack(**LIMITS, **teams_settings(scratch, fake, tenant))
        _, token = user(s)
        env = Env(s, fake, None, tenant)
        for _ in range(3):
            create(env, token, "teams")
        assert fake.count("token") == 1
        assert len(fake.meetings) == 3
        form = fake.requests("token")[0].form()
        assert form["grant_type"] == "client_credentials"
        assert form["scope"] == "https://graph.microsoft.com/.default"
    finally:
        fake.stop()


@needs_graph
def test_teams_wrong_secret_is_auth_failed(make_stack, scratch):
    tenant = own_tenant()
    fake = GraphFake(tenant, CLIENT_ID, CLIENT_SECRET).start()
    try:
        s = make_stack(**LIMITS, **teams_settings(scratch, fake, tenant, secret="wrong-" + secrets.token_hex(8)))
        _, token = user(s)
        assert_error(create(Env(s, fake, None, tenant), token, "teams", status=None), 502, "PLATFORM_AUTH_FAILED")
        assert fake.meetings == {}
    finally:
        fake.stop()


# --- Webex -------------------------------------------------------------------------------

@needs_webex
def test_webex_create(tw):
    _, token = user(tw.stack)
    data = create(tw, token, "webex", title="Quarterly sync", description="Numbers", timezone="Europe/Paris")
    assert data["platform"] == "webex"
    m = webex_meeting(tw, data)
    assert m is not None
    assert m["title"] == "Quarterly sync"
    assert m["agenda"].startswith("Numbers") and m["agenda"].endswith("meetd:" + data["id"])
    assert m["timezone"] == "Europe/Paris"
    assert data["meeting_url"] == m["webLink"]
    assert data["passcode"] == m["password"]
    assert data["dial_in_number"] == m["telephony"]["callInNumbers"][0]["callInNumber"]
    assert data["dial_in_password"] == m["phoneAndVideoSystemPassword"]
    assert data["host_key"] == m["hostKey"]
    sent = tw.webex.requests("create")[-1]
    assert "password" not in sent.json()           # Webex generates it
    assert sent.headers["Authorization"] == "Bearer " + WEBEX_TOKEN


@needs_webex
def test_webex_secrets_for_the_host_only(tw):
    s = tw.stack
    _, token = user(s)
    other, other_token = user(s)
    data = create(tw, token, "webex")
    set_member(s, token, data["id"], other["id"], "participant")
    seen = assert_success(s.call("GET", mpath(data["id"]), token=other_token))
    for key in ("passcode", "dial_in_password", "host_key", "host_url"):
        assert key not in seen


@needs_webex
def test_webex_update_keeps_password(tw):
    s = tw.stack
    _, token = user(s)
    data = create(tw, token, "webex")
    before = dict(webex_meeting(tw, data))
    r = s.call("PATCH", mpath(data["id"]), {"title": "Moved", "duration": 60}, token=token, timeout=30)
    after = assert_success(r)
    m = webex_meeting(tw, data)
    assert m["title"] == "Moved"
    assert m["password"] == before["password"]
    assert m["webLink"] == before["webLink"]
    assert after["meeting_url"] == data["meeting_url"]
    start = dt.datetime.strptime(m["start"], "%Y-%m-%dT%H:%M:%SZ")
    end = dt.datetime.strptime(m["end"], "%Y-%m-%dT%H:%M:%SZ")
    assert end - start == dt.timedelta(minutes=60)
    assert "meetd:" + data["id"] in m["agenda"]


@needs_webex
def test_webex_cancel_and_already_gone(tw):
    s = tw.stack
    _, token = user(s)
    data = create(tw, token, "webex")
    assert_success(s.call("POST", mpath(data["id"], "/cancel"), token=token, timeout=30))
    assert webex_meeting(tw, data) is None
    gone = create(tw, token, "webex")
    with tw.webex.lock:
        tw.webex.meetings.pop(gone["platform_meeting_id"])
    assert_success(s.call("POST", mpath(gone["id"], "/cancel"), token=token, timeout=30))


@needs_webex
def test_webex_status(tw):
    s = tw.stack
    _, token = user(s)
    data = create(tw, token, "webex")
    r = s.call("GET", mpath(data["id"], "/status?refresh=true"), token=token, timeout=30)
    assert assert_success(r)["status"] == "scheduled"
    assert assert_success(s.call("GET", mpath(data["id"]), token=token))["platform_status"] == "scheduled"
    with tw.webex.lock:
        webex_meeting(tw, data)["state"] = "inProgress"
    assert_success(s.call("GET", mpath(data["id"], "/status?refresh=true"), token=token, timeout=30))
    assert assert_success(s.call("GET", mpath(data["id"]), token=token))["platform_status"] == "started"


@needs_webex
@pytest.mark.parametrize("fault", ["drop_after", "status"])
def test_webex_unclear_create_is_reconciled(tw, fault):
    _, token = user(tw.stack)
    lists = tw.webex.count("list")
    tw.webex.fault("create", fault)
    data = create(tw, token, "webex")
    assert tw.webex.count("list") == lists + 1
    found = marked(tw.webex, data["id"])
    assert len(found) == 1
    assert found[0]["id"] == data["platform_meeting_id"]
    assert data["meeting_url"] == found[0]["webLink"]
    posts = [r for r in tw.webex.requests("create") if f"meetd:{data['id']}" in r.json().get("agenda", "")]
    # lost answer: adopted, no second POST; a 500 that made nothing: one more POST
    assert len(posts) == (1 if fault == "drop_after" else 2)


@needs_webex
def test_webex_timed_out_create_is_reconciled(tw):
    _, token = user(tw.stack)
    tw.webex.fault("create", "hang", seconds=4)     # never answers, creates nothing
    data = create(tw, token, "webex")
    assert len(marked(tw.webex, data["id"])) == 1


@needs_webex
def test_webex_long_429_passes_retry_after(tw):
    _, token = user(tw.stack)
    tw.webex.fault("create", "429", retry_after="120")
    r = create(tw, token, "webex", status=None)
    assert_error(r, 429, "PLATFORM_RATE_LIMITED")
    assert r.headers.get("Retry-After") == "120"


@needs_webex
def test_webex_refused_token_is_auth_failed(tw):
    _, token = user(tw.stack)
    n = len(tw.webex.meetings)
    tw.webex.fault("create", "expired_token")
    assert_error(create(tw, token, "webex", status=None), 502, "PLATFORM_AUTH_FAILED")
    assert len(tw.webex.meetings) == n


# --- no secret leaks --------------------------------------------------------------------------

@needs_graph
@needs_webex
def test_no_secret_in_log_or_database(tw):
    s = tw.stack
    _, token = user(s)
    teams = create(tw, token, "teams")
    webex = create(tw, token, "webex")
    graph_tokens = {r.headers["Authorization"].split(" ", 1)[1] for r in tw.graph.requests("create_or_get")
                    if r.headers.get("Authorization")}
    assert graph_tokens
    with open(s.meetd.log, encoding="utf-8", errors="replace") as f:
        log = f.read()
    dump = dump_database(s)
    secrets_seen = [CLIENT_SECRET, WEBEX_TOKEN, teams["passcode"], webex["passcode"], *graph_tokens]
    for text in (log, dump):
        for secret in secrets_seen:
            assert secret not in text
        assert not contains_number(text, teams["dial_in_password"])
        assert not contains_number(text, webex["dial_in_password"])
