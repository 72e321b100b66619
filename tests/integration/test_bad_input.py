"""Oversize, inconsistent and hostile requests (reliability.md T24, T25):
every one gets a 4xx, never a 5xx, and the responders survive."""

import json
import secrets
import socket
import time

import fcgiclient
from helpers import (NGINX_RID_RE, ULID_RE, assert_error, assert_success, metrics, register,
                     unique_email)

JSON = {"Content-Type": "application/json"}


def post_raw(stack, path, body, token=None, content_type="application/json", headers=None):
    h = dict(headers or {})
    if content_type is not None:
        h["Content-Type"] = content_type
    return stack.call("POST", path, body, token=token, headers=h, timeout=30)


def crashes(stack):
    return metrics(stack).get("meetd_responder_crashes_total")


def login_body_of_size(n):
    """A syntactically valid login body of exactly n bytes."""
    head, tail = '{"email":"a@example.org","password":"', '"}'
    body = head + "p" * (n - len(head) - len(tail)) + tail
    assert len(body) == n
    return body


# --- sizes -------------------------------------------------------------------

def test_anonymous_body_cap_is_meetds_413(stack):
    """body_limit_anonymous = 16k: meetd's own 413, as its JSON envelope."""
    r = post_raw(stack, "/api/v1/auth/login", login_body_of_size(16 * 1024))
    assert_error(r, 400, "VALIDATION_ERROR")         # at the cap: parsed (password too long)
    r = post_raw(stack, "/api/v1/auth/login", login_body_of_size(16 * 1024 + 1))
    assert_error(r, 413, "PAYLOAD_TOO_LARGE")
    r = post_raw(stack, "/api/v1/auth/register", "x" * 500_000)
    assert_error(r, 413, "PAYLOAD_TOO_LARGE")
    assert NGINX_RID_RE.match(r.headers["X-Request-Id"])
    # meetd's own answer (its message), not nginx's: meetd logged it
    time.sleep(0.1)
    assert any(x.get("request_id") == r.headers["X-Request-Id"] for x in stack.meetd.log_lines())


def test_authenticated_body_cap(stack):
    """An authenticated caller gets body_limit (1m): a 100 KB body is parsed
    (and refused for its content), a body over 1m is refused by nginx
    (client_max_body_size 1m) before meetd sees it."""
    _, token = register(stack)
    big_name = json.dumps({"name": "n" * 100_000})
    body = assert_error(post_raw(stack, "/api/v1/api-keys", big_name, token=token), 400, "VALIDATION_ERROR")
    assert set(body["details"]) == {"name"}
    # exactly 1 MiB passes both nginx and meetd
    pad = 1024 * 1024 - len('{"name":""}')
    r = post_raw(stack, "/api/v1/api-keys", '{"name":"' + "n" * pad + '"}', token=token)
    assert_error(r, 400, "VALIDATION_ERROR")
    # one byte more: nginx's 413, in meetd's envelope, and meetd never saw it
    r = post_raw(stack, "/api/v1/api-keys", '{"name":"' + "n" * (pad + 1) + '"}', token=token)
    assert_error(r, 413, "PAYLOAD_TOO_LARGE")
    rid = r.headers["X-Request-Id"]
    assert NGINX_RID_RE.match(rid)
    time.sleep(0.1)
    assert not any(x.get("request_id") == rid for x in stack.meetd.log_lines())


def test_authenticated_body_cap_inside_meetd(stack):
    """Past nginx, meetd enforces body_limit itself (FastCGI straight to its socket)."""
    _, token = register(stack)
    before = crashes(stack)
    r = fcgiclient.request(stack.meetd.socket, "POST", "/api/v1/api-keys", body=b"x" * 1_500_000,
                           headers={"Authorization": f"Bearer {token}"})
    assert r.status == 413 and r.json()["code"] == "PAYLOAD_TOO_LARGE"
    # declared too large: refused before a byte is read
    r = fcgiclient.request(stack.meetd.socket, "POST", "/api/v1/api-keys", body=b"{}",
                           headers={"Authorization": f"Bearer {token}"},
                           params={"CONTENT_LENGTH": "99999999999999999999999"})
    assert r.status == 413
    assert crashes(stack) == before


