"""A minimal FastCGI client (responder role), written for these tests.

nginx normalises what reaches meetd (it rejects oversized headers, fixes
Content-Length, buffers bodies), so some of meetd's own defences can only be
reached by talking FastCGI to its socket directly: a CONTENT_LENGTH that
disagrees with the body, a body over body_limit, a 100 KB Authorization
header. Only what the tests need: one request per connection, no
multiplexing, no keep-alive.
"""

import socket
import struct

VERSION = 1
BEGIN_REQUEST, ABORT_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR = 1, 2, 3, 4, 5, 6, 7
RESPONDER = 1
MAX_CONTENT = 65535


def _record(rtype, content, request_id=1):
    pad = (8 - len(content) % 8) % 8
    return struct.pack(">BBHHBx", VERSION, rtype, request_id, len(content), pad) + content + b"\0" * pad


def _stream(rtype, data):
    out = b"".join(_record(rtype, data[i:i + MAX_CONTENT]) for i in range(0, len(data), MAX_CONTENT))
    return out + _record(rtype, b"")


def _length(n):
    return struct.pack(">B", n) if n < 128 else struct.pack(">I", n | 0x80000000)


def _pairs(params):
    out = b""
    for k, v in params.items():
        k = k.encode() if isinstance(k, str) else k
        v = v.encode() if isinstance(v, str) else v
        out += _length(len(k)) + _length(len(v)) + k + v
    return out


class FcgiResponse:
    def __init__(self, status, headers, body, stderr, app_status):
        self.status = status
        self.headers = headers
        self.body = body
        self.stderr = stderr
        self.app_status = app_status

    def json(self):
        import json
        return json.loads(self.body)


def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("FastCGI peer closed the connection mid-record")
        buf += chunk
    return buf


def request(sock_path, method, uri, body=b"", headers=None, params=None, timeout=10.0):
    """Sends one request to a FastCGI responder on a unix socket.

    `headers` become HTTP_* params; `params` are added last and override
    anything (e.g. a lying CONTENT_LENGTH). Returns an FcgiResponse."""
    if isinstance(body, str):
        body = body.encode()
    p = {"REQUEST_METHOD": method, "REQUEST_URI": uri,
         "DOCUMENT_URI": uri.split("?", 1)[0],
         "QUERY_STRING": uri.split("?", 1)[1] if "?" in uri else "",
         "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "40000",
         "SERVER_NAME": "localhost", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
         "CONTENT_LENGTH": str(len(body)) if body else "",
         "CONTENT_TYPE": "application/json" if body else ""}
    for k, v in (headers or {}).items():
        p["HTTP_" + k.upper().replace("-", "_")] = v
    p.update(params or {})

    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock_path)
        s.sendall(_record(BEGIN_REQUEST, struct.pack(">HB5x", RESPONDER, 0)) +
                  _stream(PARAMS, _pairs(p)))
        try:
            s.sendall(_stream(STDIN, body))
        except (BrokenPipeError, ConnectionResetError):
            pass        # the responder answered without reading everything
        out, err, app_status = b"", b"", None
        while app_status is None:
            hdr = _recv_exact(s, 8)
            _v, rtype, _rid, clen, plen = struct.unpack(">BBHHBx", hdr)
            content = _recv_exact(s, clen + plen)[:clen]
            if rtype == STDOUT:
                out += content
            elif rtype == STDERR:
                err += content
            elif rtype == END_REQUEST:
                app_status = struct.unpack(">I", content[:4])[0]
    finally:
        s.close()

    head, _, resp_body = out.partition(b"\r\n\r\n")
    headers_out = {}
    status = 200
    for line in head.decode("latin-1").split("\r\n"):
        if ":" not in line:
            continue
        k, v = line.split(":", 1)
        headers_out[k.strip().lower()] = v.strip()
    if "status" in headers_out:
        status = int(headers_out["status"].split()[0])
    return FcgiResponse(status, headers_out, resp_body, err, app_status)
