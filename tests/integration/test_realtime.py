"""Real time over nchan (design: real time): every meeting event pushed to
WebSocket and EventSource clients through nginx's nchan module, with no
responder held; subscriptions authorized by meetd (tickets, tokens,
membership: T31 for channels); order and resume from the outbox; events
published late when nchan was down (T19)."""

import asyncio
import json
import os
import signal
import socket
import time

import pytest
import websockets

from helpers import assert_error, assert_success, metrics, wait_until
from meetings_fixtures import (create, error_shape, fresh_addr, join, module_stack, mpath,
                               q, random_ulid, set_member, sql_rows, sql_value, user)
from realtime_clients import WAIT, SseClient, Worker, WsClient, ticket

rt = module_stack(realtime__presence_grace="2s", realtime__sweep_interval="1s")


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 120))


def members(stack, n):
    """A meeting of Alice's with n-1 more members: [(user, token)], meeting."""
    people = [user(stack, f"Person {i}") for i in range(n)]
    m = create(stack, people[0][1])
    for u, _ in people[1:]:
        set_member(stack, people[0][1], m["id"], u["id"], "participant")
    return people, m


async def ws_with_ticket(stack, token, mid):
    t = ticket(stack, token, mid)
    return await WsClient.open(stack, t["url"])


def seqs(listener, channel="meeting"):
    return [m["seq"] for m in listener.messages if "seq" in m and m.get("channel") == channel]


# --- 1. subscribe; 2. channels and events -------------------------------------

def test_two_websockets_and_an_eventsource_see_each_others_events(rt):
    people, m = members(rt, 3)
    (alice, ta), (bob, tb), (carol, tc) = people
    mid = m["id"]

    async def scenario():
        a = await ws_with_ticket(rt, ta, mid)
        # a 001 client may send its JWT as a query parameter or a header
        b = await WsClient.open(rt, f"/ws/meetings/{mid}?token={tb}")
        t = ticket(rt, tc, mid)
        c = await SseClient.open(rt, t["url"])
        assert c.status == 200 and c.headers["content-type"].startswith("text/event-stream")
        everyone = (a, b, c)
        await asyncio.sleep(0.3)

        assert_success(rt.call("POST", mpath(mid, "/start"), token=ta))
        for x in everyone:
            ev = await x.wait_for(lambda e: e["type"] == "meeting_updated")
            assert ev["event"] == "meeting.started" and ev["seq"] == 1 and ev["channel"] == "meeting"
            assert ev["meeting_id"] == mid and ev["user_id"] == alice["id"]
        join(rt, tb, mid)
        join(rt, tc, mid)
        for x in everyone:
            await x.wait_for(lambda e: e["type"] == "join" and e["user_id"] == bob["id"])
            await x.wait_for(lambda e: e["type"] == "join" and e["user_id"] == carol["id"])
        # an ephemeral message reaches the others, unnumbered
        r = rt.call("POST", mpath(mid, "/signals"),
                    {"type": "reaction", "data": {"reaction_type": "thumbs_up", "duration": 3}}, token=tb)
        assert_success(r, 202)
        for x in (a, c):
            ev = await x.wait_for(lambda e: e["type"] == "reaction")
            assert ev["user_id"] == bob["id"] and ev["data"] == {"reaction_type": "thumbs_up", "duration": 3}
            assert "seq" not in ev
        r = rt.call("POST", mpath(mid, "/signals"), {"type": "typing", "data": {"is_typing": True}}, token=tc)
        assert_success(r, 202)
        for x in (a, b):
            await x.wait_for(lambda e: e["type"] == "typing" and e["user_id"] == carol["id"])
        assert_success(rt.call("POST", mpath(mid, "/leave"), token=tb))
        assert_success(rt.call("PATCH", mpath(mid), {"title": "Renamed"}, token=ta))
        for x in everyone:
            await x.wait_for(lambda e: e["type"] == "leave" and e["user_id"] == bob["id"])
            ev = await x.wait_for(lambda e: e.get("event") == "meeting.updated")
            assert ev["type"] == "meeting_updated"
        for x in everyone:
            assert seqs(x) == [1, 2, 3, 4, 5], x.messages
        # the EventSource got plain messages: a browser's onmessage sees them all
        assert all(name is None for name, _ in c.events)

        # the end is the last message, then every connection is closed
        assert_success(rt.call("POST", mpath(mid, "/end"), token=ta))
        for x in everyone:
            ev = await x.wait_for(lambda e: e["type"] == "meeting_ended")
            assert ev["seq"] == 6
            await x.wait_closed()
        assert a.closed == b.closed == 1001
    run(scenario())
    # an ended meeting cannot be subscribed to
    r = rt.call("GET", f"/ws/meetings/{m['id']}?token={ta}", headers={"Accept": "text/event-stream"})
    assert_error(r, 409, "MEETING_ENDED")


