"""Clients of meetd's real-time connections for the tests: WebSocket through
Debian's python3-websockets (an independent implementation), EventSource
read off a raw socket as a browser would (the SSE wire format is simple
enough to parse here: `event:`/`data:` lines ended by a blank line), and the
worker process that publishes what responders could not."""

import asyncio
import json
import os
import signal
import subprocess

import websockets

from helpers import assert_success
from meetings_fixtures import mpath
import stack as stackmod

WAIT = 10.0     # functional waits: generous; speed lives in the benchmark


def ticket(stack, token, mid):
    return assert_success(stack.call("POST", mpath(mid, "/realtime-ticket"), token=token), 201)


def ws_url(stack, path):
    return stack.nginx.url.replace("http://", "ws://") + path


class Listener:
    """Collects the messages of one connection in the background."""

    def __init__(self):
        self.messages = []
        self.closed = None
        self._arrived = asyncio.Event()

    def _got(self, msg):
        self.messages.append(msg)
        self._arrived.set()

    async def wait_for(self, pred, timeout=WAIT):
        """The first message matching pred (waiting for it)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for m in self.messages:
                if pred(m):
                    return m
            if self.closed is not None:
                raise AssertionError(f"connection closed ({self.closed}) before the message came; "
                                     f"got {self.messages}")
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"no such message within {timeout}s; got {self.messages}")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), min(left, 0.2))
            except asyncio.TimeoutError:
                pass

    async def wait_closed(self, timeout=WAIT):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.closed is None:
            if loop.time() > deadline:
                raise AssertionError("connection still open")
            await asyncio.sleep(0.05)
        return self.closed

    def of_type(self, t):
        return [m for m in self.messages if m.get("type") == t]


class WsClient(Listener):
    def __init__(self, ws):
        super().__init__()
        self.ws = ws
        self.task = asyncio.create_task(self._run())

    @classmethod
    async def open(cls, stack, path, **kw):
        return cls(await websockets.connect(ws_url(stack, path), open_timeout=WAIT, **kw))

    async def _run(self):
        try:
            async for raw in self.ws:
                self._got(json.loads(raw))
        except websockets.ConnectionClosed as e:
            self.closed = e.rcvd.code if e.rcvd else 1006
            return
        self.closed = self.ws.close_code or 1000

    async def send(self, obj):
        await self.ws.send(obj if isinstance(obj, str) else json.dumps(obj))

    async def close(self):
        try:
            await self.ws.close()
        except websockets.ConnectionClosed:
            pass        # the server went first (a test that killed nginx)
        try:
            await asyncio.wait_for(self.task, WAIT)
        except asyncio.TimeoutError:
            self.task.cancel()


class SseClient(Listener):
    """An EventSource: GET with Accept: text/event-stream, HTTP/1.0 so the
    body is the stream itself (no chunked framing)."""

    def __init__(self, reader, writer, status, headers, body):
        super().__init__()
        self.reader, self.writer = reader, writer
        self.status, self.headers, self.body = status, headers, body
        self.events = []        # (event name, data) as the wire had them
        self.task = asyncio.create_task(self._run()) if status == 200 else None

    @classmethod
    async def open(cls, stack, path, headers=None):
        reader, writer = await asyncio.open_connection(stack.nginx.host, stack.nginx.port)
        lines = [f"GET {path} HTTP/1.0", "Host: 127.0.0.1", "Accept: text/event-stream"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        status_line = (await asyncio.wait_for(reader.readline(), WAIT)).decode()
        status = int(status_line.split()[1])
        hdrs = {}
        while True:
            line = (await asyncio.wait_for(reader.readline(), WAIT)).decode().rstrip("\r\n")
            if not line:
                break
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        body = b""
        if status != 200:
            body = await asyncio.wait_for(reader.read(), WAIT)
            writer.close()
        return cls(reader, writer, status, hdrs, body)

    async def _run(self):
        event, data = None, []
        try:
            while True:
                raw = await self.reader.readline()
                if not raw:
                    break
                line = raw.decode().rstrip("\r\n")
                if line == "":
                    if data:
                        text = "\n".join(data)
                        self.events.append((event, text))
                        self._got(json.loads(text))
                    event, data = None, []
                elif line.startswith(":"):
                    continue    # a comment: nchan's keep-alive
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip(" "))
        finally:
            self.closed = "eof"

    async def close(self):
        self.writer.close()
        if self.task:
            self.task.cancel()


class Worker:
    """`meetd worker` on a stack's config, stopped at the end."""

    def __init__(self, stack):
        self.stack = stack
        self.log = os.path.join(stack.meetd.root, "worker.log")
        self.proc = None

    def start(self):
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen([stackmod.MEETD_BIN, "-c", self.stack.meetd.conf, "worker"],
                                     stdout=self.logf, stderr=self.logf)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.logf.close()


def nginx_worker_pids(stack):
    """nginx's worker processes (children of its master)."""
    pid = stack.nginx.proc.pid
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return sorted(int(p) for p in f.read().split())


def nginx_crashes(stack):
    """Lines of nginx's error log telling that a worker died."""
    with open(os.path.join(stack.nginx.root, "nginx-error.log")) as f:
        return [line for line in f if "exited on signal" in line or "worker process" in line
                and "exited" in line]
