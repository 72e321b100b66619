"""meetd's throughput and memory benchmark, against a measured ceiling.

One run:
  1. the ceiling: tests/bench/fcgi-hello (a libfcgi responder that answers a
     fixed body) pre-forked as many times as meetd's responders, behind its
     own nginx rendered from nginx/dev.conf.in; wrk on GET /api/v1/health;
  2. a meetd stack (tests/integration/stack.py: MariaDB, meetd serve, nginx
     from the same dev.conf.in) with max_requests=0: wrk on GET /api/v1/health
     and on GET /api/v1/me with a real user's token, with meetd's access log
     on (as in production) and then, unless --no-log-off, off;
  3. a Markdown table: req/s, p50, p99, req/s relative to the ceiling, the
     responders' VmRSS and Pss after each load, the CPU each process group
     used per request and any CPU used by processes outside the benchmark;
     PASS/FAIL lines for the targets and for a quiet machine.

It is a benchmark, not a test: it exits 0 whatever the figures are, unless
--strict is given. Every process it starts is stopped on the way out, also
on Ctrl-C, SIGTERM or an error.

The dev config limits each client address to 1000 r/s (burst 2000), and wrk
sends everything from 127.0.0.1, so nginx would answer most requests itself
with 429. The benchmark's rendered copy of dev.conf.in raises that rate to
BENCH_RATE; the limit_req zone and its per-request lookup stay in the path.
"""

import argparse
import datetime
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import stack  # noqa: E402  (tests/integration/stack.py)

FCGI_HELLO = os.environ.get("MEETD_FCGI_HELLO",
                            os.path.join(stack.BUILDDIR, "tests", "bench", "fcgi-hello"))
DOCS = os.path.join(stack.SRCDIR, "docs", "benchmarks.md")
BENCH_RATE = "1000000r/s"
RSS_LIMIT_KB = 8 * 1024          # 8 MiB
ME_RATIO_MIN = 0.7
OTHER_MAX = 0.03                 # foreign CPU use that makes a run suspect
CLK_TCK = os.sysconf("SC_CLK_TCK")
BEGIN = "<!-- bench:results:begin (written by tests/bench/bench.py --write-docs) -->"
END = "<!-- bench:results:end -->"


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


# --- processes ---------------------------------------------------------------

class BenchNginx(stack.Nginx):
    """nginx from dev.conf.in, with the per-address rate limit raised."""

    def render(self):
        super().render()
        path = os.path.join(self.root, "nginx.conf")
        with open(path) as f:
            text = f.read()
        text, n = re.subn(r"\brate=\d+r/[sm]", f"rate={BENCH_RATE}", text)
        if n == 0:
            log("warning: no limit_req rate found in dev.conf.in; left as it is")
        with open(path, "w") as f:
            f.write(text)

    def pids(self):
        if self.proc is None or self.proc.poll() is not None:
            return []
        return [self.proc.pid, *children(self.proc.pid)]


class Ceiling:
    """fcgi-hello SOCKET N in its own process group, plus its nginx."""

    def __init__(self, root, responders):
        self.root = root
        os.makedirs(root, exist_ok=True)
        os.chmod(root, 0o755)
        self.socket = os.path.join(root, "hello.sock")
        self.responders = responders
        self.proc = None
        self.nginx = BenchNginx(os.path.join(root, "nginx"), self.socket)

    def start(self):
        if not os.access(FCGI_HELLO, os.X_OK):
            raise RuntimeError(f"{FCGI_HELLO} not found; build it first (make)")
        with open(os.path.join(self.root, "hello.log"), "ab") as errlog:
            self.proc = subprocess.Popen([FCGI_HELLO, self.socket, str(self.responders)],
                                         start_new_session=True, stdout=subprocess.DEVNULL,
                                         stderr=errlog)
        stack.wait_for(lambda: os.path.exists(self.socket) and
                       len(self.responder_pids()) >= self.responders, 10, "fcgi-hello")
        self.nginx.start()
        return self

    def responder_pids(self):
        if self.proc is None or self.proc.poll() is not None:
            return []
        return children(self.proc.pid)

    def stop(self):
        try:
            self.nginx.stop()
        finally:
            self.stop_responders()

    def stop_responders(self):
        if self.proc is None:
            return
        # SIGTERM kills fcgi-hello's parent at once, which would leave its
        # children accepting (and, once they exit, unreaped). So stop the
        # children first; the parent reaps them and exits by itself.
        for pid in self.responder_pids():
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            # The parent leaves its wait() loop only when no child is left.
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            # Not yet reaped, so the group id is still ours alone
            # (start_new_session): end all of it.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                log(f"warning: fcgi-hello {self.proc.pid} did not exit")
        self.proc = None


