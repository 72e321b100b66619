"""The identity model: a user is meetd's own ULID, and a token's subject is
mapped to it by (issuer, subject) on first use.

Every test here uses tokens of subjects meetd has never seen, on every route
that writes: before this model, such a token got /me but a 500 (foreign key)
on the first write.
"""

import concurrent.futures
import re
import secrets
import time

import pytest

from helpers import assert_error, assert_success, make_jwt, register
from meetings_fixtures import meeting_body, mpath, q, sql_rows, sql_value

ULID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


def new_subject(tag="idp"):
    return f"{tag}:{secrets.token_hex(8)}"


def token_for(stack, sub=None, **extra):
    """A token meetd signed for a subject it has never seen (unless `sub` is given)."""
    now = int(time.time())
    claims = {"sub": sub or new_subject(), "iat": now, "exp": now + 600, **extra}
    return make_jwt(stack.meetd.jwt_key, claims)


def me(stack, token):
    return assert_success(stack.call("GET", "/api/v1/me", token=token))


def users_of_subject(stack, sub):
    return sql_rows(stack, f"SELECT user_id FROM user_identities WHERE issuer = 'meetd' AND subject = {q(sub)}")


def test_first_use_makes_one_user_with_profile_claims(stack):
    sub = new_subject()
    tok = token_for(stack, sub, name="Ada Lovelace", email="ada@example.org", email_verified=True)
    first = me(stack, tok)
    assert ULID_RE.match(first["id"]) and first["id"] != sub
    assert (first["display_name"], first["email"], first["local_account"], first["kind"]) == \
        ("Ada Lovelace", "ada@example.org", False, "account")
    # a later token of the same subject is the same user; profile is taken once
    again = me(stack, token_for(stack, sub, name="Someone Else"))
    assert again["id"] == first["id"] and again["display_name"] == "Ada Lovelace"
    assert users_of_subject(stack, sub) == [[first["id"]]]


def test_email_claim_never_merges_accounts(stack):
    local, local_token = register(stack)
    outsider = me(stack, token_for(stack, email=local["email"], email_verified=True))
    assert outsider["id"] != local["id"]
    # the local account is untouched and still signs in as itself
    assert me(stack, local_token)["id"] == local["id"]
    # the claim stays on the outsider's identity; the login address is the local account's alone
    assert sql_value(stack, f"SELECT email IS NULL FROM users WHERE id = {q(outsider['id'])}") == "1"
    assert outsider["email"] == local["email"] and outsider["local_account"] is False


def test_hostile_profile_claims_are_not_stored(stack):
    # a control character in a name: no name; an over-long name: cut to 100 characters
    a = me(stack, token_for(stack, name="evil\u0007name"))
    assert a["display_name"] == ""
    b = me(stack, token_for(stack, name="é" * 300, email="x" * 300 + "@example.org"))
    assert b["display_name"] == "é" * 100 and b["email"] is None
    c = me(stack, token_for(stack, name='quote " and \\ backslash'))
    assert c["display_name"] == 'quote " and \\ backslash'


@pytest.mark.parametrize("length,ok", [(1, True), (255, True), (256, False)])
def test_subject_length(stack, length, ok):
    sub = secrets.token_hex(length)[:length]
    r = stack.call("GET", "/api/v1/me", token=token_for(stack, sub))
    if ok:
        assert assert_success(r)["id"]
    else:
        assert_error(r, 401, "INVALID_TOKEN")


def test_subject_is_exact_bytes(stack):
    """Subjects differing only in case or trailing space are different people."""
    base = new_subject()
    ids = {me(stack, token_for(stack, s))["id"] for s in (base, base.upper(), base + " ")}
    assert len(ids) == 3


def test_fifty_concurrent_first_requests_make_one_user(stack):
    sub = new_subject("race")
    tokens = [token_for(stack, sub) for _ in range(50)]

    def create(i):
        return stack.call("POST", "/api/v1/meetings", meeting_body(title=f"race {i}"), token=tokens[i])

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(create, range(50)))
    statuses = sorted({r.status for r in results})
    assert all(r.status in (201, 429) for r in results), [(r.status, r.body[:200]) for r in results if r.status >= 300]
    assert 201 in statuses
    rows = users_of_subject(stack, sub)
    assert len(rows) == 1, rows
    uid = rows[0][0]
    created = [r.json()["data"]["organizer_id"] for r in results if r.status == 201]
    assert set(created) == {uid}
    # no stray user rows from the losers of the race
    assert sql_value(stack, f"SELECT COUNT(*) FROM users u WHERE NOT EXISTS "
                            f"(SELECT 1 FROM user_identities i WHERE i.user_id = u.id)") == "0"


