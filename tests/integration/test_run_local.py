"""The README's run command, build-aux/run-local.sh, from checkouts a
newcomer might have: in a private 0700 directory (root's home), in another
user's 0700 home, under /tmp; each on a free MEETD_PORT. Each start must
print a token and one curl command that creates a meeting whose links
follow the port; `stop` must leave no process behind; a port in use, a
failure half-way and a start killed half-way must leave nothing running.

The checkouts are copies of the files run-local needs (build-aux/, nginx/,
tests/integration/stack.py); MEETD_BUILDDIR points at the meetd already
built, so nothing is installed or rebuilt. Run as root (the case that
matters: nginx's worker becomes nobody); skipped otherwise.
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

import stack as stackmod

pytestmark = pytest.mark.skipif(not stackmod.IS_ROOT, reason="run-local's checks need root")

NEEDED = ("build-aux", "nginx", os.path.join("tests", "integration", "stack.py"))


def make_checkout(parent, owner=None):
    top = os.path.join(parent, "meetd")
    for rel in NEEDED:
        src = os.path.join(stackmod.SRCDIR, rel)
        dst = os.path.join(top, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.isdir(src):
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dst)
    if owner:
        subprocess.run(["chown", "-R", f"{owner}:{owner}", parent], check=True)
    return top


def run_local(top, *args, port, path_prefix=None, umask=None, timeout=180):
    env = {k: v for k, v in os.environ.items()
           if k not in ("MEETD_SRCDIR", "MEETD_STATE_DIR", "MEETD_BIN")}
    env["MEETD_BUILDDIR"] = stackmod.BUILDDIR
    env["MEETD_PORT"] = str(port)
    if path_prefix:
        env["PATH"] = path_prefix + ":" + env["PATH"]
    return subprocess.run(["sh", os.path.join(top, "build-aux", "run-local.sh"), *args],
                          env=env, capture_output=True, text=True, timeout=timeout,
                          umask=-1 if umask is None else umask)


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except (FileNotFoundError, ProcessLookupError):
        return b""


def alive(pid):
    """Exists and is not a zombie waiting for its parent."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def naming(state):
    """Pids of live processes whose command line names the state directory."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit() and (state + "/").encode() in cmdline(int(d)) and alive(int(d)):
            out.append(int(d))
    return out


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return []


class Started:
    """What a successful start printed, and every process it runs."""

    def __init__(self, result, port):
        assert result.returncode == 0, (result.stdout, result.stderr)
        out = result.stdout
        self.url = f"http://127.0.0.1:{port}"
        assert f"meetd is running at {self.url}\n" in out, out
        self.state = re.search(r"^  state:\s+(\S+)", out, re.M).group(1)
        curls = [ln.strip() for ln in out.splitlines()
                 if ln.strip().startswith("curl ") and "/api/v1/meetings" in ln]
        assert len(curls) == 1, out
        self.command = curls[0]
        self.token = re.search(r"Bearer ([A-Za-z0-9_.-]+)", self.command).group(1)
        # the token is also printed on its own line, to copy
        assert re.search(rf"^\s+{re.escape(self.token)}$", out, re.M), out
        with open(os.path.join(self.state, "pids.json")) as f:
            self.pids = json.load(f)
        assert set(self.pids) == {"mariadb", "meetd", "worker", "nginx"}, self.pids
        # responders and nginx's workers too, by pid
        self.all = list(self.pids.values()) + children(self.pids["meetd"]) + \
            children(self.pids["nginx"])
        assert len(self.all) >= 6 and all(alive(p) for p in self.all), self.all

    def create_meeting(self):
        """Runs the printed command, as printed, through a shell; returns the meeting."""
        r = subprocess.run(["sh", "-c", self.command], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        body = json.loads(r.stdout)
        assert body["status"] == "success", body
        m = body["data"]
        assert m["platform"] == "native"
        for key in ("meeting_url", "invitation_url"):
            assert m[key].startswith(self.url + "/"), (key, m[key])
        return m


@pytest.fixture
def places():
    """Makes checkouts; stops whatever they left running and removes them,
    also when the test fails."""
    made = []   # (remove_fn, top)

    def make(kind):
        if kind == "private":
            parent = tempfile.mkdtemp(prefix="meetd-rl-private-")
            os.chmod(parent, 0o700)
            made.append((lambda p=parent: shutil.rmtree(p, ignore_errors=True), None))
            top = make_checkout(parent)
        elif kind == "other-user":
            name = "meetdrl" + secrets.token_hex(3)
            home = f"/home/{name}"
            subprocess.run(["useradd", "-m", "-d", home, "-s", "/usr/sbin/nologin", name],
                           check=True, capture_output=True)
            made.append((lambda n=name: subprocess.run(["userdel", "-r", n],
                                                       capture_output=True), None))
            os.chmod(home, 0o700)
            top = make_checkout(home, owner=name)
            assert os.stat(home).st_uid != 0
        else:
            parent = os.path.join("/tmp", "meetd-rl-" + secrets.token_hex(4))
            os.mkdir(parent)
            os.chmod(parent, 0o755)
            made.append((lambda p=parent: shutil.rmtree(p, ignore_errors=True), None))
            top = make_checkout(parent)
        made[-1] = (made[-1][0], top)
        return top

    yield make
    for remove, top in reversed(made):
        if top:
            states = [stackmod_state(top)]
            run_local(top, "stop", port=0)
            for state in states:
                # what stop missed (a failed test): with its children, whose
                # command lines (nginx's workers) need not name the state
                for pid in naming(state):
                    for p in [pid] + children(pid):
                        try:
                            os.kill(p, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                shutil.rmtree(state, ignore_errors=True)
        remove()


def stackmod_state(top):
    """The state directory devstack picks for a checkout (it prints it too)."""
    r = subprocess.run(["/usr/bin/python3", "-c",
                        "import sys; sys.argv = ['x']; import devstack; print(devstack.VAR)"],
                       cwd=os.path.join(top, "build-aux"), capture_output=True, text=True,
                       env={k: v for k, v in os.environ.items()
                            if k not in ("MEETD_SRCDIR", "MEETD_STATE_DIR")}, check=True)
    return r.stdout.strip()


def assert_all_stopped(started):
    for pid in started.all:
        assert not alive(pid), (pid, cmdline(pid))
    assert naming(started.state) == []
    assert not os.path.exists(os.path.join(started.state, "pids.json"))


def test_private_dir_start_restart_stop(places):
    top = places("private")
    port = stackmod.free_port_block(3)
    first = Started(run_local(top, port=port), port)
    # the state is outside the 0700 checkout, where nginx's worker can reach it
    assert not first.state.startswith(os.path.dirname(top))
    m = first.create_meeting()
    # run twice: a clean restart that keeps the data and the keys
    second = Started(run_local(top, port=port), port)
    assert second.state == first.state
    for pid in first.all:
        assert not alive(pid) or pid in second.all, pid
    # the first start's token is still good (same key), and its meeting is there
    r = stackmod.http("GET", f"{second.url}/api/v1/meetings/{m['id']}",
                      headers={"Authorization": f"Bearer {first.token}"})
    assert r.status == 200 and r.json()["data"]["invitation_url"] == m["invitation_url"], r.body
    second.create_meeting()
    r = run_local(top, "stop", port=port)
    assert r.returncode == 0, r.stderr
    assert_all_stopped(second)


def test_other_users_home(places):
    top = places("other-user")
    # a hardened owner: the clone made under umask 077, and run under it too
    subprocess.run(["chmod", "-R", "go-rwx", top], check=True)
    port = stackmod.free_port_block(3)
    s = Started(run_local(top, port=port, umask=0o077), port)
    r = stackmod.http("GET", s.url + "/")
    assert r.status == 200 and b"<html" in r.body, r.status
    s.create_meeting()
    # the Zoom OAuth redirect URI (no Zoom app here to ask) is built on the
    # same setting as the links checked above
    with open(os.path.join(s.state, "meetd", "meetd.conf")) as f:
        assert f"public_url = {s.url}\n" in f.read()
    assert run_local(top, "stop", port=port).returncode == 0
    assert_all_stopped(s)


def test_under_tmp_then_port_in_use_then_failures(places):
    top = places("tmp")
    port = stackmod.free_port_block(3)
    s = Started(run_local(top, port=port), port)
    s.create_meeting()
    assert run_local(top, "stop", port=port).returncode == 0
    assert_all_stopped(s)

    # a port in use: refused before anything starts, in one line
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken = busy.getsockname()[1]
        r = run_local(top, port=taken)
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and f"port {taken}" in lines[0] and "in use" in lines[0], r.stderr
    assert naming(s.state) == [] and not os.path.exists(os.path.join(s.state, "pids.json"))

    # a failure half-way (nginx cannot start): one line, everything stopped
    fake = tempfile.mkdtemp(prefix="meetd-rl-fake-")
    try:
        with open(os.path.join(fake, "nginx"), "w") as f:
            f.write("#!/bin/sh\necho 'nginx: [emerg] injected failure' >&2\nexit 1\n")
        os.chmod(os.path.join(fake, "nginx"), 0o755)
        t0 = time.monotonic()
        r = run_local(top, port=port, path_prefix=fake)
        assert r.returncode != 0
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "start failed: nginx" in lines[0], r.stderr
        assert time.monotonic() - t0 < 60
        assert naming(s.state) == [] and not os.path.exists(os.path.join(s.state, "pids.json"))

        # a start killed half-way, while it waits for nginx (killed by the
        # fake nginx, a moment after its spawn was recorded): stop finds all
        with open(os.path.join(fake, "nginx"), "w") as f:
            f.write("#!/bin/sh\nsleep 1\nkill -KILL $PPID\nwhile :; do sleep 1; done\n")
        r = run_local(top, port=port, path_prefix=fake)
        assert r.returncode != 0
        with open(os.path.join(s.state, "pids.json")) as f:
            pids = json.load(f)
        assert set(pids) == {"mariadb", "meetd", "worker", "nginx"}, pids
        left = list(pids.values()) + children(pids["meetd"])
        assert all(alive(p) for p in left), left
        r = run_local(top, "stop", port=port)
        assert r.returncode == 0, r.stderr
        for pid in left:
            assert not alive(pid), (pid, cmdline(pid))
        assert naming(s.state) == []
    finally:
        shutil.rmtree(fake, ignore_errors=True)

    # and after all that, a normal start works again
    s = Started(run_local(top, port=port), port)
    s.create_meeting()
    assert run_local(top, "stop", port=port).returncode == 0
    assert_all_stopped(s)