def stop_all(*stoppers):
    """Runs each stop function with SIGINT/SIGTERM/SIGHUP held back, so a
    second Ctrl-C cannot cut the clean-up short (it takes effect after)."""
    held = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        for stop in stoppers:
            try:
                stop()
            except Exception as e:      # keep stopping the rest
                log(f"warning: stopping: {e!r}")
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


# --- measurements ------------------------------------------------------------

def memory_kb(pid):
    """(VmRSS, Pss) of one process in kB, or None if it is gone."""
    rss = pss = None
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        return None
    if rss is None or pss is None:
        return None
    return rss, pss


def cpu_ticks(pids):
    """utime + stime (all threads) summed over pids, in clock ticks."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total


STAT_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


def machine_ticks():
    """Jiffies of all CPUs since boot by kind, from /proc/stat's "cpu" line."""
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:9]]
    parts += [0] * (len(STAT_FIELDS) - len(parts))
    return dict(zip(STAT_FIELDS, parts))


def children_cpu_s():
    """CPU seconds of this process's reaped children (wrk, once it ended)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def to_ms(value, unit):
    return float(value) * UNIT_MS[unit]


def parse_wrk(out):
    """The figures of wrk --latency's report; raises if it is not one."""
    res = {}
    m = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    if not m:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    res["rps"] = float(m.group(1))
    for pct, value, unit in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m|h)\s*$",
                                       out, re.M):
        res[f"p{pct}"] = to_ms(value, unit)
    m = re.search(r"^\s+(\d+) requests in ([\d.]+)(us|ms|s|m|h)", out, re.M)
    res["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    res["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["sockerr"] = sum(int(x) for x in m.groups()) if m else 0
    res["errors"] = res["non2xx"] + res["sockerr"]
    return res


def wrk(url, args, duration, headers=()):
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration}s", "--latency"]
    for h in headers:
        cmd += ["-H", h]
    cmd.append(url)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    if r.returncode != 0:
        raise RuntimeError(f"wrk failed ({r.returncode}): {r.stderr or r.stdout}")
    return r.stdout


def measure(name, url, args, groups, responder_pids, headers=(), access_log="-"):
    """Warm up, then one measured wrk run; CPU and memory around it.

    groups: {label: callable returning pids} whose CPU time is recorded."""
    log(f"{name}: warm-up {args.warmup} s")
    wrk(url, args, args.warmup, headers)
    before_pids = sorted(responder_pids())
    snap = {k: cpu_ticks(f()) for k, f in groups.items()}
    m0, wrk0 = machine_ticks(), children_cpu_s()
    log(f"{name}: measuring {args.duration} s")
    out = wrk(url, args, args.duration, headers)
    m1, wrk1 = machine_ticks(), children_cpu_s()
    cpu = {k: cpu_ticks(f()) - snap[k] for k, f in groups.items()}
    d = {k: m1[k] - m0[k] for k in STAT_FIELDS}
    total = max(1, sum(d.values()))
    wrk_ticks = (wrk1 - wrk0) * CLK_TCK
    # CPU spent by processes that are none of ours (and not wrk): another
    # job on the machine, which disturbs the figures.
    other = d["user"] + d["nice"] + d["system"] - sum(cpu.values()) - wrk_ticks
    after_pids = sorted(responder_pids())
    res = parse_wrk(out)
    mem = [m for m in (memory_kb(p) for p in after_pids) if m]
    res.update(name=name, access_log=access_log, raw=out, mem=mem,
               restarted=before_pids != after_pids,
               machine_busy=(total - d["idle"] - d["iowait"] - d["steal"]) / total,
               softirq=(d["irq"] + d["softirq"]) / total,
               steal=d["steal"] / total,
               other=max(0.0, other / total),
               cpu_us_per_req={k: (v / CLK_TCK) * 1e6 / max(1, res["requests"])
                               for k, v in [*cpu.items(), ("wrk", wrk_ticks)]})
    log(f"{name}: {res['rps']:.0f} req/s, p50 {res.get('p50', 0):.2f} ms, "
        f"p99 {res.get('p99', 0):.2f} ms, errors {res['errors']}")
    return res


