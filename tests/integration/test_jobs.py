"""The job queue and `meetd worker` (design §1), through the job the platform
proxy needs today: deleting a remote meeting meetd could not record
(design §7's compensation). Against the Zoom fake; the database refuses
our own write with a trigger, the fake refuses deletes on demand.
"""
import json
import os
import secrets
import signal
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from meetings_fixtures import meeting_body, q, sql_rows, sql_value, user  # noqa: E402
import stack as stackmod  # noqa: E402
from conftest import new_root, remove_root  # noqa: E402
from test_zoom import make_fake, zoom_settings  # noqa: E402

ACCOUNT_ID = "acct_jobs_" + secrets.token_hex(4)


@pytest.fixture(scope="module")
def zoom_jobs(shared_db):
    fake = make_fake(account_id=ACCOUNT_ID).start()
    root = new_root("jobs")
    s = None
    try:
        s = stackmod.Stack(root, db=shared_db, **zoom_settings(
            root, fake, account_id=ACCOUNT_ID, http__timeout="3s", zoom__daily_limit="100000/24h",
            limits__meeting="100000/1h", limits__create_per_platform="100000/1h"))
        s.start()
        yield s, fake
    finally:
        try:
            if s is not None:
                s.stop()
        finally:
            fake.stop()
            remove_root(root)


@pytest.fixture(autouse=True)
def clean(zoom_jobs):
    s, fake = zoom_jobs
    fake.clear_faults()
    s.db.sql("DELETE FROM jobs", database="meetd")
    yield


@pytest.fixture
def refuse_meeting_rows(zoom_jobs):
    """The database refuses to store a meeting whose title starts with the
    returned prefix: the platform has created it, meetd cannot record it."""
    s, _ = zoom_jobs
    prefix = "refused_" + secrets.token_hex(4)
    name = "it_" + prefix
    ddl = (f"DELIMITER //\nCREATE TRIGGER {name} BEFORE INSERT ON meetings FOR EACH ROW BEGIN "
           f"IF LEFT(NEW.title, {len(prefix)}) = {q(prefix)} THEN "
           f"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected by the test'; END IF; END//\n")
    subprocess.run(["mariadb", "--no-defaults", f"--socket={s.db.socket}", "-uroot", "meetd"],
                   input=ddl, text=True, check=True, capture_output=True)
    try:
        yield prefix
    finally:
        s.db.sql(f"DROP TRIGGER IF EXISTS {name}", database="meetd", check=False)


def on_zoom(fake, topic):
    with fake.lock:
        return [m for m in fake.meetings.values() if m["topic"] == topic]


def deleted_on_zoom(fake, topic):
    with fake.lock:
        return [m for m in fake.deleted.values() if m["topic"] == topic]


def jobs(s):
    return sql_rows(s, "SELECT id, kind, state, attempts, payload, last_error, "
                       "TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(3), run_at) FROM jobs ORDER BY id")


def worker_once(s):
    return s.meetd.run("worker", "--once", check=False)


def create_refused(s, token, title):
    r = s.call("POST", "/api/v1/meetings", meeting_body(platform="zoom", title=title), token=token, timeout=60)
    assert r.status in (500, 503), (r.status, r.body)
    assert r.json()["status"] == "error"
    return r


def test_failed_write_deletes_the_remote_meeting(zoom_jobs, refuse_meeting_rows):
    s, fake = zoom_jobs
    _, token = user(s)
    title = refuse_meeting_rows + " a"
    create_refused(s, token, title)
    assert on_zoom(fake, title) == []
    [gone] = deleted_on_zoom(fake, title)
    state = sql_value(s, f"SELECT state FROM provisions WHERE remote_id = {q(str(gone['id']))}")
    assert state == "deleted"
    assert jobs(s) == []


def test_orphan_is_deleted_by_the_worker(zoom_jobs, refuse_meeting_rows):
    s, fake = zoom_jobs
    _, token = user(s)
    title = refuse_meeting_rows + " b"
    fake.fault("delete", "status", status=500, count=10)     # the immediate delete fails
    create_refused(s, token, title)
    [left] = on_zoom(fake, title)
    zid = str(left["id"])
    assert sql_value(s, f"SELECT state FROM provisions WHERE remote_id = {q(zid)}") == "orphaned"
    [job] = jobs(s)
    payload = json.loads(job[4])
    assert job[1] == "provider.delete" and job[2] == "queued" and payload["remote_id"] == zid
    assert payload["platform"] == "zoom" and "account" not in payload
    # not due yet: the worker leaves it
    assert worker_once(s).returncode == 0
    assert jobs(s)[0][2] == "queued" and jobs(s)[0][3] == "0"
    s.db.sql("UPDATE jobs SET run_at = UTC_TIMESTAMP(3)", database="meetd")
    fake.clear_faults()
    r = worker_once(s)
    assert r.returncode == 0, r.stderr
    assert on_zoom(fake, title) == [] and len(deleted_on_zoom(fake, title)) == 1
    [job] = jobs(s)
    assert job[2] == "done" and job[3] == "1" and job[5] in (None, "NULL")
    assert sql_value(s, f"SELECT state FROM provisions WHERE remote_id = {q(zid)}") == "deleted"
    # done is done: nothing runs twice
    deletes = fake.count("delete")
    assert worker_once(s).returncode == 0 and fake.count("delete") == deletes