def test_content_length_mismatch_inside_meetd(stack):
    """CONTENT_LENGTH that disagrees with the body reaching meetd."""
    r = fcgiclient.request(stack.meetd.socket, "POST", "/api/v1/auth/login", body=b'{"a":1}',
                           params={"CONTENT_LENGTH": "100"})
    assert r.status == 400 and r.json()["code"] == "INVALID_REQUEST"
    # shorter than the body: only the declared bytes are read
    r = fcgiclient.request(stack.meetd.socket, "POST", "/api/v1/auth/login",
                           body=b'{}{"email":"x@example.org"}', params={"CONTENT_LENGTH": "2"})
    assert r.status == 400 and r.json()["code"] == "VALIDATION_ERROR"
    assert set(r.json()["details"]) == {"email", "password"}
    for bad in ("abc", "-5", "1e3", " 7"):
        r = fcgiclient.request(stack.meetd.socket, "POST", "/api/v1/auth/login", body=b"{}",
                               params={"CONTENT_LENGTH": bad})
        assert r.status == 400 and r.json()["code"] == "INVALID_REQUEST", bad


def _raw_http(port, data, half_close=False, timeout=5):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as c:
        c.sendall(data)
        if half_close:
            c.shutdown(socket.SHUT_WR)
        out = b""
        try:
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            pass
    return out


def _meetd_saw(stack, request_id):
    time.sleep(0.1)
    return any(line.get("request_id") == request_id for line in stack.meetd.log_lines())


def test_content_length_mismatch_through_nginx(stack):
    """nginx never forwards a body that disagrees with Content-Length."""
    port = stack.nginx.port
    rid = "cl-short-" + secrets.token_hex(4)
    head = ("POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            f"X-Request-Id: {rid}\r\n")
    # body shorter than declared, then EOF: nginx drops it, meetd never sees it
    out = _raw_http(port, (head + "Content-Length: 100\r\nConnection: close\r\n\r\n{}").encode(),
                    half_close=True)
    assert out == b"" or out.startswith(b"HTTP/1.1 400")
    assert not _meetd_saw(stack, rid)
    # longer than declared: meetd gets exactly the declared bytes; the rest is
    # parsed by nginx as a next request and refused by nginx
    rid2 = "cl-long-" + secrets.token_hex(4)
    out = _raw_http(port, (head.replace(rid, rid2) + "Content-Length: 2\r\n\r\n"
                           '{}{"email":"x@example.org"}').encode())
    first = out.split(b"\r\n\r\n", 1)
    assert first[0].startswith(b"HTTP/1.1 400")
    body = json.loads(first[1][: int(first[0].lower().split(b"content-length: ")[1].split(b"\r\n")[0])])
    assert body["code"] == "VALIDATION_ERROR" and set(body["details"]) == {"email", "password"}
    assert _meetd_saw(stack, rid2)
    # Content-Length together with chunked, and a negative length: nginx's 400
    for extra in ("Content-Length: 2\r\nTransfer-Encoding: chunked\r\n", "Content-Length: -5\r\n"):
        rid3 = "cl-bad-" + secrets.token_hex(4)
        out = _raw_http(port, (head.replace(rid, rid3) + extra + "\r\n{}").encode())
        assert out.startswith(b"HTTP/1.1 400"), out[:100]
        assert not _meetd_saw(stack, rid3)


def test_chunked_body_is_delivered_whole(stack):
    user, _ = register(stack)
    body = json.dumps({"email": user["email"], "password": "correct horse battery"}).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 7]), body[i:i + 7]) for i in range(0, len(body), 7))
    out = _raw_http(stack.nginx.port, b"POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\n"
                    b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                    b"Connection: close\r\n\r\n" + chunks + b"0\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200"), out[:300]


# --- hostile JSON --------------------------------------------------------------

HOSTILE = {
    "malformed": b'{"name": "a",',
    "single quotes": b"{'name': 'a'}",
    "trailing garbage": b'{"name": "a"} x',
    "two documents": b'{"name": "a"}{"name": "b"}',
    "invalid UTF-8": b'{"name": "\xff\xfe"}',
    "overlong encoding": b'{"name": "\xc0\xaf"}',
    "encoded surrogate": b'{"name": "\xed\xa0\x80"}',
    "lone surrogate escape": b'{"name": "\\ud800"}',
    "NUL escape": b'{"name": "a\\u0000b"}',
    "raw control character": b'{"name": "a\x01b"}',
    "1e400": b'{"name": 1e400}',
    "-1e400": b'{"name": -1e400}',
    "huge integer": b'{"name": 123456789012345678901234567890}',
    "NaN": b'{"name": NaN}',
    "duplicate keys": b'{"name": "a", "name": "b"}',
    "33 levels": b"[" * 33 + b"]" * 33,
    "100000 levels": b"[" * 100_000,
    "100000 levels of objects": b'{"a":' * 100_000,
    "BOM": b'\xef\xbb\xbf{"name": "a"}',
}


