"""`make install` gives a service that starts.

The first-installation steps of docs/operations.md are taken from the doc
itself (the fenced blocks after the `first-install:*` markers) and run into
a DESTDIR stage, so the doc and this test cannot drift apart:

- build: the build is configured with the doc's ./configure options (in a
  copy of MEETD_BUILDDIR, so only main.c is recompiled) and installed with
  `make install DESTDIR=stage`;
- setup and nginx: run by bash as written, with absolute /etc, /usr and /var
  paths moved into the stage, and the commands that need a live system
  replaced by their offline forms: systemd-sysusers, systemd-tmpfiles and
  systemctl enable get --root=STAGE, `mariadb` talks to a throwaway MariaDB,
  `meetd` is the staged binary, and daemon-reload, reload and `nginx -t`
  (no certificates here) are recorded only.

Then the installed units pass `systemd-analyze verify`, and the staged
binary runs as an unprivileged user (nobody, with the group the stage's
sysusers created, as systemd's User=/Group= would) with its credentials in
$CREDENTIALS_DIRECTORY: `meetd migrate`, `meetd worker --once` and
`meetd serve -c FILE`, which answers GET /api/v1/health and /ready on its
FastCGI socket.
"""

import grp
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import tempfile

import pytest

import fcgiclient
from stack import BUILDDIR, SRCDIR, wait_for

DOC = os.path.join(SRCDIR, "docs", "operations.md")
UNITS = ("meetd.socket", "meetd.service", "meetd-worker.service")


def doc_block(name):
    text = open(DOC).read()
    m = re.search(r"<!-- first-install:%s -->\s*```sh\n(.*?)```" % re.escape(name), text, re.S)
    assert m, f"docs/operations.md has no first-install:{name} block"
    return m.group(1)


def staged(block, stage):
    """Absolute system paths in `block` moved under `stage`."""
    return re.sub(r"(?<![\w/.$-])/(etc|usr|var)/", lambda m: f"{stage}/{m.group(1)}/", block)


PRELUDE = r'''
set -euo pipefail
log() { printf '%s\n' "$*" >> "$T/recorded"; }
systemd-sysusers() { command systemd-sysusers --root="$STAGE" "$@"; }
systemd-tmpfiles() { command systemd-tmpfiles --root="$STAGE" "$@"; }
systemctl() {
  case "$1" in
    enable) shift; [ "$1" = --now ] && shift; command systemctl --root="$STAGE" enable "$@" ;;
    *) log "systemctl $*" ;;
  esac
}
chgrp() {   # the group exists in the stage only
  local gid; gid=$(awk -F: -v g="$1" '$1 == g { print $3 }' "$STAGE/etc/group")
  [ -n "$gid" ] || { echo "chgrp: no group $1 in the stage" >&2; return 1; }
  shift; command chgrp "$gid" "$@"
}
mariadb() { command mariadb --no-defaults --socket="$DBSOCK" -uroot "$@"; }
meetd() { "$STAGE/usr/bin/meetd" "$@"; }
nginx() { log "nginx $*"; }
'''


