"""Accounts and API keys over HTTP: register, login, me, keys."""

import json
import time

from helpers import (PASSWORD, ULID_RE, TIMESTAMP_RE, assert_error, assert_success,
                     register, unique_email)


def test_register_login_me_round_trip(stack):
    email = unique_email("round")
    r = stack.call("POST", "/api/v1/auth/register",
                   {"email": email, "password": PASSWORD, "display_name": "Ann Example"})
    user = assert_success(r, 201)["user"]
    assert set(user) == {"id", "email", "display_name", "role", "created_at"}
    assert ULID_RE.match(user["id"])
    assert (user["email"], user["display_name"], user["role"]) == (email, "Ann Example", "user")
    assert TIMESTAMP_RE.match(user["created_at"])

    login = assert_success(stack.call("POST", "/api/v1/auth/login",
                                      {"email": email, "password": PASSWORD}))
    assert set(login) == {"access_token", "token_type", "expires_in", "user"}
    assert login["token_type"] == "Bearer"
    assert login["expires_in"] == 3600
    assert login["user"] == user
    assert login["access_token"].count(".") == 2

    me = assert_success(stack.call("GET", "/api/v1/me", token=login["access_token"]))
    assert me == {**user, "kind": "account", "local_account": True, "auth": "jwt"}


def test_email_is_case_folded(stack):
    local = unique_email("Mixed.Case").split("@")[0]
    r = stack.call("POST", "/api/v1/auth/register",
                   {"email": f"{local}@Example.ORG", "password": PASSWORD, "display_name": "M"})
    assert assert_success(r, 201)["user"]["email"] == f"{local.lower()}@example.org"
    r = stack.call("POST", "/api/v1/auth/login",
                   {"email": f"{local.upper()}@EXAMPLE.org", "password": PASSWORD})
    assert assert_success(r)["user"]["email"] == f"{local.lower()}@example.org"
    r = stack.call("POST", "/api/v1/auth/register",
                   {"email": f"{local.lower()}@example.org", "password": PASSWORD,
                    "display_name": "Other"})
    assert_error(r, 409, "EMAIL_TAKEN")


def test_duplicate_registration_is_409(stack):
    email = unique_email("dup")
    body = {"email": email, "password": PASSWORD, "display_name": "First"}
    assert stack.call("POST", "/api/v1/auth/register", body).status == 201
    assert_error(stack.call("POST", "/api/v1/auth/register", {**body, "display_name": "2nd"}),
                 409, "EMAIL_TAKEN")
    # the first account is untouched
    login = assert_success(stack.call("POST", "/api/v1/auth/login",
                                      {"email": email, "password": PASSWORD}))
    assert login["user"]["display_name"] == "First"


def test_wrong_password_and_unknown_email_look_the_same(stack):
    user, _ = register(stack)
    wrong = stack.call("POST", "/api/v1/auth/login", {"email": user["email"], "password": "wrong-password"})
    unknown = stack.call("POST", "/api/v1/auth/login",
                         {"email": unique_email("nobody"), "password": "wrong-password"})
    a = assert_error(wrong, 401, "INVALID_CREDENTIALS")
    b = assert_error(unknown, 401, "INVALID_CREDENTIALS")
    for body in (a, b):
        del body["timestamp"]
    assert a == b
    assert wrong.headers.get("WWW-Authenticate") == unknown.headers.get("WWW-Authenticate")
    assert wrong.headers["Content-Length"] == unknown.headers["Content-Length"]


def test_register_rejects_unknown_field(stack):
    r = stack.call("POST", "/api/v1/auth/register",
                   {"email": unique_email(), "password": PASSWORD, "display_name": "X",
                    "role": "admin"})
    body = assert_error(r, 400, "VALIDATION_ERROR")
    assert set(body["details"]) == {"role"}


def test_register_validates_lengths(stack):
    r = stack.call("POST", "/api/v1/auth/register",
                   {"email": "not-an-address", "password": "short", "display_name": "  "})
    body = assert_error(r, 400, "VALIDATION_ERROR")
    assert {"password", "display_name"} <= set(body["details"])
    r = stack.call("POST", "/api/v1/auth/register",
                   {"email": unique_email(), "password": "x" * 129, "display_name": "n" * 101})
    assert set(assert_error(r, 400, "VALIDATION_ERROR")["details"]) == {"password", "display_name"}
    # bounds are inclusive: 8 and 128 characters, 100-character names
    r = stack.call("POST", "/api/v1/auth/register",
                   {"email": unique_email(), "password": "p" * 8, "display_name": "n" * 100})
    assert r.status == 201, r.body
    r = stack.call("POST", "/api/v1/auth/register",
                   {"email": unique_email(), "password": "p" * 128, "display_name": "é" * 100})
    assert r.status == 201, r.body