def test_hostile_json_is_400(stack):
    _, token = register(stack)
    before = crashes(stack)
    for name, body in HOSTILE.items():
        t0 = time.monotonic()
        r = post_raw(stack, "/api/v1/api-keys", body, token=token)
        assert r.status == 400, (name, r.status, r.body[:200])
        assert json.loads(r.body)["code"] in ("INVALID_JSON", "VALIDATION_ERROR"), name
        assert time.monotonic() - t0 < 2, name
    for name in ("malformed", "invalid UTF-8", "NUL escape", "1e400", "duplicate keys",
                 "33 levels", "100000 levels"):
        assert_error(post_raw(stack, "/api/v1/api-keys", HOSTILE[name], token=token), 400, "INVALID_JSON")
    assert crashes(stack) == before
    assert list(stack.meetd.responder_pids())      # nobody died
    assert assert_success(stack.call("GET", "/api/v1/api-keys", token=token)) == []


def test_hostile_json_on_anonymous_route(stack):
    for name, body in HOSTILE.items():
        if len(body) > 16 * 1024:
            body = body[:16 * 1024]
        r = post_raw(stack, "/api/v1/auth/login", body)
        assert r.status == 400, (name, r.status, r.body[:200])


def test_depth_limit_boundary_and_strings(stack):
    _, token = register(stack)
    # 32 levels are parsed (and then refused for not being an object)
    r = post_raw(stack, "/api/v1/api-keys", b"[" * 32 + b"]" * 32, token=token)
    assert_error(r, 400, "VALIDATION_ERROR")
    nested = "1"
    for _ in range(31):
        nested = "[" + nested + "]"
    r = post_raw(stack, "/api/v1/api-keys", '{"name": ' + nested + "}", token=token)
    body = assert_error(r, 400, "VALIDATION_ERROR")
    assert set(body["details"]) == {"name"}
    r = post_raw(stack, "/api/v1/api-keys", '{"name": [' + nested + "]}", token=token)
    assert_error(r, 400, "INVALID_JSON")
    # brackets inside strings (with escaped quotes) are text, not nesting
    name = '\\"' + "[{" * 40
    r = post_raw(stack, "/api/v1/api-keys", '{"name": "' + name + '"}', token=token)
    assert assert_success(r, 201)["name"] == '"' + "[{" * 40


def test_many_keys(stack):
    _, token = register(stack)
    body = "{" + ",".join(f'"k{i}":0' for i in range(90_000)) + "}"
    assert len(body) < 1024 * 1024
    t0 = time.monotonic()
    r = post_raw(stack, "/api/v1/api-keys", body, token=token)
    assert_error(r, 400, "VALIDATION_ERROR")
    assert time.monotonic() - t0 < 5


def test_wrong_types_list_every_bad_field(stack):
    r = stack.call("POST", "/api/v1/auth/register",
                   {"email": 5, "password": True, "display_name": ["x"], "extra": {}})
    body = assert_error(r, 400, "VALIDATION_ERROR")
    assert set(body["details"]) == {"email", "password", "display_name", "extra"}
    assert all(isinstance(v, str) and v for v in body["details"].values())
    r = stack.call("POST", "/api/v1/auth/register", {"email": None, "password": 12345678})
    body = assert_error(r, 400, "VALIDATION_ERROR")
    assert set(body["details"]) == {"email", "password", "display_name"}
    assert_error(post_raw(stack, "/api/v1/auth/login", "[]"), 400, "VALIDATION_ERROR")
    for top in ("42", '"text"', "null", "true"):      # not even a JSON text for meetd
        assert_error(post_raw(stack, "/api/v1/auth/login", top), 400, "INVALID_JSON")
    # no body at all where one is required
    assert_error(stack.call("POST", "/api/v1/auth/login", headers=JSON), 400, "VALIDATION_ERROR")


def test_nul_and_controls_in_strings(stack):
    r = post_raw(stack, "/api/v1/auth/register",
                 json.dumps({"email": unique_email(), "password": "pass\u0000word",
                             "display_name": "a\u0000b"}))
    assert r.status == 400
    r = stack.call("POST", "/api/v1/auth/register",
                   {"email": unique_email(), "password": "password", "display_name": "a\nb"})
    assert set(assert_error(r, 400, "VALIDATION_ERROR")["details"]) == {"display_name"}


