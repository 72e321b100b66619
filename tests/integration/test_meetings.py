"""Native meetings through the canonical API (issue 3, /tmp/api-spec.md):
creation and every validation rule of 000, reading and listing (filters,
keyset pagination), updates, the state machine of 000 with 001's shapes and
409 codes, join/leave/participants, credentials, members, and the journal
(audit rows and outbox events) written with each change and only with it."""

import datetime
import json
import random
import subprocess
import urllib.parse

import pytest

from helpers import NGINX_RID_RE, ULID_RE, assert_error, assert_success
from meetings_fixtures import (CODE_RE, DROP, HOST_ONLY_KEYS, ISO_Z_RE, MEETING_KEYS, PASSCODE_RE,
                               TOKEN_RE, YEAR, audit_actions, call_from, create, fresh_addr, future, get,
                               iso, join, journal, meeting_body, mpath, outbox_types, parse_iso, q,
                               random_ulid, set_member, sql_rows, sql_value, user, utcnow)


@pytest.fixture
def host(stack):
    """A fresh organizer: (user, token)."""
    return user(stack, "Olga Organizer")


def post_create(stack, token, body, **kw):
    return stack.call("POST", "/api/v1/meetings", body, token=token, **kw)


# =============================================================================
# create
# =============================================================================

def test_create_returns_the_full_meeting_to_its_organizer(stack, host):
    u, token = host
    before = utcnow().replace(microsecond=0)
    body = meeting_body(title="Quarterly planning", description="Q4 2026 planning meeting",
                        scheduled_for=f"{YEAR}-02-15T14:00:00+01:00", duration=60,
                        timezone="Europe/Paris", participant_limit=100, require_password=True,
                        waiting_room=False, event_id="event-42")
    r = post_create(stack, token, body)
    m = assert_success(r, 201)
    assert json.loads(r.body)["message"] == "Meeting created successfully"
    assert set(m) == MEETING_KEYS | HOST_ONLY_KEYS, set(m) ^ (MEETING_KEYS | HOST_ONLY_KEYS)
    assert ULID_RE.match(m["id"])
    assert m["organizer_id"] == u["id"] and m["my_role"] == "organizer"
    assert m["platform"] == "native" and m["event_id"] == "event-42"
    assert CODE_RE.match(m["meeting_code"])
    assert PASSCODE_RE.match(m["passcode"])
    assert TOKEN_RE.match(m["invitation_token"]) and len(m["invitation_token"]) == 43
    assert m["invitation_url"].endswith("/" + m["invitation_token"])
    assert m["title"] == "Quarterly planning" and m["description"] == "Q4 2026 planning meeting"
    assert m["scheduled_for"] == f"{YEAR}-02-15T13:00:00Z"          # offset applied, UTC out
    assert m["duration"] == 60 and m["timezone"] == "Europe/Paris"
    assert m["participant_limit"] == 100
    assert m["require_password"] is True and m["waiting_room"] is False
    assert m["status"] == "scheduled"
    assert m["started_at"] is None and m["ended_at"] is None and m["cancelled_at"] is None
    for k in ("created_at", "updated_at"):
        assert ISO_Z_RE.match(m[k]), m[k]
        assert before - datetime.timedelta(seconds=2) <= parse_iso(m[k]) <= utcnow() + datetime.timedelta(seconds=2)
    # what GET shows is what create answered
    assert get(stack, token, m["id"]) == m


def test_create_defaults(stack, host):
    _, token = host
    m = create(stack, token, title="Defaults", waiting_room=DROP)
    assert m["platform"] == "native" and m["timezone"] == "UTC"
    assert m["require_password"] is True and m["waiting_room"] is True
    assert m["participant_limit"] is None and m["description"] is None and m["event_id"] is None


def test_each_meeting_gets_its_own_credentials(stack, host):
    _, token = host
    ms = [create(stack, token) for _ in range(5)]
    assert len({m["id"] for m in ms}) == 5
    assert len({m["meeting_code"] for m in ms}) == 5
    assert len({m["invitation_token"] for m in ms}) == 5


# --- validation: one rule per case (000 "Validation Rules", api-spec) ---------

def NOW_MINUS(minutes):
    """A time relative to when the test runs (not when it was collected)."""
    return lambda: iso(utcnow() - datetime.timedelta(minutes=minutes))


def resolve(overrides):
    return {k: (v() if callable(v) else v) for k, v in overrides.items()}


def _years_ahead(years, extra_days):
    def value():
        now = utcnow().replace(microsecond=0)
        try:
            t = now.replace(year=now.year + years)
        except ValueError:                      # 29 February
            t = now.replace(year=now.year + years, day=28)
        return iso(t + datetime.timedelta(days=extra_days))
    return value