def literal(text):
    """A SQL string literal of test-made text (JSON here)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def queue(s, kind, payload, run_in_s=0, state="queued", locked_for_s=None):
    locked = "NULL" if locked_for_s is None else f"UTC_TIMESTAMP(3) + INTERVAL {locked_for_s} SECOND"
    s.db.sql(f"INSERT INTO jobs (kind, payload, state, run_at, locked_until, created_at) VALUES "
             f"({literal(kind)}, {literal(json.dumps(payload))}, {q(state)}, UTC_TIMESTAMP(3) + INTERVAL {run_in_s} SECOND, "
             f"{locked}, UTC_TIMESTAMP(3))", database="meetd")


def zoom_meeting_on_fake(fake, topic):
    """A meeting made on Zoom directly (as if meetd had lost track of it)."""
    import urllib.request
    tok = fake_token(fake)
    req = urllib.request.Request(fake.url + "/v2/users/me/meetings", method="POST",
                                 data=json.dumps({"topic": topic, "type": 2, "duration": 30}).encode(),
                                 headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return str(json.loads(r.read())["id"])


def fake_token(fake):
    import base64
    import urllib.request
    from test_zoom import CLIENT_ID, CLIENT_SECRET
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    req = urllib.request.Request(fake.url + "/oauth/token", method="POST",
                                 data=f"grant_type=account_credentials&account_id={ACCOUNT_ID}".encode(),
                                 headers={"Authorization": "Basic " + basic,
                                          "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())["access_token"]


def test_failing_job_backs_off_then_gives_up(zoom_jobs):
    s, fake = zoom_jobs
    zid = zoom_meeting_on_fake(fake, "backoff")
    queue(s, "provider.delete", {"platform": "zoom", "meeting_id": "01JOBSBACKOFF0000000000000", "remote_id": zid})
    fake.fault("delete", "status", status=500, count=100)
    assert worker_once(s).returncode == 0
    [job] = jobs(s)
    assert job[2] == "queued" and job[3] == "1"
    assert "PLATFORM_UNAVAILABLE" in job[5]
    assert 14 <= int(job[6]) <= 31                  # 30 s, jittered over its upper half
    # the last allowed attempt fails: dead, kept with its error
    s.db.sql("UPDATE jobs SET run_at = UTC_TIMESTAMP(3), attempts = 11", database="meetd")
    assert worker_once(s).returncode == 0
    [job] = jobs(s)
    assert job[2] == "dead" and job[3] == "12" and "PLATFORM_UNAVAILABLE" in job[5]
    assert on_zoom(fake, "backoff") != []


@pytest.mark.parametrize("kind,payload", [
    ("no.such.kind", {}),
    ("provider.delete", {"platform": "native", "meeting_id": "x", "remote_id": "y"}),
    ("provider.delete", {"platform": "nowhere", "meeting_id": "x", "remote_id": "y"}),
    ("provider.delete", {"platform": "zoom"}),
])
def test_hopeless_job_is_dead_at_once(zoom_jobs, kind, payload):
    s, _ = zoom_jobs
    queue(s, kind, payload)
    assert worker_once(s).returncode == 0
    [job] = jobs(s)
    assert job[2] == "dead" and job[3] == "1" and job[5]


def test_a_lapsed_lease_is_taken_over_and_a_live_one_is_not(zoom_jobs):
    s, fake = zoom_jobs
    lapsed = zoom_meeting_on_fake(fake, "lapsed")
    held = zoom_meeting_on_fake(fake, "held")
    queue(s, "provider.delete", {"platform": "zoom", "meeting_id": "01JOBSLAPSED00000000000000", "remote_id": lapsed},
          run_in_s=-600, state="running", locked_for_s=-1)
    queue(s, "provider.delete", {"platform": "zoom", "meeting_id": "01JOBSHELD0000000000000000", "remote_id": held},
          run_in_s=-600, state="running", locked_for_s=300)
    assert worker_once(s).returncode == 0
    states = [j[2] for j in jobs(s)]
    assert states == ["done", "running"]
    assert on_zoom(fake, "lapsed") == [] and on_zoom(fake, "held") != []


def test_two_workers_never_run_one_job_twice(zoom_jobs):
    s, fake = zoom_jobs
    n = 24
    for i in range(n):
        zid = zoom_meeting_on_fake(fake, f"pair-{i}")
        queue(s, "provider.delete", {"platform": "zoom", "meeting_id": f"01JOBSPAIR{i:016d}", "remote_id": zid})
    before = fake.count("delete")
    procs = [subprocess.Popen([stackmod.MEETD_BIN, "-c", s.meetd.conf, "worker", "--once"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read()
    assert all(j[2] == "done" and j[3] == "1" for j in jobs(s))
    assert fake.count("delete") - before == n


def test_worker_stops_on_sigterm(zoom_jobs):
    s, _ = zoom_jobs
    p = subprocess.Popen([stackmod.MEETD_BIN, "-c", s.meetd.conf, "worker"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        assert p.poll() is None
        queue(s, "no.such.kind", {})
        deadline = time.time() + 10
        while time.time() < deadline and jobs(s)[0][2] != "dead":
            time.sleep(0.2)
        assert jobs(s)[0][2] == "dead"          # the running worker picks up new work
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=5) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_worker_usage(zoom_jobs):
    s, _ = zoom_jobs
    r = s.meetd.run("worker", "--twice", check=False)
    assert r.returncode == 2 and "usage" in r.stderr
