"""Transactions that survive contention: deadlocks (MariaDB 1213) and lock
wait time-outs (1205) on meeting create and join are retried, at most 3
times with jitter, and never reach a client as anything but a clean answer.

Both errors are made for real, by a second connection of the test's own
(`mariadb` client, as the server's admin) on the stack's MariaDB; nothing is
faked inside meetd:

- 1205: the second connection holds, with SELECT ... FOR UPDATE, a row the
  request's write needs (the organizer's `users` row, which the meeting
  INSERT's foreign key check must lock; the meeting row, which join locks
  first), waits until meetd has logged a retry (so at least one attempt ran
  into database.lock_wait_timeout), then releases it: a later attempt
  succeeds. Held for good, every attempt fails: 503 DATABASE_UNAVAILABLE.
- 1213: a real deadlock. The second connection first takes the gap at the
  end of `audit_log` (which every create and join writes last), meetd's
  transaction takes its own row (the new meeting, or the meeting join locks)
  and then waits for that gap; the test sees it waiting in
  information_schema.INNODB_TRX and asks for meetd's row: a cycle, found at
  once. InnoDB rolls back the transaction of smaller weight (rows changed
  and locked), so the second connection first inserts a few hundred ballast
  rows into a table of its own: meetd's transaction, with a handful of rows,
  is always the victim. No trigger or SIGNAL is needed.

Each test checks the final state (the meeting once, the participant once,
the audit and outbox rows once each), that meetd logged the retry with the
request's id, and the meetd_db_tx_retries_total counter.
"""

import concurrent.futures
import subprocess
import threading
import time

import pytest

from helpers import assert_error, assert_success, metrics, register, wait_until
from meetings_fixtures import (audit_actions, meeting_body, module_stack, mpath, outbox_types, q,
                               sql_rows, sql_value)
from stack import DB_ADMIN

LOCK_WAIT_S = 2
# its own meetd, so that its log and counters hold this module's retries only
contention_stack = module_stack(database__lock_wait_timeout=str(LOCK_WAIT_S),
                                database__io_timeout="5", server__responders="2")

BALLAST_DB = "meetd_contention_ballast"
BALLAST_ROWS = 300


