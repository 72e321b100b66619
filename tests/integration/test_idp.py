"""Identity providers: tokens minted independently (PyJWT + cryptography)
for each algorithm and issuer are verified against the issuer's JWK Set,
from a jwks_file or a jwks_url the worker fetches (stale while error).
GET /api/v1/me is the probe; a provider's (iss, sub) becomes a meetd user."""

import hashlib
import hmac
import http.server
import json
import signal
import os
import threading
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from helpers import assert_error, b64url

ISS_A = "https://sso.example.org/realms/a"
ISS_B = "https://b.example.auth0.com/"
AUD = "meetd-api"


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def ed_key():
    return ed25519.Ed25519PrivateKey.generate()


def jwk(priv, kid=None):
    alg = {rsa.RSAPrivateKey: RSAAlgorithm, ec.EllipticCurvePrivateKey: ECAlgorithm,
           ed25519.Ed25519PrivateKey: OKPAlgorithm}
    for cls, a in alg.items():
        if isinstance(priv, cls):
            d = json.loads(a.to_jwk(priv.public_key()))
            break
    if kid:
        d["kid"] = kid
    return d


def short_x_jwk(kid):
    """A P-256 key whose x starts with a zero byte, written as some issuers
    (and PyJWT before 2.8) write it: without that byte (RFC 7518 wants 32)."""
    while True:
        priv = ec_key()
        if priv.public_key().public_numbers().x < 1 << 248:
            break
    d = jwk(priv, kid)
    x = priv.public_key().public_numbers().x
    d["x"] = b64url(x.to_bytes((x.bit_length() + 7) // 8, "big"))
    return priv, d


def jwks(*keys):
    return json.dumps({"keys": list(keys)})


def mint(priv, alg, iss, kid=None, typ="JWT", aud=AUD, sub="idp-user-1", **extra):
    now = time.time()
    claims = {"sub": sub, "iss": iss, "aud": aud, "iat": int(now), "exp": now + 600.25, **extra}
    headers = {"typ": typ}
    if kid:
        headers["kid"] = kid
    return jwt.encode(claims, priv, algorithm=alg, headers=headers)


def status(stack, tok):
    return stack.call("GET", "/api/v1/me", token=tok).status


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def test_file_issuers(make_stack, tmp_path):
    ra, ea, da, eb = rsa_key(), ec_key(), ed_key(), ec_key()
    es, es_jwk = short_x_jwk("es")
    fa, fb = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    write(fa, jwks(jwk(ra, "ra"), jwk(ea, "ea"), jwk(da, "da"), es_jwk))
    write(fb, jwks(jwk(eb)))                     # one key, no kid
    os.chmod(tmp_path, 0o755)
    s = make_stack(**{"idp.a__issuer": ISS_A, "idp.a__audience": AUD,
                      "idp.a__algorithms": "RS256, ES256, EdDSA", "idp.a__jwks_file": fa,
                      "idp.b__issuer": ISS_B, "idp.b__audience": AUD,
                      "idp.b__algorithms": "ES256", "idp.b__jwks_file": fb})
    good = {
        "RS256 with kid": mint(ra, "RS256", ISS_A, "ra"),
        "ES256 with kid": mint(ea, "ES256", ISS_A, "ea"),
        "EdDSA with kid": mint(da, "EdDSA", ISS_A, "da"),
        "typ at+jwt": mint(ra, "RS256", ISS_A, "ra", typ="at+jwt"),
        "typ application/at+jwt": mint(ea, "ES256", ISS_A, "ea", typ="application/at+jwt"),
        "B without kid (one key)": mint(eb, "ES256", ISS_B),
        "aud as an array": mint(ea, "ES256", ISS_A, "ea", aud=["other", AUD]),
        "ES256, x without its leading zero byte": mint(es, "ES256", ISS_A, "es"),
    }
    for name, tok in good.items():
        r = s.call("GET", "/api/v1/me", token=tok)
        assert r.status == 200, (name, r.status, r.body)
    pem = ra.public_key().public_bytes(serialization.Encoding.PEM,
                                       serialization.PublicFormat.SubjectPublicKeyInfo)
    h = b64url(json.dumps({"alg": "HS256", "kid": "ra"}))
    c = b64url(json.dumps({"sub": "x", "iss": ISS_A, "aud": AUD, "exp": time.time() + 600}))
    confused = f"{h}.{c}.{b64url(hmac.new(pem, f'{h}.{c}'.encode(), hashlib.sha256).digest())}"
    bad = {
        "A without kid (three keys)": mint(ra, "RS256", ISS_A),
        "unknown kid": mint(ra, "RS256", ISS_A, "nope"),
        "iss A signed with B's key": mint(eb, "ES256", ISS_A, "ea"),
        "iss B signed with A's key": mint(ea, "ES256", ISS_B),
        "alg B does not allow": mint(ra, "RS256", ISS_B),
        "HS256 with the RSA public key": confused,
        "alg none": f"{b64url(json.dumps({'alg': 'none', 'kid': 'ra'}))}.{c}.",
        "wrong audience": mint(ea, "ES256", ISS_A, "ea", aud="someone-else"),
        "expired (real exp)": mint(ea, "ES256", ISS_A, "ea", exp=time.time() - 120.5),
        "typ not a JWT": mint(ea, "ES256", ISS_A, "ea", typ="JOSE+JSON"),
        "sub over 255 bytes": mint(ea, "ES256", ISS_A, "ea", sub="x" * 256),
        "unknown issuer, provider key": mint(ea, "ES256", "https://evil.example", "ea"),
    }
    for name, tok in bad.items():
        assert_error(s.call("GET", "/api/v1/me", token=tok), 401, "INVALID_TOKEN")
    # meetd's own tokens still work beside the providers
    assert status(s, s.meetd.token("01HZZZZZZZZZZZZZZZZZZZZZZZ")) == 200


def test_keycloak_shaped_token_creates_a_meeting(make_stack, tmp_path):
    """RS256, kid, typ at+jwt, iss and aud from a configured JWK Set: the
    provider's subject becomes a user (made once), who creates a meeting;
    the same subject under another issuer is someone else; a provider's
    role claim grants nothing."""
    kc, other = rsa_key(), ec_key()
    f, g = str(tmp_path / "kc.json"), str(tmp_path / "other.json")
    write(f, jwks(jwk(kc, "kc-2026")))
    write(g, jwks(jwk(other, "o1")))
    os.chmod(tmp_path, 0o755)
    s = make_stack(**{"idp.keycloak__issuer": ISS_A, "idp.keycloak__audience": AUD,
                      "idp.keycloak__algorithms": "RS256", "idp.keycloak__jwks_file": f,
                      "idp.other__issuer": ISS_B, "idp.other__audience": AUD,
                      "idp.other__algorithms": "ES256", "idp.other__jwks_file": g})
    sub = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
    tok = mint(kc, "RS256", ISS_A, "kc-2026", typ="at+jwt", sub=sub, name="Kim Keycloak",
               email="kim@example.org", email_verified=True, role="admin")
    me = s.call("GET", "/api/v1/me", token=tok).json()["data"]
    assert (me["display_name"], me["email"], me["email_verified"], me["role"]) == \
        ("Kim Keycloak", "kim@example.org", True, "user")
    body = {"title": "From Keycloak", "scheduled_for": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                      time.gmtime(time.time() + 86400)),
            "duration": 30}
    r = s.call("POST", "/api/v1/meetings", body, token=tok)
    assert r.status == 201, r.body
    assert r.json()["data"]["organizer_id"] == me["id"]
    assert s.call("GET", "/api/v1/admin/users", token=tok).status == 403
    # a second token of the same subject is the same user; the same subject elsewhere is not
    again = mint(kc, "RS256", ISS_A, "kc-2026", typ="at+jwt", sub=sub)
    assert s.call("GET", "/api/v1/me", token=again).json()["data"]["id"] == me["id"]
    elsewhere = mint(other, "ES256", ISS_B, "o1", sub=sub)
    assert s.call("GET", "/api/v1/me", token=elsewhere).json()["data"]["id"] != me["id"]
    # and a meetd token for the same subject text is a third person
    assert s.call("GET", "/api/v1/me", token=s.meetd.token(sub)).json()["data"]["id"] != me["id"]


def test_file_rotation_by_reload(make_stack, tmp_path):
    old, new = rsa_key(), rsa_key()
    f = str(tmp_path / "k.json")
    os.chmod(tmp_path, 0o755)
    write(f, jwks(jwk(old, "old"), jwk(new, "new")))
    s = make_stack(**{"idp.rot__issuer": ISS_A, "idp.rot__audience": AUD,
                      "idp.rot__algorithms": "RS256", "idp.rot__jwks_file": f})
    t_old, t_new = mint(old, "RS256", ISS_A, "old"), mint(new, "RS256", ISS_A, "new")
    assert status(s, t_old) == 200 and status(s, t_new) == 200      # overlap
    write(f, jwks(jwk(new, "new")))
    s.meetd.signal(signal.SIGHUP)
    deadline = time.time() + 20
    while time.time() < deadline and status(s, t_old) != 401:
        time.sleep(0.2)
    assert status(s, t_old) == 401
    assert status(s, t_new) == 200


class JwksServer:
    """A JWK Set on 127.0.0.1 that can answer, fail with 500 or hang."""

    def __init__(self):
        self.mode = "ok"
        self.body = "{}"
        self.hits = 0
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits += 1
                if outer.mode == "hang":
                    time.sleep(4)
                    return
                if outer.mode == "500":
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                b = outer.body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(b)))
                self.end_headers()
                self.wfile.write(b)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/certs"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_worker_fetch_stale_while_error(make_stack):
    srv = JwksServer()
    try:
        k1, k2 = ec_key(), ed_key()
        srv.body = jwks(jwk(k1, "k1"))
        s = make_stack(**{"idp.url1__issuer": ISS_B, "idp.url1__audience": AUD,
                          "idp.url1__algorithms": "ES256, EdDSA", "idp.url1__jwks_url": srv.url,
                          "idp.url1__jwks_refresh_interval": "10m",
                          "auth__jwks_cache_ttl": "1s", "http__timeout": "2s", "http__retries": "0"})
        t1, t2 = mint(k1, "ES256", ISS_B, "k1"), mint(k2, "EdDSA", ISS_B, "k2")
        assert status(s, t1) == 401                  # nothing fetched yet: no keys
        assert s.meetd.run("worker", "--once", check=False).returncode == 0
        time.sleep(1.2)
        assert status(s, t1) == 200 and status(s, t2) == 401

        def failing_fetch(mode):
            srv.mode = mode
            hits = srv.hits
            r = s.meetd.run("worker", "--once", check=False)
            assert r.returncode != 0 and srv.hits > hits, mode
            time.sleep(1.2)
            assert status(s, t1) == 200, mode        # the last good set stays

        failing_fetch("500")
        failing_fetch("hang")
        row = s.db.sql("SELECT failures, last_error IS NOT NULL FROM jwks_sets WHERE idp = 'url1'",
                       database="meetd").stdout
        assert row.split()[:2] == ["2", "1"], row
        # recovery with a rotated set: both keys during the overlap
        srv.mode = "ok"
        srv.body = jwks(jwk(k1, "k1"), jwk(k2, "k2"))
        assert s.meetd.run("worker", "--once", check=False).returncode == 0
        time.sleep(1.2)
        assert status(s, t1) == 200 and status(s, t2) == 200
        # the old key removed: refused once the cache refreshed
        srv.body = jwks(jwk(k2, "k2"))
        assert s.meetd.run("worker", "--once", check=False).returncode == 0
        time.sleep(1.2)
        assert status(s, t1) == 401 and status(s, t2) == 200
        # a malformed answer is a failure too, and keeps the set
        srv.body = '{"keys": "no"}'
        assert s.meetd.run("worker", "--once", check=False).returncode != 0
        time.sleep(1.2)
        assert status(s, t2) == 200
    finally:
        srv.stop()


