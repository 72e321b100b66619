"""Participants, the waiting room and the security policy (001): status
updates, hosts' actions, knocks in order (also before any host), decisions
in real time, an exact cap under a race, the precedence of lock, block and
removal, If-Match between two hosts, and hostile values everywhere."""

import asyncio
import concurrent.futures
import secrets
import time

import pytest

from helpers import assert_error, assert_success, make_jwt
from meetings_fixtures import create, join, module_stack, mpath, q, set_member, sql_value, user
from realtime_clients import WAIT, WsClient, ticket

ctl = module_stack()

# 001's examples, as the document shows them
STATUS_001 = {"is_muted": False, "is_video_enabled": True, "is_screen_sharing": False,
              "is_hand_raised": True, "is_in_waiting_room": False}
POLICY_001 = {"require_waiting_room": True, "require_password": False, "allow_anonymous_join": False,
              "max_participants": 50, "allowed_domains": ["example.com", "company.com"],
              "blocked_users": [], "recording_permissions": "host", "screen_share_permissions": "all",
              "chat_permissions": "all", "mute_on_entry": True, "disable_camera": False,
              "lock_meeting": False}


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 120))


def token_for(stack, sub=None):
    """A token for a subject meetd has never seen: a new user on first use."""
    now = int(time.time())
    return make_jwt(stack.meetd.jwt_key, {"sub": sub or f"t:{secrets.token_hex(8)}", "iat": now,
                                          "exp": now + 3600})


def uid_of(stack, token):
    return assert_success(stack.call("GET", "/api/v1/me", token=token))["id"]


def room(stack):
    """A host, their meeting, and a new user who is not in it yet:
    (host, host token, meeting, user token, user id)."""
    host, th = user(stack, "Host")
    t = token_for(stack)
    return host, th, create(stack, th), t, uid_of(stack, t)


def status(stack, token, mid, body, expect=200):
    r = stack.call("PUT", mpath(mid, "/participants/status"), body, token=token)
    return assert_success(r, expect) if expect == 200 else r


def act(stack, token, mid, uid, action):
    return stack.call("POST", mpath(mid, f"/participants/{uid}/actions"), {"action": action}, token=token)


def policy(stack, token, mid, body, method="PATCH", headers=None):
    return stack.call(method, mpath(mid, "/security/policy"), body, token=token, headers=headers)


def by_link(stack, token, m, expect=200):
    r = stack.call("POST", "/api/v1/meetings/join", {"invitation_token": m["invitation_token"]}, token=token)
    return r if expect is None else assert_success(r, expect)


# --- 001's examples, replayed -------------------------------------------------------------

def test_001_status_example(ctl):
    (host, th) = user(ctl, "Host")
    m = create(ctl, th)
    assert_success(ctl.call("POST", mpath(m["id"], "/start"), token=th))
    join(ctl, th, m["id"])
    r = ctl.call("PUT", mpath(m["id"], "/participants/status"), STATUS_001, token=th)
    body = r.json()
    assert r.status == 200 and body["status"] == "success"
    assert body["message"] == "Participant status updated successfully"
    assert body["data"] == STATUS_001
    parts = assert_success(ctl.call("GET", mpath(m["id"], "/participants"), token=th))
    me = [p for p in parts if p["user_id"] == host["id"]][0]
    assert me["is_hand_raised"] and not me["is_muted"]


def test_001_policy_example(ctl):
    (host, th) = user(ctl, "Host")
    m = create(ctl, th)
    r = ctl.call("POST", mpath(m["id"], "/security/policy"), POLICY_001, token=th)
    body = r.json()
    assert r.status == 200 and body["status"] == "success"
    assert body["message"] == "Security policy applied successfully"
    got = body["data"]
    for k, v in POLICY_001.items():
        assert got[k] == v, k
    assert r.headers["ETag"] == f'"{got["version"]}"'
    read = ctl.call("GET", mpath(m["id"], "/security/policy"), token=th)
    assert read.json()["data"] == got and read.headers["ETag"] == r.headers["ETag"]
    # the meeting itself shows the policy's own columns
    mm = assert_success(ctl.call("GET", mpath(m["id"]), token=th))
    assert mm["participant_limit"] == 50 and mm["waiting_room"] is True


