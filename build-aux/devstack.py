#!/usr/bin/python3
"""Runs the whole service locally and keeps it running: MariaDB, meetd (with
its background worker) and nginx on 127.0.0.1:PORT. Uses the same stack
module as the integration tests.

    devstack.py up [PORT]     start (or restart) everything
    devstack.py down          stop everything

Where the state lives (data, keys, sockets, logs, pid record): MEETD_STATE_DIR
if set; else, as root, /var/lib/meetd-dev/<hash of the checkout's path>;
else var/ in the checkout. Why not always var/: run as root, nginx's worker
becomes `nobody`, and it must reach meetd's socket and the static pages. A
checkout in a 0700 directory (root's home, another user's home, a mkdtemp()
under /tmp) lets nobody through, and changing the modes of someone's home is
not ours to do; a per-checkout directory under /var/lib is reachable by
every service user and survives reboots (/run would lose the database). Run
as an unprivileged user every process stays that user, so var/ works.
"""
import datetime
import hashlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
os.environ.setdefault("MEETD_SRCDIR", TOP)
os.environ.setdefault("MEETD_BUILDDIR", os.path.join(TOP, "build"))
import stack  # noqa: E402

# the stop order: the front first, the database last
ORDER = ("nginx", "worker", "meetd", "mariadb")
TOKEN_TTL = 86400


def state_dir():
    if os.environ.get("MEETD_STATE_DIR"):
        return os.path.abspath(os.environ["MEETD_STATE_DIR"])
    if os.geteuid() == 0:
        # the real path, so two spellings of one checkout share one state
        tag = hashlib.sha256(os.path.realpath(TOP).encode()).hexdigest()[:12]
        return os.path.join("/var/lib/meetd-dev", tag)
    return os.path.join(TOP, "var")


VAR = state_dir()
PIDS = os.path.join(VAR, "pids.json")


class StartError(Exception):
    """A start step that failed, with its one-line reason."""


def read_pids():
    try:
        with open(PIDS) as f:
            return json.load(f)
    except (FileNotFoundError, ValueError):
        return {}


def record_pid(name, pid):
    """Adds a process to the pid record the moment it exists, so that `down`
    finds it even when this start dies half-way (a crash, SIGKILL)."""
    pids = read_pids()
    pids[name] = pid
    tmp = PIDS + ".tmp"
    with open(tmp, "w") as f:
        json.dump(pids, f)
    os.replace(tmp, PIDS)


def ours(pid):
    """True when `pid` is still one of our processes: every one of them names
    the state directory on its command line. A pid recorded before a reboot
    may belong to anything by now; it is left alone."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return VAR.encode() + b"/" in f.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False


def gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a zombie child of ours (a failed start) is gone too
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, IndexError):
        return True


def stop_pid(name, pid):
    if not pid or not ours(pid):
        return False
    try:
        # nginx finishes the requests it has on SIGQUIT; the others drain on SIGTERM
        os.kill(pid, signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + 60
    while not gone(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 5
        time.sleep(0.1)
    return True


def down(quiet=False):
    pids = read_pids()
    stopped = [name for name in ORDER if stop_pid(name, pids.get(name))]
    for path in (PIDS, PIDS + ".tmp"):
        if os.path.exists(path):
            os.unlink(path)
    if stopped and not quiet:
        print("devstack: stopped " + ", ".join(stopped))


def port_free(port):
    """Whether nginx could listen on 127.0.0.1:port. SO_REUSEADDR as nginx
    sets it, so connections of a just-stopped nginx in TIME_WAIT do not count."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            s.listen(1)
        except OSError:
            return False
    return True


def last_line(text):
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    return lines[-1] if lines else "no message"


def step(what, fn, *args, **kw):
    """Runs one start step; turns its failure into a StartError with one line."""
    try:
        return fn(*args, **kw)
    except subprocess.CalledProcessError as e:
        raise StartError(f"{what} failed (exit {e.returncode}): "
                         f"{last_line(e.stderr if isinstance(e.stderr, str) else '')}") from e
    except (OSError, RuntimeError, TimeoutError) as e:
        raise StartError(f"{what} failed: {e}") from e


def keep_secret(name, value, copy_to):
    """Reuses the secret `name` from an earlier start (or records `value` as
    it), and writes it where meetd's config points; returns the one in use."""
    path = os.path.join(VAR, name)
    if os.path.exists(path):
        with open(path) as f:
            value = f.read().strip()
    stack.write_secret(path, value)
    stack.write_secret(copy_to, value + "\n")
    return value


