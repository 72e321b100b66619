"""Faults survived (reliability.md T04, T05, T08, T09, T10, T11). Every test
here runs its own meetd + nginx (and, where the database is stopped, its own
MariaDB), so the damage stays inside the test."""

import os
import signal
import threading
import time

from helpers import PASSWORD, assert_error, assert_success, metrics, pool_size, register, unique_email, wait_until
from loadgen import Background, failures, one_request, run_load, summary


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def log_events(s, event):
    return [x for x in s.meetd.log_lines() if x.get("event") == event]


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def test_kill9_responder_under_load(make_stack):
    """T05: kill -9 a responder in the middle of a request while 8 threads
    load GET /api/v1/me: only what ran on that responder fails (502), the
    pool is whole again within 1 s, the crash is logged and counted.

    The victim is made to be mid-request: a login with scrypt N=2^16 (64 MiB)
    is sent, and the responder whose memory jumps is the one computing it."""
    n = 4
    s = make_stack(server__responders=n, auth__scrypt_log2n=16)
    email = unique_email("victim")
    assert s.call("POST", "/api/v1/auth/register",
                  {"email": email, "password": PASSWORD, "display_name": "V"}, timeout=30).status == 201
    token = s.meetd.token("load-user")
    slow = {}
    with Background(s.nginx.port, "GET", "/api/v1/me", headers=bearer(token), threads=8, duration=3.0) as bg:
        time.sleep(1.0)
        old = set(s.meetd.responder_pids())
        assert len(old) == n
        base = {p: rss_kb(p) for p in old}
        login = threading.Thread(target=lambda: slow.update(r=one_request(
            s.nginx.port, "POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD}, timeout=30)))
        login.start()

        def computing():
            for p in old:
                if rss_kb(p) - base[p] > 32 * 1024:
                    return p
            return None
        victim, _ = wait_until(computing, 2.0, 0.002)
        assert victim, "no responder picked up the login"
        t_kill = time.monotonic()
        os.kill(victim, signal.SIGKILL)

        def replaced():
            pids = set(s.meetd.responder_pids())
            return len(pids) == n and victim not in pids and bool(pids - old)
        ok, _ = wait_until(replaced, 1.0, 0.005)
        assert ok, f"no replacement for {victim}: {s.meetd.responder_pids()}"
        ok, _ = wait_until(lambda: pool_size(s) == n, max(0.0, 1.0 - (time.monotonic() - t_kill)), 0.01)
        took = time.monotonic() - t_kill
        assert ok and took < 1.0, f"pool not back to {n} ready responders within 1 s ({took:.2f} s)"
        login.join(30)

    res = bg.results
    print("kill -9:", summary(res), f"pool whole after {took:.3f} s; the login got", slow["r"].status)
    assert slow["r"].status == 502, slow["r"]        # the request on the victim
    assert len(res) > 200, summary(res)          # the load really ran
    bad = failures(res)
    assert len(bad) + 1 <= 2, summary(res)
    assert all(r.status == 502 for r in bad), [(r.status, r.code) for r in bad]
    m = metrics(s)
    assert m.get("meetd_responder_crashes_total") >= 1
    assert m.get("meetd_responder_respawns_total") >= 1
    exits = [x for x in log_events(s, "responder_exit") if x.get("child") == victim]
    assert len(exits) == 1 and exits[0]["reason"] == "crashed" and exits[0]["level"] == "error", exits
    assert s.meetd.proc.poll() is None
    # the client's retry works
    r = s.call("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD}, timeout=30)
    assert r.status == 200


def test_sighup_under_load(make_stack):
    """T08: five reloads under load lose nothing, and the new configuration
    (4 -> 3 responders) is in force afterwards."""
    s = make_stack(server__responders=4)
    token = s.meetd.token("load-user")
    gens = []
    with Background(s.nginx.port, "GET", "/api/v1/me", headers=bearer(token), threads=8, duration=30) as bg:
        time.sleep(0.5)
        for i in range(5):
            if i == 2:
                s.meetd.settings["server"]["responders"] = "3"
                s.meetd.write_conf()
            s.meetd.signal(signal.SIGHUP)
            time.sleep(0.5)
            gens.append(len(s.meetd.responder_pids()))
        time.sleep(0.5)
        bg.finish()
    res = bg.results
    print("SIGHUP x5:", summary(res), "children after each HUP:", gens)
    assert len(res) > 200, summary(res)
    assert failures(res) == [], summary(res)
    assert len(log_events(s, "reload")) == 5

    ok, _ = wait_until(lambda: len(s.meetd.responder_pids()) == 3, 12)
    assert ok, s.meetd.responder_pids()
    assert pool_size(s) == 3
    time.sleep(0.1)
    drained = [x for x in log_events(s, "responder_exit") if x.get("reason") == "drained"]
    # generations of 4, 4, 4, 3 and 3 responders were replaced, each one drained
    assert len(drained) == 4 + 4 + 4 + 3 + 3, len(drained)
    assert not log_events(s, "drain_timeout")
    assert not [x for x in log_events(s, "responder_exit") if x.get("reason") == "crashed"]
    assert metrics(s).get("meetd_responder_crashes_total") == 0
    # still serving, on the same master
    assert s.call("GET", "/api/v1/me", token=token).status == 200


def _saturating_login_load(s, duration):
    """Logins from 16 threads as fast as they go: every responder is busy
    and the listen queue never empties (well under nginx's rate limit, as a
    login costs a few ms of scrypt)."""
    email = unique_email("sat")
    assert s.call("POST", "/api/v1/auth/register",
                  {"email": email, "password": PASSWORD, "display_name": "Sat"}).status == 201
    return Background(s.nginx.port, "POST", "/api/v1/auth/login", body={"email": email, "password": PASSWORD},
                      threads=16, duration=duration, rate=None)


def test_reload_under_saturating_load(make_stack):
    """T08 with a listen queue that never empties: the old generation must
    still finish its current requests and leave promptly, not linger until
    the drain deadline and be killed mid-request."""
    s = make_stack(server__responders=2, server__stop_timeout=3)
    with _saturating_login_load(s, duration=3.0) as bg:
        time.sleep(0.7)
        old = set(s.meetd.responder_pids())
        s.meetd.signal(signal.SIGHUP)
        gone, took = wait_until(lambda: not (old & set(s.meetd.responder_pids())), 2.5)
    print("reload, saturated:", summary(bg.results), f"old generation gone after {took:.2f} s")
    assert not log_events(s, "drain_timeout"), "old responders were killed at the drain deadline"
    assert gone and took < 1.0, f"old generation still there {took:.2f} s after SIGHUP"
    assert failures(bg.results) == [], summary(bg.results)


def test_stop_under_saturating_load(make_stack):
    """T09 with a listen queue that never empties: SIGTERM still stops the
    responders after their current request, well before stop_timeout."""
    s = make_stack(server__responders=2, server__stop_timeout=3)
    with _saturating_login_load(s, duration=2.0) as bg:
        time.sleep(0.7)
        t_term = time.monotonic()
        s.meetd.signal(signal.SIGTERM)
        rc = s.meetd.proc.wait(15)
        took = time.monotonic() - t_term
        bg.finish()
    print("stop, saturated:", summary(bg.results), f"master exited after {took:.2f} s")
    assert rc == 0
    assert not log_events(s, "drain_timeout"), "responders were killed at the stop deadline"
    assert took < 1.5
    assert not [x for x in log_events(s, "responder_exit") if x.get("signal")]


def slow_logins_across_signal(s, email, n, signo):
    """n slow logins in flight on n responders, then `signo` to the master.
    Returns (results, time the signal was sent)."""
    results = [None] * n

    def login(i):
        results[i] = one_request(s.nginx.port, "POST", "/api/v1/auth/login",
                                 {"email": email, "password": PASSWORD}, timeout=30)

    threads = [threading.Thread(target=login, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    time.sleep(0.05)
    t_signal = time.monotonic()
    s.meetd.signal(signo)
    for t in threads:
        t.join(30)
    return results, t_signal


def test_sighup_lets_inflight_requests_finish(make_stack):
    """T08: a reload while every responder is busy with a slow login: the
    old generation answers them all, then leaves."""
    n = 2
    s = make_stack(server__responders=n, auth__scrypt_log2n=16)
    email = unique_email("hup")
    assert s.call("POST", "/api/v1/auth/register",
                  {"email": email, "password": PASSWORD, "display_name": "H"}, timeout=30).status == 201
    old = set(s.meetd.responder_pids())
    results, t_hup = slow_logins_across_signal(s, email, n, signal.SIGHUP)
    assert [r.status for r in results] == [200] * n, [(r.status, r.code) for r in results]
    assert all(r.end > t_hup for r in results)
    gone, _ = wait_until(lambda: not (old & set(s.meetd.responder_pids())), 5)
    assert gone
    assert len(s.meetd.responder_pids()) == n
    assert not log_events(s, "drain_timeout")


def test_sighup_with_broken_config_keeps_running(make_stack):
    s = make_stack(server__responders=2)
    pids = set(s.meetd.responder_pids())
    s.meetd.settings["server"]["responders"] = "0"
    s.meetd.write_conf()
    s.meetd.signal(signal.SIGHUP)
    ok, _ = wait_until(lambda: log_events(s, "reload_failed"), 3)
    assert ok
    assert set(s.meetd.responder_pids()) == pids
    assert s.call("GET", "/api/v1/health").status == 200


def test_sigterm_lets_inflight_requests_finish(make_stack):
    """T09: SIGTERM while every responder is busy with a slow login: all of
    them are answered 200 and the master exits 0."""
    n = 3
    s = make_stack(server__responders=n, auth__scrypt_log2n=16)
    email = unique_email("slow")
    assert s.call("POST", "/api/v1/auth/register",
                  {"email": email, "password": PASSWORD, "display_name": "Slow"}, timeout=30).status == 201
    t0 = time.monotonic()
    assert s.call("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD}).status == 200
    one_login = time.monotonic() - t0
    assert one_login > 0.1, f"a login takes {one_login:.3f} s: too fast for this test to mean anything"

    results, t_term = slow_logins_across_signal(s, email, n, signal.SIGTERM)
    assert [r.status for r in results] == [200] * n, [(r.status, r.code) for r in results]
    assert all(r.end > t_term for r in results)       # they were in flight at SIGTERM
    assert s.meetd.proc.wait(15) == 0
    assert not os.path.exists(s.meetd.socket)
    assert log_events(s, "stopped")


def test_database_restart(make_db, make_stack):
    """T10: with MariaDB down, requests fail fast with 503; once it is back,
    service resumes within 5 s on the same master."""
    db = make_db()
    s = make_stack(db=db, server__responders=4)
    user, token = register(s)
    master = s.meetd.proc.pid
    db.stop()

    for _ in range(6):
        t0 = time.monotonic()
        r = s.call("GET", "/api/v1/me", token=token)
        took = time.monotonic() - t0
        assert_error(r, 503, "DATABASE_UNAVAILABLE")
        assert r.headers["Retry-After"]
        assert took < 3, took
    res = run_load(s.nginx.port, "GET", "/api/v1/me", headers=bearer(token), threads=8, duration=1.0)
    assert res and {r.status for r in res} == {503}, summary(res)
    assert max(r.elapsed for r in res) < 3
    r = s.call("POST", "/api/v1/auth/register",
               {"email": unique_email("outage"), "password": PASSWORD, "display_name": "X"})
    assert_error(r, 503, "DATABASE_UNAVAILABLE")
    body = assert_error(s.call("GET", "/api/v1/ready"), 503, "NOT_READY")
    assert body["details"]["database"] == "unavailable"
    assert s.call("GET", "/api/v1/health").status == 200
    assert metrics(s).get("meetd_db_errors_total") > 0

    db.start()
    t_up = time.monotonic()
    ok, _ = wait_until(lambda: s.call("GET", "/api/v1/me", token=token).status == 200, 5)
    assert ok, "no 200 within 5 s of the database's return"
    # every responder has recovered (statements prepared again), well within 5 s
    res = run_load(s.nginx.port, "GET", "/api/v1/me", headers=bearer(token), threads=8,
                   duration=0.5, max_requests=200)
    assert failures(res) == [], summary(res)
    assert time.monotonic() - t_up < 5
    me = assert_success(s.call("GET", "/api/v1/me", token=token))
    assert me["id"] == user["id"]
    assert s.call("GET", "/api/v1/ready").status == 200
    assert s.meetd.proc.pid == master and s.meetd.proc.poll() is None
    assert metrics(s).get("meetd_responder_crashes_total") == 0
    # the write refused during the outage left nothing behind; writes work again
    assert db.sql("SELECT COUNT(*) FROM users", database="meetd").stdout.strip() == "1"
    register(s)


def test_recycling_under_load(make_stack):
    """T04: responders recycled every 50 requests under load: no failures."""
    s = make_stack(server__responders=4, server__max_requests=50)
    token = s.meetd.token("load-user")
    res = run_load(s.nginx.port, "GET", "/api/v1/me", headers=bearer(token), threads=8, duration=3.0)
    print("max_requests=50:", summary(res), "recycles:", metrics(s).get("meetd_responder_recycles_total"))
    assert len(res) > 400, summary(res)
    assert failures(res) == [], summary(res)
    m = metrics(s)
    assert m.get("meetd_responder_recycles_total") > 0
    assert m.get("meetd_responder_crashes_total") == 0
    # a recycle is counted when the responder exits, its replacement a moment
    # later when the master forks it: wait for the master, then compare
    def replaced():
        n = metrics(s)
        return n.get("meetd_responder_respawns_total") >= n.get("meetd_responder_recycles_total")
    ok, _ = wait_until(replaced, 10)
    assert ok, metrics(s)
    ok, _ = wait_until(lambda: pool_size(s) == 4, 1)
    assert ok


def test_idle_connections_reaped_by_server(shared_db, make_stack):
    """T11: the server closes idle connections (wait_timeout=3); after 5 s
    idle, the first read and the first write both succeed."""
    orig = shared_db.sql("SELECT @@GLOBAL.wait_timeout").stdout.strip()
    shared_db.sql("SET GLOBAL wait_timeout = 3")
    try:
        s = make_stack(server__responders=2)
        token = s.meetd.token("idle-user")
        time.sleep(5)
        lost_before = len(log_events(s, "db_connection_lost"))
        r = s.call("GET", "/api/v1/me", token=token)
        assert_success(r)
        r = s.call("POST", "/api/v1/auth/register",
                   {"email": unique_email("idle"), "password": PASSWORD, "display_name": "Idle"})
        assert_success(r, 201)
        # and the same for every responder, not just the first ones hit
        for _ in range(4):
            assert s.call("GET", "/api/v1/me", token=token).status == 200
        time.sleep(0.1)
        db_trouble = len(log_events(s, "db_connection_lost")) - lost_before + \
            metrics(s).get("meetd_db_errors_total")
        assert db_trouble > 0, "the server never closed a connection: the test proved nothing"
    finally:
        shared_db.sql(f"SET GLOBAL wait_timeout = {int(orig)}")
    assert shared_db.sql("SELECT @@GLOBAL.wait_timeout").stdout.strip() == orig


def test_first_write_after_server_reaped_connection(shared_db, make_stack):
    """T11, tighter: the server reaps a connection after 3 s (wait_timeout=3)
    and a write comes 4 s after the last use. A write is not repeated after
    a lost connection, so meetd must notice the dead connection before it
    sends one: every register here must succeed."""
    orig = shared_db.sql("SELECT @@GLOBAL.wait_timeout").stdout.strip()
    shared_db.sql("SET GLOBAL wait_timeout = 3")
    try:
        s = make_stack(server__responders=2)
        time.sleep(4)
        statuses = []
        for _ in range(4):
            r = s.call("POST", "/api/v1/auth/register",
                       {"email": unique_email("reaped"), "password": PASSWORD, "display_name": "R"})
            statuses.append((r.status, r.json().get("code")))
        assert statuses == [(201, None)] * 4, statuses
    finally:
        shared_db.sql(f"SET GLOBAL wait_timeout = {int(orig)}")


def hang(pid):
    """SIGSTOPs pid and returns once every one of its threads is stopped:
    kill() only queues the stop, and on a busy machine a thread already
    running can still answer a query before it reaches the stop."""
    os.kill(pid, signal.SIGSTOP)

    def all_stopped():
        states = []
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/stat") as f:
                    states.append(f.read().rsplit(")", 1)[1].split()[0])
            except FileNotFoundError:
                pass                    # a thread that ended meanwhile
        return all(x in ("T", "t") for x in states)
    ok, _ = wait_until(all_stopped, 10, interval=0.005)
    if not ok:
        os.kill(pid, signal.SIGCONT)
    assert ok, f"{pid} did not stop"


def test_hung_database_fails_within_3s(make_db, make_stack):
    """T10 with a hung (not dead) server: MariaDB is SIGSTOPped, so sockets
    accept but nothing answers. Requests get 503 within 3 s (database
    io_timeout, default 2 s, and no second wait after a timeout), the process
    stays up, and service resumes when the server does."""
    db = make_db()
    s = make_stack(db=db, server__responders=2, database__io_timeout=2, database__connect_timeout=1)
    _, token = register(s)
    master = s.meetd.proc.pid
    hang(db.proc.pid)
    try:
        for _ in range(3):
            t0 = time.monotonic()
            r = s.call("GET", "/api/v1/me", token=token)
            took = time.monotonic() - t0
            assert_error(r, 503, "DATABASE_UNAVAILABLE")
            assert took < 3.2, took
    finally:
        os.kill(db.proc.pid, signal.SIGCONT)
    ok, _ = wait_until(lambda: s.call("GET", "/api/v1/me", token=token).status == 200, 5)
    assert ok
    assert s.meetd.proc.pid == master and s.meetd.proc.poll() is None


def test_request_timeout_kills_stuck_responder(make_db, make_stack):
    """A request stuck past request_timeout (here: on a hung database with a
    long io_timeout) gets its responder SIGKILLed; the request is logged with
    its id and path, counted, and the pool is whole again."""
    db = make_db()
    s = make_stack(db=db, server__responders=2, server__request_timeout=1, database__io_timeout=30)
    _, token = register(s)
    rid = "stuck-" + os.urandom(4).hex()
    hang(db.proc.pid)
    try:
        t0 = time.monotonic()
        r = s.call("GET", "/api/v1/me", token=token, headers={"X-Request-Id": rid}, timeout=20)
        took = time.monotonic() - t0
    finally:
        os.kill(db.proc.pid, signal.SIGCONT)
    assert r.status == 502, r.status       # nginx: the responder went away
    assert took < 4, took
    ok, _ = wait_until(lambda: log_events(s, "request_timeout"), 2)
    assert ok
    ev = log_events(s, "request_timeout")[0]
    assert ev["request_id"] == rid and ev["path"] == "/api/v1/me" and ev["method"] == "GET"
    # the master logs the exit when it reaps the responder: a moment later
    ok, _ = wait_until(lambda: any(x.get("event") == "responder_exit" and x.get("reason") == "request_timeout"
                                   for x in s.meetd.log_lines()), 3)
    assert ok, [x for x in s.meetd.log_lines() if x.get("event") == "responder_exit"]
    assert metrics(s).get("meetd_responder_timeouts_total") == 1
    ok, _ = wait_until(lambda: len(s.meetd.responder_pids()) == 2, 2)
    assert ok
    ok, _ = wait_until(lambda: s.call("GET", "/api/v1/me", token=token).status == 200, 5)
    assert ok


def test_crash_loop_backs_off_and_reports_degraded(make_stack):
    """Responders that die right after start are restarted with doubling
    delays, /ready and the metrics report the degraded state, and it clears
    once responders live."""
    s = make_stack(server__responders=1)
    killed = set()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        for pid in s.meetd.responder_pids():
            if pid not in killed:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
        time.sleep(0.02)
    backoffs = log_events(s, "respawn_backoff")
    assert len(backoffs) >= 3, backoffs
    # the delays double: 100, 200, 400 ms ...
    delays = [x["delay_ms"] for x in backoffs]
    assert delays[:3] == [100, 200, 400], delays
    # three seconds of 100+200+400+800+1600 ms back-off allow at most 6 starts
    assert len(killed) <= 6, len(killed)
    body = assert_error(s.call("GET", "/api/v1/ready"), 503, "NOT_READY")
    assert body["details"]["responders"] == "crash_looping"
    assert metrics(s).get("meetd_degraded") == 1
    # left alone, the next responder lives and the state clears
    ok, _ = wait_until(lambda: s.call("GET", "/api/v1/ready").status == 200, 10)
    assert ok
    assert metrics(s).get("meetd_degraded") == 0