# --- the cap, atomic, with seat reuse ---------------------------------------------------------

def test_300_concurrent_joins_against_a_cap_of_150_admit_exactly_150(ctl):
    (host, th) = user(ctl, "Host")
    m = create(ctl, th, participant_limit=150)
    tokens = [token_for(ctl) for _ in range(300)]
    with concurrent.futures.ThreadPoolExecutor(32) as ex:
        list(ex.map(lambda t: uid_of(ctl, t), tokens))          # users made beforehand
        answers = list(ex.map(lambda t: by_link(ctl, t, m, None), tokens))
    ok = [r for r in answers if r.status == 200]
    full = [r for r in answers if r.status == 403]
    assert len(ok) == 150 and len(full) == 150, sorted({r.status for r in answers})
    for r in full:
        assert r.json()["code"] == "MAX_PARTICIPANTS_REACHED"
    assert sql_value(ctl, f"SELECT COUNT(*) FROM meeting_participants WHERE meeting_id = {q(m['id'])} "
                          f"AND active = 1") == "150"
    inside = [t for t, r in zip(tokens, answers) if r.status == 200]
    outside = [t for t, r in zip(tokens, answers) if r.status == 403]
    # a rejoin (another tab) takes no second seat
    assert by_link(ctl, inside[0], m)["participant_id"] == ok[0].json()["data"]["participant_id"]
    assert_error(by_link(ctl, outside[0], m, None), 403, "MAX_PARTICIPANTS_REACHED")
    # one leaves: the seat is free at once
    assert_success(ctl.call("POST", mpath(m["id"], "/leave"), token=inside[1]))
    by_link(ctl, outside[0], m)
    assert_error(by_link(ctl, outside[1], m, None), 403, "MAX_PARTICIPANTS_REACHED")
    # the meeting's count of open sessions (what the cap reads) is the truth
    counted = f"SELECT open_participants FROM meetings WHERE id = {q(m['id'])}"
    actual = f"SELECT COUNT(*) FROM meeting_participants WHERE meeting_id = {q(m['id'])} AND active = 1"
    assert sql_value(ctl, counted) == sql_value(ctl, actual) == "150"
    assert_success(ctl.call("POST", mpath(m["id"], "/start"), token=th))
    assert_success(ctl.call("POST", mpath(m["id"], "/end"), token=th))
    assert sql_value(ctl, counted) == sql_value(ctl, actual) == "0"


# --- the waiting room ---------------------------------------------------------------------------