def test_a_cancelled_meeting_closes_its_connections(rt):
    ((alice, ta), (bob, tb)), m = members(rt, 2)

    async def scenario():
        b = await ws_with_ticket(rt, tb, m["id"])
        assert_success(rt.call("POST", mpath(m["id"], "/cancel"), token=ta))
        ev = await b.wait_for(lambda e: e.get("event") == "meeting.cancelled")
        assert ev["type"] == "meeting_updated" and ev["seq"] == 1
        assert await b.wait_closed() == 1001
    run(scenario())
    r = handshake(rt, f"/ws/meetings/{m['id']}?token={tb}")
    assert_error(r, 409, "MEETING_CANCELLED")


def test_events_carry_their_number_in_the_outbox_and_to_the_client(rt):
    (alice, ta), = members(rt, 1)[0]
    m = create(rt, ta)
    assert_success(rt.call("POST", mpath(m["id"], "/start"), token=ta))
    rows = sql_rows(rt, f"SELECT type, channel_user, channel_seq FROM outbox_events "
                        f"WHERE meeting_id = {q(m['id'])} ORDER BY seq")
    # created is not pushed (nobody can listen yet) and takes no number
    assert rows == [["meeting.created", "", "NULL"], ["meeting.started", "", "1"]]
    r = assert_success(rt.call("GET", mpath(m["id"], "/events?after=0"), token=ta))
    assert r["meeting_seq"] == 1 and not r["resync"] and not r["has_more"]
    assert [e["seq"] for e in r["events"]] == [1]


# --- T31 for channels: who may subscribe -----------------------------------------

def handshake(stack, path, token=None, ticket_value=None):
    """The WebSocket handshake as a plain request: meetd's refusal is its JSON."""
    hdrs = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    return stack.call("GET", path, headers=hdrs, token=token)