BAD_FIELDS = [
    # title: required, 1-200 characters, not blank, no control characters
    ("title-missing", {"title": DROP}, "title"),
    ("title-null", {"title": None}, "title"),
    ("title-empty", {"title": ""}, "title"),
    ("title-blank", {"title": "    "}, "title"),
    ("title-blank-tabs", {"title": " \t "}, "title"),
    ("title-201", {"title": "t" * 201}, "title"),
    ("title-201-chars-multibyte", {"title": "é" * 201}, "title"),
    ("title-control", {"title": "bell\x07"}, "title"),
    ("title-newline", {"title": "two\nlines"}, "title"),
    ("title-del", {"title": "del\x7f"}, "title"),
    ("title-number", {"title": 42}, "title"),
    # description: at most 5000 characters
    ("description-5001", {"description": "d" * 5001}, "description"),
    ("description-5001-multibyte", {"description": "ü" * 5001}, "description"),
    ("description-number", {"description": 5}, "description"),
    # duration: required integer, 1-1440 minutes
    ("duration-missing", {"duration": DROP}, "duration"),
    ("duration-0", {"duration": 0}, "duration"),
    ("duration-negative", {"duration": -30}, "duration"),
    ("duration-1441", {"duration": 1441}, "duration"),
    ("duration-fraction", {"duration": 30.5}, "duration"),
    ("duration-string", {"duration": "30"}, "duration"),
    ("duration-bool", {"duration": True}, "duration"),
    ("duration-int64-max", {"duration": 2 ** 63 - 1}, "duration"),
    # scheduled_for: required, ISO-8601 with Z or an offset, not in the past
    # (5 minutes of grace), not more than 10 years ahead
    ("scheduled-missing", {"scheduled_for": DROP}, "scheduled_for"),
    ("scheduled-no-offset", {"scheduled_for": "2030-01-15T10:00:00"}, "scheduled_for"),
    ("scheduled-date-only", {"scheduled_for": "2030-01-15"}, "scheduled_for"),
    ("scheduled-words", {"scheduled_for": "next tuesday"}, "scheduled_for"),
    ("scheduled-month-13", {"scheduled_for": "2030-13-01T10:00:00Z"}, "scheduled_for"),
    ("scheduled-feb-30", {"scheduled_for": "2030-02-30T10:00:00Z"}, "scheduled_for"),
    ("scheduled-hour-25", {"scheduled_for": "2030-01-15T25:00:00Z"}, "scheduled_for"),
    ("scheduled-bad-offset", {"scheduled_for": "2030-01-15T10:00:00+0100"}, "scheduled_for"),
    ("scheduled-epoch-number", {"scheduled_for": 1900000000}, "scheduled_for"),
    ("scheduled-past", {"scheduled_for": "2024-01-15T10:00:00Z"}, "scheduled_for"),
    ("scheduled-6-minutes-ago", {"scheduled_for": NOW_MINUS(6)}, "scheduled_for"),
    ("scheduled-10-years-and-2-days", {"scheduled_for": _years_ahead(10, 2)}, "scheduled_for"),
    # timezone: a real IANA zone
    ("timezone-unknown", {"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ("timezone-traversal", {"timezone": "../../../etc/passwd"}, "timezone"),
    ("timezone-absolute", {"timezone": "/etc/localtime"}, "timezone"),
    ("timezone-directory", {"timezone": "Europe"}, "timezone"),
    ("timezone-not-a-zone-file", {"timezone": "zone.tab"}, "timezone"),
    ("timezone-lowercase", {"timezone": "europe/paris"}, "timezone"),
    ("timezone-empty", {"timezone": ""}, "timezone"),
    ("timezone-number", {"timezone": 1}, "timezone"),
    # the rest of the create body
    ("participant-limit-0", {"participant_limit": 0}, "participant_limit"),
    ("participant-limit-10001", {"participant_limit": 10001}, "participant_limit"),
    ("participant-limit-string", {"participant_limit": "10"}, "participant_limit"),
    ("require-password-string", {"require_password": "yes"}, "require_password"),
    ("require-password-int", {"require_password": 1}, "require_password"),
    ("waiting-room-string", {"waiting_room": "false"}, "waiting_room"),
    ("platform-unknown", {"platform": "skype"}, "platform"),
    ("platform-case", {"platform": "Native"}, "platform"),
    ("event-id-65", {"event_id": "e" * 65}, "event_id"),
    # unknown fields, including fields the server owns (no mass assignment)
    ("unknown-field", {"colour": "blue"}, "colour"),
    ("server-owned-status", {"status": "started"}, "status"),
    ("server-owned-organizer", {"organizer_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "organizer_id"),
    ("server-owned-passcode", {"passcode": "123456"}, "passcode"),
    ("server-owned-code", {"meeting_code": "abc-def-ghi"}, "meeting_code"),
    ("server-owned-id", {"id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "id"),
    ("camel-case-alias", {"scheduledFor": "2030-01-15T10:00:00Z"}, "scheduledFor"),
]


@pytest.mark.parametrize("overrides,field", [c[1:] for c in BAD_FIELDS], ids=[c[0] for c in BAD_FIELDS])
def test_create_rejects(stack, host, overrides, field):
    _, token = host
    r = post_create(stack, token, meeting_body(**resolve(overrides)))
    details = assert_error(r, 400, "VALIDATION_ERROR")["details"]
    assert set(details) == {field}, details
    assert isinstance(details[field], str) and details[field]
    if field not in ("title", "description", "duration", "scheduled_for", "timezone",
                     "participant_limit", "require_password", "waiting_room", "platform", "event_id"):
        assert details[field] == "unknown field"
    # nothing was written
    assert sql_value(stack, f"SELECT COUNT(*) FROM meetings WHERE organizer_id = {q(host[0]['id'])}") == "0"


GOOD_FIELDS = [
    ("title-1", {"title": "a"}, "title", "a"),
    ("title-200", {"title": "t" * 200}, "title", "t" * 200),
    ("title-200-chars-4-bytes-each", {"title": "\U0001F389" * 200}, "title", "\U0001F389" * 200),
    ("title-inner-spaces", {"title": "  padded  "}, "title", "  padded  "),
    ("description-5000", {"description": "d" * 5000}, "description", "d" * 5000),
    ("description-5000-multibyte", {"description": "ü" * 5000}, "description", "ü" * 5000),
    ("description-multiline", {"description": "line 1\nline 2\ttab"}, "description", "line 1\nline 2\ttab"),
    ("duration-1", {"duration": 1}, "duration", 1),
    ("duration-1440", {"duration": 1440}, "duration", 1440),
    ("scheduled-millis", {"scheduled_for": f"{YEAR}-01-15T10:00:00.123Z"}, "scheduled_for", f"{YEAR}-01-15T10:00:00Z"),
    ("scheduled-plus-0530", {"scheduled_for": f"{YEAR}-01-15T10:00:00+05:30"}, "scheduled_for",
     f"{YEAR}-01-15T04:30:00Z"),
    ("scheduled-minus-0800", {"scheduled_for": f"{YEAR}-01-15T20:00:00-08:00"}, "scheduled_for",
     f"{YEAR}-01-16T04:00:00Z"),
    ("scheduled-2-minutes-ago", {"scheduled_for": NOW_MINUS(2)}, "scheduled_for", None),
    ("scheduled-9-years-ahead", {"scheduled_for": _years_ahead(9, 300)}, "scheduled_for", None),
    ("timezone-paris", {"timezone": "Europe/Paris"}, "timezone", "Europe/Paris"),
    ("timezone-three-parts", {"timezone": "America/Argentina/Buenos_Aires"}, "timezone",
     "America/Argentina/Buenos_Aires"),
    ("timezone-etc", {"timezone": "Etc/GMT+5"}, "timezone", "Etc/GMT+5"),
    ("participant-limit-1", {"participant_limit": 1}, "participant_limit", 1),
    ("participant-limit-10000", {"participant_limit": 10000}, "participant_limit", 10000),
    ("event-id-64", {"event_id": "e" * 64}, "event_id", "e" * 64),
]


@pytest.mark.parametrize("overrides,field,want", [c[1:] for c in GOOD_FIELDS], ids=[c[0] for c in GOOD_FIELDS])
def test_create_accepts_edges(stack, host, overrides, field, want):
    _, token = host
    overrides = resolve(overrides)
    m = create(stack, token, **overrides)
    got = get(stack, token, m["id"])[field]
    assert got == m[field]
    assert got == (want if want is not None else iso(parse_iso(m[field])))
    if field == "scheduled_for" and want is None:
        sent = datetime.datetime.fromisoformat(overrides["scheduled_for"].replace("Z", "+00:00"))
        assert parse_iso(got) == sent


def test_every_bad_field_is_listed_at_once(stack, host):
    _, token = host
    body = {"title": "  ", "description": "x" * 5001, "scheduled_for": "2024-01-15T10:00:00",
            "duration": 1441, "timezone": "Mars/Base", "participant_limit": 0,
            "require_password": "yes", "waiting_room": None, "platform": "skype",
            "event_id": "e" * 65, "extra": 1, "another": {"nested": True}}
    details = assert_error(post_create(stack, token, body), 400, "VALIDATION_ERROR")["details"]
    assert set(details) == {"title", "description", "scheduled_for", "duration", "timezone",
                            "participant_limit", "require_password", "platform", "event_id",
                            "extra", "another"}, details
    assert details["extra"] == details["another"] == "unknown field"
    # a body with only the three required fields missing names all three
    details = assert_error(post_create(stack, token, {}), 400, "VALIDATION_ERROR")["details"]
    assert set(details) == {"title", "scheduled_for", "duration"}


def test_create_rejects_nul_in_text(stack, host):
    """A NUL is refused as JSON (Jansson) or as a control character: 400 either way."""
    for field in ("title", "description", "timezone", "event_id"):
        r = post_create(stack, host[1], meeting_body(**{field: "nul\x00byte"}))
        assert r.status == 400 and json.loads(r.body)["code"] in ("INVALID_JSON", "VALIDATION_ERROR"), r.body
    assert sql_value(stack, f"SELECT COUNT(*) FROM meetings WHERE organizer_id = {q(host[0]['id'])}") == "0"


@pytest.mark.parametrize("body", ["[]", '"title"', "42", "null", "true", '[{"title":"x"}]'])
def test_create_body_must_be_an_object(stack, host, body):
    r = stack.call("POST", "/api/v1/meetings", body, token=host[1],
                   headers={"Content-Type": "application/json"})
    assert r.status == 400 and r.json()["code"] in ("INVALID_JSON", "VALIDATION_ERROR"), r.body


def test_create_without_body_or_json(stack, host):
    assert r_status(stack.call("POST", "/api/v1/meetings", token=host[1])) == 400
    r = stack.call("POST", "/api/v1/meetings", "title=x", token=host[1],
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(r, 415, "UNSUPPORTED_MEDIA_TYPE")
    r = stack.call("POST", "/api/v1/meetings", '{"title": "x",', token=host[1],
                   headers={"Content-Type": "application/json"})
    assert_error(r, 400, "INVALID_JSON")


def r_status(r):
    return r.status


@pytest.mark.parametrize("platform", ["zoom", "google_meet", "teams", "webex", "livekit"])
def test_remote_platforms_not_configured(stack, host, platform):
    r = post_create(stack, host[1], meeting_body(platform=platform))
    body = assert_error(r, 503, "PLATFORM_NOT_CONFIGURED", platform=platform)
    assert body["details"] == {} or isinstance(body["details"], dict)
    assert sql_value(stack, f"SELECT COUNT(*) FROM meetings WHERE organizer_id = {q(host[0]['id'])}") == "0"


def test_meeting_routes_need_authentication(stack):
    m_id = random_ulid()
    for method, path in [("POST", "/api/v1/meetings"), ("GET", "/api/v1/meetings"),
                         ("GET", mpath(m_id)), ("POST", mpath(m_id, "/start")),
                         ("POST", "/api/v1/meetings/join"), ("GET", "/api/v1/invitations/abc")]:
        r = stack.call(method, path, {} if method == "POST" else None)
        assert_error(r, 401, "AUTHENTICATION_REQUIRED")
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


# =============================================================================
# get and list
# =============================================================================

def test_get_unknown_and_malformed_ids(stack, host):
    for mid in (random_ulid(), "not-a-ulid", "0" * 26, "01ARZ3NDEKTSV4RRFFQ69G5FA"):
        assert_error(stack.call("GET", mpath(mid), token=host[1]), 404, "MEETING_NOT_FOUND")


def _list(stack, token, **params):
    qs = urllib.parse.urlencode(params)
    return stack.call("GET", "/api/v1/meetings" + (f"?{qs}" if qs else ""), token=token)


def _list_ok(stack, token, **params):
    data = assert_success(_list(stack, token, **params))
    assert set(data) == {"meetings", "next_cursor"}
    return data


def test_keyset_pagination_never_repeats_or_skips(stack, host):
    _, token = host
    base = utcnow().replace(microsecond=0, second=0) + datetime.timedelta(days=60)
    # 45 meetings on 15 distinct times (3 share each time, so ties are broken by
    # id), created in shuffled order so that creation order (and so id order)
    # does not follow scheduled_for
    slots = [i // 3 for i in range(45)]
    random.Random(7).shuffle(slots)
    made = []
    for n, slot in enumerate(slots):
        m = create(stack, token, title=f"page-{n}", scheduled_for=iso(base + datetime.timedelta(hours=slot)))
        made.append(m)
    expected = [m["id"] for m in sorted(made, key=lambda m: (m["scheduled_for"], m["id"]))]

    seen, cursor, pages = [], None, []
    for _ in range(10):
        params = {"limit": 20}
        if cursor:
            params["cursor"] = cursor
        data = _list_ok(stack, token, **params)
        pages.append(len(data["meetings"]))
        seen += [m["id"] for m in data["meetings"]]
        cursor = data["next_cursor"]
        if cursor is None:
            break
        assert isinstance(cursor, str) and cursor
    assert pages == [20, 20, 5], pages
    assert len(seen) == len(set(seen)), "a meeting was listed twice"
    assert seen == expected

    # default limit is 20; limit=100 gives everything on one page
    data = _list_ok(stack, token)
    assert [m["id"] for m in data["meetings"]] == expected[:20] and data["next_cursor"]
    data = _list_ok(stack, token, limit=100)
    assert [m["id"] for m in data["meetings"]] == expected and data["next_cursor"] is None
    # small pages walk the same order
    seen, cursor = [], None
    while True:
        data = _list_ok(stack, token, limit=7, **({"cursor": cursor} if cursor else {}))
        seen += [m["id"] for m in data["meetings"]]
        cursor = data["next_cursor"]
        if not cursor:
            break
    assert seen == expected
    # list items are full meeting objects as the caller sees them
    item = _list_ok(stack, token, limit=1)["meetings"][0]
    assert item == get(stack, token, item["id"])


def test_list_time_window_from_inclusive_to_exclusive(stack, host):
    _, token = host
    base = utcnow().replace(microsecond=0, second=0) + datetime.timedelta(days=90)
    ids = [create(stack, token, scheduled_for=iso(base + datetime.timedelta(hours=h)))["id"] for h in range(6)]
    data = _list_ok(stack, token, **{"from": iso(base + datetime.timedelta(hours=1)),
                                     "to": iso(base + datetime.timedelta(hours=4))})
    assert [m["id"] for m in data["meetings"]] == ids[1:4]
    # offsets in the query are honoured ("+" percent-encoded by urlencode)
    shifted = (base + datetime.timedelta(hours=2)).astimezone(datetime.timezone(datetime.timedelta(hours=2)))
    data = _list_ok(stack, token, **{"from": shifted.isoformat()})
    assert [m["id"] for m in data["meetings"]] == ids[2:]
    data = _list_ok(stack, token, to=iso(base))
    assert data["meetings"] == []


def test_list_filters_status_platform_role(stack):
    a, ta = user(stack, "Alice")
    b, tb = user(stack, "Bob")
    own = create(stack, tb, title="Bob's own")
    as_co = create(stack, ta, title="B co-hosts")
    as_part = create(stack, ta, title="B participates")
    as_guest = create(stack, ta, title="B is a guest")
    set_member(stack, ta, as_co["id"], b["id"], "co_host")
    set_member(stack, ta, as_part["id"], b["id"], "participant")
    join(stack, tb, as_guest["id"], {"passcode": as_guest["passcode"]})
    not_mine = create(stack, ta, title="not Bob's")

    def ids(**params):
        return {m["id"] for m in _list_ok(stack, tb, limit=100, **params)["meetings"]}

    assert ids() == {own["id"], as_co["id"], as_part["id"], as_guest["id"]}
    assert not_mine["id"] not in ids()
    assert ids(role="organizer") == {own["id"]}
    assert ids(role="co_host") == {as_co["id"]}
    assert ids(role="participant") == {as_part["id"]}
    assert ids(role="guest") == {as_guest["id"]}
    roles = {m["id"]: m["my_role"] for m in _list_ok(stack, tb, limit=100)["meetings"]}
    assert roles == {own["id"]: "organizer", as_co["id"]: "co_host", as_part["id"]: "participant",
                     as_guest["id"]: "guest"}

    # status: one meeting of Alice's in each state
    started = create(stack, ta)
    ended = create(stack, ta)
    cancelled = create(stack, ta)
    for mid, verbs in ((started["id"], ["start"]), (ended["id"], ["start", "end"]), (cancelled["id"], ["cancel"])):
        for v in verbs:
            assert_success(stack.call("POST", mpath(mid, f"/{v}"), token=ta))

    def a_ids(**params):
        return {m["id"] for m in _list_ok(stack, ta, limit=100, **params)["meetings"]}
    assert a_ids(status="started") == {started["id"]}
    assert a_ids(status="ended") == {ended["id"]}
    assert a_ids(status="cancelled") == {cancelled["id"]}
    assert started["id"] not in a_ids(status="scheduled") and as_co["id"] in a_ids(status="scheduled")
    assert a_ids(platform="native") == a_ids()
    assert a_ids(platform="zoom") == set()
    assert a_ids(status="started", role="organizer") == {started["id"]}
    assert a_ids(status="started", role="guest") == set()


@pytest.mark.parametrize("param,value", [
    ("status", "running"), ("status", "SCHEDULED"), ("status", ""), ("platform", "skype"),
    ("from", "yesterday"), ("from", "2030-01-15T10:00:00"), ("to", "2030-13-01T00:00:00Z"),
    ("role", "admin"), ("role", "host"), ("limit", "0"), ("limit", "101"), ("limit", "-1"),
    ("limit", "ten"), ("limit", "1.5"), ("limit", ""), ("cursor", "garbage!"),
    ("cursor", "MjAzMC0wMS0wMSAxMDowMDowMC4wMDB8eA"),       # base64url of "2030-01-01 10:00:00.000|x"
])
def test_list_rejects_bad_parameters(stack, host, param, value):
    body = assert_error(_list(stack, host[1], **{param: value}), 400, "VALIDATION_ERROR")
    assert set(body["details"]) == {param}, body["details"]


def test_list_reports_every_bad_parameter(stack, host):
    body = assert_error(_list(stack, host[1], status="x", role="y", limit="0", **{"from": "z"}),
                        400, "VALIDATION_ERROR")
    assert set(body["details"]) == {"status", "role", "limit", "from"}


# =============================================================================
# update
# =============================================================================

def test_update_each_field(stack, host):
    _, token = host
    m = create(stack, token, timezone="UTC")
    changes = [("title", "Renamed"), ("description", "Now with a description"),
               ("scheduled_for", f"{YEAR + 1}-03-01T09:30:00Z"), ("duration", 90),
               ("timezone", "Asia/Tokyo"), ("participant_limit", 12),
               ("require_password", False), ("waiting_room", False)]
    for field, value in changes:
        r = stack.call("PATCH", mpath(m["id"]), {field: value}, token=token)
        data = assert_success(r)
        assert json.loads(r.body)["message"] == "Meeting updated successfully"
        assert data[field] == value, field
        assert set(data) == MEETING_KEYS | HOST_ONLY_KEYS
    final = get(stack, token, m["id"])
    for field, value in changes:
        assert final[field] == value
    # untouched: identity and credentials
    for field in ("id", "meeting_code", "passcode", "invitation_token", "organizer_id", "created_at", "status"):
        assert final[field] == m[field], field
    assert parse_iso(final["updated_at"]) >= parse_iso(m["updated_at"])
    # offsets are converted as on create
    data = assert_success(stack.call("PATCH", mpath(m["id"]), {"scheduled_for": f"{YEAR + 1}-03-01T12:00:00+02:00"},
                                     token=token))
    assert data["scheduled_for"] == f"{YEAR + 1}-03-01T10:00:00Z"
    # several at once
    data = assert_success(stack.call("PATCH", mpath(m["id"]), {"title": "Both", "duration": 15}, token=token))
    assert data["title"] == "Both" and data["duration"] == 15


def test_update_moves_the_meeting_in_lists(stack, host):
    _, token = host
    early = create(stack, token, scheduled_for=future(days=200))
    late = create(stack, token, scheduled_for=future(days=201))
    order = [x["id"] for x in _list_ok(stack, token, limit=100)["meetings"]]
    assert order.index(early["id"]) < order.index(late["id"])
    assert_success(stack.call("PATCH", mpath(early["id"]), {"scheduled_for": future(days=202)}, token=token))
    order = [x["id"] for x in _list_ok(stack, token, limit=100)["meetings"]]
    assert order.index(early["id"]) > order.index(late["id"])
    frm = future(days=201, hours=12)
    assert [x["id"] for x in _list_ok(stack, token, **{"from": frm})["meetings"]] == [early["id"]]


@pytest.mark.parametrize("body,fields", [
    ({"title": ""}, {"title"}),
    ({"title": "t" * 201}, {"title"}),
    ({"title": "   "}, {"title"}),
    ({"description": "d" * 5001}, {"description"}),
    ({"duration": 0}, {"duration"}),
    ({"duration": 1441}, {"duration"}),
    ({"scheduled_for": "2030-01-15T10:00:00"}, {"scheduled_for"}),
    ({"scheduled_for": "2020-01-15T10:00:00Z"}, {"scheduled_for"}),
    ({"timezone": "Nowhere/Land"}, {"timezone"}),
    ({"participant_limit": 0}, {"participant_limit"}),
    ({"waiting_room": "no"}, {"waiting_room"}),
    ({"platform": "zoom"}, {"platform"}),             # fixed at creation
    ({"event_id": "x"}, {"event_id"}),                # fixed at creation
    ({"status": "ended"}, {"status"}),                # only through the state machine
    ({"organizer_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}, {"organizer_id"}),
    ({"passcode": "000000"}, {"passcode"}),
    ({"title": "", "duration": 0, "timezone": "x", "bogus": 1}, {"title", "duration", "timezone", "bogus"}),
])
def test_update_validation(stack, host, body, fields):
    _, token = host
    m = create(stack, token)
    before = journal(stack, m["id"])
    details = assert_error(stack.call("PATCH", mpath(m["id"]), body, token=token), 400, "VALIDATION_ERROR")["details"]
    assert set(details) == fields
    assert get(stack, token, m["id"]) == m
    assert journal(stack, m["id"]) == before


def test_update_needs_a_field(stack, host):
    _, token = host
    m = create(stack, token)
    assert_error(stack.call("PATCH", mpath(m["id"]), {}, token=token), 400, "VALIDATION_ERROR")
    r = stack.call("PATCH", mpath(m["id"]), token=token)
    assert r.status == 400, r.body
    assert get(stack, token, m["id"]) == m


def test_update_while_started_only_non_time_fields(stack, host):
    _, token = host
    m = create(stack, token)
    assert_success(stack.call("POST", mpath(m["id"], "/start"), token=token))
    for field, value in [("title", "Live now"), ("description", "during"), ("participant_limit", 5),
                         ("waiting_room", False), ("require_password", False)]:
        data = assert_success(stack.call("PATCH", mpath(m["id"]), {field: value}, token=token))
        assert data[field] == value and data["status"] == "started"
    for field, value in [("scheduled_for", future(days=3)), ("duration", 45), ("timezone", "Europe/Berlin")]:
        before = journal(stack, m["id"])
        assert_error(stack.call("PATCH", mpath(m["id"]), {field: value}, token=token), 409, "MEETING_ALREADY_ACTIVE")
        assert journal(stack, m["id"]) == before
    # a mix is refused as a whole: the title does not change either
    now = get(stack, token, m["id"])
    assert_error(stack.call("PATCH", mpath(m["id"]), {"title": "Sneaky", "duration": 10}, token=token),
                 409, "MEETING_ALREADY_ACTIVE")
    assert get(stack, token, m["id"]) == now


# =============================================================================
# state machine (000) with 001's shapes
# =============================================================================

def _to_state(stack, token, state):
    m = create(stack, token)
    path = {"scheduled": [], "started": ["start"], "ended": ["start", "end"], "cancelled": ["cancel"]}[state]
    for verb in path:
        assert_success(stack.call("POST", mpath(m["id"], f"/{verb}"), token=token))
    return m


# every (state, action) pair: the outcome the table in api-spec gives
TRANSITIONS = [
    ("scheduled", "start", 200, "started"),
    ("scheduled", "end", "MEETING_NOT_ACTIVE", None),
    ("scheduled", "cancel", 200, "cancelled"),
    ("started", "start", "MEETING_ALREADY_ACTIVE", None),
    ("started", "end", 200, "ended"),
    ("started", "cancel", "MEETING_ALREADY_ACTIVE", None),
    ("ended", "start", "MEETING_ENDED", None),
    ("ended", "end", "MEETING_ENDED", None),
    ("ended", "cancel", "MEETING_ENDED", None),
    ("ended", "update", "MEETING_ENDED", None),
    ("ended", "join", "MEETING_ENDED", None),
    ("ended", "passcode", "MEETING_ENDED", None),
    ("ended", "invitation-token", "MEETING_ENDED", None),
    ("cancelled", "start", "MEETING_CANCELLED", None),
    ("cancelled", "end", "MEETING_CANCELLED", None),
    ("cancelled", "cancel", "MEETING_CANCELLED", None),
    ("cancelled", "update", "MEETING_CANCELLED", None),
    ("cancelled", "join", "MEETING_CANCELLED", None),
    ("cancelled", "passcode", "MEETING_CANCELLED", None),
    ("cancelled", "invitation-token", "MEETING_CANCELLED", None),
]


def _act(stack, token, mid, action):
    if action == "update":
        return stack.call("PATCH", mpath(mid), {"title": "changed"}, token=token)
    return stack.call("POST", mpath(mid, f"/{action}"), {} if action == "join" else None, token=token)


@pytest.mark.parametrize("state,action,outcome,new_state", TRANSITIONS,
                         ids=[f"{s}-{a}" for s, a, _, _ in TRANSITIONS])
def test_state_machine(stack, host, state, action, outcome, new_state):
    _, token = host
    m = _to_state(stack, token, state)
    before_meeting = get(stack, token, m["id"])
    before = journal(stack, m["id"])
    r = _act(stack, token, m["id"], action)
    if outcome == 200:
        assert_success(r)
        after = get(stack, token, m["id"])
        assert after["status"] == new_state
        audit, outbox = journal(stack, m["id"])
        assert audit == before[0] + [f"meeting.{new_state}"]
        assert outbox == before[1] + [f"meeting.{new_state}"]
    else:
        assert_error(r, 409, outcome)
        # a refused move changes nothing and writes no audit row and no event
        assert get(stack, token, m["id"]) == before_meeting
        assert journal(stack, m["id"]) == before


def test_start_shape(stack, host):
    u, token = host
    m = create(stack, token)
    r = stack.call("POST", mpath(m["id"], "/start"), token=token)
    data = assert_success(r)
    assert json.loads(r.body)["message"] == "Meeting started successfully"
    assert set(data) == {"meeting_id", "started_by", "started_at"}
    assert data["meeting_id"] == m["id"] and data["started_by"] == u["id"]
    assert ISO_Z_RE.match(data["started_at"])
    assert abs((parse_iso(data["started_at"]) - utcnow()).total_seconds()) < 5
    now = get(stack, token, m["id"])
    assert now["status"] == "started" and now["started_at"] == data["started_at"]


def test_end_shape_and_it_closes_open_sessions(stack, host):
    u, token = host
    p1, t1 = user(stack, "Pia")
    p2, t2 = user(stack, "Paul")
    m = create(stack, token)
    set_member(stack, token, m["id"], p1["id"], "participant")
    set_member(stack, token, m["id"], p2["id"], "participant")
    assert_success(stack.call("POST", mpath(m["id"], "/start"), token=token))
    for t in (token, t1, t2):
        join(stack, t, m["id"])
    assert len(assert_success(stack.call("GET", mpath(m["id"], "/participants"), token=token))) == 3
    r = stack.call("POST", mpath(m["id"], "/end"), token=token)
    data = assert_success(r)
    assert json.loads(r.body)["message"] == "Meeting ended successfully"
    assert set(data) == {"meeting_id", "ended_by", "ended_at", "duration_minutes"}
    assert data["meeting_id"] == m["id"] and data["ended_by"] == u["id"]
    assert ISO_Z_RE.match(data["ended_at"])
    assert isinstance(data["duration_minutes"], int) and 0 <= data["duration_minutes"] <= 1
    assert get(stack, token, m["id"])["ended_at"] == data["ended_at"]
    # every session is closed
    assert assert_success(stack.call("GET", mpath(m["id"], "/participants"), token=token)) == []
    open_rows = sql_value(stack, f"SELECT COUNT(*) FROM meeting_participants WHERE meeting_id = {q(m['id'])} "
                                 f"AND (active = 1 OR left_at IS NULL)")
    assert open_rows == "0"
    st = assert_success(stack.call("GET", mpath(m["id"], "/status"), token=token))
    assert st["active_participants"] == 0 and st["attendance_count"] == 3
    assert_error(stack.call("POST", mpath(m["id"], "/leave"), token=t1), 404, "PARTICIPANT_NOT_FOUND")


def test_cancel_shape(stack, host):
    _, token = host
    p, tp = user(stack)
    m = create(stack, token)
    set_member(stack, token, m["id"], p["id"], "participant")
    join(stack, tp, m["id"])
    r = stack.call("POST", mpath(m["id"], "/cancel"), token=token)
    data = assert_success(r)
    assert json.loads(r.body)["message"] == "Meeting cancelled successfully"
    assert set(data) == MEETING_KEYS | HOST_ONLY_KEYS
    assert data["status"] == "cancelled" and ISO_Z_RE.match(data["cancelled_at"])
    assert data["started_at"] is None and data["ended_at"] is None
    assert get(stack, token, m["id"]) == data


STATUS_KEYS = {"meeting_id", "status", "is_active", "started_at", "ended_at", "attendance_count",
               "is_recording", "active_participants"}


def test_status_shape_in_every_state(stack, host):
    _, token = host
    p, tp = user(stack)
    m = create(stack, token)
    set_member(stack, token, m["id"], p["id"], "participant")

    def status():
        r = stack.call("GET", mpath(m["id"], "/status"), token=tp)
        data = assert_success(r)
        assert json.loads(r.body)["message"] == "Meeting status retrieved successfully"
        assert set(data) == STATUS_KEYS
        assert data["meeting_id"] == m["id"] and data["is_recording"] is False
        assert isinstance(data["attendance_count"], int) and isinstance(data["active_participants"], int)
        return data

    s = status()
    assert (s["status"], s["is_active"], s["started_at"], s["ended_at"]) == ("scheduled", False, None, None)
    assert (s["attendance_count"], s["active_participants"]) == (0, 0)
    # joining a scheduled meeting is allowed (status scheduled or started)
    join(stack, tp, m["id"])
    assert_success(stack.call("POST", mpath(m["id"], "/start"), token=token))
    s = status()
    assert s["status"] == "in_progress" and s["is_active"] is True
    assert ISO_Z_RE.match(s["started_at"]) and s["ended_at"] is None
    assert (s["attendance_count"], s["active_participants"]) == (1, 1)
    # attendance counts distinct users: leaving and coming back is still one
    assert_success(stack.call("POST", mpath(m["id"], "/leave"), token=tp))
    join(stack, tp, m["id"])
    join(stack, token, m["id"])
    s = status()
    assert (s["attendance_count"], s["active_participants"]) == (2, 2)
    assert_success(stack.call("POST", mpath(m["id"], "/leave"), token=tp))
    assert status()["active_participants"] == 1
    assert_success(stack.call("POST", mpath(m["id"], "/end"), token=token))
    s = status()
    assert s["status"] == "ended" and s["is_active"] is False and ISO_Z_RE.match(s["ended_at"])
    assert (s["attendance_count"], s["active_participants"]) == (2, 0)
    other = create(stack, token)
    assert_success(stack.call("POST", mpath(other["id"], "/cancel"), token=token))
    s = assert_success(stack.call("GET", mpath(other["id"], "/status"), token=token))
    assert s["status"] == "cancelled" and s["is_active"] is False


# =============================================================================
# join, leave, participants (001 shapes)
# =============================================================================

JOIN_KEYS = {"participant_id", "meeting_id", "user_id", "role", "status", "is_muted",
             "is_video_enabled", "joined_at"}
PARTICIPANT_KEYS = {"participant_id", "user_id", "user_name", "role", "status", "is_muted",
                    "is_video_enabled", "is_screen_sharing", "is_hand_raised", "joined_at", "device_type"}


def test_join_shapes_and_roles(stack):
    org, to = user(stack, "Org Anizer")
    co, tc = user(stack, "Co Host")
    pa, tp = user(stack, "Par Ticipant")
    gu, tg = user(stack, "Gu Est")
    m = create(stack, to)
    set_member(stack, to, m["id"], co["id"], "co_host")
    set_member(stack, to, m["id"], pa["id"], "participant")
    joined = {}
    for who, tok, body, role in [
            (org, to, {"connection_id": "conn_1", "device_type": "desktop", "join_muted": True,
                       "join_without_video": False}, "host"),
            (co, tc, {"device_type": "mobile"}, "co_host"),
            (pa, tp, {"device_type": "tablet", "join_without_video": True}, "attendee"),
            (gu, tg, {"device_type": "web", "passcode": m["passcode"]}, "guest")]:
        r = stack.call("POST", mpath(m["id"], "/join"), body, token=tok)
        data = assert_success(r)
        assert json.loads(r.body)["message"] == "Joined meeting successfully"
        assert set(data) == JOIN_KEYS
        assert ULID_RE.match(data["participant_id"])
        assert data["meeting_id"] == m["id"] and data["user_id"] == who["id"]
        assert data["role"] == role and data["status"] == "joined"
        assert data["is_muted"] is bool(body.get("join_muted", False))
        assert data["is_video_enabled"] is (not body.get("join_without_video", False))
        assert ISO_Z_RE.match(data["joined_at"])
        joined[who["id"]] = (data, body, who)
    # the guest became a member
    assert get(stack, tg, m["id"])["my_role"] == "guest"

    # joining again while joined: the same open session
    again = assert_success(stack.call("POST", mpath(m["id"], "/join"), {}, token=tp))
    assert again == joined[pa["id"]][0]
    assert outbox_types(stack, m["id"]).count("participant.joined") == 4

    r = stack.call("GET", mpath(m["id"], "/participants"), token=tg)
    plist = assert_success(r)
    assert json.loads(r.body)["message"] == "Participants retrieved successfully"
    assert isinstance(plist, list) and len(plist) == 4
    for p in plist:
        assert set(p) == PARTICIPANT_KEYS
        data, body, who = joined[p["user_id"]]
        assert p["participant_id"] == data["participant_id"]
        assert p["user_name"] == who["display_name"]
        assert p["role"] == data["role"] and p["status"] == "joined"
        assert p["is_muted"] == data["is_muted"] and p["is_video_enabled"] == data["is_video_enabled"]
        assert p["is_screen_sharing"] is False and p["is_hand_raised"] is False
        assert p["joined_at"] == data["joined_at"]
        assert p["device_type"] == body.get("device_type")

    # leave
    r = stack.call("POST", mpath(m["id"], "/leave"), token=tp)
    data = assert_success(r)
    assert json.loads(r.body)["message"] == "Left meeting successfully"
    assert set(data) == {"meeting_id", "left_at", "duration_minutes"}
    assert data["meeting_id"] == m["id"] and ISO_Z_RE.match(data["left_at"])
    assert isinstance(data["duration_minutes"], int) and data["duration_minutes"] >= 0
    assert_error(stack.call("POST", mpath(m["id"], "/leave"), token=tp), 404, "PARTICIPANT_NOT_FOUND")
    left = {p["user_id"] for p in assert_success(stack.call("GET", mpath(m["id"], "/participants"), token=to))}
    assert pa["id"] not in left and len(left) == 3
    # a new session after leaving
    back = join(stack, tp, m["id"])
    assert back["participant_id"] != joined[pa["id"]][0]["participant_id"]


@pytest.mark.parametrize("body,field", [
    ({"device_type": "toaster"}, "device_type"),
    ({"device_type": 1}, "device_type"),
    ({"connection_id": "c" * 129}, "connection_id"),
    ({"join_muted": "yes"}, "join_muted"),
    ({"join_without_video": 0}, "join_without_video"),
    ({"passcode": 123456}, "passcode"),
    ({"unknown": True}, "unknown"),
])
def test_join_validation(stack, host, body, field):
    _, token = host
    m = create(stack, token)
    details = assert_error(stack.call("POST", mpath(m["id"], "/join"), body, token=token),
                           400, "VALIDATION_ERROR")["details"]
    assert field in details
    assert outbox_types(stack, m["id"]) == ["meeting.created"]


def test_join_without_body_is_a_plain_join(stack, host):
    _, token = host
    m = create(stack, token)
    data = assert_success(stack.call("POST", mpath(m["id"], "/join"), token=token))
    assert data["role"] == "host" and data["is_muted"] is False and data["is_video_enabled"] is True


def test_non_member_join_rules(stack, host):
    _, token = host
    _, stranger = user(stack)
    m = create(stack, token)
    other = create(stack, token)
    src = fresh_addr()
    # no credentials, wrong passcode, wrong token, another meeting's credentials: all the same 404
    for body in ({}, {"passcode": "000000" if m["passcode"] != "000000" else "111111"},
                 {"invitation_token": "A" * 43}, {"invitation_token": other["invitation_token"]},
                 {"passcode": other["passcode"]} if other["passcode"] != m["passcode"] else {}):
        r = call_from(stack, src, "POST", mpath(m["id"], "/join"), body, token=stranger)
        assert_error(r, 404, "MEETING_NOT_FOUND")
        assert_error(stack.call("GET", mpath(m["id"]), token=stranger), 404, "MEETING_NOT_FOUND")
    # the invitation token admits as a guest
    data = assert_success(call_from(stack, src, "POST", mpath(m["id"], "/join"),
                                    {"invitation_token": m["invitation_token"]}, token=stranger))
    assert data["role"] == "guest"
    # require_password false: anyone authenticated who knows the id
    open_m = create(stack, token, require_password=False)
    _, walker = user(stack)
    assert assert_success(stack.call("POST", mpath(open_m["id"], "/join"), {}, token=walker))["role"] == "guest"


def test_participant_limit(stack, host):
    _, token = host
    p, tp = user(stack)
    _, tg = user(stack)
    m = create(stack, token, participant_limit=2)
    set_member(stack, token, m["id"], p["id"], "participant")
    join(stack, token, m["id"])
    join(stack, tp, m["id"])
    src = fresh_addr()
    r = call_from(stack, src, "POST", mpath(m["id"], "/join"), {"passcode": m["passcode"]}, token=tg)
    assert_error(r, 403, "MAX_PARTICIPANTS_REACHED")
    # the refused guest was not made a member on the way
    assert_error(stack.call("GET", mpath(m["id"]), token=tg), 404, "MEETING_NOT_FOUND")
    # the joined may re-join (their open session) while full
    join(stack, tp, m["id"])
    assert_success(stack.call("POST", mpath(m["id"], "/leave"), token=tp))
    assert join(stack, tg, m["id"], {"passcode": m["passcode"]})["role"] == "guest"


def test_join_by_code_and_by_token(stack, host):
    _, token = host
    _, t1 = user(stack)
    _, t2 = user(stack)
    m = create(stack, token)
    r = stack.call("POST", "/api/v1/meetings/join", {"meeting_code": m["meeting_code"], "passcode": m["passcode"],
                                                      "device_type": "phone", "join_muted": True}, token=t1)
    data = assert_success(r)
    assert json.loads(r.body)["message"] == "Joined meeting successfully"
    assert set(data) == JOIN_KEYS and data["meeting_id"] == m["id"] and data["role"] == "guest"
    assert data["is_muted"] is True
    data = assert_success(stack.call("POST", "/api/v1/meetings/join",
                                     {"invitation_token": m["invitation_token"]}, token=t2))
    assert data["meeting_id"] == m["id"] and data["role"] == "guest"
    # neither code+passcode nor a token
    for body in ({}, {"meeting_code": m["meeting_code"]}, {"passcode": m["passcode"]}):
        r = stack.call("POST", "/api/v1/meetings/join", body, token=t2)
        assert r.status == 400, (body, r.status, r.body)


# =============================================================================
# credentials
# =============================================================================

def test_regenerate_passcode(stack, host):
    _, token = host
    _, guest = user(stack)
    co, tco = user(stack)
    m = create(stack, token)
    set_member(stack, token, m["id"], co["id"], "co_host")
    r = stack.call("POST", mpath(m["id"], "/passcode"), token=tco)          # a co-host may
    data = assert_success(r)
    assert set(data) == MEETING_KEYS | HOST_ONLY_KEYS
    assert PASSCODE_RE.match(data["passcode"])
    assert data["invitation_token"] == m["invitation_token"]            # only the passcode changed
    assert data["meeting_code"] == m["meeting_code"]
    old, new = m["passcode"], data["passcode"]
    if new == old:                        # one chance in a million: draw again
        new = assert_success(stack.call("POST", mpath(m["id"], "/passcode"), token=token))["passcode"]
    assert new != old
    assert get(stack, token, m["id"])["passcode"] == new
    src = fresh_addr()
    assert_error(call_from(stack, src, "POST", mpath(m["id"], "/join"), {"passcode": old}, token=guest),
                 404, "MEETING_NOT_FOUND")
    assert_error(call_from(stack, src, "POST", "/api/v1/meetings/join",
                           {"meeting_code": m["meeting_code"], "passcode": old}, token=guest),
                 403, "INVALID_MEETING_CREDENTIALS")
    assert call_from(stack, src, "POST", "/meetings/join", {"meeting_id": m["meeting_code"], "password": old},
                     token=guest).status == 403
    assert assert_success(call_from(stack, src, "POST", mpath(m["id"], "/join"), {"passcode": new},
                                    token=guest))["role"] == "guest"
    assert audit_actions(stack, m["id"]).count("meeting.passcode_regenerated") >= 1


def test_regenerate_invitation_token(stack, host):
    _, token = host
    _, guest = user(stack)
    m = create(stack, token)
    old = m["invitation_token"]
    assert assert_success(stack.call("GET", f"/api/v1/invitations/{old}", token=guest))["meeting_id"] == m["id"]
    data = assert_success(stack.call("POST", mpath(m["id"], "/invitation-token"), token=token))
    new = data["invitation_token"]
    assert TOKEN_RE.match(new) and new != old
    assert data["invitation_url"].endswith("/" + new)
    assert data["passcode"] == m["passcode"]
    assert_error(stack.call("GET", f"/api/v1/invitations/{old}", token=guest), 404, "INVITATION_NOT_FOUND")
    assert stack.call("GET", f"/meetings/invitation/{old}", token=guest).status == 404
    src = fresh_addr()
    assert_error(call_from(stack, src, "POST", mpath(m["id"], "/join"), {"invitation_token": old}, token=guest),
                 404, "MEETING_NOT_FOUND")
    assert_error(call_from(stack, src, "POST", "/api/v1/meetings/join", {"invitation_token": old}, token=guest),
                 403, "INVALID_MEETING_CREDENTIALS")
    inv = assert_success(stack.call("GET", f"/api/v1/invitations/{new}", token=guest))
    assert inv["meeting_id"] == m["id"] and inv["passcode"] == m["passcode"]
    assert join(stack, guest, m["id"], {"invitation_token": new})["role"] == "guest"
    assert "meeting.invitation_regenerated" in audit_actions(stack, m["id"])


def test_invitation_lookup_shape(stack, host):
    u, token = host
    _, other = user(stack)
    m = create(stack, token, title="Invite me", duration=45, timezone="Europe/Paris")
    r = stack.call("GET", f"/api/v1/invitations/{m['invitation_token']}", token=other)
    inv = assert_success(r)
    assert set(inv) == {"meeting_id", "meeting_code", "title", "passcode", "host_id", "host_name",
                        "scheduled_for", "duration", "timezone", "status", "created_at"}
    assert inv == {"meeting_id": m["id"], "meeting_code": m["meeting_code"], "title": "Invite me",
                   "passcode": m["passcode"], "host_id": u["id"], "host_name": u["display_name"],
                   "scheduled_for": m["scheduled_for"], "duration": 45, "timezone": "Europe/Paris",
                   "status": "scheduled", "created_at": m["created_at"]}
    # looking at an invitation does not make one a member
    assert_error(stack.call("GET", mpath(m["id"]), token=other), 404, "MEETING_NOT_FOUND")
    for bad in ("A" * 43, "short", "x" * 300):
        assert_error(stack.call("GET", f"/api/v1/invitations/{bad}", token=other), 404, "INVITATION_NOT_FOUND")


# =============================================================================
# members
# =============================================================================

def test_members_roles_and_rights(stack, host):
    org, token = host
    co, tco = user(stack, "Cora")
    pa, tpa = user(stack, "Pat")
    m = create(stack, token)
    r = stack.call("PUT", mpath(m["id"], f"/members/{co['id']}"), {"role": "co_host"}, token=token)
    assert assert_success(r) == {"meeting_id": m["id"], "user_id": co["id"], "role": "co_host"}
    set_member(stack, token, m["id"], pa["id"], "participant")

    # the co-host sees the secrets, may update, start, end
    seen = get(stack, tco, m["id"])
    assert seen["my_role"] == "co_host" and seen["passcode"] == m["passcode"]
    upd = assert_success(stack.call("PATCH", mpath(m["id"]), {"title": "by co-host"}, token=tco))
    assert upd["title"] == "by co-host"
    # the participant sees no secrets and may do none of that
    seen = get(stack, tpa, m["id"])
    assert seen["my_role"] == "participant" and not HOST_ONLY_KEYS & set(seen)
    for method, suffix, body in [("PATCH", "", {"title": "x"}), ("POST", "/start", None), ("POST", "/end", None),
                                 ("POST", "/cancel", None), ("POST", "/passcode", None),
                                 ("POST", "/invitation-token", None),
                                 ("PUT", f"/members/{pa['id']}", {"role": "co_host"}),
                                 ("DELETE", f"/members/{co['id']}", None), ("GET", "/audit", None)]:
        before = journal(stack, m["id"])
        assert_error(stack.call(method, mpath(m["id"], suffix), body, token=tpa), 403, "INSUFFICIENT_PERMISSION")
        assert journal(stack, m["id"]) == before
    # but reads and joins
    for suffix in ("/status", "/participants"):
        assert_success(stack.call("GET", mpath(m["id"], suffix), token=tpa))
    # members and the audit log are the organizer's alone
    for method, suffix, body in [("PUT", f"/members/{pa['id']}", {"role": "co_host"}),
                                 ("DELETE", f"/members/{pa['id']}", None), ("GET", "/audit", None)]:
        assert_error(stack.call(method, mpath(m["id"], suffix), body, token=tco), 403, "INSUFFICIENT_PERMISSION")
    # the co-host starts and ends it
    assert assert_success(stack.call("POST", mpath(m["id"], "/start"), token=tco))["started_by"] == co["id"]
    assert assert_success(stack.call("POST", mpath(m["id"], "/end"), token=tco))["ended_by"] == co["id"]
    # a co-host may cancel another meeting
    m2 = create(stack, token)
    set_member(stack, token, m2["id"], co["id"], "co_host")
    assert assert_success(stack.call("POST", mpath(m2["id"], "/cancel"), token=tco))["status"] == "cancelled"


def test_member_demotion_and_removal(stack, host):
    _, token = host
    co, tco = user(stack)
    m = create(stack, token)
    set_member(stack, token, m["id"], co["id"], "co_host")
    assert "passcode" in get(stack, tco, m["id"])
    set_member(stack, token, m["id"], co["id"], "guest")
    seen = get(stack, tco, m["id"])
    assert seen["my_role"] == "guest" and not HOST_ONLY_KEYS & set(seen)
    assert_error(stack.call("POST", mpath(m["id"], "/start"), token=tco), 403, "INSUFFICIENT_PERMISSION")
    r = stack.call("DELETE", mpath(m["id"], f"/members/{co['id']}"), token=token)
    assert assert_success(r) == {"meeting_id": m["id"], "user_id": co["id"], "role": None}
    assert_error(stack.call("GET", mpath(m["id"]), token=tco), 404, "MEETING_NOT_FOUND")
    assert m["id"] not in {x["id"] for x in _list_ok(stack, tco, limit=100)["meetings"]}
    # removing again: not a member
    assert stack.call("DELETE", mpath(m["id"], f"/members/{co['id']}"), token=token).status == 404
    assert audit_actions(stack, m["id"]).count("member.removed") == 1


def test_member_input(stack, host):
    org, token = host
    other, _ = user(stack)
    m = create(stack, token)
    for body in ({"role": "organizer"}, {"role": "admin"}, {"role": ""}, {"role": 1}, {}, {"role": "guest", "x": 1}):
        r = stack.call("PUT", mpath(m["id"], f"/members/{other['id']}"), body, token=token)
        assert_error(r, 400, "VALIDATION_ERROR")
    assert_error(stack.call("PUT", mpath(m["id"], f"/members/{random_ulid()}"), {"role": "guest"}, token=token),
                 404, "USER_NOT_FOUND")
    # the organizer's own role cannot be changed
    r = stack.call("PUT", mpath(m["id"], f"/members/{org['id']}"), {"role": "guest"}, token=token)
    assert 400 <= r.status < 500
    assert get(stack, token, m["id"])["my_role"] == "organizer"
    assert audit_actions(stack, m["id"]) == ["meeting.created"]


# =============================================================================
# journal: audit rows and outbox events
# =============================================================================

def test_audit_entries(stack, host):
    org, token = host
    co, tco = user(stack)
    p, tp = user(stack)
    m = create(stack, token)
    src_org, src_co = fresh_addr(), fresh_addr()
    steps = [  # (token, source, method, suffix, body, action, actor)
        (token, src_org, "PATCH", "", {"title": "Audited"}, "meeting.updated", org),
        (token, src_org, "PUT", f"/members/{co['id']}", {"role": "co_host"}, "member.set", org),
        (token, src_org, "PUT", f"/members/{p['id']}", {"role": "participant"}, "member.set", org),
        (tco, src_co, "POST", "/passcode", None, "meeting.passcode_regenerated", co),
        (tco, src_co, "POST", "/invitation-token", None, "meeting.invitation_regenerated", co),
        (tco, src_co, "POST", "/start", None, "meeting.started", co),
        (tp, src_co, "POST", "/join", {}, "participant.joined", p),
        (tp, src_co, "POST", "/leave", None, "participant.left", p),
        (token, src_org, "DELETE", f"/members/{p['id']}", None, "member.removed", org),
        (token, src_org, "POST", "/end", None, "meeting.ended", org),
    ]
    sent = []
    for i, (tok, src, method, suffix, body, action, actor) in enumerate(steps):
        rid = f"it-audit-{i}-{random.randrange(10**9)}"
        r = call_from(stack, src, method, mpath(m["id"], suffix), body, token=tok,
                      headers={"X-Request-Id": rid, "X-Forwarded-For": "203.0.113.9"})
        assert r.status == 200, (action, r.status, r.body)
        assert r.headers["X-Request-Id"] == rid
        sent.append((action, actor["id"], rid, src))
    # a request id meetd does not accept is replaced, and the audit row has the replacement
    r = call_from(stack, src_org, "PATCH", mpath(m["id"]), {"title": "x"}, token=token,
                  headers={"X-Request-Id": "bad id with spaces"})
    assert r.status == 409
    entries = assert_success(stack.call("GET", mpath(m["id"], "/audit?limit=100"), token=token))
    assert set(entries) == {"entries", "next_cursor"} and entries["next_cursor"] is None
    entries = entries["entries"]
    assert [e["action"] for e in entries] == [a for a, *_ in reversed(sent)] + ["meeting.created"]
    ids = [e["id"] for e in entries]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    for e, (action, actor, rid, src) in zip(entries, reversed(sent)):
        assert set(e) == {"id", "action", "actor_id", "client_addr", "request_id", "details", "created_at"}
        assert (e["action"], e["actor_id"], e["request_id"], e["client_addr"]) == (action, actor, rid, src)
        assert ISO_Z_RE.match(e["created_at"])
        assert e["details"] is None or isinstance(e["details"], dict)
        assert m["passcode"] not in json.dumps(e["details"])
    created = entries[-1]
    assert created["actor_id"] == org["id"] and created["client_addr"] == "127.0.0.1"
    assert NGINX_RID_RE.match(created["request_id"])
    # pagination: newest first, in pages
    page1 = assert_success(stack.call("GET", mpath(m["id"], "/audit?limit=4"), token=token))
    assert [e["id"] for e in page1["entries"]] == ids[:4] and page1["next_cursor"] is not None
    page2 = assert_success(stack.call("GET", mpath(m["id"], f"/audit?limit=4&cursor={page1['next_cursor']}"),
                                      token=token))
    assert [e["id"] for e in page2["entries"]] == ids[4:8]


def test_audit_request_id_of_a_generated_id(stack, host):
    _, token = host
    m = create(stack, token)
    r = stack.call("PATCH", mpath(m["id"]), {"title": "x"}, token=token, headers={"X-Request-Id": "bad id!"})
    assert r.status == 200 and NGINX_RID_RE.match(r.headers["X-Request-Id"])
    e = assert_success(stack.call("GET", mpath(m["id"], "/audit"), token=token))["entries"][0]
    assert e["action"] == "meeting.updated" and e["request_id"] == r.headers["X-Request-Id"]


def test_outbox_one_event_per_change(stack, host):
    _, token = host
    p, tp = user(stack)
    m = create(stack, token)
    expect = ["meeting.created"]
    assert outbox_types(stack, m["id"]) == expect

    def step(tok, method, suffix, body, event):
        r = stack.call(method, mpath(m["id"], suffix), body, token=tok)
        assert r.status == 200, r.body
        if event:
            expect.append(event)
        assert outbox_types(stack, m["id"]) == expect, (suffix, event)

    step(token, "PATCH", "", {"description": "d"}, "meeting.updated")
    step(token, "PUT", f"/members/{p['id']}", {"role": "participant"}, None)
    step(token, "POST", "/start", None, "meeting.started")
    step(tp, "POST", "/join", {}, "participant.joined")
    step(tp, "POST", "/join", {}, None)                   # already in: no change, no event
    step(tp, "POST", "/leave", None, "participant.left")
    step(token, "GET", "", None, None)
    step(token, "GET", "/status", None, None)
    step(token, "POST", "/end", None, "meeting.ended")
    rows = sql_rows(stack, f"SELECT id, type, payload, delivered_at FROM outbox_events "
                           f"WHERE meeting_id = {q(m['id'])} ORDER BY seq")
    assert len({r[0] for r in rows}) == len(rows)
    for event_id, kind, payload, delivered in rows:
        assert ULID_RE.match(event_id)
        assert isinstance(json.loads(payload), dict), payload
        assert m["passcode"] not in payload and m["invitation_token"] not in payload
    other = create(stack, token)
    assert_success(stack.call("POST", mpath(other["id"], "/cancel"), token=token))
    assert outbox_types(stack, other["id"]) == ["meeting.created", "meeting.cancelled"]


def test_refused_requests_write_nothing(stack, host):
    _, token = host
    p, tp = user(stack)
    _, stranger = user(stack)
    m = create(stack, token)
    set_member(stack, token, m["id"], p["id"], "participant")
    before = journal(stack, m["id"])
    before_meeting = get(stack, token, m["id"])
    attempts = [
        (token, "PATCH", "", {"duration": 0}),                      # 400
        (token, "POST", "/end", None),                              # 409
        (tp, "POST", "/start", None),                               # 403
        (tp, "PATCH", "", {"title": "no"}),                         # 403
        (stranger, "POST", "/cancel", None),                        # 404
        (stranger, "PATCH", "", {"title": "no"}),                   # 404
        (tp, "POST", "/leave", None),                               # 404 PARTICIPANT_NOT_FOUND
        (token, "PUT", f"/members/{random_ulid()}", {"role": "guest"}),  # 404 USER_NOT_FOUND
    ]
    for tok, method, suffix, body in attempts:
        r = stack.call(method, mpath(m["id"], suffix), body, token=tok)
        assert 400 <= r.status < 500, (suffix, r.status)
        assert journal(stack, m["id"]) == before, (method, suffix)
    assert get(stack, token, m["id"]) == before_meeting


@pytest.fixture
def fail_inserts_into(stack):
    """Makes the database refuse inserts into one journal table for one meeting
    (a trigger), so a test can see whether the whole change is rolled back."""
    made = []

    def make(table, meeting_id):
        name = f"it_fail_{table}_{len(made)}"
        ddl = (f"DELIMITER //\nCREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW BEGIN "
               f"IF NEW.meeting_id = {q(meeting_id)} THEN "
               f"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected by the test'; END IF; END//\n")
        subprocess.run(["mariadb", "--no-defaults", f"--socket={stack.db.socket}", "-uroot", "meetd"],
                       input=ddl, text=True, check=True, capture_output=True)
        made.append(name)
        return name

    yield make
    for name in made:
        stack.db.sql(f"DROP TRIGGER IF EXISTS {name}", database="meetd", check=False)


@pytest.mark.parametrize("table", ["outbox_events", "audit_log"])
def test_change_and_journal_are_one_transaction(stack, host, fail_inserts_into, table):
    """When the event (or the audit row) cannot be written, the change it
    describes is not made either, and nothing half-done remains."""
    _, token = host
    m = create(stack, token)
    before = journal(stack, m["id"])
    fail_inserts_into(table, m["id"])
    changes = [("POST", "/start", None), ("PATCH", "", {"title": "lost"}), ("POST", "/cancel", None)]
    if table == "audit_log":        # credentials changes are audited but send no event
        changes.append(("POST", "/passcode", None))
    for method, suffix, body in changes:
        r = stack.call(method, mpath(m["id"], suffix), body, token=token)
        assert r.status >= 500, (suffix, r.status, r.body)
        assert get(stack, token, m["id"]) == m, suffix
        assert journal(stack, m["id"]) == before, suffix