def run_block(block, t, stage, db):
    env = dict(os.environ, T=t, STAGE=stage, DBSOCK=db.socket)
    p = subprocess.run(["bash", "-c", PRELUDE + staged(block, stage)], env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"doc block failed:\n{p.stdout}\n{p.stderr}"
    return p


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def set_conf(path, section, key, value):
    out, cur, done = [], None, False
    for line in open(path).read().splitlines():
        if line.startswith("["):
            cur = line.strip("[]")
        if cur == section and re.match(r"%s\s*=" % re.escape(key), line):
            line, done = f"{key} = {value}", True
        out.append(line)
    assert done, f"{section}.{key} is not in the installed meetd.conf"
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


@pytest.fixture
def install_root():
    if os.geteuid() != 0:
        pytest.skip("the install test runs setup steps and a service user as root")
    for tool in ("systemd-analyze", "systemd-sysusers", "systemd-tmpfiles", "systemctl", "setpriv"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (build-aux/install-deps.sh)")
    if os.path.abspath(BUILDDIR) == os.path.abspath(SRCDIR):
        pytest.skip("needs an out-of-tree build (build-aux/build.sh)")
    t = tempfile.mkdtemp(prefix="meetd-it-install-")
    os.chmod(t, 0o755)
    procs = []
    yield t, procs
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    if not os.environ.get("MEETD_KEEP_TMP"):
        shutil.rmtree(t, ignore_errors=True)


def configure_args():
    build = doc_block("build")
    m = re.search(r"^\./configure(.*)$", build, re.M)
    assert m, "the build block has no ./configure line"
    assert re.search(r"^make install$", build, re.M)
    args = m.group(1).split()
    assert "--prefix=/usr" in args and "--sysconfdir=/etc" in args, args
    return args


def test_first_install_as_documented(install_root, make_db):
    t, procs = install_root
    stage = os.path.join(t, "stage")
    build = os.path.join(t, "build")

    # 1. the build block: configure as the doc says, then make install DESTDIR
    shutil.copytree(BUILDDIR, build, symlinks=True)
    orig = subprocess.run(["./config.status", "--config"], cwd=build, capture_output=True,
                          text=True, check=True).stdout
    args = [a.strip("'") for a in orig.split() if not a.strip("'").startswith(("--prefix=",
            "--sysconfdir=", "--localstatedir="))]
    subprocess.run([os.path.join(SRCDIR, "configure"), "-q", *args, *configure_args()],
                   cwd=build, check=True, capture_output=True, timeout=300)
    for obj in ("src/main.o", "src/meetd-main.o"):     # the compiled-in default path
        if os.path.exists(os.path.join(build, obj)):
            os.unlink(os.path.join(build, obj))
    inst = subprocess.run(["nice", "-n", "10", "make", "-j2", "install", f"DESTDIR={stage}"],
                          cwd=build, capture_output=True, text=True, timeout=600)
    assert inst.returncode == 0, inst.stdout[-3000:] + inst.stderr[-3000:]

    conf = f"{stage}/etc/meetd/meetd.conf"
    assert mode(f"{stage}/usr/bin/meetd") == 0o755
    assert mode(conf) == 0o640
    assert mode(f"{stage}/etc/meetd/meetd.conf.example") == 0o644
    for u in UNITS:
        assert mode(f"{stage}/usr/lib/systemd/system/{u}") == 0o644
    for d in ("sysusers.d", "tmpfiles.d"):
        assert mode(f"{stage}/usr/lib/{d}/meetd.conf") == 0o644
    assert os.path.exists(f"{stage}/usr/share/doc/meetd/operations.md")
    assert "ExecStart=/usr/bin/meetd -c /etc/meetd/meetd.conf serve" in \
        open(f"{stage}/usr/lib/systemd/system/meetd.service").read()
    assert subprocess.run([f"{stage}/usr/bin/meetd", "--help"], capture_output=True,
                          text=True).stdout.endswith("default FILE: /etc/meetd/meetd.conf\n")
    example = open(f"{stage}/etc/meetd/meetd.conf.example").read()
    assert re.search(r"^public_url = https://", example, re.M)
    if not any(g.gr_name == "meetd" for g in grp.getgrall()):
        assert "chgrp meetd /etc/meetd/meetd.conf" in inst.stdout

    # the operator's edit (public_url; the database is this test's MariaDB);
    # a second make install keeps it
    db = make_db()
    db.sql("DROP USER 'meetd'@'localhost'")     # a fresh server: the steps create both
    db.sql("DROP DATABASE meetd")
    set_conf(conf, "server", "public_url", "https://meetd.test.invalid")
    set_conf(conf, "database", "socket", db.socket)
    rerun = subprocess.run(["make", "install", f"DESTDIR={stage}"], cwd=build,
                           capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert "https://meetd.test.invalid" in open(conf).read()

    # 2. the setup and nginx blocks, as written
    for d in ("snippets", "sites-available", "sites-enabled"):
        os.makedirs(f"{stage}/etc/nginx/{d}")
    run_block(doc_block("setup"), t, stage, db)
    run_block(doc_block("nginx"), t, stage, db)

    meetd_gid = next(int(line.split(":")[2]) for line in open(f"{stage}/etc/group")
                     if line.startswith("meetd:"))
    st = os.stat(conf)
    assert (st.st_uid, st.st_gid, mode(conf)) == (0, meetd_gid, 0o640)
    creds = f"{stage}/etc/meetd/credentials"
    assert mode(creds) == 0o700 and os.stat(creds).st_uid == 0
    for name in ("jwt.key", "data.key", "db.password"):
        assert mode(f"{creds}/{name}") == 0o600
        assert re.fullmatch(r"[0-9a-f]{64}\n", open(f"{creds}/{name}").read())
    for u, target in (("meetd.socket", "sockets.target.wants"),
                      ("meetd.service", "multi-user.target.wants"),
                      ("meetd-worker.service", "multi-user.target.wants")):
        assert os.path.islink(f"{stage}/etc/systemd/system/{target}/{u}"), u
    # every LoadCredential= file the units name exists, or systemd refuses to start them
    for u in ("meetd.service", "meetd-worker.service"):
        for src in re.findall(r"^LoadCredential=[^:]+:(\S+)$",
                              open(f"{stage}/usr/lib/systemd/system/{u}").read(), re.M):
            assert os.path.exists(stage + src), (u, src)
    site = f"{stage}/etc/nginx/sites-enabled/meetd.conf"
    assert os.path.realpath(site) == f"{stage}/etc/nginx/sites-available/meetd.conf"
    site_text = open(site).read()
    assert "include /etc/nginx/snippets/meetd-fastcgi.conf;" in site_text
    for name in ("meetd-fastcgi.conf", "meetd-http.conf", "meetd-server.conf", "meetd-realtime.conf",
                 "meetd-cors-origins.conf"):
        assert os.path.exists(f"{stage}/etc/nginx/snippets/{name}"), name
        assert f"/etc/nginx/snippets/{name}" in site_text, name
    listen = re.search(r"^ListenStream=(\S+)$",
                       open(f"{stage}/usr/lib/systemd/system/meetd.socket").read(), re.M).group(1)
    assert f"fastcgi_pass unix:{listen};" in site_text
    recorded = open(os.path.join(t, "recorded")).read()
    assert "nginx -t" in recorded and "systemctl reload nginx" in recorded

    # 3. the installed units, with ExecStart= on the staged binary
    vdir = os.path.join(t, "verify")
    os.makedirs(vdir)
    for u in UNITS:
        text = open(f"{stage}/usr/lib/systemd/system/{u}").read()
        with open(os.path.join(vdir, u), "w") as f:
            f.write(text.replace("/usr/bin/meetd", f"{stage}/usr/bin/meetd"))
    v = subprocess.run(["systemd-analyze", "verify", "--man=no", *(f"./{u}" for u in UNITS)],
                       cwd=vdir, capture_output=True, text=True, timeout=120)
    assert v.returncode == 0 and v.stderr.strip() == "", v.stderr

    # 4. the staged binary as an unprivileged user, credentials as systemd gives them
    user = pwd.getpwnam("nobody")
    cdir = os.path.join(t, "credentials")
    os.makedirs(cdir, mode=0o700)
    for name in ("jwt.key", "data.key", "db.password"):
        shutil.copy(f"{creds}/{name}", cdir)
        os.chown(f"{cdir}/{name}", user.pw_uid, user.pw_gid)
        os.chmod(f"{cdir}/{name}", 0o400)
    os.chown(cdir, user.pw_uid, user.pw_gid)
    rundir = os.path.join(t, "run")
    os.makedirs(rundir)
    os.chown(rundir, user.pw_uid, user.pw_gid)
    sock = os.path.join(rundir, "meetd.sock")
    set_conf(conf, "server", "listen", sock)
    set_conf(conf, "server", "responders", "2")
    as_user = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={meetd_gid}", "--clear-groups",
               "--"]
    env = {"PATH": "/usr/bin:/bin", "CREDENTIALS_DIRECTORY": cdir}
    binary = f"{stage}/usr/bin/meetd"

    p = subprocess.run([*as_user, binary, "migrate", "-c", conf], env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    p = subprocess.run([*as_user, binary, "worker", "--once", "-c", conf], env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    # without the group that the config file belongs to, it cannot be read
    p = subprocess.run(["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
                        "--clear-groups", "--", binary, "-t", "-c", conf], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "Permission denied" in p.stderr

    log = open(os.path.join(t, "serve.log"), "wb")
    serve = subprocess.Popen([*as_user, binary, "serve", "-c", conf], env=env,
                             stdout=log, stderr=log)
    procs.append(serve)
    wait_for(lambda: os.path.exists(sock) and
             fcgiclient.request(sock, "GET", "/api/v1/health").status == 200, 30, "meetd serve")
    assert os.stat(sock).st_uid == user.pw_uid
    r = fcgiclient.request(sock, "GET", "/api/v1/health")
    assert r.status == 200 and r.json()["status"] == "success"
    assert r.json()["data"]["status"] == "ok"
    r = fcgiclient.request(sock, "GET", "/api/v1/ready")     # database and schema
    assert r.status == 200, r.body
    assert r.json()["data"]["database"] == "ok" and r.json()["data"]["schema"] == "ok"
    serve.send_signal(signal.SIGTERM)
    assert serve.wait(30) == 0