class Session:
    """A second connection to the stack's MariaDB that keeps its transaction
    open between statements: the `mariadb` client reading from a pipe."""

    def __init__(self, db):
        self.proc = subprocess.Popen(
            ["mariadb", "--no-defaults", f"--socket={db.socket}", f"-u{DB_ADMIN}", "--batch",
             "--skip-column-names", "--unbuffered", "--force", "meetd"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            bufsize=1)
        self.errors = []
        self.marks = 0
        self._err = threading.Thread(target=self._read_errors, daemon=True)
        self._err.start()

    def _read_errors(self):
        for line in self.proc.stderr:
            self.errors.append(line.strip())

    def run(self, statements, timeout=30):
        """Runs the statements and returns their output lines, once all ran."""
        self.marks += 1
        mark = f"contention-mark-{self.marks}"
        self.proc.stdin.write(statements.rstrip().rstrip(";") + f";\nSELECT '{mark}';\n")
        self.proc.stdin.flush()
        out = []
        result = {}

        def read():
            for line in self.proc.stdout:
                if line.strip() == mark:
                    result["done"] = True
                    return
                out.append(line.rstrip("\n"))

        t = threading.Thread(target=read, daemon=True)
        t.start()
        t.join(timeout)
        assert result.get("done"), f"second connection stuck on: {statements} ({self.errors})"
        return out

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def session(contention_stack):
    contention_stack.db.sql(f"CREATE DATABASE IF NOT EXISTS {BALLAST_DB}")
    contention_stack.db.sql(f"CREATE TABLE IF NOT EXISTS {BALLAST_DB}.ballast "
                            f"(n INT PRIMARY KEY, pad CHAR(64) NOT NULL) ENGINE=InnoDB")
    s = Session(contention_stack.db)
    try:
        yield s
    finally:
        s.close()


def in_background(fn, *args, **kw):
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    fut = pool.submit(fn, *args, **kw)
    pool.shutdown(wait=False)
    return fut


# Every stack of the session shares this MariaDB, and each responder purges
# expired limiter, attempt and idempotency rows about once a minute: such a
# DELETE may wait behind the locks these tests hold too. It is not the
# request's transaction, so it is left out of the count.
PURGE_QUERY = "DELETE FROM % LIMIT 5000"


def waiting_transactions(stack):
    """How many InnoDB transactions of requests wait for a lock (meetd's, here)."""
    return int(sql_value(stack, "SELECT COUNT(*) FROM information_schema.INNODB_TRX "
                                "WHERE trx_state = 'LOCK WAIT' AND "
                                f"COALESCE(trx_query, '') NOT LIKE '{PURGE_QUERY}'"))


def wait_for_meetd_to_wait(stack):
    ok, _ = wait_until(lambda: waiting_transactions(stack) == 1, 20, interval=0.01)
    if not ok:
        seen = sql_rows(stack, "SELECT trx_id, trx_state, trx_mysql_thread_id, "
                               "COALESCE(trx_query, '-') FROM information_schema.INNODB_TRX")
    assert ok, f"meetd's transaction never waited for the lock; transactions: {seen}"


def events(stack, event, request_id=None):
    return [x for x in stack.meetd.log_lines()
            if x.get("event") == event and (request_id is None or x.get("request_id") == request_id)]


def retries_total(stack):
    return metrics(stack).get("meetd_db_tx_retries_total")


def wait_for_retry_logged(stack, before):
    """Waits until meetd logged one more db_tx_retry than `before` lines."""
    ok, _ = wait_until(lambda: len(events(stack, "db_tx_retry")) > before, 30, interval=0.02)
    assert ok, "meetd never logged db_tx_retry"


def end_audit_gap_lock(session):
    """Locks the gap after the last audit row: every new audit row waits."""
    session.run("BEGIN; SELECT COUNT(*) FROM audit_log WHERE id >= "
                "(SELECT COALESCE(MAX(id), 0) FROM audit_log) FOR UPDATE")


def add_ballast(session):
    """Makes the second connection's transaction the heavier one: InnoDB
    rolls back the lighter side of a deadlock, which is then meetd's."""
    values = ",".join(f"({i},'{'x' * 64}')" for i in range(BALLAST_ROWS))
    session.run(f"INSERT INTO {BALLAST_DB}.ballast VALUES {values}")


def new_user(stack):
    u, token = register(stack, display_name="Contention")
    return u["id"], token


def create_meeting(stack, token, title, headers=None, body=None):
    return stack.call("POST", "/api/v1/meetings", body or meeting_body(title=title), token=token,
                      headers=headers, timeout=60)


def assert_created_once(stack, uid, title, mid, request_id):
    rows = sql_rows(stack, f"SELECT id FROM meetings WHERE organizer_id = {q(uid)} AND title = {q(title)}")
    assert rows == [[mid]]
    assert sql_rows(stack, f"SELECT user_id, role FROM meeting_members WHERE meeting_id = {q(mid)}") == \
        [[uid, "organizer"]]
    assert audit_actions(stack, mid) == ["meeting.created"]
    assert outbox_types(stack, mid) == ["meeting.created"]
    # the audit row is the retried request's, written by the attempt that won
    assert sql_rows(stack, f"SELECT request_id FROM audit_log WHERE meeting_id = {q(mid)}") == [[request_id]]


def assert_joined_once(stack, uid, mid):
    assert sql_rows(stack, f"SELECT user_id FROM meeting_participants WHERE meeting_id = {q(mid)}") == [[uid]]
    assert audit_actions(stack, mid) == ["meeting.created", "participant.joined"]
    assert outbox_types(stack, mid) == ["meeting.created", "participant.joined"]


def assert_retried(stack, request_id, before_total):
    retries = events(stack, "db_tx_retry", request_id)
    assert 1 <= len(retries) <= 3, retries
    assert {r["errno"] for r in retries} <= {1205, 1213}
    assert not events(stack, "db_tx_gave_up", request_id)
    assert retries_total(stack) >= before_total + len(retries)
    return retries


# --- 1205: lock wait time-out --------------------------------------------------

def test_create_survives_lock_wait_timeout(contention_stack, session):
    s = contention_stack
    uid, token = new_user(s)
    before_lines, before_total = len(events(s, "db_tx_retry")), retries_total(s)
    # the meeting INSERT's foreign key check needs a shared lock on this row
    session.run(f"BEGIN; SELECT id FROM users WHERE id = {q(uid)} FOR UPDATE")
    fut = in_background(create_meeting, s, token, "Lock_wait_create")
    wait_for_meetd_to_wait(s)
    wait_for_retry_logged(s, before_lines)
    session.run("COMMIT")
    r = fut.result(60)
    data = assert_success(r, 201)
    rid = r.headers["X-Request-Id"]
    retries = assert_retried(s, rid, before_total)
    assert 1205 in {x["errno"] for x in retries}
    assert_created_once(s, uid, "Lock_wait_create", data["id"], rid)
    assert session.errors == []


def test_join_survives_lock_wait_timeout(contention_stack, session):
    s = contention_stack
    uid, token = new_user(s)
    mid = assert_success(create_meeting(s, token, "Lock_wait_join"), 201)["id"]
    before_lines, before_total = len(events(s, "db_tx_retry")), retries_total(s)
    # join locks the meeting row first
    session.run(f"BEGIN; SELECT id FROM meetings WHERE id = {q(mid)} FOR UPDATE")
    fut = in_background(s.call, "POST", mpath(mid, "/join"), {}, token=token, timeout=60)
    wait_for_meetd_to_wait(s)
    wait_for_retry_logged(s, before_lines)
    session.run("COMMIT")
    r = fut.result(60)
    assert assert_success(r)["meeting_id"] == mid
    retries = assert_retried(s, r.headers["X-Request-Id"], before_total)
    assert 1205 in {x["errno"] for x in retries}
    assert_joined_once(s, uid, mid)
    assert session.errors == []


# --- 1213: deadlock ------------------------------------------------------------

def test_create_survives_deadlock(contention_stack, session):
    s = contention_stack
    uid, token = new_user(s)
    title = "Deadlock_create"
    key = f"contention-{uid}"
    before_total = retries_total(s)
    end_audit_gap_lock(session)
    add_ballast(session)
    # one body for the request and its replay (its time is taken once)
    body = meeting_body(title=title)
    fut = in_background(create_meeting, s, token, title, {"Idempotency-Key": key}, body)
    # meetd has inserted the meeting and now waits for the audit gap
    wait_for_meetd_to_wait(s)
    # ask for meetd's new row: a cycle; meetd, the lighter side, is rolled back
    session.run(f"SELECT id FROM meetings WHERE organizer_id = {q(uid)} FOR UPDATE")
    session.run("ROLLBACK")
    r = fut.result(60)
    data = assert_success(r, 201)
    rid = r.headers["X-Request-Id"]
    retries = assert_retried(s, rid, before_total)
    assert 1213 in {x["errno"] for x in retries}
    assert session.errors == []              # the second connection never lost
    assert_created_once(s, uid, title, data["id"], rid)
    # the answer stored under the Idempotency-Key is the winning attempt's
    again = create_meeting(s, token, title, {"Idempotency-Key": key}, body)
    assert assert_success(again, 201)["id"] == data["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(sql_rows(s, f"SELECT id FROM meetings WHERE organizer_id = {q(uid)}")) == 1


def test_join_survives_deadlock(contention_stack, session):
    s = contention_stack
    uid, token = new_user(s)
    mid = assert_success(create_meeting(s, token, "Deadlock_join"), 201)["id"]
    before_total = retries_total(s)
    end_audit_gap_lock(session)
    add_ballast(session)
    fut = in_background(s.call, "POST", mpath(mid, "/join"), {}, token=token, timeout=60)
    # meetd holds the meeting row and waits for the audit gap
    wait_for_meetd_to_wait(s)
    session.run(f"SELECT id FROM meetings WHERE id = {q(mid)} FOR UPDATE")
    session.run("ROLLBACK")
    r = fut.result(60)
    assert assert_success(r)["meeting_id"] == mid
    retries = assert_retried(s, r.headers["X-Request-Id"], before_total)
    assert 1213 in {x["errno"] for x in retries}
    assert session.errors == []
    assert_joined_once(s, uid, mid)


# --- exhausted: every attempt fails ------------------------------------------------

def assert_gave_up(stack, r, before_total):
    assert_error(r, 503, "DATABASE_UNAVAILABLE")
    assert r.headers["Retry-After"] == "1"
    rid = r.headers["X-Request-Id"]
    retries = events(stack, "db_tx_retry", rid)
    assert [x["attempt"] for x in retries] == [1, 2, 3]
    assert {x["errno"] for x in retries} == {1205}
    assert len(events(stack, "db_tx_gave_up", rid)) == 1
    assert retries_total(stack) >= before_total + 3


def test_create_gives_up_after_three_retries(contention_stack, session):
    s = contention_stack
    uid, token = new_user(s)
    before_total = retries_total(s)
    session.run(f"BEGIN; SELECT id FROM users WHERE id = {q(uid)} FOR UPDATE")
    started = time.monotonic()
    r = create_meeting(s, token, "Never_created")
    # four attempts, each waited out in full
    assert time.monotonic() - started >= 4 * LOCK_WAIT_S
    session.run("COMMIT")
    assert_gave_up(s, r, before_total)
    assert sql_rows(s, f"SELECT id FROM meetings WHERE organizer_id = {q(uid)}") == []
    assert sql_rows(s, f"SELECT id FROM audit_log WHERE actor_id = {q(uid)}") == []
    assert sql_rows(s, f"SELECT user_id FROM meeting_members WHERE user_id = {q(uid)}") == []


def test_join_gives_up_after_three_retries(contention_stack, session):
    s = contention_stack
    uid, token = new_user(s)
    mid = assert_success(create_meeting(s, token, "Never_joined"), 201)["id"]
    before_total = retries_total(s)
    session.run(f"BEGIN; SELECT id FROM meetings WHERE id = {q(mid)} FOR UPDATE")
    r = s.call("POST", mpath(mid, "/join"), {}, token=token, timeout=60)
    session.run("COMMIT")
    assert_gave_up(s, r, before_total)
    assert sql_rows(s, f"SELECT id FROM meeting_participants WHERE meeting_id = {q(mid)}") == []
    assert audit_actions(s, mid) == ["meeting.created"]
    assert outbox_types(s, mid) == ["meeting.created"]


# --- a single statement outside a transaction ------------------------------------

def test_passcode_counter_statement_survives_lock_wait_timeout(contention_stack, session):
    """A passcode attempt outside a transaction (a join by code) is one
    statement on an InnoDB counter; a 1205 there is re-run the same way (the
    server rolled the statement back). (The rate limiter itself is a MEMORY
    table since schema 007: it takes no row locks to wait for.)"""
    s = contention_stack
    assert sql_value(s, "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'meetd' "
                        "AND TABLE_NAME = 'rate_limits'") == "MEMORY"
    uid, token = new_user(s)
    m = assert_success(create_meeting(s, token, "Counter_room"), 201)
    _, guest = new_user(s)
    body = {"meeting_code": m["meeting_code"], "passcode": m["passcode"]}
    # a first right guess makes the meeting's counter row (and gives it back)
    assert_success(s.call("POST", "/api/v1/meetings/join", body, token=guest, timeout=60))
    _, second = new_user(s)
    before_lines, before_total = len(events(s, "db_tx_retry")), retries_total(s)
    session.run(f"BEGIN; SELECT k FROM attempt_counters WHERE k = 'pc:m:{m['id']}' FOR UPDATE")
    fut = in_background(s.call, "POST", "/api/v1/meetings/join", body, token=second, timeout=60)
    wait_for_meetd_to_wait(s)
    wait_for_retry_logged(s, before_lines)
    session.run("COMMIT")
    r = fut.result(60)
    assert_success(r)
    retries = assert_retried(s, r.headers["X-Request-Id"], before_total)
    assert all("statement" in x and x["errno"] == 1205 for x in retries)
    assert sql_value(s, f"SELECT failures FROM attempt_counters WHERE k = 'pc:m:{m['id']}'") == "0"
