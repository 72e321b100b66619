"""Small helpers shared by the integration tests: accounts, envelopes,
Prometheus text, hand-made JWTs and polling."""

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
import urllib.parse

ENVELOPE_OK_KEYS = {"status", "message", "data", "timestamp"}
ENVELOPE_ERR_KEYS = {"status", "message", "code", "details", "timestamp"}
TIMESTAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
ULID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
# nginx's $request_id: the id of a request that came through nginx without a
# usable X-Request-Id of its own (meetd makes a ULID only when reached directly)
NGINX_RID_RE = re.compile(r"^[0-9a-f]{32}$")
PASSWORD = "correct horse battery"


def unique_email(tag="user"):
    return f"{tag}-{secrets.token_hex(6)}@example.org"


def register(stack, email=None, password=PASSWORD, display_name="Test User"):
    """Registers a fresh account and logs in; returns (user dict, access token)."""
    email = email or unique_email()
    r = stack.call("POST", "/api/v1/auth/register",
                   {"email": email, "password": password, "display_name": display_name})
    assert r.status == 201, r.body
    user = r.json()["data"]["user"]
    r = stack.call("POST", "/api/v1/auth/login", {"email": email, "password": password})
    assert r.status == 200, r.body
    return user, r.json()["data"]["access_token"]


def face_error_keys(path):
    """The keys a face adds to meetd's error envelope for its own clients:
    000's snake_case "error", 003's "success": false, 004's FastAPI "detail"."""
    if path.startswith("/api/meetings/proxy/"):
        return {"error"}
    if path == "/api/webhooks/meeting":
        return {"success"}
    if path.startswith("/meetings/"):
        return {"detail"}
    return set()


def assert_error(resp, status, code, platform=None):
    """resp is meetd's JSON error envelope with this status and code (plus
    the keys of the face that answered); returns the body. For
    PLATFORM_NOT_CONFIGURED, platform is the details.platform expected."""
    assert resp.status == status, (resp.status, resp.body)
    ctype = resp.headers.get("Content-Type", "") if hasattr(resp.headers, "get") else ""
    assert ctype.startswith("application/json"), ctype
    body = json.loads(resp.body)
    extra = face_error_keys(urllib.parse.urlsplit(getattr(resp, "path", "")).path)
    assert set(body) == ENVELOPE_ERR_KEYS | extra, body
    assert (platform is not None) == (code == "PLATFORM_NOT_CONFIGURED"), (code, platform)
    if platform is not None:
        assert body["details"].get("platform") == platform, body
    if "error" in extra:
        assert body["error"] == (f"{platform}_not_configured" if platform else code.lower()), body
    if "success" in extra:
        assert body["success"] is False, body
    if "detail" in extra:
        assert isinstance(body["detail"], str) and body["detail"], body
    assert body["status"] == "error"
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    assert TIMESTAMP_RE.match(body["timestamp"]), body["timestamp"]
    return body


def assert_success(resp, status=200):
    assert resp.status == status, (resp.status, resp.body)
    body = json.loads(resp.body)
    assert set(body) == ENVELOPE_OK_KEYS, body
    assert body["status"] == "success"
    assert TIMESTAMP_RE.match(body["timestamp"]), body["timestamp"]
    return body["data"]


# --- Prometheus text ---------------------------------------------------------

_SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)$')
_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class Metrics:
    def __init__(self, text):
        self.text = text
        self.types = {}
        self.samples = {}
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(None, 3)
                self.types[name] = kind
                continue
            if not line or line.startswith("#"):
                continue
            m = _SAMPLE_RE.match(line)
            assert m, f"not a Prometheus sample line: {line!r}"
            labels = frozenset(_LABEL_RE.findall(m.group(3) or ""))
            self.samples[(m.group(1), labels)] = float(m.group(4))

    def get(self, name, default=0.0, **labels):
        return self.samples.get((name, frozenset(labels.items())), default)

    def names(self):
        return {name for name, _ in self.samples}


def metrics(stack):
    r = stack.call("GET", "/metrics")
    assert r.status == 200, r.body
    return Metrics(r.body.decode())


def pool_size(stack):
    """Responders that have reached their accept loop (idle + busy)."""
    m = metrics(stack)
    return int(m.get("meetd_responders", state="idle") + m.get("meetd_responders", state="busy"))


# --- JWT -------------------------------------------------------------------

def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(key, claims=None, header=None, sign_alg="HS256"):
    """An HS256 JWT made by hand. `header`/`claims` are dicts or raw strings."""
    now = int(time.time())
    if claims is None:
        claims = {"sub": "01HZZZZZZZZZZZZZZZZZZZZZZZ", "role": "user", "iat": now,
                  "nbf": now, "exp": now + 600}
    if header is None:
        header = {"alg": "HS256", "typ": "JWT"}
    h = b64url(header if isinstance(header, str) else json.dumps(header))
    c = b64url(claims if isinstance(claims, str) else json.dumps(claims))
    signing_input = f"{h}.{c}".encode()
    if sign_alg is None:
        return f"{h}.{c}."
    k = key.encode() if isinstance(key, str) else key
    sig = hmac.new(k, signing_input, hashlib.sha256).digest()
    return f"{h}.{c}.{b64url(sig)}"


# --- polling -----------------------------------------------------------------

def wait_until(pred, timeout, interval=0.02):
    """Polls pred until it returns a true value; returns (value, seconds taken)
    or (None, timeout) when time ran out."""
    t0 = time.monotonic()
    while True:
        v = pred()
        if v:
            return v, time.monotonic() - t0
        if time.monotonic() - t0 >= timeout:
            return None, timeout
        time.sleep(interval)
