"""Bearer JWTs over HTTP (reliability.md T29): forged tokens are all refused
the same way; well-made ones are accepted."""

import base64
import hashlib
import hmac
import json
import re
import secrets
import time

import fcgiclient
from helpers import assert_error, assert_success, b64url, make_jwt, register

SUB = "01HZZZZZZZZZZZZZZZZZZZZZZZ"


def claims(**over):
    now = int(time.time())
    c = {"sub": SUB, "role": "user", "iat": now, "nbf": now, "exp": now + 600}
    for k, v in over.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def sign_with(key, header, body, digest=hashlib.sha256):
    h = b64url(json.dumps(header))
    c = b64url(json.dumps(body))
    sig = hmac.new(key.encode(), f"{h}.{c}".encode(), digest).digest()
    return f"{h}.{c}.{b64url(sig)}"


def forged_tokens(key):
    """name -> token; every one must be refused."""
    now = int(time.time())
    good = make_jwt(key, claims())
    h, c, s = good.split(".")
    other_key = secrets.token_urlsafe(48)
    std_b64 = base64.b64encode(json.dumps(claims()).encode() + b"\xfb\xff").decode()
    return {
        "alg none, empty signature": make_jwt(key, claims(), {"alg": "none", "typ": "JWT"}, sign_alg=None),
        "alg none, with a signature": make_jwt(key, claims(), {"alg": "none", "typ": "JWT"}),
        "alg None": make_jwt(key, claims(), {"alg": "None"}, sign_alg=None),
        "alg RS256 header, HMAC signature": make_jwt(key, claims(), {"alg": "RS256", "typ": "JWT"}),
        "alg HS512": sign_with(key, {"alg": "HS512", "typ": "JWT"}, claims(), hashlib.sha512),
        "alg missing": make_jwt(key, claims(), {"typ": "JWT"}),
        "alg hs256 (case)": make_jwt(key, claims(), {"alg": "hs256"}),
        "expired": make_jwt(key, claims(exp=now - 3600)),
        "expired past the leeway": make_jwt(key, claims(exp=now - 61)),
        "nbf in the future": make_jwt(key, claims(nbf=now + 3600)),
        "nbf as a string": make_jwt(key, claims(nbf=str(now))),
        "missing exp": make_jwt(key, claims(exp=None)),
        "exp as a string": make_jwt(key, claims(exp=str(now + 600))),
        "exp as a float": make_jwt(key, claims(exp=now + 600.5)),
        "exp null": make_jwt(key, {**claims(), "exp": None}),
        "missing sub": make_jwt(key, claims(sub=None)),
        "empty sub": make_jwt(key, claims(sub="")),
        "sub as a number": make_jwt(key, claims(sub=12345)),
        "unknown role": make_jwt(key, claims(role="superuser")),
        "duplicate claim": make_jwt(key, json.dumps(claims())[:-1] + ', "role": "admin"}'),
        "claims not an object": make_jwt(key, json.dumps([claims()])),
        "header not JSON": make_jwt(key, claims(), "not json"),
        "kid when none is configured": make_jwt(key, claims(), {"alg": "HS256", "typ": "JWT", "kid": "k1"}),
        "crit header": make_jwt(key, claims(), {"alg": "HS256", "crit": ["exp"]}),
        "embedded jwk": make_jwt(key, claims(), {"alg": "HS256", "jwk": {"kty": "oct", "k": b64url(key)}}),
        "typ not JWT": make_jwt(key, claims(), {"alg": "HS256", "typ": "at+jwt+json"}),
        "wrong key": make_jwt(other_key, claims()),
        "signature of another payload": f"{h}.{b64url(json.dumps(claims(role='admin')))}.{s}",
        "truncated signature": f"{h}.{c}.{s[:-4]}",
        "empty signature": f"{h}.{c}.",
        "4 segments": f"{good}.{s}",
        "2 segments": f"{h}.{c}",
        "bad base64url characters": f"{h}.{c[:10]}!*{c[12:]}.{s}",
        "standard base64 with padding": f"{h}.{std_b64}.{s}",
        "empty header": f".{c}.{s}",
        "dots only": "..",
        "5 KB token (over jwt_max_bytes)": make_jwt(key, claims(pad="x" * 3900)),
    }