def test_me_requires_authentication(stack):
    assert_error(stack.call("GET", "/api/v1/me"), 401, "AUTHENTICATION_REQUIRED")
    r = stack.call("GET", "/api/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert_error(r, 401, "AUTHENTICATION_REQUIRED")
    r = stack.call("GET", "/api/v1/me", token="not-a-token")
    assert_error(r, 401, "INVALID_TOKEN")
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def create_key(stack, token, name="ci"):
    r = stack.call("POST", "/api/v1/api-keys", {"name": name}, token=token)
    return assert_success(r, 201)


def list_keys(stack, token):
    return assert_success(stack.call("GET", "/api/v1/api-keys", token=token))


def test_api_key_create_list_use_revoke(stack):
    user, token = register(stack)
    key = create_key(stack, token, "deploy bot")
    assert set(key) >= {"id", "name", "prefix", "key"}
    assert key["name"] == "deploy bot"
    assert key["key"].startswith(f"mk_{key['prefix']}_")

    listed = list_keys(stack, token)
    assert [k["id"] for k in listed] == [key["id"]]
    assert listed[0]["prefix"] == key["prefix"]
    assert "key" not in listed[0] and key["key"] not in json.dumps(listed)

    assert listed[0]["last_used_at"] is None
    me = assert_success(stack.call("GET", "/api/v1/me", token=key["key"]))
    assert (me["id"], me["auth"], me["local_account"]) == (user["id"], "api_key", True)
    assert TIMESTAMP_RE.match(list_keys(stack, token)[0]["last_used_at"] or "")

    # a key can manage keys too
    assert [k["id"] for k in list_keys(stack, key["key"])] == [key["id"]]

    r = stack.call("DELETE", f"/api/v1/api-keys/{key['id']}", token=token)
    assert assert_success(r)["id"] == key["id"]
    assert_error(stack.call("GET", "/api/v1/me", token=key["key"]), 401, "INVALID_TOKEN")
    assert list_keys(stack, token) == []
    assert_error(stack.call("DELETE", f"/api/v1/api-keys/{key['id']}", token=token),
                 404, "NOT_FOUND")


def test_api_key_of_a_cannot_be_revoked_by_b(stack):
    _, token_a = register(stack)
    _, token_b = register(stack)
    key = create_key(stack, token_a)
    assert_error(stack.call("DELETE", f"/api/v1/api-keys/{key['id']}", token=token_b),
                 404, "NOT_FOUND")
    # the same answer as for an id that does not exist at all
    assert_error(stack.call("DELETE", "/api/v1/api-keys/01ARZ3NDEKTSV4RRFFQ69G5FAV", token=token_b),
                 404, "NOT_FOUND")
    assert list_keys(stack, token_b) == []
    assert assert_success(stack.call("GET", "/api/v1/me", token=key["key"]))["auth"] == "api_key"
    assert [k["id"] for k in list_keys(stack, token_a)] == [key["id"]]


def test_api_key_bad_ids_and_forged_keys(stack):
    _, token = register(stack)
    key = create_key(stack, token)
    for bad in ("not-a-ulid", "%2e%2e", "0" * 200):
        r = stack.call("DELETE", f"/api/v1/api-keys/{bad}", token=token)
        assert_error(r, 404, "NOT_FOUND")
    # right prefix, wrong secret; unknown prefix: the same 401
    prefix_part, secret = key["key"].rsplit("_", 1)
    flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    a = assert_error(stack.call("GET", "/api/v1/me", token=f"{prefix_part}_{flipped}"), 401, "INVALID_TOKEN")
    b = assert_error(stack.call("GET", "/api/v1/me", token="mk_" + "z" * 16 + "_" + secret), 401,
                     "INVALID_TOKEN")
    assert (a["message"], a["details"]) == (b["message"], b["details"])
    assert assert_success(stack.call("GET", "/api/v1/me", token=key["key"]))["auth"] == "api_key"


def test_api_key_routes_need_auth(stack):
    assert_error(stack.call("GET", "/api/v1/api-keys"), 401, "AUTHENTICATION_REQUIRED")
    assert_error(stack.call("POST", "/api/v1/api-keys", {"name": "x"}), 401, "AUTHENTICATION_REQUIRED")
    assert_error(stack.call("DELETE", "/api/v1/api-keys/01ARZ3NDEKTSV4RRFFQ69G5FAV"), 401,
                 "AUTHENTICATION_REQUIRED")


def test_sql_injection_strings_are_stored_literally(stack, shared_db):
    names = ["Robert'); DROP TABLE users;--", "\" OR \"1\"=\"1", "x' UNION SELECT password_hash FROM users #",
             "\\'; SELECT SLEEP(5); -- ", "%_*?[]{}", "1; DELETE FROM api_keys"]
    email_shapes = ["o'brien+'or'1'='1--{tag}@example.org", 'a"b\\c;--{tag}@example.org',
                    "{tag}@exa'mple.org"]
    for i, name in enumerate(names):
        email = email_shapes[i % len(email_shapes)].format(tag=unique_email("I").split("@")[0])
        r = stack.call("POST", "/api/v1/auth/register",
                       {"email": email, "password": PASSWORD, "display_name": name})
        user = assert_success(r, 201)["user"]
        assert (user["email"], user["display_name"]) == (email.lower(), name)
        login = assert_success(stack.call("POST", "/api/v1/auth/login",
                                          {"email": email, "password": PASSWORD}))
        me = assert_success(stack.call("GET", "/api/v1/me", token=login["access_token"]))
        assert (me["email"], me["display_name"]) == (email.lower(), name)
        key = create_key(stack, login["access_token"], name)
        assert key["name"] == name
        assert list_keys(stack, login["access_token"])[0]["name"] == name
    # the tables are still there and the rows are what was sent
    out = shared_db.sql("SELECT COUNT(*) FROM users WHERE display_name = 'Robert''); DROP TABLE users;--'",
                        database="meetd").stdout.strip()
    assert out == "1"
    # an injection in the login email neither logs in nor errors
    for email in ("x' OR '1'='1@example.org", "x'OR'1'='1@example.org", "%@example.org"):
        r = stack.call("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
        assert_error(r, 401, "INVALID_CREDENTIALS")


def test_registration_can_be_closed(make_stack):
    s = make_stack(server__responders=1, auth__registration="off")
    r = s.call("POST", "/api/v1/auth/register",
               {"email": unique_email(), "password": PASSWORD, "display_name": "X"})
    assert_error(r, 403, "REGISTRATION_CLOSED")


def test_concurrent_registrations_of_one_email(stack):
    """Ten simultaneous registrations of one address: exactly one account."""
    import threading
    from loadgen import one_request
    email = unique_email("race")
    out = []
    barrier = threading.Barrier(10)

    def go(i):
        barrier.wait()
        out.append(one_request(stack.nginx.port, "POST", "/api/v1/auth/register",
                               {"email": email, "password": PASSWORD, "display_name": f"R{i}"}))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted((r.status, r.code) for r in out) == [(201, "")] + [(409, "EMAIL_TAKEN")] * 9


def test_login_time_does_not_reveal_unknown_email(stack):
    """An unknown email costs the same scrypt work as a wrong password."""
    user, _ = register(stack)

    def timed(email):
        t0 = time.monotonic()
        r = stack.call("POST", "/api/v1/auth/login", {"email": email, "password": "wrong-password"})
        assert r.status == 401
        return time.monotonic() - t0

    # interleaved, and compared by their fastest run, so that noise from
    # other processes on the machine hits all three alike
    runs = {"wrong": [], "unknown": [], "malformed": []}
    for _ in range(12):
        runs["wrong"].append(timed(user["email"]))
        runs["unknown"].append(timed(unique_email("ghost")))
        runs["malformed"].append(timed("no-at-sign"))
    best = {k: min(v) for k, v in runs.items()}
    print("fastest logins (ms):", {k: round(v * 1000, 1) for k, v in best.items()})
    assert best["unknown"] > 0.6 * best["wrong"] and best["malformed"] > 0.6 * best["wrong"], best