# --- the two targets ---------------------------------------------------------

def bench_ceiling(root, args, results):
    c = Ceiling(os.path.join(root, "ceiling"), args.responders)
    try:
        c.start()
        url = c.nginx.url + "/api/v1/health"
        r = stack.http("GET", url)
        if r.status != 200:
            raise RuntimeError(f"ceiling answered {r.status}: {r.body[:200]!r}")
        groups = {"responders": c.responder_pids, "nginx": c.nginx.pids,
                  "_parent": lambda: [c.proc.pid] if c.proc else []}
        results.append(measure("ceiling: fcgi-hello /health", url, args, groups,
                               c.responder_pids))
    finally:
        stop_all(c.stop)


def bench_meetd(root, args, results):
    # scrypt_log2n: the production default (stack.py lowers it for speed);
    # it decides how much heap a login leaves behind in a responder.
    s = stack.Stack(os.path.join(root, "stack"), server__responders=args.responders,
                    server__max_requests=0, log__access_log="on",
                    auth__scrypt_log2n=args.scrypt_log2n)
    s.nginx = BenchNginx(os.path.join(s.root, "nginx"), s.meetd.socket)
    try:
        log("starting MariaDB, meetd and nginx")
        s.start()
        r = s.call("POST", "/api/v1/auth/register",
                   {"email": "bench@example.org", "password": "bench password 1",
                    "display_name": "Bench"})
        if r.status != 201:
            raise RuntimeError(f"register: {r.status} {r.body[:300]!r}")
        r = s.call("POST", "/api/v1/auth/login",
                   {"email": "bench@example.org", "password": "bench password 1"})
        if r.status != 200:
            raise RuntimeError(f"login: {r.status} {r.body[:300]!r}")
        token = r.json()["data"]["access_token"]
        # Responders serve logins in production too: let each one (most
        # likely) see a few, so the memory figures include what a login
        # leaves behind, not just a fresh process.
        log(f"{4 * args.responders} more logins")
        for _ in range(4 * args.responders - 1):
            r = s.call("POST", "/api/v1/auth/login",
                       {"email": "bench@example.org", "password": "bench password 1"},
                       timeout=30)
            if r.status != 200:
                raise RuntimeError(f"login: {r.status} {r.body[:300]!r}")
        auth = (f"Authorization: Bearer {token}",)
        groups = {"responders": s.meetd.responder_pids,
                  "_master": lambda: [s.meetd.proc.pid] if s.meetd.proc else [],
                  "nginx": s.nginx.pids,
                  "mariadbd": lambda: [s.db.proc.pid] if s.db.proc else []}
        health = s.nginx.url + "/api/v1/health"
        me = s.nginx.url + "/api/v1/me"
        modes = ["on"] if args.no_log_off else ["on", "off"]
        for mode in modes:
            if mode != s.meetd.settings["log"]["access_log"]:
                log(f"restarting meetd with access_log = {mode}")
                s.meetd.stop()
                s.meetd.settings["log"]["access_log"] = mode
                s.meetd.write_conf()
                s.meetd.start()
            for path, url, hdrs in (("/health", health, ()), ("/me", me, auth)):
                r = stack.http("GET", url, headers=dict(h.split(": ", 1) for h in hdrs))
                if r.status != 200:
                    raise RuntimeError(f"meetd {path}: {r.status} {r.body[:300]!r}")
                results.append(measure(f"meetd {path}", url, args, groups,
                                       s.meetd.responder_pids, hdrs, access_log=mode))
    finally:
        log("stopping the meetd stack")
        stop_all(s.nginx.stop, s.meetd.stop, s.db.stop)


