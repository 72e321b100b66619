"""Fills a meetd database with N meetings, straight through SQL, so the
benchmark can measure the API with 10^4 or 10^6 meetings in the table.

    seed.py --socket PATH [--database meetd] --meetings N [--users U]
            [--organizer USER_ID ...] [--seed S]

It needs only the schema (meetd migrate has run) and the `mariadb` client:
the rows go in as multi-row INSERTs of a few thousand rows each, written to
one `mariadb` process's standard input while it runs them, one transaction
per batch (10^6 meetings take a couple of minutes on 2 cores).

What a meeting gets, so the table looks like one that has been in use:
  - users: U seed users (seed-NNNNNN@seed.example.org, made if missing,
    with a password hash no password matches), plus any --organizer;
    each meeting's organizer is one of them at random;
  - meetings: native, with a unique code xxx-xxx-xxx, passcode and
    invitation boxes and an invitation hash of the sizes meetd makes
    (random bytes: seeded meetings cannot be joined by passcode), a title,
    a description for some, created over the past year in id order (ids are
    ULIDs of created_at, as meetd's are), scheduled_for from an hour to 60
    days after creation; those whose time has passed are mostly ended;
  - meeting_members: the organizer, and 0-2 other seed users;
  - meeting_participants: a closed session per member of an ended meeting.

The codes are a fixed permutation of a random starting index, so they are
unique within a run and, with 26^9 codes, practically never collide with
another run's or with meetd's (which draws again on a collision).
"""

import argparse
import base64
import random
import subprocess
import sys
import time

SEED_DOMAIN = "seed.example.org"
DISABLED_HASH = "$seed$disabled"        # matches no password: nobody logs in as a seed user
CODE_SPACE = 26 ** 9
CODE_MULT = 7_777_777_777               # odd and not a multiple of 13: a bijection mod 26^9
PASSBOX_LEN = 1 + 12 + 6 + 16           # version, nonce, 6-digit passcode, tag
INVBOX_LEN = 1 + 12 + 43 + 16           # version, nonce, 43-char token, tag
TIMEZONES = ("UTC", "Europe/Paris", "Europe/London", "America/New_York", "America/Los_Angeles",
             "Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney", "Europe/Berlin", "America/Sao_Paulo")
WORDS = ("Weekly", "Project", "Design", "Team", "Sprint", "Budget", "Client", "Planning",
         "Review", "Sync", "Retro", "Kick-off", "Standup", "Roadmap", "Hiring", "Board")
DURATIONS = (15, 30, 30, 45, 60, 60, 60, 90, 120)
B32 = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHJKMNPQRSTVWXYZ")
BATCH = 2000


def log(msg):
    print(f"seed: {msg}", file=sys.stderr, flush=True)


def ulid(ms, rnd):
    """The ULID of time ms (48 bits) and rnd (80 bits), Crockford base32.
    (Shifted so that the top 130 bits of 17 bytes are the ULID's value,
    whose first 26 base32 digits are then the ULID.)"""
    v = ((ms & ((1 << 48) - 1)) << 80 | rnd) << 6
    return base64.b32encode(v.to_bytes(17, "big")).decode()[:26].translate(B32)


def code_of(index):
    n = (index * CODE_MULT) % CODE_SPACE
    c = []
    for _ in range(9):
        n, d = divmod(n, 26)
        c.append(chr(97 + d))
    return f"{''.join(c[0:3])}-{''.join(c[3:6])}-{''.join(c[6:9])}"


def dt(ms):
    """DATETIME(3) literal of epoch milliseconds (UTC)."""
    s, frac = divmod(ms, 1000)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(s)) + f".{frac:03d}"


def q(s):
    """A string literal; seeded text holds no quote or backslash, checked."""
    if "'" in s or "\\" in s:
        raise ValueError(f"unexpected character in {s!r}")
    return f"'{s}'"