def start(port):
    # every service user (nobody for nginx's worker) must traverse it and the
    # directory above it that this made, whatever the umask
    if not os.path.isdir(os.path.dirname(VAR)):
        os.makedirs(os.path.dirname(VAR))
        os.chmod(os.path.dirname(VAR), 0o755)
    os.makedirs(VAR, exist_ok=True)
    os.chmod(VAR, 0o755)
    with open(os.path.join(VAR, "checkout"), "w") as f:
        f.write(TOP + "\n")
    db = stack.MariaDB(os.path.join(VAR, "mariadb"))
    os.makedirs(db.root, exist_ok=True)
    pw_file = os.path.join(VAR, "mariadb", "app.password")
    if not os.path.isdir(os.path.join(db.datadir, "mysql")):
        step("mariadb-install-db", db.install)
    elif os.path.exists(pw_file):
        with open(pw_file) as f:
            db.password = f.read().strip()
    step("mariadbd", db.start, on_spawn=lambda p: record_pid("mariadb", p.pid))
    step("creating the database", db.create_app_db)
    step("setting the database password", db.sql,
         f"ALTER USER 'meetd'@'localhost' IDENTIFIED BY '{db.password}'")
    stack.write_secret(pw_file, db.password)
    url = f"http://127.0.0.1:{port}"
    # every link meetd returns (meeting_url, invitation_url, the Zoom OAuth
    # redirect) is built on public_url: it follows the port
    # nchan's publisher and the loopback hop of its callbacks: the two ports
    # after the public one (8081, 8082 by default)
    publish_port, hooks_port = port + 1, port + 2
    m = stack.Meetd(os.path.join(VAR, "meetd"), db, server__max_requests=10000,
                    server__public_url=url,
                    realtime__publish_urls=f"http://127.0.0.1:{publish_port}")
    # both keys outlive restarts: tokens stay valid, stored passcodes stay readable
    m.jwt_key = keep_secret("jwt.key", m.jwt_key, os.path.join(m.root, "jwt.key"))
    m.data_key = keep_secret("data.key", m.data_key, os.path.join(m.root, "data.key"))
    if os.path.exists(m.socket):
        os.unlink(m.socket)
    step("meetd migrate", m.migrate)
    step("meetd serve", m.start, on_spawn=lambda p: record_pid("meetd", p.pid))
    # the background worker: compensating deletes now, email and webhooks later
    with open(os.path.join(VAR, "worker.log"), "ab") as worker_log:
        worker = step("meetd worker", subprocess.Popen,
                      [stack.MEETD_BIN, "-c", m.conf, "worker"], stdout=worker_log,
                      stderr=worker_log, start_new_session=True)
    record_pid("worker", worker.pid)
    # nginx's worker (nobody, as root) reads the pages from here, not from the checkout
    www = os.path.join(VAR, "www")
    shutil.rmtree(www, ignore_errors=True)
    shutil.copytree(os.path.join(TOP, "nginx", "www"), www)
    # readable by nobody even when the clone was made under umask 077
    for d, _, files in os.walk(www):
        os.chmod(d, 0o755)
        for name in files:
            os.chmod(os.path.join(d, name), 0o644)
    n = stack.Nginx(os.path.join(VAR, "nginx"), m.socket, port=port, www=www,
                    publish_port=publish_port, hooks_port=hooks_port)
    step("nginx", n.start, on_spawn=lambda p: record_pid("nginx", p.pid))

    def ready():
        stack.exited(worker, f"meetd worker (see {VAR}/worker.log)")
        return stack.http("GET", url + "/api/v1/ready").status == 200
    step("waiting for /api/v1/ready", stack.wait_for, ready, 20, "ready")
    token = step("meetd token", m.run, "token", "--sub", "dev-admin", "--role", "admin",
                 "--ttl", str(TOKEN_TTL)).stdout.strip()
    return url, token, m


def create_command(url, token):
    """One curl command that creates a native meeting a week from now."""
    when = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=7))
    body = json.dumps({"title": "First meeting",
                       "scheduled_for": when.strftime("%Y-%m-%dT%H:00:00Z"),
                       "duration": 30, "platform": "native"}, separators=(",", ":"))
    return " ".join(["curl", "-sS", "-X", "POST", f"{url}/api/v1/meetings",
                     "-H", shlex.quote(f"Authorization: Bearer {token}"),
                     "-H", shlex.quote("Content-Type: application/json"),
                     "-d", shlex.quote(body)])


def up(port):
    if not os.access(stack.MEETD_BIN, os.X_OK):
        sys.exit(f"devstack: no meetd binary at {stack.MEETD_BIN} (build-aux/build.sh builds it)")
    down()
    # the public port, then nchan's publisher and the hook hop after it
    for p in (port, port + 1, port + 2):
        if not port_free(p):
            sys.exit(f"devstack: port {p} on 127.0.0.1 is already in use "
                     f"(meetd needs {port}-{port + 2}; stop what uses it, "
                     f"or pick another with MEETD_PORT=...)")

    # a TERM or HUP (a closed terminal) during the start unwinds it like an error
    def interrupted(sig, _frame):
        raise StartError(f"interrupted by signal {sig}")
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    try:
        url, token, m = start(port)
    except (Exception, KeyboardInterrupt) as e:  # whatever it was, nothing stays running
        reason = e if isinstance(e, StartError) else (f"{type(e).__name__}: {e}" if str(e)
                                                     else type(e).__name__)
        print(f"devstack: start failed: {reason}; stopping what was started", file=sys.stderr)
        # the cleanup itself is not cut short by a second TERM
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        down(quiet=True)
        sys.exit(1)
    run_local = shlex.quote(os.path.join(TOP, "build-aux", "run-local.sh"))
    print(f"""
meetd is running at {url}
  dev token (subject dev-admin, role admin, valid {TOKEN_TTL // 3600} h):
    {token}
  create a meeting with it:
    {create_command(url, token)}
  health:  curl {url}/api/v1/health
  logs:    {m.log}
  state:   {VAR}  (database, keys; kept across restarts)
  stop:    {run_local} stop
""")


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "up"
    if cmd == "up":
        try:
            p = int(sys.argv[2]) if len(sys.argv) > 2 else 8080
        except ValueError:
            p = 0
        if not 1 <= p <= 65535:
            sys.exit(f"devstack: port must be a number 1..65535, not {sys.argv[2]!r}")
        up(p)
    elif cmd == "down":
        down()
    else:
        sys.exit(__doc__)