def test_knocks_before_any_host_are_kept_in_order_and_decided_in_real_time(ctl):
    (host, th) = user(ctl, "Host")
    m = create(ctl, th, waiting_room=True)
    mid = m["id"]
    people = [token_for(ctl) for _ in range(3)]
    ids = [uid_of(ctl, t) for t in people]
    # nobody hosts yet: the knocks wait, in order
    for n, t in enumerate(people, 1):
        r = by_link(ctl, t, m, None)
        assert r.status == 202
        body = r.json()
        assert body["status"] == "error" and body["code"] == "WAITING_ROOM_REQUIRED"
        assert body["details"]["position"] == n and "realtime-ticket" in body["details"]["follow"]
    # knocking again keeps the place
    assert by_link(ctl, people[0], m, None).json()["details"]["position"] == 1
    # a waiting person sees nothing of the meeting, but may listen to their own channel
    assert_error(ctl.call("GET", mpath(mid), token=people[1]), 404, "MEETING_NOT_FOUND")

    async def scenario():
        second = await WsClient.open(ctl, ticket(ctl, people[1], mid)["url"])
        first = await WsClient.open(ctl, ticket(ctl, people[0], mid)["url"])
        # the host arrives and finds the queue
        queue = assert_success(ctl.call("GET", mpath(mid, "/waiting-room"), token=th))
        assert [p["user_id"] for p in queue] == ids and [p["position"] for p in queue] == [1, 2, 3]
        assert_success(ctl.call("POST", mpath(mid, "/start"), token=th))
        # admitting one lets in that one alone
        r = ctl.call("POST", mpath(mid, "/waiting-room/admit"), {"user_ids": [ids[1]]}, token=th)
        assert assert_success(r) == {"admitted": 1}
        ev = await second.wait_for(lambda e: e["type"] == "waiting_room_admitted")
        assert ev["channel"] == "own" and ev["data"]["user_id"] == ids[1]
        # while waiting, the meeting's own events did not reach them
        assert not [e for e in second.messages + first.messages if e["channel"] == "meeting"]
        assert by_link(ctl, people[1], m)["status"] == "joined"
        assert by_link(ctl, people[0], m, None).status == 202
        r = ctl.call("POST", mpath(mid, "/waiting-room/deny"), {"user_ids": [ids[0]]}, token=th)
        assert assert_success(r) == {"denied": 1}
        await first.wait_for(lambda e: e["type"] == "waiting_room_denied")
        for c in (first, second):
            await c.close()
    run(scenario())
    queue = assert_success(ctl.call("GET", mpath(mid, "/waiting-room"), token=th))
    assert [p["user_id"] for p in queue] == [ids[2]]
    assert assert_success(ctl.call("POST", mpath(mid, "/waiting-room/admit"), {"all": True}, token=th)) == \
        {"admitted": 1}
    assert assert_success(ctl.call("GET", mpath(mid, "/waiting-room"), token=th)) == []
    # an admitted participant is never sent back to wait
    by_link(ctl, people[2], m)
    assert_success(ctl.call("POST", mpath(mid, "/leave"), token=people[2]))
    assert by_link(ctl, people[2], m)["status"] == "joined"
    # a denied one may knock again, at the end of the queue
    r = by_link(ctl, people[0], m, None)
    assert r.status == 202 and r.json()["details"]["position"] == 1
    # members go in directly, unless everyone waits
    member = token_for(ctl)
    set_member(ctl, th, mid, uid_of(ctl, member), "participant")
    join(ctl, member, mid)
    assert_success(policy(ctl, th, mid, {"waiting_room_everyone": True}))
    late = token_for(ctl)
    set_member(ctl, th, mid, uid_of(ctl, late), "participant")
    assert ctl.call("POST", mpath(mid, "/join"), {}, token=late).status == 202
    # hosts never wait
    join(ctl, th, mid)


def test_on_another_platform_the_waiting_room_is_the_platforms(ctl):
    (host, th) = user(ctl, "Host")
    m = create(ctl, th, platform="jitsi", waiting_room=True)
    assert_success(policy(ctl, th, m["id"], {"waiting_room_everyone": True}))
    t = token_for(ctl)
    set_member(ctl, th, m["id"], uid_of(ctl, t), "participant")
    # meetd's own list still records the join; holding people back is Jitsi's
    assert join(ctl, t, m["id"])["status"] == "joined"


def test_guests_wait_too_and_hosts_hear_the_knock(ctl):
    (host, th) = user(ctl, "Host")
    m = create(ctl, th, waiting_room=True)
    g = assert_success(ctl.call("POST", "/api/v1/guest-tokens", {"invitation_token": m["invitation_token"],
                                                                "display_name": "Visitor"}), 201)

    async def scenario():
        h = await WsClient.open(ctl, ticket(ctl, th, m["id"])["url"])
        r = ctl.call("POST", mpath(m["id"], "/join"), {}, token=g["access_token"])
        assert r.status == 202 and r.json()["code"] == "WAITING_ROOM_REQUIRED"
        ev = await h.wait_for(lambda e: e["type"] == "participant_waiting")
        assert ev["channel"] == "own" and ev["data"]["user_id"] == g["user"]["id"]
        assert ev["data"]["position"] == 1
        await h.close()
    run(scenario())
    # no room token before admission
    assert ctl.call("POST", mpath(m["id"], "/token"), {}, token=g["access_token"]).status in (403, 501, 503)