def test_config_check_refuses_bad_idp(make_stack, tmp_path):
    os.chmod(tmp_path, 0o755)
    bad = str(tmp_path / "bad.json")
    write(bad, '{"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}')
    s = make_stack(start=False, **{"idp.x__issuer": ISS_A, "idp.x__audience": AUD,
                                   "idp.x__algorithms": "RS256", "idp.x__jwks_file": bad})
    r = s.meetd.run("-t", check=False)
    assert r.returncode != 0 and "[idp.x] jwks_file" in r.stderr, r.stderr
    for settings, needle in [
        ({"idp.y__issuer": ISS_A, "idp.y__audience": AUD, "idp.y__algorithms": "HS256",
          "idp.y__jwks_file": bad}, "algorithms"),
        ({"idp.y__issuer": ISS_A, "idp.y__algorithms": "RS256", "idp.y__jwks_file": bad}, "needs issuer"),
        ({"idp.y__issuer": ISS_A, "idp.y__audience": AUD, "idp.y__algorithms": "RS256"}, "exactly one"),
        ({"idp.y__issuer": ISS_A, "idp.y__audience": AUD, "idp.y__algorithms": "RS256",
          "idp.y__jwks_url": "http://sso.example.org/certs"}, "https://"),
        ({"idp.y__issuer": "meetd", "idp.y__audience": AUD, "idp.y__algorithms": "RS256",
          "idp.y__jwks_url": "https://sso.example.org/certs"}, "meetd's own"),
        ({"idp.Y__issuer": ISS_A}, "the name must be"),
        ({"idp.y__issuer": ISS_A, "idp.y__colour": "blue"}, "is not a key"),
    ]:
        s2 = make_stack(start=False, **settings)
        r = s2.meetd.run("-t", check=False)
        assert r.returncode != 0 and needle in r.stderr, (settings, r.stderr)