# --- report ------------------------------------------------------------------

def mib(kb):
    return kb / 1024.0


def mem_cell(mem, idx):
    if not mem:
        return "-"
    vals = [m[idx] for m in mem]
    return f"{mib(max(vals)):.1f} / {mib(sum(vals) / len(vals)):.1f}"


def environment(args):
    def first_line(cmd):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            return (r.stdout or r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return "?"
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    rev = first_line(["git", "-C", stack.SRCDIR, "rev-parse", "--short", "HEAD"])
    try:
        dirty = subprocess.run(["git", "-C", stack.SRCDIR, "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True,
                               timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        dirty = ""
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores ({cpu}), Linux {platform.release()}",
        "software": ", ".join(re.sub(pat, rep, first_line(cmd)) for cmd, pat, rep in (
            (["nginx", "-v"], r"^nginx version: ", ""),
            (["wrk", "-v"], r"^wrk (\S+).*", r"wrk \1"),
            (["mariadbd", "--version"], r"^\S+\s+Ver (\S+).*", r"MariaDB \1"))),
        "commit": rev + (" with uncommitted changes" if dirty else ""),
        "load": f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency "
                f"(after a {args.warmup} s warm-up run), {args.responders} responders, "
                f"scrypt_log2n {args.scrypt_log2n}",
    }


def render_results(results, checks, env):
    ceiling = next((r["rps"] for r in results if r["name"].startswith("ceiling")), None)
    lines = [
        f"Run of {env['date']}, commit {env['commit']}.",
        "",
        f"- Machine: {env['machine']}",
        f"- Software: {env['software']}",
        f"- Load: {env['load']}",
        "",
        "| target | meetd access log | req/s | × ceiling | p50 ms | p99 ms | errors "
        "| responder VmRSS max / mean MiB | responder Pss max / mean MiB |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        ratio = f"{r['rps'] / ceiling:.2f}" if ceiling else "-"
        lines.append(
            f"| {r['name']} | {r['access_log']} | {r['rps']:,.0f} | {ratio} "
            f"| {r.get('p50', float('nan')):.2f} | {r.get('p99', float('nan')):.2f} "
            f"| {r['errors']} | {mem_cell(r['mem'], 0)} | {mem_cell(r['mem'], 1)} |")
    lines += [
        "",
        "CPU time per request in µs (user + system, all processes and threads of "
        "each group), and how busy the machine's cores were: in all, in interrupt and "
        "softirq handling (loopback networking, counted in no process), in "
        "processes that are not part of the benchmark, and stolen by the hypervisor:",
        "",
        "| target | meetd access log | responders | nginx | mariadbd | wrk "
        "| machine busy | irq + softirq | other processes | steal |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        c = r["cpu_us_per_req"]
        cells = [f"{c[k]:.0f}" if k in c else "-"
                 for k in ("responders", "nginx", "mariadbd", "wrk")]
        cells += [f"{r[k] * 100:.0f} %" for k in ("machine_busy", "softirq", "other", "steal")]
        lines.append(f"| {r['name']} | {r['access_log']} | {' | '.join(cells)} |")
    lines += ["", "Checks:", ""]
    lines += [f"- {'PASS' if ok else 'FAIL'}: {text}" for ok, text in checks]
    notes = [r for r in results if r["restarted"]]
    if notes:
        lines += ["", "Note: responders were replaced during "
                  + ", ".join(r["name"] for r in notes) + " (crash or restart)."]
    return "\n".join(lines) + "\n"


def evaluate(results):
    checks = []
    ceiling = next((r for r in results if r["name"].startswith("ceiling")), None)
    me = next((r for r in results if r["name"] == "meetd /me" and r["access_log"] == "on"),
              None)
    if ceiling and me:
        ratio = me["rps"] / ceiling["rps"]
        checks.append((ratio >= ME_RATIO_MIN,
                       f"authenticated /me (access log on) at {ratio:.2f} × the ceiling "
                       f"({me['rps']:,.0f} / {ceiling['rps']:,.0f} req/s); "
                       f"target ≥ {ME_RATIO_MIN}"))
    mem = [m for r in results if r["name"].startswith("meetd") for m in r["mem"]]
    if mem:
        worst = max(m[0] for m in mem)
        checks.append((worst <= RSS_LIMIT_KB,
                       f"largest meetd responder VmRSS {mib(worst):.1f} MiB "
                       f"({worst} kB); target ≤ {mib(RSS_LIMIT_KB):.0f} MiB"))
    noisy = [r for r in results if r["other"] > OTHER_MAX or r["steal"] > OTHER_MAX]
    checks.append((not noisy, "the machine was quiet (other processes and steal each "
                   f"≤ {OTHER_MAX * 100:.0f} % of the CPU in every run)" if not noisy else
                   "the machine was not quiet, figures disturbed in: " + ", ".join(
                       f"{r['name']} (other {r['other'] * 100:.0f} %, steal "
                       f"{r['steal'] * 100:.0f} %)" for r in noisy)))
    bad = [r for r in results if r["errors"]]
    checks.append((not bad, "every request answered 2xx, no socket errors" if not bad else
                   "errors in: " + ", ".join(f"{r['name']} ({r['non2xx']} non-2xx, "
                                             f"{r['sockerr']} socket)" for r in bad)))
    return checks


DOC_HEAD = """\
# Benchmarks

`tests/bench/run.sh` measures how many requests per second meetd serves on one
machine, how that compares with the most any libfcgi application could serve
there, and how much memory each responder takes. It is a benchmark, not a
test: nothing fails the build on it.

## Method

- **The ceiling** is `tests/bench/fcgi-hello`: a libfcgi responder that
  accepts a request and answers a fixed 83-byte JSON body, pre-forked into as
  many processes as meetd has responders, on a unix socket. It does only what
  every libfcgi application behind this nginx must do, so its throughput is
  what this nginx, this FastCGI hand-off (one new unix-socket connection per
  request, no `fastcgi_keep_conn`), this process count and this machine allow.
  The ratio "× ceiling" is the share of that which meetd keeps; 1.0 would mean
  meetd's own work costs nothing.
- **meetd** runs as in `tests/integration/stack.py`: a throwaway MariaDB on
  a unix socket, `meetd serve` with the same number of responders and
  `max_requests = 0` (no recycling during the run), nginx in front.
- Both use nginx rendered from the same `nginx/dev.conf.in` (one worker, its
  access log on, the same headers, the same `meetd-fastcgi.conf`), with one
  change: the per-address rate limit (1000 r/s in the dev config) is raised
  to 1,000,000 r/s, since wrk sends everything from 127.0.0.1 and nginx would
  otherwise answer most requests itself with 429. The `limit_req` lookup
  stays in the path.
- **Load**: `wrk -t2 -c32 -d10s --latency` (HTTP/1.1 keep-alive between wrk
  and nginx), after a 2-second warm-up run against the same target.
- **Targets**: `GET /api/v1/health` on the ceiling; on meetd `GET
  /api/v1/health` (routing, envelope, headers, no database) and `GET
  /api/v1/me` with the bearer JWT of a user registered and logged in
  beforehand (HS256 check plus one primary-key `SELECT`). meetd's access log
  is **on** (one JSON line per request), as in production; the same two
  targets are then measured with it off. In the benchmark the log goes to a
  file; in production it goes through stderr to the journal, which costs
  more than a file write.
- Before the load, meetd serves 4 logins per responder with the production
  `scrypt_log2n` (15), so that the memory figures include what logins leave
  behind in a responder, not only a freshly started process.
- **Memory**: after each measured run, `VmRSS` (`/proc/PID/status`) and
  `Pss` (`/proc/PID/smaps_rollup`) of every responder, max and mean, in MiB.
  VmRSS counts shared library pages in full in every process; Pss divides
  shared pages among the processes that map them, so it is the better
  measure of what one more responder costs.
- **CPU per request**: user + system CPU time of each process group (all
  its processes and threads, from `/proc/PID/stat`; wrk's from `getrusage`)
  during the measured run, divided by the number of requests. From
  `/proc/stat`: "machine busy" is the share of all cores in use, "irq +
  softirq" the part of it spent in interrupt handling (mostly loopback
  networking, which is counted in no process), "other processes" the CPU
  used by processes that are not part of the benchmark, and "steal" the
  time the hypervisor gave to other guests. A run in which "other
  processes" or "steal" exceeds 3 % is flagged: something else was running.
- **The machine has 2 cores**, shared by wrk, nginx, the responders and
  MariaDB: the benchmark is nearly CPU-bound (83–93 % of both cores busy),
  and every microsecond any of them spends is a microsecond the others do
  not get. The load generator takes a
  share of the CPU too, so the absolute numbers say little about a production
  host, and latency includes waiting for a core. The ratio to the ceiling,
  measured under the same conditions, is the figure to follow across
  changes, but it is noisy too: on the virtual machine used here, repeated
  runs differed by up to ±10 % in absolute req/s, and the ratio by up to
  ±0.05 for `/me` and ±0.15 for `/health` (the ceiling and meetd are
  measured a minute apart). Compare several runs before drawing conclusions
  from a difference of a few per cent.

## Targets

- Authenticated `/me` ≥ 0.7 × the ceiling at 32 connections.
- Responder VmRSS ≤ 8 MiB.

## Results

"""

DOC_TAIL = """
## How to run

```sh
tests/bench/run.sh [--duration S] [--responders N] [--write-docs]
```

Run it from a built tree (`MEETD_BUILDDIR` names an out-of-tree build,
`MEETD_SRCDIR` the sources), as root or as a user who may start nginx and
MariaDB; wrk, nginx, mariadbd and mariadb-install-db must be installed. A run
takes about a minute and a half with the defaults. `--write-docs` replaces
the results section of this file (between the `bench:results` markers) and
leaves the rest alone. `--strict` makes it exit 1 when a target is missed;
`--no-log-off` skips the runs with meetd's access log off; `bench.py --help`
lists the rest.
"""


def write_docs(block):
    body = f"{BEGIN}\n{block}{END}\n"
    if os.path.exists(DOCS):
        with open(DOCS) as f:
            text = f.read()
        i, j = text.find(BEGIN), text.find(END)
        if i >= 0 and j > i:
            rest = text[j + len(END):]
            text = text[:i] + body + (rest[1:] if rest.startswith("\n") else rest)
        else:
            raise RuntimeError(f"{DOCS} exists but has no bench:results markers; "
                               "not overwriting it")
    else:
        text = DOC_HEAD + body + DOC_TAIL
    with open(DOCS, "w") as f:
        f.write(text)
    log(f"wrote {DOCS}")


# --- main --------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    ap.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per target")
    ap.add_argument("--responders", type=int, default=4)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--scrypt-log2n", type=int, default=15,
                    help="meetd's [auth] scrypt_log2n (default 15, the production default)")
    ap.add_argument("--no-log-off", action="store_true",
                    help="skip the runs with meetd's access log off")
    ap.add_argument("--write-docs", action="store_true",
                    help="write the results into docs/benchmarks.md")
    ap.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    if not 1 <= args.responders <= 64:
        ap.error("--responders must be 1..64")
    if shutil.which("wrk") is None:
        ap.error("wrk is not installed")

    def terminate(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGHUP, terminate)

    root = tempfile.mkdtemp(prefix="meetd-bench-")
    os.chmod(root, 0o755)
    results = []
    keep = args.keep
    try:
        bench_ceiling(root, args, results)
        bench_meetd(root, args, results)
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    except Exception:
        keep = True     # the logs say why
        raise
    finally:
        # Every process is stopped by now (the finally clauses above).
        if keep:
            log(f"logs kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    checks = evaluate(results)
    block = render_results(results, checks, environment(args))
    print(block, end="")
    if args.write_docs:
        write_docs(block)
    if args.strict and not all(ok for ok, _ in checks):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