# --- precedence: lock, block, removal ----------------------------------------------------------

def test_lock_then_block_then_removal(ctl):
    host, th, m, t, uid = room(ctl)
    mid = m["id"]
    inside = token_for(ctl)
    by_link(ctl, inside, m)
    by_link(ctl, t, m)
    assert_success(act(ctl, th, mid, uid, "remove"))
    assert_error(by_link(ctl, t, m, None), 403, "PARTICIPANT_REMOVED")
    assert_success(policy(ctl, th, mid, {"blocked_users": [uid]}))
    assert_error(by_link(ctl, t, m, None), 403, "USER_BLOCKED")
    assert_success(policy(ctl, th, mid, {"lock_meeting": True}))
    assert_error(by_link(ctl, t, m, None), 403, "MEETING_LOCKED")
    # someone already in is not refused by the lock
    assert by_link(ctl, inside, m)["status"] == "joined"
    # and the three come off in the same order
    assert_success(policy(ctl, th, mid, {"lock_meeting": False}))
    assert_error(by_link(ctl, t, m, None), 403, "USER_BLOCKED")
    assert_success(policy(ctl, th, mid, {"blocked_users": []}))
    assert_error(by_link(ctl, t, m, None), 403, "PARTICIPANT_REMOVED")
    assert_success(act(ctl, th, mid, uid, "allow_rejoin"))
    assert by_link(ctl, t, m)["status"] == "joined"
    # a locked meeting issues no guest tokens either
    assert_success(policy(ctl, th, mid, {"lock_meeting": True}))
    r = ctl.call("POST", "/api/v1/guest-tokens", {"invitation_token": m["invitation_token"],
                                                  "display_name": "Late"})
    assert_error(r, 403, "MEETING_LOCKED")


