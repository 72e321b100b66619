"""A small, bounded load generator for the integration tests.

run_load() starts `threads` threads that each send requests back to back
(one new HTTP connection per request, so a failure can never be blamed on
a stale keep-alive connection) until `duration` seconds have passed, the
`stop` event is set, or `max_requests` have been sent in total. Every
request is recorded as a Result: the HTTP status (0 when the connection
failed), when it started and ended (time.monotonic()), and for answers
that are not the expected ones the error code or exception text.
"""

import http.client
import json
import threading
import time
from dataclasses import dataclass


@dataclass
class Result:
    status: int
    start: float
    end: float
    code: str = ""          # the envelope's "code", or the exception, for failures

    @property
    def elapsed(self):
        return self.end - self.start


def one_request(port, method, path, body=None, headers=None, timeout=10.0):
    """Sends one request on a fresh connection; returns a Result, never raises."""
    hdrs = dict(headers or {})
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        raw = resp.read()
        code = ""
        if resp.status >= 400:
            try:
                code = json.loads(raw).get("code", "")
            except ValueError:
                code = raw[:80].decode("latin-1")
        return Result(resp.status, t0, time.monotonic(), code)
    except (OSError, http.client.HTTPException) as e:
        return Result(0, t0, time.monotonic(), f"{type(e).__name__}: {e}")
    finally:
        conn.close()


# The development nginx config limits one address to 1000 r/s (burst 2000);
# staying below it keeps nginx's 429s out of results meant to judge meetd.
DEFAULT_RATE = 700


def run_load(port, method, path, body=None, headers=None, threads=8, duration=3.0,
             max_requests=100000, stop=None, timeout=10.0, rate=DEFAULT_RATE):
    """Loads 127.0.0.1:port from `threads` threads, at most `rate` requests
    per second in all (None: as fast as they go); returns the list of
    Results (in order of completion)."""
    results = []
    lock = threading.Lock()
    deadline = time.monotonic() + duration
    stop = stop or threading.Event()
    sent = [0]
    next_slot = [time.monotonic()]
    gap = 1.0 / rate if rate else 0.0

    def worker():
        while not stop.is_set() and time.monotonic() < deadline:
            with lock:
                if sent[0] >= max_requests:
                    return
                sent[0] += 1
                slot = next_slot[0] = max(next_slot[0] + gap, time.monotonic() - 0.05)
            delay = slot - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            r = one_request(port, method, path, body, headers, timeout)
            with lock:
                results.append(r)

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(duration + timeout + 5)
    return results


class Background:
    """run_load() in a background thread:

        with Background(port, "GET", "/path", duration=3) as bg:
            ...                      # fault injection
        bg.results                   # once the block has ended

    The load runs for `duration` seconds unless bg.finish() ends it early;
    leaving the block waits for it. If the block raises, the load is
    stopped at once so no thread outlives the test."""

    def __init__(self, port, method, path, duration=3.0, **kw):
        self.stop = threading.Event()
        self.results = None
        self.started = None
        self._args = (port, method, path)
        self._kw = dict(kw, duration=duration)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        self.results = run_load(*self._args, stop=self.stop, **self._kw)

    def finish(self):
        self.stop.set()

    def __enter__(self):
        self.started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is not None:
            self.stop.set()
        self._thread.join(self._kw["duration"] + 60)
        return False


def failures(results, ok=(200,)):
    return [r for r in results if r.status not in ok]


def summary(results):
    by = {}
    for r in results:
        key = r.status if r.status else r.code
        by[key] = by.get(key, 0) + 1
    return by