def test_unsupported_media_type(stack):
    _, token = register(stack)
    body = json.dumps({"email": "a@example.org", "password": "x"})
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "application/jsonx",
                  "application/json; charset=latin1", "multipart/form-data; boundary=x", None):
        r = post_raw(stack, "/api/v1/auth/login", body, content_type=ctype)
        assert_error(r, 415, "UNSUPPORTED_MEDIA_TYPE")
    r = post_raw(stack, "/api/v1/api-keys", json.dumps({"name": "k"}), token=token, content_type="text/json")
    assert_error(r, 415, "UNSUPPORTED_MEDIA_TYPE")
    for ctype in ("APPLICATION/JSON", "application/json; charset=UTF-8", 'application/json;charset="utf-8"'):
        r = post_raw(stack, "/api/v1/api-keys", json.dumps({"name": "k"}), token=token, content_type=ctype)
        assert r.status == 201, (ctype, r.body)


def test_not_found_envelope(stack):
    for path in ("/api/v1/nope", "/api/v2/health", "/api/v1/api-keys/x/y", "/api/v1/me/",
                 "/api/v1/%2e%2e/v1/health", "/api/v1/health%2f", "/api/v1/HEALTH"):
        r = stack.call("GET", path)
        body = assert_error(r, 404, "NOT_FOUND")
        assert body["details"] == {}
        assert r.headers["X-Request-Id"]
    # nginx itself refuses a NUL in the path and a climb above the root
    for path in ("/api/v1/health%00", "/api/../../etc/passwd"):
        assert stack.call("GET", path).status == 400


def test_method_not_allowed_has_allow(stack):
    _, token = register(stack)
    cases = [("DELETE", "/api/v1/me", "GET, HEAD, PATCH"), ("POST", "/api/v1/me", "GET, HEAD, PATCH"),
             ("GET", "/api/v1/auth/login", "POST"), ("PUT", "/api/v1/api-keys", "GET, HEAD, POST"),
             ("GET", "/api/v1/api-keys/01ARZ3NDEKTSV4RRFFQ69G5FAV", "DELETE"),
             ("PATCH", "/api/v1/ready", "GET, HEAD")]
    for method, path, allow in cases:
        r = stack.call(method, path, token=token)
        assert_error(r, 405, "METHOD_NOT_ALLOWED")
        assert sorted(a.strip() for a in r.headers["Allow"].split(",")) == sorted(allow.split(", ")), \
            (method, path, r.headers["Allow"])
    r = stack.call("BREW", "/api/v1/me", token=token)
    assert_error(r, 405, "METHOD_NOT_ALLOWED")


def test_head_has_no_body(stack):
    """meetd itself sends no body for HEAD (nginx would strip one anyway)."""
    r = fcgiclient.request(stack.meetd.socket, "HEAD", "/api/v1/health")
    assert r.status == 200
    assert r.body == b""
    assert int(r.headers["content-length"]) > 0
    # through nginx too, and HEAD on a POST-only route is still 405
    r = stack.call("HEAD", "/api/v1/ready")
    assert r.status == 200 and r.body == b""
    r = stack.call("HEAD", "/api/v1/auth/login")
    assert r.status == 405 and r.headers["Allow"] == "POST"


def test_security_headers_sent_once(stack):
    r = stack.call("GET", "/api/v1/health")
    assert r.headers.get_all("X-Content-Type-Options") == ["nosniff"]
    assert r.headers.get_all("X-Request-Id") and len(r.headers.get_all("X-Request-Id")) == 1


def test_request_id_kept_or_replaced(stack):
    for good in ("abc-123.X_y", "a", "Z" * 64):
        r = stack.call("GET", "/api/v1/health", headers={"X-Request-Id": good})
        assert r.headers["X-Request-Id"] == good
    for bad in ("bad id!", "x" * 65, "ünïcode", "a/b", "a;b", "{}"):
        r = stack.call("GET", "/api/v1/health", headers={"X-Request-Id": bad})
        rid = r.headers["X-Request-Id"]
        assert rid != bad and NGINX_RID_RE.match(rid), (bad, rid)
    # errors carry it too, and it is the id in meetd's access log
    rid = "trace-" + secrets.token_hex(8)
    r = stack.call("GET", "/api/v1/nope", headers={"X-Request-Id": rid})
    assert r.status == 404 and r.headers["X-Request-Id"] == rid
    time.sleep(0.1)
    lines = [x for x in stack.meetd.log_lines() if x.get("request_id") == rid]
    assert len(lines) == 1 and lines[0]["event"] == "access" and lines[0]["status"] == 404
    # generated ids are unique
    ids = {stack.call("GET", "/api/v1/health").headers["X-Request-Id"] for _ in range(20)}
    assert len(ids) == 20
