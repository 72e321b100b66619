"""The platform proxy's benchmark: a create through the Zoom fake.

One run, on one throwaway MariaDB and a meetd stack as tests/bench/bench.py
starts them (same nginx rendering, limits no run reaches, Zoom's daily
quota raised), with the Zoom fake (tests/fakes/zoom.py) in a process of
its own so that its interpreter shares nothing with the load generator:

  1. the fake alone: wrk -t1 -c1 POSTs the body meetd sends Zoom straight
     to the fake's POST /v2/users/me/meetings with a bearer token — what
     Zoom costs meetd, as latency, one request at a time;
  2. meetd, native: POST /api/v1/meetings for meetd's own room (the same
     database work as a Zoom create, without the call);
  3. meetd, Zoom: POST /api/v1/meetings with platform "zoom", through
     nginx, meetd and the fake.

meetd's overhead is p50(3) − p50(1), against the issue's ceiling of 2 ms;
also reported: what the proxy adds over a native create (p50(3) − p50(2) −
p50(1)), and the fake's token requests during the whole run (target: at
most one, the first; the cached token serves every other create).

A benchmark, not a test: it exits 0 whatever the figures are, unless
--strict is given. --write-docs puts the table into docs/benchmarks.md
between its own markers.

    tests/bench/run.sh --zoom [--duration S] [--write-docs] [--strict]
"""
import argparse
import multiprocessing
import os
import secrets
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import bench  # noqa: E402  (tests/bench/bench.py: stack, wrk, nginx rendering)
from bench import log, stack  # noqa: E402

ZOOM_LUA = os.path.join(HERE, "zoom.lua")
OVERHEAD_MAX_MS = 2.0
TOKENS_MAX = 1
BEGIN = "<!-- bench:zoom:begin (written by tests/bench/zoom_bench.py --write-docs) -->"
END = "<!-- bench:zoom:end -->"
ACCOUNT_ID = "bench_acct"
CLIENT_ID = "bench_client"


def fake_process(conn, client_secret):
    """The Zoom fake in this child process; answers the parent's questions
    (its URL, then counts) over conn until told to stop."""
    from fakes.zoom import ZoomFake
    fake = ZoomFake(account_id=ACCOUNT_ID, client_id=CLIENT_ID, client_secret=client_secret,
                    daily_create_limit=10 ** 9, token_ttl=3600).start()
    conn.send(fake.url)
    while True:
        ask = conn.recv()
        if ask == "stop":
            break
        if ask == "new token":
            conn.send(fake_token(fake))
        else:                           # a route's request count
            conn.send(fake.count(ask))
    fake.stop()