def test_strangers_and_bad_tickets_cannot_subscribe(rt):
    ((alice, ta), (bob, tb)), m = members(rt, 2)
    stranger, ts = user(rt, "Stranger")
    other = create(rt, tb)
    mid = m["id"]
    ghost = random_ulid()

    # a stranger: 404 exactly as for a meeting that does not exist, whatever the transport
    for hdrs in ({"Accept": "text/event-stream"}, None):
        real = handshake(rt, f"/ws/meetings/{mid}", token=ts) if hdrs is None else \
            rt.call("GET", f"/ws/meetings/{mid}?token={ts}", headers=hdrs)
        fake = handshake(rt, f"/ws/meetings/{ghost}", token=ts) if hdrs is None else \
            rt.call("GET", f"/ws/meetings/{ghost}?token={ts}", headers=hdrs)
        assert_error(real, 404, "MEETING_NOT_FOUND")
        assert error_shape(real) == error_shape(fake)
    assert_error(rt.call("POST", mpath(mid, "/realtime-ticket"), token=ts), 404, "MEETING_NOT_FOUND")

    # tickets: single use, short-lived, bound to their meeting
    t = ticket(rt, ta, mid)
    assert t["expires_in"] <= 60 and len(t["ticket"]) == 43

    async def accepted():
        c = await WsClient.open(rt, t["url"])
        await c.close()
    run(accepted())
    assert_error(handshake(rt, t["url"]), 401, "INVALID_TICKET")          # reused
    t2 = ticket(rt, ta, mid)
    rt.db.sql(f"UPDATE realtime_tickets SET expires_at = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND",
              database="meetd")
    assert_error(handshake(rt, t2["url"]), 401, "INVALID_TICKET")         # expired
    t3 = ticket(rt, tb, other["id"])
    assert_error(handshake(rt, f"/ws/meetings/{mid}?ticket={t3['ticket']}"), 401, "INVALID_TICKET")
    # ... and spent by that try: it does not open its own meeting afterwards
    assert_error(handshake(rt, t3["url"]), 401, "INVALID_TICKET")
    for bad in ("x", "A" * 43, "A" * 44, "../../x", "%C3%A9" * 20, "A" * 5000):
        assert_error(handshake(rt, f"/ws/meetings/{mid}?ticket={bad}"), 401, "INVALID_TICKET")
    # no usable ticket at all (empty, or not decodable): refused as well
    for bad in ("", "%00" * 10, "%zz"):
        r = handshake(rt, f"/ws/meetings/{mid}?ticket={bad}")
        assert r.status == 401 and r.json()["code"] in ("INVALID_TICKET", "AUTHENTICATION_REQUIRED"), r.body
    # no credentials, or a bad token
    assert_error(handshake(rt, f"/ws/meetings/{mid}"), 401, "AUTHENTICATION_REQUIRED")
    assert_error(handshake(rt, f"/ws/meetings/{mid}?token=not.a.jwt"), 401, "INVALID_TOKEN")
    # not a WebSocket, not an EventSource
    assert_error(rt.call("GET", f"/ws/meetings/{mid}", token=ta), 400, "INVALID_REQUEST")
    # a ticket is never stored in clear
    assert sql_value(rt, "SELECT COUNT(*) FROM realtime_tickets WHERE "
                         f"HEX(ticket_hash) LIKE '%{t2['ticket'][:8].upper()}%'") == "0"


def test_a_guest_listens_to_its_own_meeting_only(rt):
    (alice, ta), = members(rt, 1)[0]
    m = create(rt, ta)
    other = create(rt, ta)
    g = assert_success(rt.call("POST", "/api/v1/guest-tokens",
                               {"invitation_token": m["invitation_token"], "display_name": "Visitor"}), 201)
    gt = g["access_token"]

    async def scenario():
        c = await ws_with_ticket(rt, gt, m["id"])
        assert_success(rt.call("POST", mpath(m["id"], "/start"), token=ta))
        await c.wait_for(lambda e: e["type"] == "meeting_updated")
        await c.close()
    run(scenario())
    assert_error(rt.call("POST", mpath(other["id"], "/realtime-ticket"), token=gt), 404, "MEETING_NOT_FOUND")
    assert_error(handshake(rt, f"/ws/meetings/{other['id']}?token={gt}"), 404, "MEETING_NOT_FOUND")


def test_channel_ids_and_internal_locations_stay_inside(rt):
    (alice, ta), = members(rt, 1)[0]
    m = create(rt, ta)

    async def scenario():
        c = await ws_with_ticket(rt, ta, m["id"])
        headers = "\n".join(f"{k}: {v}" for k, v in c.ws.response_headers.raw_items())
        await c.close()
        return headers
    headers = run(scenario())
    assert "X-Accel" not in headers and m["id"] not in headers and alice["id"] not in headers
    # the internal locations are not reachable from outside
    for path in (f"/internal/sub/{m['id']}/{alice['id']}",
                 f"/internal/hook/subscribe/{m['id']}/{alice['id']}",
                 f"/internal/hook/unsubscribe/{m['id']}/{alice['id']}"):
        for method in ("GET", "POST"):
            r = rt.call(method, path, {} if method == "POST" else None, token=ta)
            assert r.status == 404, (method, path, r.status)
    # nor is the publisher, from any address but loopback's own (T33)
    src = fresh_addr()
    with socket.create_connection(("127.0.0.1", rt.nginx.publish_port),
                                  source_address=(src, 0), timeout=WAIT) as s:
        s.sendall(f"POST /pub/m{m['id']} HTTP/1.0\r\nContent-Length: 2\r\n\r\n{{}}".encode())
        reply = s.recv(4096).decode(errors="replace")
    assert reply.split()[1] == "403", reply