def test_allowed_domains_admit_a_provider_verified_address(make_stack, tmp_path):
    """A meeting's allowed domains (security policy) admit an address an
    identity provider marks email_verified, in one of the domains; the
    same address unverified, or another domain, is refused."""
    kc = rsa_key()
    f = str(tmp_path / "kc.json")
    write(f, jwks(jwk(kc, "kc-1")))
    os.chmod(tmp_path, 0o755)
    s = make_stack(**{"idp.kc__issuer": ISS_A, "idp.kc__audience": AUD, "idp.kc__algorithms": "RS256",
                      "idp.kc__jwks_file": f})
    host = s.meetd.token("policy-host")
    body = {"title": "Domains", "duration": 30, "waiting_room": False,
            "scheduled_for": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 86400))}
    m = s.call("POST", "/api/v1/meetings", body, token=host).json()["data"]
    r = s.call("PATCH", f"/api/v1/meetings/{m['id']}/security/policy", {"allowed_domains": ["example.org"]},
               token=host)
    assert r.status == 200, r.body
    link = {"invitation_token": m["invitation_token"]}
    verified = mint(kc, "RS256", ISS_A, "kc-1", sub="v1", email="ann@Example.org", email_verified=True)
    unverified = mint(kc, "RS256", ISS_A, "kc-1", sub="v2", email="bob@example.org", email_verified=False)
    elsewhere = mint(kc, "RS256", ISS_A, "kc-1", sub="v3", email="cy@example.com", email_verified=True)
    assert s.call("POST", "/api/v1/meetings/join", link, token=verified).status == 200
    for tok in (unverified, elsewhere):
        r = s.call("POST", "/api/v1/meetings/join", link, token=tok)
        assert_error(r, 403, "DOMAIN_NOT_ALLOWED")
