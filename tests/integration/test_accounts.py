"""Profiles, account administration (API and `meetd user`), disabled
accounts, signing out everywhere, and deleted accounts."""

import json
import secrets
import time

import pytest

from helpers import assert_error, assert_success, register
from meetings_fixtures import create, mpath, q, sql_value, user


def admin_token(stack):
    return stack.meetd.token("admin:" + secrets.token_hex(6), role="admin")


def me(stack, token):
    return assert_success(stack.call("GET", "/api/v1/me", token=token))


def cli(stack, *args, check=True):
    return stack.meetd.run("user", *args, check=check)


# --- profile -------------------------------------------------------------------

def test_profile_defaults_and_update(stack):
    u, tok = user(stack, "Paula Profile")
    m = me(stack, tok)
    assert (m["display_name"], m["time_zone"], m["language"]) == ("Paula Profile", "UTC", "en")
    r = stack.call("PATCH", "/api/v1/me", {"display_name": "Paula P.", "time_zone": "Europe/Paris",
                                           "language": "fr"}, token=tok)
    got = assert_success(r)
    assert (got["display_name"], got["time_zone"], got["language"]) == ("Paula P.", "Europe/Paris", "fr")
    assert me(stack, tok) == got
    # a partial change keeps the rest; null puts a value back to its default
    got = assert_success(stack.call("PATCH", "/api/v1/me", {"time_zone": None}, token=tok))
    assert (got["display_name"], got["time_zone"], got["language"]) == ("Paula P.", "UTC", "fr")


@pytest.mark.parametrize("body,field", [
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"time_zone": "../../etc/passwd"}, "time_zone"),
    ({"time_zone": ""}, "time_zone"),
    ({"language": "de"}, "language"),
    ({"language": "english"}, "language"),
    ({"display_name": ""}, "display_name"),
    ({"display_name": "   "}, "display_name"),
    ({"display_name": "x" * 101}, "display_name"),
    ({"display_name": "bell\u0007"}, "display_name"),
    ({"display_name": 42}, "display_name"),
    ({"email": "new@example.org"}, "email"),
    ({"role": "admin"}, "role"),
])
def test_profile_validation(stack, body, field):
    _, tok = user(stack)
    before = me(stack, tok)
    r = stack.call("PATCH", "/api/v1/me", body, token=tok)
    assert_error(r, 400, "VALIDATION_ERROR")
    assert field in r.json()["details"], r.json()
    assert me(stack, tok) == before


# --- administration --------------------------------------------------------------

def test_admin_routes_need_admin(stack):
    u, tok = user(stack)
    for method, path in (("GET", "/api/v1/admin/users"), ("GET", f"/api/v1/admin/users/{u['id']}"),
                         ("POST", f"/api/v1/admin/users/{u['id']}/disable"),
                         ("DELETE", f"/api/v1/admin/users/{u['id']}")):
        assert_error(stack.call(method, path, {} if method == "POST" else None, token=tok), 403,
                     "INSUFFICIENT_PERMISSION")


def test_disable_enable_through_the_api(stack):
    admin = admin_token(stack)
    u, tok = user(stack)
    _, key_owner_token = u, tok
    key = assert_success(stack.call("POST", "/api/v1/api-keys", {"name": "k"}, token=tok), 201)["key"]
    m = create(stack, tok)
    got = assert_success(stack.call("POST", f"/api/v1/admin/users/{u['id']}/disable", {}, token=admin))
    assert got["disabled_at"] is not None
    # every route, with the token and with the API key: 403 ACCOUNT_DISABLED
    for path in ("/api/v1/me", "/api/v1/meetings", mpath(m["id"])):
        assert_error(stack.call("GET", path, token=tok), 403, "ACCOUNT_DISABLED")
        assert_error(stack.call("GET", path, token=key), 403, "ACCOUNT_DISABLED")
    # and it cannot sign in again
    r = stack.call("POST", "/api/v1/auth/login", {"email": u["email"], "password": "correct horse battery"})
    assert r.status in (401, 403)
    got = assert_success(stack.call("POST", f"/api/v1/admin/users/{u['id']}/enable", {}, token=admin))
    assert got["disabled_at"] is None
    assert me(stack, key_owner_token)["id"] == u["id"]


def test_admin_cannot_disable_or_delete_itself(stack):
    admin = admin_token(stack)
    aid = me(stack, admin)["id"]
    assert_error(stack.call("POST", f"/api/v1/admin/users/{aid}/disable", {}, token=admin), 400, "INVALID_REQUEST")
    assert_error(stack.call("DELETE", f"/api/v1/admin/users/{aid}", token=admin), 400, "INVALID_REQUEST")
    assert me(stack, admin)["id"] == aid


def test_admin_unknown_user(stack):
    admin = admin_token(stack)
    for path in ("/api/v1/admin/users/01ARZ3NDEKTSV4RRFFQ69G5FAV", "/api/v1/admin/users/not-a-ulid"):
        assert_error(stack.call("GET", path, token=admin), 404, "USER_NOT_FOUND")
        assert_error(stack.call("POST", path + "/disable", {}, token=admin), 404, "USER_NOT_FOUND")