def test_tickets_and_tokens_are_masked_in_both_logs(rt):
    (alice, ta), = members(rt, 1)[0]
    m = create(rt, ta)
    t = ticket(rt, ta, m["id"])
    handshake(rt, t["url"])
    handshake(rt, f"/ws/meetings/{m['id']}?foo=1&token={ta}&ticket={t['ticket']}")

    async def eventsource():
        c = await SseClient.open(rt, f"/ws/meetings/{m['id']}?token={ta}")
        assert c.status == 200
        await c.close()
    run(eventsource())
    time.sleep(0.5)
    with open(rt.nginx.access_log) as f:
        nginx_log = f.read()
    with open(rt.meetd.log) as f:
        meetd_log = f.read()
    assert f"/ws/meetings/{m['id']}?ticket=:redacted" in nginx_log
    assert "foo=1&token=:redacted&ticket=:redacted" in nginx_log
    for log in (nginx_log, meetd_log):
        assert t["ticket"] not in log and ta not in log


# --- 3. order and resume ------------------------------------------------------

def test_resume_reads_what_was_missed_in_order(rt):
    ((alice, ta), (bob, tb)), m = members(rt, 2)
    mid = m["id"]
    assert_success(rt.call("POST", mpath(mid, "/start"), token=ta))
    for i in range(5):
        assert_success(rt.call("PATCH", mpath(mid), {"title": f"Title {i}"}, token=ta))
    page = assert_success(rt.call("GET", mpath(mid, "/events?after=2"), token=tb))
    assert [e["seq"] for e in page["events"]] == [3, 4, 5, 6] and page["meeting_seq"] == 6
    assert [e["data"]["title"] for e in page["events"][1:]] == ["Title 1", "Title 2", "Title 3", "Title 4"] \
        if "title" in page["events"][1]["data"] else True
    page = assert_success(rt.call("GET", mpath(mid, "/events?after=1&limit=2"), token=tb))
    assert [e["seq"] for e in page["events"]] == [2, 3] and page["has_more"]
    page = assert_success(rt.call("GET", mpath(mid, "/events?after=6"), token=tb))
    assert page["events"] == [] and not page["resync"] and not page["has_more"]
    # ahead of the server: reload
    page = assert_success(rt.call("GET", mpath(mid, "/events?after=7"), token=tb))
    assert page["resync"] and page["events"] == []
    # past the window (events purged): reload, never a silent gap
    rt.db.sql(f"DELETE FROM outbox_events WHERE meeting_id = {q(mid)} AND channel_seq <= 3", database="meetd")
    page = assert_success(rt.call("GET", mpath(mid, "/events?after=2"), token=tb))
    assert page["resync"] and page["events"] == []
    page = assert_success(rt.call("GET", mpath(mid, "/events?after=3"), token=tb))
    assert [e["seq"] for e in page["events"]] == [4, 5, 6]
    # own channel: nothing yet, and asked for only when given
    page = assert_success(rt.call("GET", mpath(mid, "/events?after=6&own_after=0"), token=tb))
    assert page["own_seq"] == 0 and page["events"] == []


@pytest.mark.parametrize("query", [
    "", "?after=", "?after=-1", "?after=abc", "?after=1e3", "?after=1.5", "?after=0x10",
    "?after=99999999999999999999", "?after=%00", "?after=1&limit=0", "?after=1&limit=501",
    "?after=1&limit=-5", "?after=1&own_after=-1", "?after=1&own_after=x", "?after=%201",
])
def test_hostile_after_values_are_refused(rt, query):
    (alice, ta), = members(rt, 1)[0]
    m = create(rt, ta)
    r = rt.call("GET", mpath(m["id"], "/events") + query, token=ta)
    assert_error(r, 400, "VALIDATION_ERROR")
    # and a stranger learns nothing from them: 404 first
    stranger, ts = user(rt, "Stranger")
    assert_error(rt.call("GET", mpath(m["id"], "/events") + query, token=ts), 404, "MEETING_NOT_FOUND")


# --- 4. publishing never fails a request (T19) ----------------------------------