def test_forged_tokens_all_refused_alike(stack):
    key = stack.meetd.jwt_key
    seen = {}
    for name, tok in forged_tokens(key).items():
        r = stack.call("GET", "/api/v1/me", token=tok)
        body = assert_error(r, 401, "INVALID_TOKEN")
        assert r.headers["WWW-Authenticate"].startswith("Bearer"), name
        del body["timestamp"]
        seen[name] = body
    shapes = {json.dumps(b, sort_keys=True) for b in seen.values()}
    assert len(shapes) == 1, seen


def test_100kb_token(stack):
    """nginx refuses a 100 KB header line itself (large_client_header_buffers
    8k); meetd, reached directly, refuses it as any other bad token."""
    tok = make_jwt(stack.meetd.jwt_key, claims(pad="y" * 100_000))
    r = stack.call("GET", "/api/v1/me", token=tok)
    assert r.status == 400, (r.status, r.body[:200])
    direct = fcgiclient.request(stack.meetd.socket, "GET", "/api/v1/me",
                                headers={"Authorization": f"Bearer {tok}"})
    assert direct.status == 401
    assert direct.json()["code"] == "INVALID_TOKEN"
    # and the responder that handled it is still there
    assert stack.call("GET", "/api/v1/health").status == 200


def test_good_handmade_token_accepted(stack):
    user, _ = register(stack)
    tok = make_jwt(stack.meetd.jwt_key, claims(sub=user["id"]))
    me = assert_success(stack.call("GET", "/api/v1/me", token=tok))
    assert (me["id"], me["email"], me["local_account"], me["auth"]) == \
        (user["id"], user["email"], True, "jwt")
    # optional claims may be left out; the role defaults to user
    tok = make_jwt(stack.meetd.jwt_key, {"sub": user["id"], "exp": int(time.time()) + 60})
    assert assert_success(stack.call("GET", "/api/v1/me", token=tok))["role"] == "user"


def test_leeway_is_applied(stack):
    """jwt_leeway = 30 by default: 10 s past exp or 10 s before nbf still pass."""
    now = int(time.time())
    assert stack.call("GET", "/api/v1/me", token=make_jwt(stack.meetd.jwt_key, claims(exp=now - 10))).status == 200
    assert stack.call("GET", "/api/v1/me", token=make_jwt(stack.meetd.jwt_key, claims(nbf=now + 10))).status == 200


def test_token_for_unknown_subject_gets_a_user(stack):
    """A subject meetd never saw becomes a user of its own (no email, no password)."""
    tok = make_jwt(stack.meetd.jwt_key, claims(sub="external|user-42"))
    me = assert_success(stack.call("GET", "/api/v1/me", token=tok))
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", me["id"]), me
    assert me == {"id": me["id"], "email": None, "display_name": "", "role": "user", "kind": "account",
                  "created_at": me["created_at"], "local_account": False, "auth": "jwt"}
    again = assert_success(stack.call("GET", "/api/v1/me", token=make_jwt(stack.meetd.jwt_key,
                                                                        claims(sub="external|user-42"))))
    assert again["id"] == me["id"]


def test_meetd_token_admin(stack):
    tok = stack.meetd.token("ops-admin", role="admin")
    me = assert_success(stack.call("GET", "/api/v1/me", token=tok))
    assert (me["role"], me["local_account"], me["auth"]) == ("admin", False, "jwt")
    header = json.loads(base64.urlsafe_b64decode(tok.split(".")[0] + "=="))
    assert header["alg"] == "HS256"


def test_login_token_is_rejected_by_another_server(stack, make_stack):
    """Each stack has its own key: a token from one is a forgery to the other."""
    _, token = register(stack)
    other = make_stack(server__responders=1)
    assert_error(other.call("GET", "/api/v1/me", token=token), 401, "INVALID_TOKEN")


def test_token_size_cap(stack):
    """jwt_max_bytes = 4096: a 3 KB token passes, a 5 KB one (same claims
    otherwise) is refused even though nginx lets it through."""
    small = make_jwt(stack.meetd.jwt_key, claims(pad="x" * 2000))
    big = make_jwt(stack.meetd.jwt_key, claims(pad="x" * 3900))
    assert len(small) < 4096 < len(big) < 7000
    assert stack.call("GET", "/api/v1/me", token=small).status == 200
    assert_error(stack.call("GET", "/api/v1/me", token=big), 401, "INVALID_TOKEN")
