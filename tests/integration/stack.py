"""The real stack for integration tests and benchmarks: a throwaway MariaDB,
meetd (master + responders) and nginx, each on paths and ports chosen here,
all on 127.0.0.1 / unix sockets, all stopped by stop()."""

import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

SRCDIR = os.path.abspath(os.environ.get(
    "MEETD_SRCDIR", os.path.join(os.path.dirname(__file__), "..", "..")))
BUILDDIR = os.path.abspath(os.environ.get("MEETD_BUILDDIR", SRCDIR))
MEETD_BIN = os.environ.get("MEETD_BIN", os.path.join(BUILDDIR, "meetd"))
IS_ROOT = os.geteuid() == 0
# MariaDB's admin account, reached by unix socket authentication: root, or
# the unprivileged user who installed the data directory
DB_ADMIN = "root" if IS_ROOT else pwd.getpwuid(os.geteuid()).pw_name


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_block(count):
    """A port P with P .. P+count-1 all free (run-local's public port, then
    nchan's publisher and hook servers)."""
    for _ in range(200):
        base = free_port()
        if base + count > 65535:
            continue
        try:
            socks = []
            for p in range(base, base + count):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            pass
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no block of free ports")


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if pred():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"timed out waiting for {what}")


def write_secret(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(data)


def exited(proc, what):
    """Raises at once when `proc` has already exited: a start that cannot
    succeed fails with the reason, not after waiting out its timeout."""
    if proc.poll() is not None:
        raise RuntimeError(f"{what} exited with status {proc.returncode}")


def _stop_proc(proc, sig=signal.SIGTERM, timeout=15):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class MariaDB:
    """mariadbd on a unix socket only (--skip-networking), data in `root`."""

    def __init__(self, root):
        self.root = root
        self.datadir = os.path.join(root, "data")
        self.socket = os.path.join(root, "mysqld.sock")
        self.log = os.path.join(root, "mariadb.log")
        self.proc = None
        self.password = secrets.token_urlsafe(18)

    def _server_args(self):
        args = ["--no-defaults", f"--datadir={self.datadir}", f"--socket={self.socket}",
                "--skip-networking", f"--pid-file={self.root}/mysqld.pid",
                f"--log-error={self.log}", "--innodb-buffer-pool-size=64M",
                "--innodb-log-file-size=16M", "--skip-name-resolve",
                "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci"]
        if IS_ROOT:
            args.append("--user=root")
        return args

    def install(self):
        os.makedirs(self.datadir, exist_ok=True)
        args = ["mariadb-install-db", "--no-defaults", f"--datadir={self.datadir}",
                "--auth-root-authentication-method=socket", "--skip-test-db"]
        args.append("--user=root" if IS_ROOT else f"--auth-root-socket-user={DB_ADMIN}")
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self, extra=(), on_spawn=None):
        self.proc = subprocess.Popen(["mariadbd", *self._server_args(), *extra],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if on_spawn:
            on_spawn(self.proc)

        def up():
            exited(self.proc, f"mariadbd (see {self.log})")
            return self.sql("SELECT 1", check=False).returncode == 0
        wait_for(up, 60, "mariadbd")

    def stop(self):
        _stop_proc(self.proc, signal.SIGTERM, 60)
        self.proc = None

    def sql(self, statement, database=None, check=True):
        args = ["mariadb", "--no-defaults", f"--socket={self.socket}", f"-u{DB_ADMIN}",
                "--batch", "--skip-column-names", "-e", statement]
        if database:
            args.insert(-2, database)
        return subprocess.run(args, capture_output=True, text=True, check=check)

    def create_app_db(self, name="meetd", user="meetd"):
        self.sql(f"CREATE DATABASE IF NOT EXISTS {name} CHARACTER SET utf8mb4 "
                 f"COLLATE utf8mb4_unicode_ci")
        self.sql(f"CREATE USER IF NOT EXISTS '{user}'@'localhost' IDENTIFIED BY '{self.password}'")
        self.sql(f"GRANT ALL ON {name}.* TO '{user}'@'localhost'")


class Meetd:
    """One `meetd serve` with its own config, secrets and socket."""

    def __init__(self, root, db, **overrides):
        self.root = root
        self.db = db
        os.makedirs(root, exist_ok=True)
        os.chmod(root, 0o755)
        self.socket = os.path.join(root, "meetd.sock")
        self.conf = os.path.join(root, "meetd.conf")
        self.log = os.path.join(root, "meetd.log")
        self.jwt_key = secrets.token_urlsafe(48)
        write_secret(os.path.join(root, "jwt.key"), self.jwt_key + "\n")
        write_secret(os.path.join(root, "db.password"), db.password + "\n")
        self.data_key = secrets.token_hex(32)
        write_secret(os.path.join(root, "data.key"), self.data_key + "\n")
        self.settings = {
            "server": {"listen": self.socket, "listen_mode": "0666", "responders": "4",
                       "max_requests": "0", "request_timeout": "30", "stop_timeout": "10"},
            "database": {"socket": db.socket, "name": "meetd", "user": "meetd",
                         "password_file": os.path.join(root, "db.password"),
                         "connect_timeout": "1", "io_timeout": "2"},
            "auth": {"jwt_algorithm": "HS256", "jwt_key_file": os.path.join(root, "jwt.key"),
                     "scrypt_log2n": "12"},
            "secrets": {"key_file": os.path.join(root, "data.key")},
            "log": {"level": "info", "access_log": "on"},
            # no nchan unless a test's nginx has one (Stack sets it)
            "realtime": {"publish_urls": ""},
        }
        for key, value in overrides.items():
            section, name = key.split("__", 1)
            self.settings.setdefault(section, {})[name] = str(value)
        self.write_conf()
        self.proc = None
        self.logf = None

    def write_conf(self):
        with open(self.conf, "w") as f:
            for section, kv in self.settings.items():
                f.write(f"[{section}]\n")
                for k, v in kv.items():
                    f.write(f"{k} = {v}\n")

    def run(self, *args, check=True):
        return subprocess.run([MEETD_BIN, "-c", self.conf, *args], capture_output=True,
                              text=True, check=check, timeout=120)

    def migrate(self):
        return self.run("migrate")

    def token(self, sub, role="user"):
        return self.run("token", "--sub", sub, "--role", role).stdout.strip()

    def start(self, on_spawn=None):
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen([MEETD_BIN, "-c", self.conf, "serve"],
                                     stdout=self.logf, stderr=self.logf)
        if on_spawn:
            on_spawn(self.proc)

        def up():
            exited(self.proc, f"meetd serve (see {self.log})")
            return os.path.exists(self.socket) and len(self.responder_pids()) >= \
                int(self.settings["server"]["responders"])
        wait_for(up, 20, "meetd responders")

    def responder_pids(self):
        if self.proc is None or self.proc.poll() is not None:
            return []
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                return [int(p) for p in f.read().split()]
        except FileNotFoundError:
            return []

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        _stop_proc(self.proc, signal.SIGTERM, 30)
        self.proc = None
        if self.logf:
            self.logf.close()
            self.logf = None

    def log_lines(self):
        out = []
        with open(self.log, "rb") as f:
            for raw in f:
                try:
                    out.append(json.loads(raw))
                except ValueError:
                    pass
        return out


def _edit(text, edits):
    for old, new in edits:
        if old not in text:
            raise ValueError(f"nginx config edit: {old!r} not found")
        text = text.replace(old, new)
    return text


class Nginx:
    """nginx from nginx/dev.conf.in on 127.0.0.1:<free port>."""

    def __init__(self, root, upstream_socket, port=None, cors_origins=(), edits=(),
                 snippet_edits=(), www=None, publish_port=None, hooks_port=None, host="127.0.0.1"):
        self.root = root
        # a loopback address of its own lets two nginx stand for two hosts
        self.host = host
        # nchan's publisher (meetd posts events there) and the loopback hop
        # its callbacks take to meetd
        self.publish_port = publish_port or free_port()
        self.hooks_port = hooks_port or free_port()
        self.www = www or os.path.join(SRCDIR, "nginx", "www")
        os.makedirs(root, exist_ok=True)
        os.chmod(root, 0o755)
        self.port = port or free_port()
        self.upstream_socket = upstream_socket
        # browser origins allowed by CORS (none, as nginx/cors-origins.conf ships)
        self.cors_origins = list(cors_origins)
        # (old, new) replacements a test makes in the rendered nginx.conf and
        # in its copy of meetd-fastcgi.conf; each old text must be there
        self.edits = list(edits)
        self.snippet_edits = list(snippet_edits)
        self.proc = None

    @property
    def access_log(self):
        return os.path.join(self.root, "nginx-access.log")

    def render(self):
        with open(os.path.join(SRCDIR, "nginx", "dev.conf.in")) as f:
            text = f.read()
        cors = os.path.join(self.root, "cors-origins.conf")
        with open(cors, "w") as f:
            f.writelines(f'"{o}" 1;\n' for o in self.cors_origins)
        snippet = os.path.join(SRCDIR, "nginx", "meetd-fastcgi.conf")
        if self.snippet_edits:
            with open(snippet) as f:
                stext = _edit(f.read(), self.snippet_edits)
            snippet = os.path.join(self.root, "meetd-fastcgi.conf")
            with open(snippet, "w") as f:
                f.write(stext)
        subs = {"@PREFIX@": self.root, "@LISTEN@": f"{self.host}:{self.port}",
                "@SOCKET@": self.upstream_socket, "@SNIPPET@": snippet,
                "@NGINX@": os.path.join(SRCDIR, "nginx"), "@CORS@": cors,
                "@WWW@": self.www, "@HOOKS@": f"{self.host}:{self.hooks_port}",
                "@PUBLISH@": f"{self.host}:{self.publish_port}"}
        for k, v in subs.items():
            text = text.replace(k, v)
        text = _edit(text, self.edits)
        with open(os.path.join(self.root, "nginx.conf"), "w") as f:
            f.write(text)

    def start(self, on_spawn=None):
        self.render()
        self.proc = subprocess.Popen(["nginx", "-p", self.root, "-c",
                                      os.path.join(self.root, "nginx.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if on_spawn:
            on_spawn(self.proc)

        def up():
            exited(self.proc, f"nginx (see {self.root}/nginx-error.log)")
            with socket.create_connection((self.host, self.port), timeout=0.5):
                return True
        wait_for(up, 10, "nginx")

    def stop(self):
        _stop_proc(self.proc, signal.SIGQUIT, 15)
        self.proc = None

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    @property
    def publish_url(self):
        return f"http://{self.host}:{self.publish_port}"


class Response:
    def __init__(self, status, headers, body, path=""):
        self.status = status
        self.headers = headers
        self.body = body
        self.path = path        # the request's path: which face answered

    def json(self):
        return json.loads(self.body)


def http(method, url, body=None, headers=None, timeout=10):
    """A plain HTTP call; never raises on HTTP status codes."""
    data = None
    hdrs = dict(headers or {})
    if body is not None:
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = body
    req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return Response(r.status, r.headers, r.read(), urllib.parse.urlsplit(url).path)
    except urllib.error.HTTPError as e:
        return Response(e.code, e.headers, e.read(), urllib.parse.urlsplit(url).path)


class Stack:
    """MariaDB + meetd + nginx, started in order and stopped in reverse."""

    def __init__(self, root, db=None, **meetd_settings):
        self.root = root
        self.own_db = db is None
        self.db = db or MariaDB(os.path.join(root, "mariadb"))
        publish_port = free_port()
        meetd_settings.setdefault("realtime__publish_urls", f"http://127.0.0.1:{publish_port}")
        self.meetd = Meetd(os.path.join(root, "meetd"), self.db, **meetd_settings)
        self.nginx = Nginx(os.path.join(root, "nginx"), self.meetd.socket,
                           publish_port=publish_port)

    def start(self):
        if self.own_db:
            self.db.install()
            self.db.start()
            self.db.create_app_db()
        self.meetd.migrate()
        self.meetd.start()
        self.nginx.start()
        return self

    def stop(self):
        self.nginx.stop()
        self.meetd.stop()
        if self.own_db:
            self.db.stop()

    def call(self, method, path, body=None, token=None, headers=None, timeout=10):
        hdrs = dict(headers or {})
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        return http(method, self.nginx.url + path, body, hdrs, timeout)
