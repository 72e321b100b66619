"""`meetd migrate` and the schema check behind /ready. Each test works on a
database of its own, so the shared one is never altered."""

import glob
import os

from helpers import assert_error, assert_success, wait_until
from stack import SRCDIR, Meetd

MIGRATIONS = sorted(os.path.basename(f)[:-4]
                    for f in glob.glob(os.path.join(SRCDIR, "schema", "[0-9][0-9][0-9]_*.sql")))
LATEST = int(MIGRATIONS[-1][:3])


def rows(db, name):
    out = db.sql("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version",
                 database=name).stdout
    return [tuple(line.split("\t")) for line in out.splitlines()]


def tables(db, name):
    return set(db.sql("SHOW TABLES", database=name).stdout.split())


def test_migrate_applies_then_is_a_no_op(shared_db, make_database, scratch):
    name = make_database()
    m = Meetd(os.path.join(scratch, "m"), shared_db, database__name=name)
    first = m.run("migrate", check=False)
    assert first.returncode == 0, first.stderr
    applied = rows(shared_db, name)
    assert [(int(v), n) for v, n, _, _ in applied] == [(int(x[:3]), x) for x in MIGRATIONS]
    assert all(len(c) == 64 for _, _, c, _ in applied)
    assert {"users", "api_keys", "schema_migrations"} <= tables(shared_db, name)

    second = m.run("migrate", check=False)
    assert second.returncode == 0, second.stderr
    assert rows(shared_db, name) == applied          # no new rows, same applied_at
    assert "0 applied now" in second.stdout + second.stderr


def test_tampered_checksum_is_refused(shared_db, make_database, scratch):
    name = make_database()
    m = Meetd(os.path.join(scratch, "m"), shared_db, database__name=name)
    assert m.run("migrate", check=False).returncode == 0
    shared_db.sql(f"UPDATE schema_migrations SET checksum = REPEAT('0', 64) WHERE version = {LATEST}",
                  database=name)
    p = m.run("migrate", check=False)
    assert p.returncode != 0
    assert MIGRATIONS[-1] in p.stdout + p.stderr, p.stderr
    # nothing was re-applied or recorded anew
    assert len(rows(shared_db, name)) == len(MIGRATIONS)


def test_database_newer_than_binary_is_refused(shared_db, make_database, scratch):
    name = make_database()
    m = Meetd(os.path.join(scratch, "m"), shared_db, database__name=name)
    assert m.run("migrate", check=False).returncode == 0
    shared_db.sql("INSERT INTO schema_migrations VALUES (999, '999_future', REPEAT('a', 64), NOW())",
                  database=name)
    p = m.run("migrate", check=False)
    assert p.returncode != 0
    assert "999" in p.stdout + p.stderr


def test_migrate_without_database_fails_cleanly(shared_db, scratch):
    m = Meetd(os.path.join(scratch, "m"), shared_db, database__name="meetd_does_not_exist")
    p = m.run("migrate", check=False)
    assert p.returncode != 0
    assert "connect" in p.stdout + p.stderr


def test_ready_follows_schema_migrations(shared_db, make_database, make_stack):
    name = make_database()
    s = make_stack(database__name=name, server__responders=2)
    assert_success(s.call("GET", "/api/v1/ready"))
    saved = rows(shared_db, name)[-1]
    try:
        # the row of the latest migration gone: the schema looks older than the binary
        shared_db.sql(f"DELETE FROM schema_migrations WHERE version = {LATEST}", database=name)
        body = assert_error(s.call("GET", "/api/v1/ready"), 503, "NOT_READY")
        assert body["details"] == {"database": "ok", "schema": "outdated", "responders": "ok"}
        assert s.call("GET", "/api/v1/health").status == 200          # alive all the same
        # a version newer than the binary knows
        shared_db.sql("INSERT INTO schema_migrations VALUES (999, '999_future', REPEAT('a', 64), NOW())",
                      database=name)
        body = assert_error(s.call("GET", "/api/v1/ready"), 503, "NOT_READY")
        assert body["details"]["schema"] == "newer_than_binary"
        shared_db.sql("DELETE FROM schema_migrations WHERE version = 999", database=name)
    finally:
        shared_db.sql("INSERT IGNORE INTO schema_migrations (version, name, checksum, applied_at) "
                      f"VALUES ({saved[0]}, '{saved[1]}', '{saved[2]}', '{saved[3]}')", database=name)
    ok, _ = wait_until(lambda: s.call("GET", "/api/v1/ready").status == 200, 2)
    assert ok
    assert rows(shared_db, name)[-1] == saved