def fake_token(fake):
    """An access token from the fake's own token endpoint (counted there)."""
    import base64
    import json
    import urllib.request
    basic = base64.b64encode(f"{fake.client_id}:{fake.client_secret}".encode()).decode()
    req = urllib.request.Request(fake.url + "/oauth/token", method="POST",
                                 data=f"grant_type=account_credentials&account_id={ACCOUNT_ID}".encode(),
                                 headers={"Authorization": "Basic " + basic,
                                          "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())["access_token"]


class Fake:
    def __init__(self, client_secret):
        self.conn, child = multiprocessing.Pipe()
        self.proc = multiprocessing.get_context("fork").Process(
            target=fake_process, args=(child, client_secret), daemon=True)
        self.proc.start()
        self.url = self.conn.recv()

    def ask(self, what):
        self.conn.send(what)
        return self.conn.recv()

    def stop(self):
        if self.proc.is_alive():
            self.conn.send("stop")
            self.proc.join(10)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()


def one_at_a_time(args):
    """bench.wrk's settings for latency: one thread, one connection."""
    return argparse.Namespace(threads=1, connections=1, warmup=args.warmup, duration=args.duration)


def run_wrk(name, url, args, mode, token, db):
    settings = one_at_a_time(args)
    tag = secrets.token_hex(3)
    log(f"{name}: warm-up {args.warmup} s")
    bench.wrk(url, settings, args.warmup, script=ZOOM_LUA, script_args=(mode, token, tag + "w"))
    log(f"{name}: measuring {args.duration} s")
    sql0 = db.counters()
    res = bench.parse_wrk(bench.wrk(url, settings, args.duration, script=ZOOM_LUA,
                                    script_args=(mode, token, tag)))
    sql1 = db.counters()
    n = max(1, res["requests"])
    res["sql"] = {k: (sql1[k] - sql0[k]) / n for k in ("Questions", "Com_commit", "Innodb_data_fsyncs")}
    res["name"] = name
    # (with Connection: close, wrk counts each close by the server as a read
    # error; only the answers' statuses say whether requests failed)
    log(f"{name}: {res['rps']:.0f} req/s, p50 {res['p50']:.2f} ms, p99 {res['p99']:.2f} ms, "
        f"non-2xx {res['non2xx']}")
    return res


def render(rows, overhead, over_native, tokens, creates, env):
    ok_overhead = overhead <= OVERHEAD_MAX_MS
    ok_tokens = tokens <= TOKENS_MAX
    lines = [
        BEGIN,
        f"Run of {env}.",
        "",
        "| sequential creates (wrk -t1 -c1) | req/s | p50 ms | p99 ms | non-2xx | SQL statements | commits | fsyncs |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        q = r.get("sql")
        per = (f"{q['Questions']:.1f} | {q['Com_commit']:.1f} | {q['Innodb_data_fsyncs']:.1f}" if q
               else "– | – | –")
        lines.append(f"| {r['name']} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['non2xx']} | {per} |")
    lines += [
        "",
        f"- meetd's overhead over the fake's latency at p50: **{overhead:.2f} ms** "
        f"(ceiling {OVERHEAD_MAX_MS:.0f} ms): {'PASS' if ok_overhead else 'FAIL'}",
        f"- of which the platform proxy itself, beyond a native create's own work: {over_native:.2f} ms",
        f"- token requests to the fake during the run: **{tokens}** for {creates} Zoom creates "
        f"(at most {TOKENS_MAX}): {'PASS' if ok_tokens else 'FAIL'}",
        END,
    ]
    return "\n".join(lines) + "\n", ok_overhead and ok_tokens


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--responders", type=int, default=4)
    ap.add_argument("--write-docs", action="store_true")
    ap.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    ap.add_argument("--keep", action="store_true", help="keep the run's directory and logs")
    args = ap.parse_args(argv)
    if shutil.which("wrk") is None:
        ap.error("wrk is not installed")
    root = tempfile.mkdtemp(prefix="meetd-zoom-bench-")
    os.chmod(root, 0o755)
    secret = "bench_secret_" + secrets.token_hex(8)
    fake = Fake(secret)
    db = bench.BenchDB(os.path.join(root, "mariadb"), "256M", "64M")
    secret_file = os.path.join(root, "zoom_client.secret")
    stack.write_secret(secret_file, secret + "\n")
    limits = {f"limits__{k}": v for k, v in bench.BENCH_LIMITS.items()}
    s = stack.Stack(os.path.join(root, "stack"), db=db, server__responders=args.responders,
                    server__max_requests=0, log__access_log="on", zoom__account_id=ACCOUNT_ID,
                    zoom__client_id=CLIENT_ID, zoom__client_secret_file=secret_file,
                    zoom__oauth_url=fake.url, zoom__api_url=fake.url + "/v2",
                    zoom__daily_limit="100000000/24h", **limits)
    s.nginx = bench.BenchNginx(os.path.join(s.root, "nginx"), s.meetd.socket,
                               publish_port=s.nginx.publish_port)
    keep = args.keep
    try:
        log("starting MariaDB, meetd and nginx")
        db.install()
        db.start()
        db.create_app_db("meetd", "meetd")
        s.start()
        _, token = bench.register(s, "zoom-bench@example.com", "Zoom Bench")
        fake_tok = fake.ask("new token")
        rows = [run_wrk("Zoom fake alone", fake.url, args, "fake", fake_tok, db)]
        del rows[0]["sql"]              # the fake touches no database
        rows.append(run_wrk("meetd, native room", s.nginx.url, args, "meetd-native", token, db))
        t1, c1 = fake.ask("token"), fake.ask("create")
        rows.append(run_wrk("meetd, Zoom (nginx → meetd → fake)", s.nginx.url, args, "meetd-zoom", token, db))
        t2, c2 = fake.ask("token"), fake.ask("create")
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    except Exception:
        keep = True
        raise
    finally:
        bench.stop_all(s.nginx.stop, s.meetd.stop, db.stop, fake.stop)
        if keep:
            log(f"logs kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    fake_r, native_r, zoom_r = rows
    overhead = zoom_r["p50"] - fake_r["p50"]
    over_native = zoom_r["p50"] - native_r["p50"] - fake_r["p50"]
    env = (f"{os.cpu_count()} CPUs, {args.responders} responders, {args.duration} s per target after a "
           f"{args.warmup} s warm-up")
    block, ok = render(rows, overhead, over_native, t2 - t1, c2 - c1, env)
    print(block, end="")
    if args.write_docs:
        bench.replace_block(block, BEGIN, END, "Platform proxy: a create through the Zoom fake")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