def set_publisher(stack, port):
    """Reloads nginx with its publisher server on another port (or back)."""
    stack.nginx.edits = [] if port is None else [
        (f"listen {stack.nginx.host}:{stack.nginx.publish_port};", f"listen {stack.nginx.host}:{port};")]
    stack.nginx.render()
    old = set(_children(stack.nginx.proc.pid))
    stack.nginx.proc.send_signal(signal.SIGHUP)
    # the new generation of workers is up and the old one gone (it held
    # meetd's kept-alive connection to the old publisher)
    done, _ = wait_until(lambda: not (set(_children(stack.nginx.proc.pid)) & old), 30)
    assert done, "nginx's old workers did not exit"


def _children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def test_resume_across_a_publisher_outage_has_every_event_once_in_order(rt):
    from stack import free_port
    ((alice, ta), (bob, tb)), m = members(rt, 2)
    mid = m["id"]
    worker = Worker(rt).start()
    failed_before = metrics(rt).get("meetd_realtime_publish_failed_total", 0)
    try:
        async def scenario():
            got = {}
            c = await ws_with_ticket(rt, tb, mid)
            assert_success(rt.call("POST", mpath(mid, "/start"), token=ta))
            await c.wait_for(lambda e: e.get("seq") == 1)
            for e in c.messages:
                got.setdefault(e["seq"], e)
            await c.close()

            # nchan's publisher is gone: the API still answers, failures are counted
            set_publisher(rt, free_port())
            for i in range(3):
                assert_success(rt.call("PATCH", mpath(mid), {"title": f"During outage {i}"}, token=ta))
            # (a responder publishes after it has answered: wait for the third)
            counted, _ = wait_until(lambda: metrics(rt).get("meetd_realtime_publish_failed_total", 0)
                                    >= failed_before + 3, WAIT)
            assert counted

            set_publisher(rt, None)
            # the client comes back: subscribe first (newest), then read what it missed
            c = await ws_with_ticket(rt, tb, mid)
            last = max(got)
            page = assert_success(rt.call("GET", mpath(mid, f"/events?after={last}"), token=tb))
            for e in page["events"]:
                got.setdefault(e["seq"], e)
            assert_success(rt.call("PATCH", mpath(mid), {"title": "After"}, token=ta))
            await c.wait_for(lambda e: e.get("seq") == 5)
            # the worker publishes the late ones too; a client keeps the first copy of each
            for e in c.messages:
                if "seq" in e:
                    got.setdefault(e["seq"], e)
            await c.close()
            return got
        got = run(scenario())
        assert sorted(got) == [1, 2, 3, 4, 5]
        assert [got[s]["type"] for s in sorted(got)] == ["meeting_updated"] * 5
        # and the outbox was published in the end, by the worker
        left, _ = wait_until(lambda: sql_value(rt, f"SELECT COUNT(*) FROM outbox_events WHERE "
                                                   f"meeting_id = {q(mid)} AND realtime_at IS NULL") == "0", 30)
        assert left, "the worker did not publish the outbox"
    finally:
        worker.stop()
        set_publisher(rt, None)


# --- 5. presence ----------------------------------------------------------------

def channel_row(stack, mid, uid):
    rows = sql_rows(stack, f"SELECT connections, away_since IS NOT NULL FROM realtime_channels "
                           f"WHERE meeting_id = {q(mid)} AND user_id = {q(uid)}")
    return tuple(int(x) for x in rows[0]) if rows else None


def open_session(stack, mid, uid):
    return sql_value(stack, f"SELECT COUNT(*) FROM meeting_participants WHERE meeting_id = {q(mid)} "
                            f"AND user_id = {q(uid)} AND active = 1") == "1"


def test_a_participant_away_past_the_grace_leaves_and_frees_the_seat(rt):
    ((alice, ta), (bob, tb)), m = members(rt, 2)
    mid = m["id"]
    worker = Worker(rt).start()
    try:
        async def scenario():
            a = await ws_with_ticket(rt, ta, mid)
            b = await ws_with_ticket(rt, tb, mid)
            join(rt, tb, mid)
            got, _ = wait_until(lambda: channel_row(rt, mid, bob["id"]) == (1, 0), WAIT)
            assert got, channel_row(rt, mid, bob["id"])
            await b.close()
            # away at once, still in the meeting during the grace (2 s here)
            away, _ = wait_until(lambda: channel_row(rt, mid, bob["id"]) == (0, 1), WAIT)
            assert away
            assert open_session(rt, mid, bob["id"])
            # past the grace the worker makes Bob leave, and everyone hears it
            ev = await a.wait_for(lambda e: e["type"] == "leave" and e["user_id"] == bob["id"], 30)
            assert ev["data"]["reason"] == "disconnected"
            assert not open_session(rt, mid, bob["id"])
            await a.close()
        run(scenario())
    finally:
        worker.stop()


