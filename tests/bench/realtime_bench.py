"""Real time's benchmark: idle subscribers and one event's fan-out, against
nchan alone.

One run, one throwaway MariaDB, meetd (with its worker) and nginx with nchan
as tests/bench/bench.py starts them; the WebSocket clients are Node with
the `ws` package (pinned in tests/js) in CLIENT_PROCS processes of their
own (tests/bench/ws_client.js), each recording when every message arrived
(CLOCK_MONOTONIC, shared by all processes).

  1. Idle: 1,000 WebSocket subscribers across 50 meetings (20 each). What
     they hold: busy responders (meetd's scoreboard), and the queries the
     database answers in a quiet 10 s window with them connected against
     the same window before they connected.
  2. Fan-out: 1,000 subscribers on one meeting. Alternately, an event
     published through meetd (PATCH the meeting: the API call, its
     transaction, the responder's post to nchan after the answer) and the
     ceiling, the same-sized message POSTed straight to nchan's publisher;
     for each, the time from the start of the call to its delivery to the
     last of the 1,000 subscribers. p50 and p99 of each and their ratio.

A benchmark, not a test: it exits 0 whatever the figures are, unless
--strict is given (goal: meetd's fan-out p99 <= 50 ms). --write-docs puts
the table into docs/benchmarks.md between its own markers.

    tests/bench/run.sh --realtime [--events N] [--write-docs] [--strict]
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402
from bench import log, stack  # noqa: E402

SUBSCRIBERS = 1000
MEETINGS = 50
USERS = 20
CLIENT_PROCS = 2
QUIET_S = 10
P99_GOAL_MS = 50.0
BEGIN = "<!-- bench:realtime:begin (written by tests/bench/realtime_bench.py --write-docs) -->"
END = "<!-- bench:realtime:end -->"


# --- the client processes ----------------------------------------------------------

NODE_CLIENT = os.path.join(HERE, "ws_client.js")


class Clients:
    """CLIENT_PROCS Node processes (tests/bench/ws_client.js, with the `ws`
    package pinned in tests/js), the paths dealt out among them."""

    def __init__(self, base, paths):
        self.procs = []
        for i in range(CLIENT_PROCS):
            p = subprocess.Popen(["node", NODE_CLIENT, base], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True, bufsize=1,
                                 preexec_fn=raise_nofile)
            p.stdin.write("".join(f"{x}\n" for x in paths[i::CLIENT_PROCS]) + "go\n")
            p.stdin.flush()
            self.procs.append(p)

    def ask_all(self, what):
        for p in self.procs:
            p.stdin.write(what + "\n")
            p.stdin.flush()
        out = []
        for p in self.procs:
            line = p.stdout.readline()
            if not line:
                raise RuntimeError(f"a client process exited (status {p.wait()})")
            out.append(json.loads(line))
        return out

    def open_count(self):
        return sum(self.ask_all("count"))

    def delivered(self, key):
        """(deliveries, last arrival) of one message over every client."""
        rep = self.ask_all(f"report {key}")
        return sum(r[0] for r in rep), max(r[1] for r in rep)

    def close(self):
        try:
            self.ask_all("close")
        finally:
            for p in self.procs:
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --- measuring ------------------------------------------------------------------------

def wait_until(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


def questions(db):
    return int(db.value("SHOW GLOBAL STATUS LIKE 'Questions'"))


def quiet_queries(db):
    """Queries the server answered in QUIET_S seconds (minus this probe's own)."""
    q0 = questions(db)
    time.sleep(QUIET_S)
    return questions(db) - q0 - 1


def busy_responders(s):
    text = s.call("GET", "/metrics").body.decode()
    for line in text.splitlines():
        if line.startswith('meetd_responders{state="busy"}'):
            return int(line.split()[-1])
    raise RuntimeError("no meetd_responders in /metrics")


def connections(s, mid=None):
    where = "user_id = ''" + (f" AND meeting_id = '{mid}'" if mid else "")
    return int(s.db.value(f"SELECT COALESCE(SUM(connections), 0) FROM realtime_channels WHERE {where}",
                          "meetd") or 0)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def fan_out(s, clients, mid, organizer_token, events):
    """Alternates meetd's events and the ceiling's; returns their latencies (ms)."""
    meetd, ceiling = [], []
    seq = int(s.db.value(f"SELECT last_seq FROM realtime_channels WHERE meeting_id = '{mid}' "
                         f"AND user_id = ''", "meetd") or 0)
    pad = "x" * 200     # about a meeting_updated message's size
    for n in range(events):
        # the ceiling: straight to nchan's publisher
        body = json.dumps({"type": "bench", "data": {"n": n, "pad": pad}}).encode()
        req = urllib.request.Request(f"{s.nginx.publish_url}/pub/m{mid}", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        t0 = time.monotonic()
        urllib.request.urlopen(req, timeout=10).read()
        got, last = wait_until(lambda: (lambda d: d if d[0] >= SUBSCRIBERS else None)(
            clients.delivered(f"ceiling:{n}")), 30, f"ceiling event {n}")
        ceiling.append((last - t0) * 1000)
        time.sleep(0.05)
        # meetd: an API call whose change is pushed
        seq += 1
        t0 = time.monotonic()
        r = s.call("PATCH", f"/api/v1/meetings/{mid}", {"title": f"Bench {n}"}, token=organizer_token)
        if r.status != 200:
            raise RuntimeError(f"PATCH: {r.status} {r.body[:200]!r}")
        got, last = wait_until(lambda: (lambda d: d if d[0] >= SUBSCRIBERS else None)(
            clients.delivered(f"meetd:{seq}")), 30, f"meetd event {seq}")
        meetd.append((last - t0) * 1000)
        time.sleep(0.05)
    return meetd, ceiling


def render(r, env):
    ratio50 = r["meetd_p50"] / r["ceiling_p50"] if r["ceiling_p50"] else float("nan")
    ratio99 = r["meetd_p99"] / r["ceiling_p99"] if r["ceiling_p99"] else float("nan")
    ok = r["meetd_p99"] <= P99_GOAL_MS
    lines = [
        BEGIN,
        f"Run of {time.strftime('%Y-%m-%d')}: {env}.",
        "",
        "| idle: 1,000 WebSocket subscribers across 50 meetings | value |",
        "| --- | --- |",
        f"| busy responders while they are connected (besides the one answering /metrics) | "
        f"{r['busy_idle']} |",
        f"| queries in {QUIET_S} s, before they connected | {r['quiet_before']} |",
        f"| queries in {QUIET_S} s, with them connected | {r['quiet_with']} |",
        f"| handshakes (ticket-less, `?token=`), each one responder request | {SUBSCRIBERS} in "
        f"{r['connect_s']:.1f} s |",
        "",
        f"| fan-out of one event to 1,000 WebSockets ({r['events']} events each) | p50 ms | p99 ms |",
        "| --- | --- | --- |",
        f"| ceiling: POST straight to nchan's publisher | {r['ceiling_p50']:.1f} | {r['ceiling_p99']:.1f} |",
        f"| meetd: PATCH the meeting through nginx (transaction, answer, then publish) | "
        f"{r['meetd_p50']:.1f} | {r['meetd_p99']:.1f} |",
        f"| what meetd adds (p50 difference) | {r['meetd_p50'] - r['ceiling_p50']:.1f} | |",
        f"| ratio meetd / ceiling | {ratio50:.2f} | {ratio99:.2f} |",
        "",
        f"Goal: meetd's p99 ≤ {P99_GOAL_MS:.0f} ms — {'met' if ok else 'missed'}. Busy responders "
        f"during the fan-out: {r['busy_fan']}.",
        END,
    ]
    return "\n".join(lines) + "\n", ok


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=40)
    ap.add_argument("--responders", type=int, default=4)
    ap.add_argument("--write-docs", action="store_true")
    ap.add_argument("--strict", action="store_true", help="exit 1 if the goal is missed")
    ap.add_argument("--keep", action="store_true", help="keep the run's directory and logs")
    args = ap.parse_args(argv)
    raise_nofile()
    root = tempfile.mkdtemp(prefix="meetd-rt-bench-")
    os.chmod(root, 0o755)
    db = bench.BenchDB(os.path.join(root, "mariadb"), "256M", "64M")
    limits = {f"limits__{k}": v for k, v in bench.BENCH_LIMITS.items()}
    s = stack.Stack(os.path.join(root, "stack"), db=db, server__responders=args.responders,
                    server__max_requests=0, log__access_log="off", **limits)
    s.nginx = bench.BenchNginx(os.path.join(s.root, "nginx"), s.meetd.socket,
                               publish_port=s.nginx.publish_port)
    worker = None
    clients = None
    keep = args.keep
    r = {"events": args.events}
    try:
        log("starting MariaDB, meetd, its worker and nginx")
        db.install()
        db.start()
        db.create_app_db("meetd", "meetd")
        s.start()
        worker = subprocess.Popen([stack.MEETD_BIN, "-c", s.meetd.conf, "worker"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        tokens = bench.subject_tokens(s, "rt", USERS)
        ids = []
        for t in tokens:            # each subject becomes a user on first use
            me = s.call("GET", "/api/v1/me", token=t)
            ids.append(me.json()["data"]["id"])
        organizer = tokens[0]
        meetings = [s.call("POST", "/api/v1/meetings", {"title": f"Room {i}", "scheduled_for":
                                                       bench.iso_in(86400), "duration": 60},
                           token=organizer).json()["data"]["id"] for i in range(MEETINGS + 1)]
        fan_mid = meetings.pop()

        def add_members(mid):
            for uid in ids[1:]:
                r = s.call("PUT", f"/api/v1/meetings/{mid}/members/{uid}", {"role": "participant"},
                           token=organizer)
                if r.status != 200:
                    raise RuntimeError(f"member: {r.status} {r.body[:200]!r}")
        log(f"{MEETINGS + 1} meetings, {USERS} members each")
        bench.parallel(add_members, meetings + [fan_mid])
        base = s.nginx.url.replace("http://", "ws://")

        # 1. idle
        r["quiet_before"] = quiet_queries(db)
        paths = [f"/ws/meetings/{mid}?token={tokens[u]}" for mid in meetings for u in range(USERS)]
        log(f"opening {len(paths)} WebSockets across {MEETINGS} meetings")
        t0 = time.monotonic()
        clients = Clients(base, paths)
        wait_until(lambda: clients.open_count() == SUBSCRIBERS, 300, "the subscribers")
        r["connect_s"] = time.monotonic() - t0
        wait_until(lambda: connections(s) == SUBSCRIBERS, 60, "every subscribe callback")
        r["busy_idle"] = busy_responders(s) - 1
        r["quiet_with"] = quiet_queries(db)
        clients.close()
        wait_until(lambda: connections(s) <= 0, 60, "every unsubscribe callback")

        # 2. fan-out
        paths = [f"/ws/meetings/{fan_mid}?token={tokens[u]}" for u in range(USERS)
                 for _ in range(SUBSCRIBERS // USERS)]
        log(f"opening {len(paths)} WebSockets on one meeting")
        clients = Clients(base, paths)
        wait_until(lambda: clients.open_count() == SUBSCRIBERS, 300, "the subscribers")
        wait_until(lambda: connections(s, fan_mid) == SUBSCRIBERS, 60, "every subscribe callback")
        log(f"fan-out: {args.events} events through meetd, {args.events} straight to nchan")
        meetd, ceiling = fan_out(s, clients, fan_mid, organizer, args.events)
        r["busy_fan"] = busy_responders(s) - 1
        r.update(meetd_p50=pct(meetd, 50), meetd_p99=pct(meetd, 99),
                 ceiling_p50=pct(ceiling, 50), ceiling_p99=pct(ceiling, 99))
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    except Exception:
        keep = True
        raise
    finally:
        if clients is not None:
            try:
                clients.close()
            except Exception:
                pass
        if worker is not None:
            worker.terminate()
            worker.wait(30)
        bench.stop_all(s.nginx.stop, s.meetd.stop, db.stop)
        if keep:
            log(f"logs kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    env = (f"{os.cpu_count()} CPUs, {args.responders} responders, {CLIENT_PROCS} client processes "
           f"(Node 20, `ws`) on the same machine")
    block, ok = render(r, env)
    print(block, end="")
    if args.write_docs:
        bench.replace_block(block, BEGIN, END, "Real time: idle subscribers and fan-out")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
