"""Helpers for the meetings tests (issue 3): meetings made through the API,
calls from chosen loopback source addresses, and reads of the journal
tables straight from the database.

Wrong passcodes are counted per client address (REMOTE_ADDR). Every test
that guesses sends its guesses from a loopback address of its own
(127.x.y.z, all of which reach nginx on 127.0.0.1), so the shared stack's
counter for 127.0.0.1 is never spent and tests stay independent.
"""

import datetime
import http.client
import itertools
import json
import random
import re
import secrets
import subprocess
import threading

from helpers import assert_success, register
from stack import Response

ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_RE = re.compile(r"^[a-z]{3}-[a-z]{3}-[a-z]{3}$")
PASSCODE_RE = re.compile(r"^\d{6}$")
# 128 bits or more of base64url without padding: at least 22 characters
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{22,}$")
ISO_Z_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

MEETING_KEYS = {"id", "event_id", "organizer_id", "platform", "meeting_code", "meeting_url",
                "platform_meeting_id", "title", "description", "scheduled_for", "duration",
                "timezone", "participant_limit", "require_password", "waiting_room", "status",
                "started_at", "ended_at", "cancelled_at", "created_at", "updated_at", "my_role",
                "dial_in_number", "platform_status", "recording_url"}
HOST_ONLY_KEYS = {"passcode", "invitation_token", "invitation_url", "host_key", "dial_in_password", "host_url"}
SECRET_KEYS = {"passcode", "invitation_token", "invitation_url", "host_key", "dial_in_password", "host_url"}


# --- time --------------------------------------------------------------------

def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def iso(dt):
    """ISO-8601 UTC with Z, seconds precision (meetd's output format)."""
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def future(days=30, hours=0, minutes=0, seconds=0):
    """A whole-second time in the future, as meetd prints it."""
    t = utcnow().replace(microsecond=0) + datetime.timedelta(days=days, hours=hours,
                                                             minutes=minutes, seconds=seconds)
    return iso(t)


# a year safely inside the allowed window (not past, under 10 years ahead)
YEAR = datetime.datetime.now(datetime.timezone.utc).year + 3


