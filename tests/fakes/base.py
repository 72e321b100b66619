"""Common machinery of the platform fakes: a threaded HTTP server on
127.0.0.1 with a request log, counters and faults injected on demand.

A fake is a FakeServer subclass whose handlers are methods named in its
`routes` table: (method, regex over the path) -> handler(self, req) returning
(status, headers dict, body bytes|dict|None). Tests use it in-process:

    fake = ZoomFake(...); fake.start(); ...; fake.stop()

or as a process (benchmarks): python3 -m fakes.zoom --port N.

Faults are queued per route name and consumed one per matching request:
    fake.fault("create", "status", status=500)
    fake.fault("create", "429", retry_after="2")            # seconds or HTTP date
    fake.fault("create", "hang", seconds=40)
    fake.fault("create", "drop_after")   # do the work, then close without answering
    fake.fault("token", "invalid_grant")  # handler-specific kinds are allowed
"""
import json
import re
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Request:
    def __init__(self, method, path, query, headers, body):
        self.method = method
        self.path = path
        self.query = query                  # dict name -> first value
        self.headers = headers              # case-insensitive email.message.Message
        self.body = body                    # raw bytes
        self.match = None                   # the route regex match
        self.at = time.time()

    def json(self):
        return json.loads(self.body.decode("utf-8")) if self.body else None

    def form(self):
        return {k: v[0] for k, v in urllib.parse.parse_qs(self.body.decode("ascii"),
                                                          keep_blank_values=True).items()}


class Fault:
    def __init__(self, kind, **kw):
        self.kind = kind
        self.kw = kw


class FakeServer:
    routes = []                             # [(method, regex, route name, handler name)]

    def __init__(self):
        self.lock = threading.RLock()
        self.log = []                       # [(route name, Request)]
        self.counts = {}                    # route name -> requests seen
        self.faults = {}                    # route name -> [Fault]
        self.httpd = None
        self.thread = None
        self._compiled = [(m, re.compile(rx + r"\Z"), name, h) for m, rx, name, h in self.routes]

    # --- lifecycle -------------------------------------------------------
    def start(self, port=0):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out in separate writes: without this, a
            # kept-alive client waits out the peer's delayed ACK (40 ms)
            disable_nagle_algorithm = True

            def log_message(self, *a):
                pass

            def _serve(self):
                fake._dispatch(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    @property
    def port(self):
        return self.httpd.server_address[1]

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    # --- test controls ---------------------------------------------------
    def fault(self, route, kind, count=1, **kw):
        with self.lock:
            self.faults.setdefault(route, []).extend(Fault(kind, **kw) for _ in range(count))

    def clear_faults(self):
        with self.lock:
            self.faults.clear()

    def count(self, route):
        with self.lock:
            return self.counts.get(route, 0)

    def requests(self, route):
        with self.lock:
            return [r for n, r in self.log if n == route]

    def _take_fault(self, route):
        with self.lock:
            q = self.faults.get(route)
            return q.pop(0) if q else None

    # --- dispatch --------------------------------------------------------
    def _dispatch(self, h):
        url = urllib.parse.urlsplit(h.path)
        n = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(n) if n > 0 else b""
        query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        req = Request(h.command, url.path, query, h.headers, body)
        for method, rx, name, handler in self._compiled:
            m = rx.match(url.path)
            if m is None or method != h.command:
                continue
            req.match = m
            with self.lock:
                self.log.append((name, req))
                self.counts[name] = self.counts.get(name, 0) + 1
            fault = self._take_fault(name)
            if fault is not None and fault.kind in ("status", "429", "hang"):
                return self._generic_fault(h, fault)
            status, headers, out = getattr(self, handler)(req, fault)
            if fault is not None and fault.kind == "drop_after":
                h.close_connection = True
                try:
                    h.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            return self._send(h, status, headers, out)
        return self._send(h, 404, {}, self.not_found_body(req))

    def _generic_fault(self, h, fault):
        if fault.kind == "hang":
            time.sleep(fault.kw.get("seconds", 60))
            h.close_connection = True
            return
        if fault.kind == "429":
            hdrs = {}
            if fault.kw.get("retry_after") is not None:
                hdrs["Retry-After"] = str(fault.kw["retry_after"])
            return self._send(h, 429, hdrs, self.error_body(429, "Too many requests"))
        status = fault.kw.get("status", 500)
        return self._send(h, status, {}, self.error_body(status, "Injected fault"))

    def _send(self, h, status, headers, out):
        if isinstance(out, (dict, list)):
            out = json.dumps(out).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        out = out or b""
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(out)))
        h.end_headers()
        if h.command != "HEAD" and out:
            h.wfile.write(out)

    # platform-specific error shapes; subclasses override
    def error_body(self, status, message):
        return {"code": status, "message": message}

    def not_found_body(self, req):
        return self.error_body(404, "Not found")


def serve_main(factory, argv=None):
    """`python3 -m fakes.<name> --port N [key=value ...]` for benchmarks."""
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("options", nargs="*", help="key=value passed to the fake's constructor")
    a = p.parse_args(argv)
    kw = dict(o.split("=", 1) for o in a.options)
    fake = factory(**kw).start(a.port)
    print(fake.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()