def test_a_reconnect_within_the_grace_keeps_the_seat(rt):
    ((alice, ta), (bob, tb)), m = members(rt, 2)
    mid = m["id"]
    worker = Worker(rt).start()
    try:
        async def scenario():
            b = await ws_with_ticket(rt, tb, mid)
            join(rt, tb, mid)
            # a second tab: two connections, one seat
            b2 = await ws_with_ticket(rt, tb, mid)
            got, _ = wait_until(lambda: channel_row(rt, mid, bob["id"]) == (2, 0), WAIT)
            assert got, channel_row(rt, mid, bob["id"])
            await b.close()
            got, _ = wait_until(lambda: channel_row(rt, mid, bob["id"]) == (1, 0), WAIT)
            assert got, channel_row(rt, mid, bob["id"])
            await b2.close()
            await asyncio.sleep(0.5)
            b3 = await ws_with_ticket(rt, tb, mid)      # back within the 2 s
            got, _ = wait_until(lambda: channel_row(rt, mid, bob["id"]) == (1, 0), WAIT)
            assert got
            await asyncio.sleep(4)                      # twice the grace
            assert open_session(rt, mid, bob["id"])
            assert sql_value(rt, f"SELECT COUNT(*) FROM meeting_participants WHERE meeting_id = {q(mid)} "
                                 f"AND user_id = {q(bob['id'])}") == "1"
            await b3.close()
        run(scenario())
    finally:
        worker.stop()


def test_the_sweep_finds_connections_a_crashed_nginx_never_reported(rt):
    ((alice, ta), (bob, tb)), m = members(rt, 2)
    mid = m["id"]
    worker = Worker(rt).start()
    try:
        async def connect():
            b = await ws_with_ticket(rt, tb, mid)
            join(rt, tb, mid)
            got, _ = wait_until(lambda: channel_row(rt, mid, bob["id"]) == (1, 0), WAIT)
            assert got
            return b
        loop = asyncio.new_event_loop()
        b = loop.run_until_complete(connect())
        # nginx dies at once: no unsubscribe is ever sent
        pids = _children(rt.nginx.proc.pid)
        rt.nginx.proc.send_signal(signal.SIGKILL)
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        rt.nginx.proc.wait()
        assert channel_row(rt, mid, bob["id"]) == (1, 0)
        rt.nginx.start()
        # the sweep (every second here) asks the new nginx, finds nobody, and the
        # grace runs out: Bob has left
        gone, _ = wait_until(lambda: not open_session(rt, mid, bob["id"]), 30)
        assert gone, channel_row(rt, mid, bob["id"])
        assert channel_row(rt, mid, bob["id"])[0] == 0
        loop.run_until_complete(b.close())
        loop.close()
    finally:
        worker.stop()


# --- 6. messages sent on the WebSocket ---------------------------------------------