def test_a_removed_participant_is_cut_off(ctl):
    host, th, m, t, uid = room(ctl)
    mid = m["id"]
    by_link(ctl, t, m)

    async def scenario():
        h = await WsClient.open(ctl, ticket(ctl, th, mid)["url"])
        c = await WsClient.open(ctl, ticket(ctl, t, mid)["url"])
        assert_success(act(ctl, th, mid, uid, "remove"))
        ev = await c.wait_for(lambda e: e["type"] == "participant_removed")
        assert ev["channel"] == "own" and ev["data"]["reason"] == "removed"
        await c.wait_closed()
        left = await h.wait_for(lambda e: e["type"] == "leave" and e["user_id"] == uid)
        assert left["data"]["reason"] == "removed"
        await h.close()
    run(scenario())
    r = ctl.call("GET", f"/ws/meetings/{mid}?token={t}", headers={"Upgrade": "websocket",
                 "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                 "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert_error(r, 403, "PARTICIPANT_REMOVED")
    # the organizer cannot be removed
    assert_error(act(ctl, th, mid, host["id"], "remove"), 403, "INSUFFICIENT_PERMISSION")


# --- status and hosts' actions under the policy ------------------------------------------------

def test_status_follows_the_policy(ctl):
    host, th, m, t, uid = room(ctl)
    mid = m["id"]
    assert_success(policy(ctl, th, mid, {"mute_on_entry": True, "disable_camera": True,
                                        "screen_share_permissions": "host"}))
    joined = by_link(ctl, t, m, 200)
    assert joined["is_muted"] is True and joined["is_video_enabled"] is False
    assert_error(status(ctl, t, mid, {"is_video_enabled": True}, None), 403, "CAMERA_DISABLED")
    assert_error(status(ctl, t, mid, {"is_screen_sharing": True}, None), 403, "SCREEN_SHARE_DISABLED")
    assert status(ctl, t, mid, {"is_muted": False})["is_muted"] is False
    # hosts share their screen
    join(ctl, th, mid)
    assert status(ctl, th, mid, {"is_screen_sharing": True})["is_screen_sharing"] is True
    assert_success(policy(ctl, th, mid, {"screen_share_permissions": "none"}))
    assert_error(status(ctl, t, mid, {"is_screen_sharing": True}, None), 403, "SCREEN_SHARE_DISABLED")
    # the waiting room is the hosts' to decide
    assert_error(status(ctl, t, mid, {"is_in_waiting_room": True}, None), 400, "VALIDATION_ERROR")
    # not in the meeting: no status
    other = token_for(ctl)
    set_member(ctl, th, mid, uid_of(ctl, other), "participant")
    assert_error(status(ctl, other, mid, {"is_muted": True}, None), 404, "PARTICIPANT_NOT_FOUND")


def test_hosts_actions_are_pushed_and_limited_to_hosts(ctl):
    host, th, m, t, uid = room(ctl)
    mid = m["id"]
    by_link(ctl, t, m)
    status(ctl, t, mid, {"is_muted": False, "is_hand_raised": True, "is_screen_sharing": True})

    async def scenario():
        c = await WsClient.open(ctl, ticket(ctl, t, mid)["url"])
        for action in ("mute", "lower_hand", "stop_screen_share", "stop_video"):
            assert_success(act(ctl, th, mid, uid, action))
        hand = await c.wait_for(lambda e: e["type"] == "hand_raise")
        assert hand["data"] == {"user_id": uid, "is_hand_raised": False}
        last = await c.wait_for(lambda e: e["type"] == "participant_update" and
                                not e["data"]["is_video_enabled"])
        assert last["data"] == {"user_id": uid, "is_muted": True, "is_video_enabled": False,
                                "is_screen_sharing": False, "is_hand_raised": False}
        await c.close()
    run(scenario())
    # a participant acts on nobody else
    other = token_for(ctl)
    by_link(ctl, other, m)
    assert_error(act(ctl, other, mid, uid, "mute"), 403, "INSUFFICIENT_PERMISSION")
    assert_error(act(ctl, th, mid, uid_of(ctl, token_for(ctl)), "mute"), 404, "PARTICIPANT_NOT_FOUND")
    # on another platform the media are the platform's
    j = create(ctl, th, platform="jitsi")
    assert_error(act(ctl, th, j["id"], uid, "mute"), 501, "NOT_SUPPORTED")


# --- If-Match between two hosts, and domains ------------------------------------------------

def test_two_hosts_do_not_overwrite_each_other(ctl):
    (host, th) = user(ctl, "Host")
    (co, tc) = user(ctl, "Co-host")
    m = create(ctl, th)
    mid = m["id"]
    set_member(ctl, th, mid, co["id"], "co_host")
    etag = ctl.call("GET", mpath(mid, "/security/policy"), token=th).headers["ETag"]
    assert ctl.call("GET", mpath(mid, "/security/policy"), token=tc).headers["ETag"] == etag
    first = policy(ctl, th, mid, {"lock_meeting": True}, headers={"If-Match": etag})
    assert_success(first)
    assert_error(policy(ctl, tc, mid, {"mute_on_entry": True}, headers={"If-Match": etag}),
                 412, "PRECONDITION_FAILED")
    assert_success(policy(ctl, tc, mid, {"mute_on_entry": True}, headers={"If-Match": first.headers["ETag"]}))
    # the meeting's own PATCH too
    got = ctl.call("GET", mpath(mid), token=th)
    tag = got.headers["ETag"]
    assert_success(ctl.call("PATCH", mpath(mid), {"title": "One"}, token=th, headers={"If-Match": tag}))
    assert_error(ctl.call("PATCH", mpath(mid), {"title": "Two"}, token=tc, headers={"If-Match": tag}),
                 412, "PRECONDITION_FAILED")
    for bad in ("7", '"x"', '"-1"', "W/x", '""'):
        assert_error(policy(ctl, th, mid, {"lock_meeting": False}, headers={"If-Match": bad}),
                     400, "VALIDATION_ERROR")
    # attendees neither read nor write the policy; strangers do not find it
    (att, ta) = user(ctl, "Attendee")
    set_member(ctl, th, mid, att["id"], "participant")
    assert_error(ctl.call("GET", mpath(mid, "/security/policy"), token=ta), 403, "INSUFFICIENT_PERMISSION")
    assert_error(policy(ctl, ta, mid, {"lock_meeting": False}), 403, "INSUFFICIENT_PERMISSION")
    (s, ts) = user(ctl, "Stranger")
    assert_error(ctl.call("GET", mpath(mid, "/security/policy"), token=ts), 404, "MEETING_NOT_FOUND")


def test_allowed_domains_admit_verified_addresses_only(ctl):
    (host, th) = user(ctl, "Host")
    m = create(ctl, th)
    assert_success(policy(ctl, th, m["id"], {"allowed_domains": ["Example.COM"]}))
    got = assert_success(ctl.call("GET", mpath(m["id"], "/security/policy"), token=th))
    assert got["allowed_domains"] == ["example.com"]
    # a local account's address is not verified (until the scheduling issue confirms it)
    (local, tl) = user(ctl, "Local")
    assert_error(by_link(ctl, tl, m, None), 403, "DOMAIN_NOT_ALLOWED")
    # a token without a verified address, and guests
    assert_error(by_link(ctl, token_for(ctl), m, None), 403, "DOMAIN_NOT_ALLOWED")
    r = ctl.call("POST", "/api/v1/guest-tokens", {"invitation_token": m["invitation_token"],
                                                  "display_name": "Guest"})
    assert_error(r, 403, "DOMAIN_NOT_ALLOWED")
    # hosts are not held by it
    join(ctl, th, m["id"])


# --- hostile values ----------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    {"lock_meeting": "yes"}, {"max_participants": 0}, {"max_participants": 10001},
    {"max_participants": "50"}, {"max_participants": 1.5}, {"allowed_domains": "example.com"},
    {"allowed_domains": ["not a domain"]}, {"allowed_domains": [".com"]}, {"allowed_domains": ["a..b"]},
    {"allowed_domains": [f"d{i}.example" for i in range(51)]}, {"allowed_domains": [5]},
    {"blocked_users": ["nobody"]}, {"blocked_users": "x"}, {"blocked_users": [None]},
    {"recording_permissions": "everyone"}, {"chat_permissions": 1}, {"screen_share_permissions": None},
    {"unknown": True}, {}, [], {"mute_on_entry": None},
])
def test_hostile_policy_values(ctl, body):
    (host, th) = user(ctl, "Host")
    m = create(ctl, th)
    before = ctl.call("GET", mpath(m["id"], "/security/policy"), token=th).json()["data"]
    assert_error(policy(ctl, th, m["id"], body), 400, "VALIDATION_ERROR")
    assert ctl.call("GET", mpath(m["id"], "/security/policy"), token=th).json()["data"] == before