def parse_iso(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


# --- ids ---------------------------------------------------------------------

def random_ulid():
    """A syntactically valid ULID that names nothing."""
    return "0" + "".join(secrets.choice(ULID_ALPHABET) for _ in range(25))


# --- meetings ----------------------------------------------------------------

def meeting_body(**fields):
    # no waiting room unless a test asks for one (the API's default is on:
    # then people who are not members wait for a host, test_controls.py)
    body = {"title": "Planning", "scheduled_for": future(), "duration": 30, "waiting_room": False}
    body.update(fields)
    return {k: v for k, v in body.items() if v is not _DROP}


class _Drop:
    def __repr__(self):
        return "DROP"


_DROP = _Drop()
DROP = _DROP          # meeting_body(title=DROP) leaves the field out


def create(stack, token, **fields):
    """Creates a meeting; returns its data (as the organizer sees it)."""
    r = stack.call("POST", "/api/v1/meetings", meeting_body(**fields), token=token)
    return assert_success(r, 201)


def user(stack, name="Test User"):
    """A fresh account: (user dict, token)."""
    return register(stack, display_name=name)


def mpath(mid, suffix=""):
    return f"/api/v1/meetings/{mid}{suffix}"


def get(stack, token, mid):
    return assert_success(stack.call("GET", mpath(mid), token=token))


def set_member(stack, host_token, mid, user_id, role):
    r = stack.call("PUT", mpath(mid, f"/members/{user_id}"), {"role": role}, token=host_token)
    return assert_success(r)


def join(stack, token, mid, body=None, expect=200):
    r = stack.call("POST", mpath(mid, "/join"), body if body is not None else {}, token=token)
    return assert_success(r, expect)


# --- source addresses --------------------------------------------------------

_addr_lock = threading.Lock()
_addr_iter = itertools.count(random.randrange(1 << 16, 1 << 23))


def fresh_addr():
    """A loopback address (127.x.y.z, never in 127.0.0.0/24) no other test uses."""
    with _addr_lock:
        while True:
            n = next(_addr_iter) % (1 << 24)
            a, b, c = n >> 16 & 255, n >> 8 & 255, n & 255
            if c not in (0, 255) and (a, b) != (0, 0):
                return f"127.{a}.{b}.{c}"


def call_from(stack, src, method, path, body=None, token=None, headers=None, timeout=10):
    """stack.call(), but the TCP connection comes from loopback address `src`."""
    hdrs = dict(headers or {})
    data = None
    if token:
        hdrs["Authorization"] = f"Bearer {token}"
    if body is not None:
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        else:
            data = body.encode() if isinstance(body, str) else body
    conn = http.client.HTTPConnection("127.0.0.1", stack.nginx.port, timeout=timeout,
                                      source_address=(src, 0))
    try:
        conn.request(method, path, body=data, headers=hdrs)
        r = conn.getresponse()
        return Response(r.status, r.headers, r.read())
    finally:
        conn.close()


# --- database ----------------------------------------------------------------

_SAFE_RE = re.compile(r"^[0-9A-Za-z_.:-]*$")


def q(value):
    """Quotes a value for the SQL below; only ids and simple words are accepted."""
    assert _SAFE_RE.match(value), value
    return f"'{value}'"


def sql_rows(stack, statement):
    """Rows of a SELECT on database meetd, each a list of column strings."""
    out = stack.db.sql(statement, database="meetd").stdout
    return [line.split("\t") for line in out.splitlines() if line != ""]


def sql_value(stack, statement):
    rows = sql_rows(stack, statement)
    assert len(rows) == 1 and len(rows[0]) == 1, rows
    return rows[0][0]


def outbox_types(stack, mid):
    return [r[0] for r in sql_rows(stack, f"SELECT type FROM outbox_events WHERE meeting_id = {q(mid)} "
                                          f"ORDER BY seq")]


def audit_actions(stack, mid):
    """Actions of the meeting's audit rows, oldest first."""
    return [r[0] for r in sql_rows(stack, f"SELECT action FROM audit_log WHERE meeting_id = {q(mid)} "
                                          f"ORDER BY id")]


def journal(stack, mid):
    """(audit actions, outbox types) of a meeting: what a refused request must not change."""
    return audit_actions(stack, mid), outbox_types(stack, mid)


def dump_database(stack, name="meetd"):
    """The whole database as mariadb-dump prints it (binary columns raw), as text."""
    out = subprocess.run(["mariadb-dump", "--no-defaults", f"--socket={stack.db.socket}", "-uroot",
                          "--skip-extended-insert", "--skip-comments", name],
                         capture_output=True, check=True, timeout=60).stdout
    return out.decode("utf-8", errors="replace")


def contains_number(text, digits):
    """`digits` appears in text with no digit right before or after it."""
    return re.search(rf"(?<![0-9]){re.escape(digits)}(?![0-9])", text) is not None


def error_shape(resp):
    """What must be identical between two answers that must not be told apart."""
    body = json.loads(resp.body)
    body.pop("timestamp", None)
    return resp.status, body


# --- private stacks shared by the tests of one module --------------------------

def module_stack(**settings):
    """A module-scoped fixture: meetd + nginx of their own (on the shared
    MariaDB) with these config overrides, e.g.
        passcode_stack = module_stack(limits__passcode_window="2s")
    Tests that share it must not share meetings, users or source addresses."""
    import pytest
    import stack as stackmod
    from conftest import new_root, remove_root

    @pytest.fixture(scope="module")
    def fixture(shared_db):
        root = new_root("mod")
        s = stackmod.Stack(root, db=shared_db, **settings)
        try:
            s.start()
            yield s
        finally:
            try:
                s.stop()
            finally:
                remove_root(root)
    return fixture


def responder_crashes(stack):
    from helpers import metrics
    return metrics(stack).get("meetd_responder_crashes_total")


def wait_logged(stack, request_id, timeout=3.0):
    """Waits until meetd's log has a line of this request (the access line is
    written after the answer is sent)."""
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(line.get("request_id") == request_id for line in stack.meetd.log_lines()):
            return True
        time.sleep(0.02)
    return False
