"""Errors nginx answers itself are meetd's JSON envelope too, each made to
happen for real against the test stack's nginx (nginx/dev.conf.in with the
shared meetd-http.conf and meetd-server.conf); meetd's own errors pass
through untouched; one request id is in the response, nginx's access log
and meetd's log."""

import datetime
import json
import os
import re
import socket
import threading
import time

import pytest

import stack as stackmod
from helpers import assert_error, register

HEX32 = re.compile(r"^[0-9a-f]{32}$")


def nginx_error(r, status, code, retry_after=None):
    """An error written by nginx: meetd's envelope with `code`, empty details,
    a UTC timestamp close to now, a request id header, and Retry-After only
    where given."""
    # nginx writes the canonical envelope on every path, without the keys a
    # face adds to meetd's own errors (004's "detail", 000's "error")
    assert r.status == status, (r.status, r.body[:300])
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(r.body)
    assert set(body) == {"status", "message", "code", "details", "timestamp"}, body
    assert body["status"] == "error" and body["code"] == code and body["message"]
    assert body["details"] == {}
    ts = datetime.datetime.strptime(body["timestamp"], "%Y-%m-%dT%H:%M:%SZ")
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    assert abs((now - ts).total_seconds()) < 10, (body["timestamp"], now)
    assert len(r.headers.get_all("X-Request-Id") or []) == 1
    assert r.headers.get_all("Retry-After") == ([retry_after] if retry_after else None)
    assert r.headers.get_all("X-Content-Type-Options") == ["nosniff"]
    return body


class Raw:
    """One raw HTTP/1.1 exchange: status, headers (lower-case names), body."""

    def __init__(self, port, data, timeout=10):
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as c:
            c.sendall(data)
            buf = b""
            while True:
                try:
                    chunk = c.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                buf += chunk
        head, _, self.body = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers.setdefault(k.strip().lower(), []).append(v.strip())

    def json(self):
        return json.loads(self.body)


def raw_error(r, status, code, request_id=None):
    assert r.status == status, (r.status, r.body[:300])
    assert r.headers["content-type"] == ["application/json; charset=utf-8"]
    body = r.json()
    assert set(body) == {"status", "message", "code", "details", "timestamp"}
    assert body["status"] == "error" and body["code"] == code and body["details"] == {}
    assert body["timestamp"].endswith("Z")
    if request_id:
        assert r.headers["x-request-id"] == [request_id]
    else:
        assert HEX32.match(r.headers["x-request-id"][0])
    return body


def access_log_ids(nginx):
    with open(nginx.access_log, encoding="utf-8", errors="replace") as f:
        return [line.split()[-1] for line in f if line.strip()]


# --- made by client input -------------------------------------------------------