class Client:
    """One `mariadb` process reading SQL from a pipe."""

    def __init__(self, socket, database, user, password_file=None):
        self.base = ["mariadb", "--no-defaults", f"--socket={socket}", f"--user={user}",
                     "--batch", "--skip-column-names"]
        if password_file:
            with open(password_file) as f:
                self.base.append(f"--password={f.readline().strip()}")
        self.base.append(database)

    def query(self, sql):
        r = subprocess.run(self.base + ["-e", sql], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"mariadb: {r.stderr.strip()}")
        return [line.split("\t") for line in r.stdout.splitlines()]

    def stream(self, chunks):
        """Pipes every chunk of SQL text into one client; raises on error."""
        p = subprocess.Popen(self.base, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        try:
            for chunk in chunks:
                p.stdin.write(chunk.encode())
            p.stdin.close()
        except BrokenPipeError:
            pass                # the client stopped on an error: read it below
        err = p.stderr.read().decode()
        if p.wait() != 0:
            raise RuntimeError(f"mariadb: {err.strip()}")


def ensure_users(client, count, rng):
    """Ids of `count` seed users, creating the missing ones."""
    rows = client.query(f"SELECT id FROM users WHERE email LIKE '%@{SEED_DOMAIN}' ORDER BY email")
    have = [r[0] for r in rows]
    if len(have) >= count:
        return have[:count]
    now = int(time.time() * 1000)
    values = []
    for n in range(len(have), count):
        uid = ulid(now - 400 * 86400_000 + n, rng.getrandbits(80))
        values.append(f"({q(uid)}, 'seed-{n:06d}@{SEED_DOMAIN}', {q(DISABLED_HASH)}, "
                      f"'Seed user {n}', 'user', {q(dt(now))}, {q(dt(now))})")
    for i in range(0, len(values), BATCH):
        client.stream(["INSERT INTO users (id, email, password_hash, display_name, role, "
                       "created_at, updated_at) VALUES " + ",\n".join(values[i:i + BATCH]) + ";\n"])
    return [r[0] for r in client.query(
        f"SELECT id FROM users WHERE email LIKE '%@{SEED_DOMAIN}' ORDER BY email")][:count]


def meeting_rows(n, users, organizers, rng, now):
    """(meetings, members, sessions) VALUES tuples for one batch, as text."""
    span = 365 * 86400_000
    code_base = rng.randrange(CODE_SPACE)
    start = now - span - 86400_000
    step = span / max(1, n)
    pool = organizers + users
    for i in range(n):
        created = int(start + i * step + rng.random() * step)
        mid = ulid(created, rng.getrandbits(80))
        org = rng.choice(pool)
        code = code_of(code_base + i)
        sched = created + rng.randint(3600_000, 60 * 86400_000)
        duration = rng.choice(DURATIONS)
        blobs = rng.randbytes(PASSBOX_LEN + 32 + INVBOX_LEN).hex()
        pbox = blobs[:2 * PASSBOX_LEN]
        ihash = blobs[2 * PASSBOX_LEN:2 * (PASSBOX_LEN + 32)]
        ibox = blobs[2 * (PASSBOX_LEN + 32):]
        title = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i}"
        desc = (q(f"Agenda: {rng.choice(WORDS).lower()} and {rng.choice(WORDS).lower()}; "
                  "notes in the shared folder. Please be on time.") if rng.random() < 0.3
                else "NULL")
        tz = rng.choice(TIMEZONES)
        limit = str(rng.choice((10, 25, 50, 100))) if rng.random() < 0.1 else "NULL"
        r = rng.random()
        started = ended = cancelled = "NULL"
        by = "NULL"
        updated = created
        if sched + duration * 60_000 < now and r < 0.9:
            status = "ended"
            s = sched + rng.randint(0, 600_000)
            e = s + duration * 60_000
            started, ended, by, updated = q(dt(s)), q(dt(e)), q(org), e
        elif r >= 0.95:
            status = "cancelled"
            updated = min(now, created + rng.randint(60_000, 86400_000))
            cancelled = q(dt(updated))
        else:
            status = "scheduled"
        yield ("m", f"({q(mid)}, NULL, {q(org)}, 'native', NULL, "
                    f"'https://meet.example.org/room/{code}', {q(code)}, X'{pbox}', X'{ihash}', "
                    f"X'{ibox}', NULL, NULL, NULL, {q(title)}, {desc}, {q(dt(sched))}, {duration}, "
                    f"{q(tz)}, {limit}, {int(rng.random() < 0.9)}, {int(rng.random() < 0.5)}, "
                    f"'{status}', {started}, {by}, {ended}, {by}, {cancelled}, "
                    f"{1 + (status != 'scheduled') * 2}, {q(dt(created))}, {q(dt(updated))})")
        members = [(org, "organizer")]
        for other in rng.sample(users, rng.randint(0, 2)):
            if other != org:
                members.append((other, "co_host" if rng.random() < 0.2 else "participant"))
        for uid, role in members:
            yield ("mm", f"({q(mid)}, {q(uid)}, '{role}', {q(dt(sched))}, "
                         f"{q(dt(created + 1000))})")
        if status == "ended":
            for uid, role in members:
                joined = sched + rng.randint(0, 300_000)
                left = joined + rng.randint(60_000, duration * 60_000)
                prole = {"organizer": "host", "co_host": "co_host"}.get(role, "attendee")
                yield ("p", f"({q(ulid(joined, rng.getrandbits(80)))}, {q(mid)}, {q(uid)}, "
                            f"'{prole}', NULL, 'web', {q(dt(joined))}, {q(dt(left))})")


