#!/usr/bin/python3
"""Runs the whole service locally and keeps it running: MariaDB with its data
in var/mariadb, meetd with its config in var/meetd, nginx on 127.0.0.1:PORT.
Uses the same stack module as the integration tests.

    devstack.py up [PORT]     start (or restart) everything
    devstack.py down          stop everything
"""
import json
import os
import signal
import subprocess
import sys
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
os.environ.setdefault("MEETD_SRCDIR", TOP)
os.environ.setdefault("MEETD_BUILDDIR", os.path.join(TOP, "build"))
import stack  # noqa: E402

VAR = os.path.join(TOP, "var")
PIDS = os.path.join(VAR, "pids.json")


def down():
    if not os.path.exists(PIDS):
        return
    with open(PIDS) as f:
        pids = json.load(f)
    for name in ("nginx", "worker", "meetd", "mariadb"):
        pid = pids.get(name)
        if not pid:
            continue
        try:
            os.kill(pid, signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
        except ProcessLookupError:
            continue
        for _ in range(300):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
    os.unlink(PIDS)
    print("devstack: stopped")


def up(port):
    down()
    os.makedirs(VAR, exist_ok=True)
    os.chmod(VAR, 0o755)
    db = stack.MariaDB(os.path.join(VAR, "mariadb"))
    pw_file = os.path.join(VAR, "mariadb", "app.password")
    fresh = not os.path.isdir(os.path.join(db.datadir, "mysql"))
    if fresh:
        db.install()
    elif os.path.exists(pw_file):
        with open(pw_file) as f:
            db.password = f.read().strip()
    db.start()
    db.create_app_db()
    db.sql(f"ALTER USER 'meetd'@'localhost' IDENTIFIED BY '{db.password}'")
    stack.write_secret(pw_file, db.password)
    m = stack.Meetd(os.path.join(VAR, "meetd"), db, server__max_requests=10000)
    key_file = os.path.join(VAR, "jwt.key")
    if os.path.exists(key_file):
        with open(key_file) as f:
            m.jwt_key = f.read().strip()
        stack.write_secret(os.path.join(m.root, "jwt.key"), m.jwt_key + "\n")
    stack.write_secret(key_file, m.jwt_key)
    # the data key must outlive restarts: stored passcodes are sealed with it
    data_key_file = os.path.join(VAR, "data.key")
    if os.path.exists(data_key_file):
        with open(data_key_file) as f:
            m.data_key = f.read().strip()
        stack.write_secret(os.path.join(m.root, "data.key"), m.data_key + "\n")
    stack.write_secret(data_key_file, m.data_key)
    if os.path.exists(m.socket):
        os.unlink(m.socket)
    m.migrate()
    m.start()
    # the background worker: compensating deletes now, email and webhooks later
    worker_log = open(os.path.join(VAR, "worker.log"), "ab")
    worker = subprocess.Popen([stack.MEETD_BIN, "-c", m.conf, "worker"], stdout=worker_log,
                              stderr=worker_log, start_new_session=True)
    n = stack.Nginx(os.path.join(VAR, "nginx"), m.socket, port=port)
    n.start()
    with open(PIDS, "w") as f:
        json.dump({"mariadb": db.proc.pid, "meetd": m.proc.pid, "worker": worker.pid,
                   "nginx": n.proc.pid}, f)
    stack.wait_for(lambda: stack.http("GET", n.url + "/api/v1/ready").status == 200, 20, "ready")
    token = m.token("dev-admin", "admin")
    print(f"""
meetd is running at {n.url}
  health:  curl {n.url}/api/v1/health
  as dev:  curl -H 'Authorization: Bearer {token}' {n.url}/api/v1/me
  logs:    {m.log}
  stop:    build-aux/run-local.sh stop
""")


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "up"
    if cmd == "up":
        up(int(sys.argv[2]) if len(sys.argv) > 2 else 8080)
    elif cmd == "down":
        down()
    else:
        sys.exit(__doc__)