def test_413_two_megabytes(stack):
    """A 2 MB body to a meetd route: nginx's 413 in the envelope; meetd never sees it."""
    _, token = register(stack)
    rid = "big-" + os.urandom(6).hex()
    body = b'{"title":"' + b"x" * (2 * 1024 * 1024) + b'"}'
    head = (f"POST /api/v1/meetings HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"X-Request-Id: {rid}\r\nConnection: close\r\n\r\n").encode()
    r = Raw(stack.nginx.port, head + body)
    raw_error(r, 413, "PAYLOAD_TOO_LARGE", request_id=rid)
    time.sleep(0.2)
    assert not any(x.get("request_id") == rid for x in stack.meetd.log_lines())
    # through an ordinary client too
    r = stack.call("POST", "/api/v1/meetings", body, token=token,
                   headers={"Content-Type": "application/json"}, timeout=30)
    nginx_error(r, 413, "PAYLOAD_TOO_LARGE")


def test_414_long_uri(stack):
    r = stack.call("GET", "/api/v1/meetings?q=" + "a" * 20000)
    nginx_error(r, 414, "URI_TOO_LONG")
    assert HEX32.match(r.headers["X-Request-Id"])


def test_494_huge_header(stack):
    """A 9 KB header line, and 40 KB of headers: 400 with a code of its own."""
    r = stack.call("GET", "/api/v1/health", headers={"X-Big": "b" * 9000})
    nginx_error(r, 400, "REQUEST_HEADER_TOO_LARGE")
    many = {f"X-H{i}": "h" * 7000 for i in range(6)}
    nginx_error(stack.call("GET", "/api/v1/health", headers=many), 400, "REQUEST_HEADER_TOO_LARGE")


@pytest.mark.parametrize("request_line", [
    b"GARBAGE\x01 / HTTP/1.1\r\n\r\n",
    b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\nHost: u\r\n\r\n",
    b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n",
])
def test_400_malformed_request(stack, request_line):
    body = raw_error(Raw(stack.nginx.port, request_line), 400, "INVALID_REQUEST")
    assert body["message"] == "The request is malformed"


def test_505_unknown_http_version(stack):
    r = Raw(stack.nginx.port, b"GET /api/v1/health HTTP/9.9\r\nHost: t\r\n\r\n")
    raw_error(r, 505, "HTTP_VERSION_NOT_SUPPORTED")


def test_405_on_static_files(stack):
    """nginx refuses POST to a static page itself (meetd is never asked)."""
    for path in ("/", "/index.html"):
        nginx_error(stack.call("POST", path, "x"), 405, "METHOD_NOT_ALLOWED")


def test_404_outside_meetd_routes(stack):
    """Paths no location sends to meetd are nginx's 404s, in the envelope, also
    for a name whose extension nginx knows (.html, .json)."""
    for path in ("/api", "/meetings", "/metrics/", "/nope.html", "/x.json", "/.meetd-error/404"):
        nginx_error(stack.call("GET", path), 404, "NOT_FOUND")
    # the static page itself is still served
    r = stack.call("GET", "/")
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/html")


def test_internal_error_uris_are_not_reachable(stack):
    for path in ("/.meetd-error/400", "/.meetd-error/414", "/.meetd-error/505"):
        nginx_error(stack.call("GET", path), 404, "NOT_FOUND")


# --- meetd's own errors pass untouched ------------------------------------------

def test_meetd_errors_pass_through(stack):
    _, token = register(stack)
    # meetd's 405 keeps its Allow header; meetd's 404 its X-Request-Id (once)
    r = stack.call("GET", "/api/v1/auth/login")
    assert_error(r, 405, "METHOD_NOT_ALLOWED")
    assert r.headers["Allow"] == "POST"
    r = stack.call("GET", "/api/v1/nope")
    assert_error(r, 404, "NOT_FOUND")
    assert len(r.headers.get_all("X-Request-Id")) == 1
    # meetd's own 413 (the anonymous cap) keeps meetd's message
    r = stack.call("POST", "/api/v1/auth/login", "x" * 20000, headers={"Content-Type": "application/json"})
    assert_error(r, 413, "PAYLOAD_TOO_LARGE")
    # meetd's 503 for a platform that is not configured keeps meetd's one
    # Retry-After; nginx adds none of its own
    r = stack.call("POST", "/api/meetings/proxy/zoom/create",
                   {"title": "T", "scheduledFor": "2099-01-01T10:00:00Z", "duration": 30}, token=token)
    assert r.status == 503 and r.json()["error"] == "zoom_not_configured", r.body
    assert r.headers.get_all("Retry-After") == ["1"]


# --- request id -----------------------------------------------------------------

def test_request_id_same_in_both_logs(stack):
    cases = [({}, None), ({"X-Request-Id": "bad id!"}, None), ({"X-Request-Id": "client-7.x_Y"}, "client-7.x_Y")]
    for headers, want in cases:
        r = stack.call("GET", "/api/v1/health", headers=headers)
        assert r.status == 200
        rid = r.headers["X-Request-Id"]
        assert len(r.headers.get_all("X-Request-Id")) == 1
        assert rid == want if want else HEX32.match(rid), (headers, rid)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            meetd = [x for x in stack.meetd.log_lines() if x.get("request_id") == rid]
            if meetd and rid in access_log_ids(stack.nginx):
                break
            time.sleep(0.05)
        assert len(meetd) == 1 and meetd[0]["event"] == "access" and meetd[0]["path"] == "/api/v1/health"
        assert access_log_ids(stack.nginx).count(rid) == 1


def test_request_id_on_nginx_errors_is_logged(stack):
    r = stack.call("GET", "/nope.html")
    rid = r.headers["X-Request-Id"]
    time.sleep(0.1)
    assert rid in access_log_ids(stack.nginx)


# --- made by the upstream or the rate limit -------------------------------------

def test_429_from_limit_req(stack, make_nginx):
    """The dev zone at one request a minute, burst 1: the third request is
    nginx's 429 with Retry-After; meetd's answers before it are untouched."""
    n = make_nginx(stack.meetd.socket, edits=[("rate=1000r/s", "rate=1r/m"),
                                              ("burst=2000", "burst=1")])
    statuses = []
    for _ in range(4):
        r = _get(n.url + "/api/v1/health")
        statuses.append(r.status)
        if r.status == 429:
            nginx_error(r, 429, "RATE_LIMIT_EXCEEDED", retry_after="1")
    assert statuses[:2] == [200, 200] and statuses[2:] == [429, 429], statuses
    r = _get(n.url + "/meetings/my-meetings")
    nginx_error(r, 429, "RATE_LIMIT_EXCEEDED", retry_after="1")


def _get(url, **kw):
    return stackmod.http("GET", url, **kw)


def test_502_when_meetd_is_not_there(make_nginx, scratch):
    n = make_nginx(os.path.join(scratch, "no-such.sock"))
    for path in ("/api/v1/health", "/meetings/my-meetings", "/metrics", "/api/v1/x.html"):
        r = _get(n.url + path)
        nginx_error(r, 502, "UPSTREAM_UNAVAILABLE")
        assert HEX32.match(r.headers["X-Request-Id"])
    r = stackmod.http("POST", n.url + "/api/v1/meetings", {"title": "t"})
    nginx_error(r, 502, "UPSTREAM_UNAVAILABLE")


def test_502_when_meetd_stops(make_stack):
    s = make_stack()
    assert s.call("GET", "/api/v1/health").status == 200
    s.meetd.stop()
    nginx_error(s.call("GET", "/api/v1/health"), 502, "UPSTREAM_UNAVAILABLE")


def test_504_when_the_upstream_never_answers(make_nginx, scratch):
    """A FastCGI socket that accepts and never answers, with the read timeout
    cut to 1 s: nginx's 504."""
    path = os.path.join(scratch, "stuck.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    os.chmod(path, 0o666)
    srv.listen(16)
    held, stop = [], threading.Event()

    def accept():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        n = make_nginx(path, snippet_edits=[("fastcgi_read_timeout 60s;", "fastcgi_read_timeout 1s;")])
        t0 = time.monotonic()
        r = _get(n.url + "/api/v1/health")
        nginx_error(r, 504, "UPSTREAM_TIMEOUT")
        assert 0.9 < time.monotonic() - t0 < 8
        assert held, "nginx never connected"
    finally:
        stop.set()
        t.join()
        for c in held:
            c.close()
        srv.close()


def test_503_mapping(stack, make_nginx):
    """No location of this configuration answers 503 itself (limit_req says
    429, meetd writes its own 503s); a test-only location shows the mapping."""
    n = make_nginx(stack.meetd.socket, edits=[
        ("        location / {", "        location = /test-503 { return 503; }\n        location / {")])
    nginx_error(_get(n.url + "/test-503"), 503, "SERVICE_UNAVAILABLE", retry_after="5")
    # meetd's answers on the same nginx are unchanged
    assert _get(n.url + "/api/v1/health").status == 200