@pytest.mark.parametrize("body", [
    {}, {"is_muted": "no"}, {"is_hand_raised": 1}, {"is_muted": None}, {"other": True}, [],
])
def test_hostile_status_values(ctl, body):
    (host, th) = user(ctl, "Host")
    m = create(ctl, th)
    join(ctl, th, m["id"])
    assert_error(status(ctl, th, m["id"], body, None), 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("path,body", [
    ("/participants/{uid}/actions", {"action": "explode"}),
    ("/participants/{uid}/actions", {}),
    ("/participants/{uid}/actions", {"action": 5}),
    ("/waiting-room/admit", {}),
    ("/waiting-room/admit", {"user_ids": []}),
    ("/waiting-room/admit", {"user_ids": ["nobody"]}),
    ("/waiting-room/admit", {"user_ids": "x"}),
    ("/waiting-room/admit", {"all": "yes"}),
    ("/waiting-room/deny", {"all": True, "user_ids": ["01HXYZ123456789ABCDEFGHIJK"]}),
    ("/waiting-room/deny", {"everyone": True}),
])
def test_hostile_action_and_decision_values(ctl, path, body):
    (host, th) = user(ctl, "Host")
    m = create(ctl, th)
    r = ctl.call("POST", mpath(m["id"], path.format(uid=host["id"])), body, token=th)
    assert_error(r, 400, "VALIDATION_ERROR")