def test_admin_list_pages(stack):
    admin = admin_token(stack)
    for _ in range(3):
        user(stack)
    first = assert_success(stack.call("GET", "/api/v1/admin/users?limit=2", token=admin))
    assert len(first["users"]) == 2 and first["next_after"] == first["users"][1]["id"]
    second = assert_success(stack.call("GET", f"/api/v1/admin/users?limit=2&after={first['next_after']}",
                                       token=admin))
    assert second["users"][0]["id"] > first["users"][1]["id"]
    for bad in ("limit=0", "limit=201", "limit=x", "after=zzz"):
        assert_error(stack.call("GET", f"/api/v1/admin/users?{bad}", token=admin), 400, "VALIDATION_ERROR")


def test_sign_out_everywhere(stack):
    u, tok = user(stack)
    assert_success(stack.call("POST", "/api/v1/me/sign-out-everywhere", {}, token=tok))
    assert_error(stack.call("GET", "/api/v1/me", token=tok), 401, "INVALID_TOKEN")
    time.sleep(1.1)         # tokens carry whole seconds: the cut is the next one
    r = stack.call("POST", "/api/v1/auth/login", {"email": u["email"], "password": "correct horse battery"})
    fresh = assert_success(r)["access_token"]
    assert me(stack, fresh)["id"] == u["id"]
    # an administrator does the same for someone else
    admin = admin_token(stack)
    assert_success(stack.call("POST", f"/api/v1/admin/users/{u['id']}/sign-out-everywhere", {}, token=admin))
    assert_error(stack.call("GET", "/api/v1/me", token=fresh), 401, "INVALID_TOKEN")


def test_delete_keeps_meetings_and_audit(stack):
    admin = admin_token(stack)
    org, org_tok = user(stack, "Olga Organizer")
    co, co_tok = user(stack, "Cora Cohost")
    m = create(stack, org_tok)
    assert_success(stack.call("PUT", mpath(m["id"], f"/members/{co['id']}"), {"role": "co_host"}, token=org_tok))
    audit_before = sql_value(stack, f"SELECT COUNT(*) FROM audit_log WHERE meeting_id = {q(m['id'])}")
    got = assert_success(stack.call("DELETE", f"/api/v1/admin/users/{org['id']}", token=admin))
    assert got["deleted_at"] is not None and got["email"] is None and got["display_name"] == ""
    # the co-host still reads the meeting; the audit is whole
    seen = assert_success(stack.call("GET", mpath(m["id"]), token=co_tok))
    assert seen["organizer_id"] == org["id"]
    assert sql_value(stack, f"SELECT COUNT(*) FROM audit_log WHERE meeting_id = {q(m['id'])}") == audit_before
    # the person is gone: token refused, cannot sign in, the address is free again
    assert_error(stack.call("GET", "/api/v1/me", token=org_tok), 403, "ACCOUNT_DISABLED")
    r = stack.call("POST", "/api/v1/auth/login", {"email": org["email"], "password": "correct horse battery"})
    assert_error(r, 401, "INVALID_CREDENTIALS")
    again, _ = register(stack, email=org["email"])
    assert again["id"] != org["id"]
    # deleting twice, or enabling a deleted account: not found
    assert_error(stack.call("DELETE", f"/api/v1/admin/users/{org['id']}", token=admin), 404, "USER_NOT_FOUND")
    assert_error(stack.call("POST", f"/api/v1/admin/users/{org['id']}/enable", {}, token=admin), 404,
                 "USER_NOT_FOUND")


def test_meetd_user_cli(stack):
    u, tok = user(stack, "Cli Person")
    shown = json.loads(cli(stack, "show", u["id"]).stdout)
    assert (shown["id"], shown["display_name"], shown["disabled_at"]) == (u["id"], "Cli Person", None)
    assert u["id"] in {json.loads(line)["id"] for line in cli(stack, "list").stdout.splitlines()}
    assert json.loads(cli(stack, "disable", u["id"]).stdout)["disabled_at"] is not None
    assert_error(stack.call("GET", "/api/v1/me", token=tok), 403, "ACCOUNT_DISABLED")
    assert json.loads(cli(stack, "enable", u["id"]).stdout)["disabled_at"] is None
    assert me(stack, tok)["id"] == u["id"]
    cli(stack, "sign-out", u["id"])
    assert_error(stack.call("GET", "/api/v1/me", token=tok), 401, "INVALID_TOKEN")
    assert json.loads(cli(stack, "delete", u["id"]).stdout)["deleted_at"] is not None
    r = cli(stack, "show", "01ARZ3NDEKTSV4RRFFQ69G5FAV", check=False)
    assert r.returncode == 1 and "no user" in r.stderr
    assert cli(stack, "show", "nope", check=False).returncode == 1
    assert cli(stack, "frobnicate", check=False).returncode == 2
    assert cli(stack, check=False).returncode == 2