INSERT_HEAD = {
    "m": "INSERT INTO meetings (id, event_id, organizer_id, platform, platform_meeting_id, "
         "meeting_url, code, passcode_box, invite_hash, invite_box, dial_in_number, "
         "dial_in_password_box, host_key_box, title, description, scheduled_for, "
         "duration_minutes, timezone, participant_limit, require_password, waiting_room, status, "
         "started_at, started_by, ended_at, ended_by, cancelled_at, version, created_at, "
         "updated_at) VALUES ",
    "mm": "INSERT INTO meeting_members (meeting_id, user_id, role, scheduled_for, created_at) "
          "VALUES ",
    "p": "INSERT INTO meeting_participants (id, meeting_id, user_id, role, active, device_type, "
         "joined_at, left_at) VALUES ",
}


def sql_chunks(rows, progress):
    """Batches of rows as SQL text: each batch one transaction of one
    multi-row INSERT per table, meetings first (the members refer to them)."""
    # Foreign keys hold by construction (every id was read or made here), and
    # checking them row by row would double the load time.
    yield "SET SESSION foreign_key_checks = 0, autocommit = 0;\n"
    pending = {"m": [], "mm": [], "p": []}
    done = 0
    for kind, text in rows:
        pending[kind].append(text)
        if kind == "m":
            done += 1
        if len(pending["m"]) >= BATCH:
            yield flush(pending)
            progress(done)
    yield flush(pending)
    progress(done)


def flush(pending):
    out = []
    for kind in ("m", "mm", "p"):
        if pending[kind]:
            out.append(INSERT_HEAD[kind] + ",\n".join(pending[kind]) + ";\n")
            pending[kind] = []
    out.append("COMMIT;\n")
    return "".join(out)


def count_meetings(client):
    return int(client.query("SELECT COUNT(*) FROM meetings")[0][0])


def seed(socket, database, meetings, users=1000, organizers=(), user="root",
         password_file=None, seed_value=None):
    """Inserts `meetings` meetings; returns (seconds taken, meetings in the table)."""
    rng = random.Random(seed_value)
    client = Client(socket, database, user, password_file)
    t0 = time.monotonic()
    seed_users = ensure_users(client, users, rng)
    if len(seed_users) < 3:
        raise RuntimeError("need at least 3 seed users")
    last = [t0, -1]

    def progress(done):
        now = time.monotonic()
        if done != last[1] and (now - last[0] >= 10 or done == meetings):
            last[:] = [now, done]
            log(f"{done:,} / {meetings:,} meetings ({now - t0:.0f} s)")

    now = int(time.time() * 1000)
    client.stream(sql_chunks(meeting_rows(meetings, seed_users, list(organizers), rng, now),
                             progress))
    # Fresh index statistics, so that the plans the benchmark measures are
    # the ones a table of this size gets (InnoDB recomputes them by itself
    # only some time after 10 % of a table has changed).
    client.query("ANALYZE TABLE users, meetings, meeting_members, meeting_participants")
    return time.monotonic() - t0, count_meetings(client)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--socket", required=True, help="MariaDB's unix socket")
    ap.add_argument("--database", default="meetd")
    ap.add_argument("--user", default="root", help="MariaDB user (default root, socket auth)")
    ap.add_argument("--password-file", help="file whose first line is the user's password")
    ap.add_argument("--meetings", type=int, required=True, help="how many meetings to add")
    ap.add_argument("--users", type=int, default=1000, help="seed users (default 1000)")
    ap.add_argument("--organizer", action="append", default=[],
                    help="an existing user id that also organizes seeded meetings (repeatable)")
    ap.add_argument("--seed", type=int, help="random seed, for a repeatable data set")
    args = ap.parse_args()
    if args.meetings < 0 or args.users < 3:
        ap.error("--meetings must be ≥ 0 and --users ≥ 3")
    took, total = seed(args.socket, args.database, args.meetings, args.users, args.organizer,
                       args.user, args.password_file, args.seed)
    log(f"added {args.meetings:,} meetings in {took:.1f} s; the table holds {total:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