def test_a_client_that_sends_on_its_websocket_is_refused(rt):
    """nginx serves the subscription alone and reads nothing a client sends:
    a frame (001's ping, chat, anything) closes that connection with 1008
    (policy violation), nothing reaches meetd or anyone else, and the
    others keep receiving; a protocol ping is answered. Client actions are
    REST calls (nginx/meetd-realtime.conf has the crash and load test behind
    this)."""
    ((alice, ta), (bob, tb)), m = members(rt, 2)
    mid = m["id"]

    async def scenario():
        a = await ws_with_ticket(rt, ta, mid)
        b = await ws_with_ticket(rt, tb, mid)
        await asyncio.wait_for(await b.ws.ping(), WAIT)     # answered by nginx
        await a.send({"type": "ping", "meeting_id": mid, "user_id": alice["id"], "data": {},
                      "timestamp": "2024-01-15T10:30:00Z"})
        assert await a.wait_closed() == 1008
        assert_success(rt.call("POST", mpath(mid, "/start"), token=ta))
        await b.wait_for(lambda e: e["type"] == "meeting_updated")
        assert [e["type"] for e in a.messages + b.messages] == ["meeting_updated"]
        # a client reconnects and acts by REST
        a = await ws_with_ticket(rt, ta, mid)
        assert_success(rt.call("POST", mpath(mid, "/signals"), {"type": "typing"}, token=ta), 202)
        await b.wait_for(lambda e: e["type"] == "typing")
        await a.close()
        await b.close()
    run(scenario())
    assert not [line for line in rt.meetd.log_lines() if line.get("event") == "access"
                and str(line.get("path", "")).startswith("/internal/hook/message")]


def test_signals_over_rest_reach_the_meeting_or_one_member(rt):
    ((alice, ta), (bob, tb), (carol, tc)), m = members(rt, 3)
    mid = m["id"]

    async def scenario():
        a = await ws_with_ticket(rt, ta, mid)
        b = await ws_with_ticket(rt, tb, mid)
        c = await ws_with_ticket(rt, tc, mid)
        r = rt.call("POST", mpath(mid, "/signals"),
                    {"type": "webrtc_offer", "to": bob["id"], "data": {"sdp": "v=0"}}, token=ta)
        assert assert_success(r, 202) == {"type": "webrtc_offer"}
        offer = await b.wait_for(lambda e: e["type"] == "webrtc_offer")
        assert offer["user_id"] == alice["id"] and offer["channel"] == "own" and offer["data"] == {"sdp": "v=0"}
        assert "seq" not in offer
        r = rt.call("POST", mpath(mid, "/signals"), {"type": "reaction",
                    "data": {"reaction_type": "thumbs_up", "duration": 3}}, token=tc)
        assert_success(r, 202)
        for x in (a, b):
            await x.wait_for(lambda e: e["type"] == "reaction" and e["user_id"] == carol["id"])
        await asyncio.sleep(0.3)
        assert not a.of_type("webrtc_offer") and not c.of_type("webrtc_offer")
        for x in (a, b, c):
            await x.close()
    run(scenario())
    # not kept: a reconnecting client does not read signals back
    page = assert_success(rt.call("GET", mpath(mid, "/events?after=0&own_after=0"), token=tb))
    assert page["events"] == []


def test_signals_have_their_own_limit(make_stack):
    s = make_stack(limits__websocket="5/1m")
    ((alice, ta),), m = members(s, 1)
    for _ in range(5):
        assert_success(s.call("POST", mpath(m["id"], "/signals"), {"type": "typing"}, token=ta), 202)
    r = s.call("POST", mpath(m["id"], "/signals"), {"type": "typing"}, token=ta)
    assert_error(r, 429, "RATE_LIMIT_EXCEEDED")
    # other categories are untouched
    assert_success(s.call("GET", mpath(m["id"], "/events?after=0"), token=ta))


def test_signals_are_validated_and_need_nchan(make_stack):
    s = make_stack(realtime__publish_urls="")
    ((alice, ta),), m = members(s, 1)
    r = s.call("POST", mpath(m["id"], "/signals"), {"type": "typing"}, token=ta)
    assert_error(r, 503, "NOT_CONFIGURED")
    for body in ({}, {"type": "launch"}, {"type": "typing", "extra": 1}, {"type": "typing", "data": []},
                 {"type": "webrtc_answer", "data": {}}, {"type": "typing", "to": 5},
                 {"type": "webrtc_offer", "to": "nobody", "data": {}},
                 {"type": "reaction", "data": {}}, {"type": "reaction", "data": {"reaction_type": ""}},
                 {"type": "reaction", "data": {"reaction_type": "x", "duration": 999}},
                 {"type": "typing", "data": {"x": "y" * 9000}}, {"type": "ping"}, {"type": "chat"}, []):
        assert_error(s.call("POST", mpath(m["id"], "/signals"), body, token=ta), 400, "VALIDATION_ERROR")