def test_never_seen_subjects_on_the_canonical_write_routes(stack):
    host = token_for(stack)
    m = assert_success(stack.call("POST", "/api/v1/meetings", meeting_body(), token=host), 201)
    host_id = me(stack, host)["id"]
    assert m["organizer_id"] == host_id
    mid = m["id"]
    assert assert_success(stack.call("PATCH", mpath(mid), {"title": "Renamed"}, token=host))["title"] == "Renamed"
    assert_success(stack.call("POST", mpath(mid, "/passcode"), {}, token=host))
    m = assert_success(stack.call("GET", mpath(mid), token=host))
    invite = assert_success(stack.call("POST", mpath(mid, "/invitation-token"), {}, token=host))
    # a never-seen subject joins by id with the passcode, another by code
    j1 = assert_success(stack.call("POST", mpath(mid, "/join"), {"passcode": m["passcode"]}, token=token_for(stack)))
    assert ULID_RE.match(j1["user_id"])
    j2 = assert_success(stack.call("POST", "/api/v1/meetings/join",
                                   {"meeting_code": m["meeting_code"], "passcode": m["passcode"]},
                                   token=token_for(stack)))
    assert j2["user_id"] != j1["user_id"]
    # a never-seen subject reads an invitation, then joins and leaves
    third = token_for(stack)
    tok = invite.get("invitation_token") or m.get("invitation_token")
    assert stack.call("GET", f"/api/v1/invitations/{tok}", token=third).status == 200
    assert_success(stack.call("POST", mpath(mid, "/join"), {"passcode": m["passcode"]}, token=third))
    assert_success(stack.call("POST", mpath(mid, "/leave"), {}, token=third))
    # members: the host names a user made from a never-seen subject
    member = token_for(stack)
    member_id = me(stack, member)["id"]
    assert_success(stack.call("PUT", mpath(mid, f"/members/{member_id}"), {"role": "co_host"}, token=host))
    assert assert_success(stack.call("GET", mpath(mid), token=member))["my_role"] == "co_host"
    assert_success(stack.call("DELETE", mpath(mid, f"/members/{member_id}"), token=host))
    assert_success(stack.call("POST", mpath(mid, "/start"), {}, token=host))
    assert_success(stack.call("POST", mpath(mid, "/end"), {}, token=host))
    key = assert_success(stack.call("POST", "/api/v1/api-keys", {"name": "ci"}, token=token_for(stack)), 201)
    assert key["key"].startswith("mk_")
    actors = {r[0] for r in sql_rows(stack, f"SELECT actor_id FROM audit_log WHERE meeting_id = {q(mid)}")}
    assert host_id in actors and all(ULID_RE.match(a) for a in actors if a), actors


def test_never_seen_subjects_cancel_and_room_token(stack):
    host = token_for(stack)
    m = assert_success(stack.call("POST", "/api/v1/meetings", meeting_body(), token=host), 201)
    assert assert_success(stack.call("POST", mpath(m["id"], "/cancel"), {}, token=host))
    # a stranger (never seen) learns nothing of another's meeting
    assert_error(stack.call("POST", mpath(m["id"], "/cancel"), {}, token=token_for(stack)), 404, "MEETING_NOT_FOUND")


def test_never_seen_subjects_on_the_004_face(stack):
    host = token_for(stack)
    r = stack.call("POST", "/meetings/create", {"title": "Face room"}, token=host)
    assert r.status == 200, r.body
    created = r.json()
    joiner = token_for(stack)
    r = stack.call("POST", "/meetings/join", {"meeting_id": created["meeting_id"], "password": created["password"]},
                   token=joiner)
    assert r.status == 200, r.body
    assert r.json()["data"]["room_id"] == created["meeting_id"]
    assert r.json()["data"]["joined_as"] == ""          # no address, no name: nothing better to show
    named = token_for(stack, name="Nina Named")
    r = stack.call("POST", "/meetings/join", {"meeting_id": created["meeting_id"], "password": created["password"]},
                   token=named)
    assert r.json()["data"]["joined_as"] == "Nina Named"
    r = stack.call("GET", f"/meetings/invitation/{created['invitation_token']}", token=token_for(stack))
    assert r.status == 200, r.body
    assert r.json()["host_id"] == me(stack, host)["id"]


def test_meetd_token_command_creates_a_meeting(stack):
    """The development token `meetd token --sub X` prints can create a meeting."""
    tok = stack.meetd.token(new_subject("dev"))
    m = assert_success(stack.call("POST", "/api/v1/meetings", meeting_body(), token=tok), 201)
    assert m["organizer_id"] == me(stack, tok)["id"]


def test_registration_links_the_local_identity(stack):
    u, tok = register(stack)
    assert users_of_subject(stack, u["id"]) == [[u["id"]]]
    assert me(stack, tok)["id"] == u["id"]
