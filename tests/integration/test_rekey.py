"""Data-key rotation (issue 4, design §5): boxes name their key; an earlier
key listed in secrets.previous_key_files still opens them; `meetd rekey`
re-seals every box under the current key, after which the earlier key can
go. Each test runs on its own database: rekey walks every row."""
import os
import secrets
import subprocess

from helpers import assert_success
from meetings_fixtures import create, dump_database, get, user
from stack import write_secret


def _key_id(hex_key):
    import hashlib
    return hashlib.sha256(bytes.fromhex(hex_key)).digest()[:4]


def _box_key_ids(stack, name):
    """The key id (bytes 1..4) of every non-NULL box in the database."""
    out = stack.db.sql(
        "SELECT HEX(b) FROM (SELECT passcode_box b FROM meetings UNION ALL SELECT invite_box FROM meetings "
        "UNION ALL SELECT host_url_box FROM meetings UNION ALL SELECT response FROM idempotency_keys) x "
        "WHERE b IS NOT NULL", database=name).stdout.split()
    return {bytes.fromhex(h)[1:5] for h in out}


def _restart(s, **settings):
    s.nginx.stop()
    s.meetd.stop()
    for key, value in settings.items():
        section, name = key.split("__", 1)
        if value is None:
            s.meetd.settings[section].pop(name, None)
        else:
            s.meetd.settings.setdefault(section, {})[name] = value
    s.meetd.write_conf()
    s.meetd.start()
    s.nginx.start()


def test_rotation_reseals_everything_and_old_key_can_go(make_stack, make_database):
    name = make_database()
    s = make_stack(database__name=name, server__responders=1)
    _, token = user(s)
    made = [create(s, token) for _ in range(3)]
    r = s.call("POST", "/api/v1/meetings", {"title": "Kept", "scheduled_for": "2030-01-01T10:00:00Z",
                                            "duration": 30}, token=token,
               headers={"Idempotency-Key": "rotate-me"})
    replayable = assert_success(r, 201)
    old_hex = s.meetd.data_key
    assert _box_key_ids(s, name) == {_key_id(old_hex)}

    # new key in key_file, the old one kept as previous: both open
    new_hex = secrets.token_hex(32)
    new_path = os.path.join(s.meetd.root, "data-new.key")
    write_secret(new_path, new_hex + "\n")
    _restart(s, secrets__key_file=new_path, secrets__previous_key_files=s.meetd.settings["secrets"]["key_file"])
    for m in made:
        assert get(s, token, m["id"])["passcode"] == m["passcode"]
    fresh = create(s, token)                                         # sealed under the new key
    assert _box_key_ids(s, name) == {_key_id(old_hex), _key_id(new_hex)}

    out = s.meetd.run("rekey")
    assert "unreadable" in out.stdout and " 0 unreadable" in out.stdout, out.stdout
    assert _box_key_ids(s, name) == {_key_id(new_hex)}
    again = s.meetd.run("rekey")                                     # nothing left to do
    assert again.stdout.startswith("rekey: 0 boxes re-sealed"), again.stdout

    # the old key removed entirely: everything still opens
    _restart(s, secrets__previous_key_files=None)
    for m in made + [fresh]:
        got = get(s, token, m["id"])
        assert (got["passcode"], got["invitation_token"]) == (m["passcode"], m["invitation_token"])
    r = s.call("POST", "/api/v1/meetings", {"title": "Kept", "scheduled_for": "2030-01-01T10:00:00Z",
                                            "duration": 30}, token=token,
               headers={"Idempotency-Key": "rotate-me"})
    assert r.headers.get("Idempotent-Replayed") == "true"
    assert assert_success(r, 201)["id"] == replayable["id"]
    dump = dump_database(s, name)
    assert old_hex not in dump and new_hex not in dump


def test_rekey_reports_boxes_no_key_opens(make_stack, make_database):
    name = make_database()
    s = make_stack(database__name=name, server__responders=1)
    _, token = user(s)
    create(s, token)
    other = os.path.join(s.meetd.root, "other.key")
    write_secret(other, secrets.token_hex(32) + "\n")
    _restart(s, secrets__key_file=other)                             # the sealing key is not configured
    out = s.meetd.run("rekey", check=False)
    assert out.returncode == 1 and "2 unreadable" in out.stdout, out.stdout


def test_previous_key_files_are_checked(make_stack, make_database):
    s = make_stack(database__name=make_database(), server__responders=1, start=False)
    bad = os.path.join(s.meetd.root, "short.key")
    write_secret(bad, "abcd\n")
    s.meetd.settings["secrets"]["previous_key_files"] = bad
    s.meetd.write_conf()
    r = subprocess.run([os.environ.get("MEETD_BIN", os.path.join(os.environ.get("MEETD_BUILDDIR", "."), "meetd")),
                        "-c", s.meetd.conf, "-t"], capture_output=True, text=True)
    assert r.returncode != 0 and "previous_key_files" in r.stderr
