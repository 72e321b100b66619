"""CORS for browsers on other origins: an nginx in front of the shared
stack's meetd with two allowed origins; preflights answered by nginx,
actual answers echo only an allowed origin, and no origin is ever given
credentials or "*"."""

import time

import pytest

import stack as stackmod
from helpers import assert_error, assert_success, register

ALLOWED = ["https://app.example.org", "http://localhost:5173"]
CORS_HEADERS = ("Access-Control-Allow-Origin", "Access-Control-Allow-Credentials",
                "Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
                "Access-Control-Max-Age", "Access-Control-Expose-Headers")


@pytest.fixture
def cors(stack, make_nginx):
    return make_nginx(stack.meetd.socket, cors_origins=ALLOWED)


def call(n, method, path, origin=None, headers=None, body=None, token=None):
    h = dict(headers or {})
    if origin:
        h["Origin"] = origin
    if token:
        h["Authorization"] = f"Bearer {token}"
    return stackmod.http(method, n.url + path, body, h)


def no_cors(r):
    for name in CORS_HEADERS:
        assert r.headers.get(name) is None, (name, r.headers.get(name))


def allowed(r, origin):
    assert r.headers.get_all("Access-Control-Allow-Origin") == [origin]
    assert "Origin" in r.headers["Vary"]
    assert r.headers.get("Access-Control-Allow-Credentials") is None
    assert "X-Request-Id" in r.headers["Access-Control-Expose-Headers"]


def preflight(n, origin, method="POST", req_headers="authorization, content-type, idempotency-key"):
    return call(n, "OPTIONS", "/api/v1/meetings", origin,
                {"Access-Control-Request-Method": method,
                 "Access-Control-Request-Headers": req_headers})


def test_preflight_answered_by_nginx(stack, cors):
    for origin in ALLOWED:
        r = preflight(cors, origin)
        assert r.status == 204 and r.body == b""
        allowed(r, origin)
        methods = {m.strip() for m in r.headers["Access-Control-Allow-Methods"].split(",")}
        assert {"GET", "POST", "PATCH", "PUT", "DELETE"} <= methods
        hdrs = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
        assert {"authorization", "content-type", "idempotency-key"} <= hdrs
        assert int(r.headers["Access-Control-Max-Age"]) > 0
        rid = r.headers["X-Request-Id"]
        time.sleep(0.1)
        assert not any(x.get("request_id") == rid for x in stack.meetd.log_lines())
    # the 004 face too
    r = call(cors, "OPTIONS", "/meetings/create", ALLOWED[0], {"Access-Control-Request-Method": "POST"})
    assert r.status == 204
    allowed(r, ALLOWED[0])


@pytest.mark.parametrize("origin", [
    "https://evil.example.org", "https://app.example.org.evil.net", "http://app.example.org",
    "https://app.example.org:8443", "null", "https://app.example.org/",
])
def test_disallowed_origin_gets_no_cors(cors, origin):
    r = preflight(cors, origin)
    assert r.status != 204
    no_cors(r)
    r = call(cors, "GET", "/api/v1/health", origin)
    assert r.status == 200
    no_cors(r)
    assert "Origin" in r.headers["Vary"]


def test_actual_requests_echo_allowed_origin(cors):
    origin = ALLOWED[1]
    r = call(cors, "GET", "/api/v1/health", origin)
    assert_success(r)
    allowed(r, origin)
    assert r.headers.get("Access-Control-Allow-Methods") is None   # preflight only
    # meetd's own errors and nginx's own errors carry it too, so the page can read them
    r = call(cors, "GET", "/api/v1/me", origin)
    assert_error(r, 401, "AUTHENTICATION_REQUIRED")
    allowed(r, origin)
    r = call(cors, "GET", "/api", origin)
    assert_error(r, 404, "NOT_FOUND")
    allowed(r, origin)
    # without Origin (not a browser on another origin): no CORS headers
    r = call(cors, "GET", "/api/v1/health")
    no_cors(r)


def test_authenticated_call_from_allowed_origin(stack, cors):
    _, token = register(stack)
    r = call(cors, "GET", "/api/v1/me", ALLOWED[0], token=token)
    assert_success(r)
    allowed(r, ALLOWED[0])
    # an OPTIONS without Access-Control-Request-Method is no preflight: meetd answers it
    r = call(cors, "OPTIONS", "/api/v1/me", ALLOWED[0])
    assert r.status == 405
    allowed(r, ALLOWED[0])


def test_no_origin_allowed_by_default(stack):
    """The shipped list (nginx/cors-origins.conf) allows none: the test stack's
    own nginx is rendered with it empty."""
    r = stack.call("OPTIONS", "/api/v1/meetings", headers={
        "Origin": ALLOWED[0], "Access-Control-Request-Method": "POST"})
    assert r.status != 204
    no_cors(r)
    r = stack.call("GET", "/api/v1/health", headers={"Origin": ALLOWED[0]})
    no_cors(r)
