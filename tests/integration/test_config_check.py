"""`meetd -t` (reliability.md T39): 0 for a good configuration, non-zero with
the offending line for broken ones, and no side effects either way."""

import os
import secrets
import shutil
import subprocess

import pytest

from stack import MEETD_BIN, write_secret


def render(settings):
    lines = []
    for section, kv in settings.items():
        lines.append(f"[{section}]")
        lines.extend(f"{k} = {v}" for k, v in kv.items())
    return "\n".join(lines) + "\n"


@pytest.fixture
def base(scratch):
    """A valid configuration in `scratch`, as (dir, settings dict)."""
    write_secret(os.path.join(scratch, "jwt.key"), secrets.token_urlsafe(48) + "\n")
    write_secret(os.path.join(scratch, "db.password"), "pw\n")
    settings = {
        "server": {"listen": os.path.join(scratch, "meetd.sock"), "listen_mode": "0660",
                   "responders": "4", "body_limit": "1m", "body_limit_anonymous": "16k"},
        "database": {"socket": os.path.join(scratch, "mysqld.sock"), "name": "meetd", "user": "meetd",
                     "password_file": os.path.join(scratch, "db.password")},
        "auth": {"jwt_algorithm": "HS256", "jwt_key_file": os.path.join(scratch, "jwt.key"),
                 "jwt_leeway": "30"},
        "log": {"level": "info", "access_log": "on"},
    }
    return scratch, settings


def check(conf_dir, text):
    path = os.path.join(conf_dir, "meetd.conf")
    with open(path, "w") as f:
        f.write(text)
    before = set(os.listdir(conf_dir))
    p = subprocess.run([MEETD_BIN, "-c", path, "-t"], capture_output=True, text=True, timeout=30)
    after = set(os.listdir(conf_dir))
    assert after == before, f"-t changed {conf_dir}: {after ^ before}"
    return p, path


def test_good_config_passes(base):
    d, settings = base
    p, path = check(d, render(settings))
    assert p.returncode == 0, p.stderr
    assert "valid" in p.stdout
    assert not os.path.exists(settings["server"]["listen"])


def test_shipped_config_reference_passes(base):
    """The output of `meetd config-reference`, with paths pointed at the test
    directory, is itself a valid configuration."""
    d, settings = base
    ref = subprocess.run([MEETD_BIN, "config-reference"], capture_output=True, text=True,
                         check=True).stdout
    out = []
    section = None
    for line in ref.splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif "=" in line and not line.startswith("#"):
            key = line.split("=", 1)[0].strip()
            if key in settings.get(section, {}) and key in ("listen", "socket", "jwt_key_file",
                                                             "password_file"):
                line = f"{key} = {settings[section][key]}"
        out.append(line)
    p, _ = check(d, "\n".join(out) + "\n")
    assert p.returncode == 0, p.stderr


def set_key(settings, section, key, value):
    s = {sec: dict(kv) for sec, kv in settings.items()}
    s.setdefault(section, {})[key] = value
    return s


# (name, function(settings) -> config text, text that must appear on the offending line)
# The offending line is found as the first line of the text containing `marker`.
LINE_CASES = [
    ("unknown key", lambda s: render(set_key(s, "server", "workers", "4")), "workers ="),
    ("unknown section", lambda s: render(s) + "[cache]\nsize = 1\n", "[cache]"),
    ("duplicate key", lambda s: render(s).replace("responders = 4", "responders = 4\nresponders = 5"),
     "responders = 5"),
    ("responders = 0", lambda s: render(set_key(s, "server", "responders", "0")), "responders ="),
    ("responders = 257", lambda s: render(set_key(s, "server", "responders", "257")), "responders ="),
    ("responders = 4abc", lambda s: render(set_key(s, "server", "responders", "4abc")), "responders ="),
    ("responders = -1", lambda s: render(set_key(s, "server", "responders", "-1")), "responders ="),
    ("bad bool", lambda s: render(set_key(s, "log", "access_log", "maybe")), "access_log ="),
    ("bad size", lambda s: render(set_key(s, "server", "body_limit", "10q")), "body_limit ="),
    ("size out of range", lambda s: render(set_key(s, "server", "body_limit", "1g")), "body_limit ="),
    ("jwt_leeway = 61", lambda s: render(set_key(s, "auth", "jwt_leeway", "61")), "jwt_leeway ="),
    ("relative listen path", lambda s: render(set_key(s, "server", "listen", "meetd.sock")), "listen ="),
    ("missing = sign", lambda s: render(s).replace("responders = 4", "responders 4"), "responders 4"),
    ("key outside a section", lambda s: "responders = 4\n" + render(s), "responders = 4"),
    ("jwt_algorithm = none", lambda s: render(set_key(s, "auth", "jwt_algorithm", "none")),
     "jwt_algorithm ="),
    ("jwt_algorithm = HS512", lambda s: render(set_key(s, "auth", "jwt_algorithm", "HS512")),
     "jwt_algorithm ="),
    ("bad octal mode", lambda s: render(set_key(s, "server", "listen_mode", "0999")), "listen_mode ="),
    ("bad log level", lambda s: render(set_key(s, "log", "level", "loud")), "level ="),
    ("malformed section header", lambda s: render(s).replace("[auth]", "[auth"), "[auth"),
    ("backlog below minimum", lambda s: render(set_key(s, "server", "backlog", "15")), "backlog ="),
    ("request_timeout not an integer", lambda s: render(set_key(s, "server", "request_timeout", "1.5")),
     "request_timeout ="),
    ("control character in a value", lambda s: render(set_key(s, "database", "name", "me\x01etd")),
     "name ="),
    ("over-long line", lambda s: render(s) + "# " + "x" * 5000 + "\n", "# xxx"),
]


@pytest.mark.parametrize("name,make,marker", LINE_CASES, ids=[c[0] for c in LINE_CASES])
def test_broken_config_names_the_line(base, name, make, marker):
    d, settings = base
    text = make(settings)
    lineno = next(i for i, line in enumerate(text.splitlines(), 1) if marker in line)
    p, path = check(d, text)
    assert p.returncode != 0, name
    assert f"{path}:{lineno}:" in p.stderr, (name, lineno, p.stderr)
    assert not os.path.exists(settings["server"]["listen"])


def test_at_least_15_line_cases():
    assert len(LINE_CASES) >= 15


def _rsa_pair(d, name):
    key = os.path.join(d, f"{name}.pem")
    pub = os.path.join(d, f"{name}.pub")
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", key], check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-out", pub], check=True,
                   capture_output=True)
    os.chmod(key, 0o600)
    os.chmod(pub, 0o600)
    return key, pub


# Broken secrets and cross-key rules: not tied to one line, so the message
# must name the key or the file instead.
def test_world_readable_secret(base):
    d, settings = base
    os.chmod(os.path.join(d, "jwt.key"), 0o644)
    p, _ = check(d, render(settings))
    assert p.returncode != 0
    assert os.path.join(d, "jwt.key") in p.stderr and "readable" in p.stderr


def test_missing_secret_file(base):
    d, settings = base
    p, _ = check(d, render(set_key(settings, "database", "password_file", os.path.join(d, "nope"))))
    assert p.returncode != 0
    assert os.path.join(d, "nope") in p.stderr


def test_secret_that_is_not_a_path_or_credential(base):
    d, settings = base
    p, _ = check(d, render(set_key(settings, "auth", "jwt_key_file", "../jwt.key")))
    assert p.returncode != 0
    assert "../jwt.key" in p.stderr


def test_short_hs256_key(base):
    d, settings = base
    write_secret(os.path.join(d, "jwt.key"), "x" * 31 + "\n")
    p, _ = check(d, render(settings))
    assert p.returncode != 0
    assert "auth.jwt_key_file" in p.stderr and "32" in p.stderr
    write_secret(os.path.join(d, "jwt.key"), "x" * 32 + "\n")
    p, _ = check(d, render(settings))
    assert p.returncode == 0, p.stderr


def test_empty_secret_file(base):
    d, settings = base
    write_secret(os.path.join(d, "jwt.key"), "\n")
    p, _ = check(d, render(settings))
    assert p.returncode != 0 and "empty" in p.stderr


def test_rs256_with_non_pem_key(base):
    d, settings = base
    s = set_key(settings, "auth", "jwt_algorithm", "RS256")
    p, _ = check(d, render(s))
    assert p.returncode != 0
    assert "auth.jwt_key_file" in p.stderr and "PEM" in p.stderr


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl tool")
def test_rs256_keys(base):
    d, settings = base
    key_a, pub_a = _rsa_pair(d, "a")
    _, pub_b = _rsa_pair(d, "b")
    s = set_key(set_key(settings, "auth", "jwt_algorithm", "RS256"), "auth", "jwt_signing_key_file", key_a)
    p, _ = check(d, render(set_key(s, "auth", "jwt_key_file", pub_a)))
    assert p.returncode == 0, p.stderr
    # a signing key that does not match the verifying key
    p, _ = check(d, render(set_key(s, "auth", "jwt_key_file", pub_b)))
    assert p.returncode != 0 and "do not work together" in p.stderr


def test_anonymous_limit_above_body_limit(base):
    d, settings = base
    s = set_key(set_key(settings, "server", "body_limit", "64k"), "server", "body_limit_anonymous", "65k")
    p, _ = check(d, render(s))
    assert p.returncode != 0
    assert "body_limit_anonymous" in p.stderr


def test_no_database_location(base):
    d, settings = base
    p, _ = check(d, render(set_key(settings, "database", "socket", "")))
    assert p.returncode != 0 and "database.socket" in p.stderr


def test_missing_config_file(scratch):
    p = subprocess.run([MEETD_BIN, "-c", os.path.join(scratch, "absent.conf"), "-t"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and "absent.conf" in p.stderr


def test_all_errors_reported_at_once(base):
    d, settings = base
    text = render(set_key(set_key(settings, "server", "responders", "0"), "auth", "jwt_leeway", "99"))
    p, path = check(d, text)
    assert p.returncode != 0
    lines = text.splitlines()
    for marker in ("responders =", "jwt_leeway ="):
        n = next(i for i, line in enumerate(lines, 1) if marker in line)
        assert f"{path}:{n}:" in p.stderr


def test_t_does_not_touch_a_running_servers_socket(stack):
    """-t on the live configuration leaves the live socket alone."""
    ino = os.stat(stack.meetd.socket).st_ino
    p = stack.meetd.run("-t", check=False)
    assert p.returncode == 0, p.stderr
    assert os.stat(stack.meetd.socket).st_ino == ino
    assert stack.call("GET", "/api/v1/health").status == 200


def test_operations_guide_lists_every_key():
    """docs/operations.md carries `meetd config-reference` verbatim."""
    from stack import SRCDIR
    ref = subprocess.run([MEETD_BIN, "config-reference"], capture_output=True, text=True, check=True).stdout
    with open(os.path.join(SRCDIR, "docs", "operations.md")) as f:
        doc = f.read()
    section = doc.split("<!-- config-reference:begin -->")[1].split("<!-- config-reference:end -->")[0]
    assert section.strip().removeprefix("```ini").removesuffix("```").strip() == ref.strip()


# `-c FILE` stands anywhere on the command line.
@pytest.mark.parametrize("order", [["-c", "{conf}", "-t"], ["-t", "-c", "{conf}"]],
                         ids=["-c FILE -t", "-t -c FILE"])
def test_c_option_in_any_order(base, order):
    d, settings = base
    path = os.path.join(d, "meetd.conf")
    with open(path, "w") as f:
        f.write(render(settings))
    p = subprocess.run([MEETD_BIN, *(a.format(conf=path) for a in order)], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert f"configuration {path} is valid" in p.stdout
    # the same order with a broken file reports that file, not the default one
    with open(path, "w") as f:
        f.write(render(set_key(settings, "server", "responders", "0")))
    p = subprocess.run([MEETD_BIN, *(a.format(conf=path) for a in order)], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 1 and f"{path}:" in p.stderr, p.stderr


@pytest.mark.parametrize("cmd", [["serve"], ["migrate"], ["worker", "--once"], ["rekey"],
                                 ["token", "--sub", "u1"]])
def test_c_option_after_the_subcommand(scratch, cmd):
    """`meetd serve -c FILE` reads FILE: a missing one is named in the error."""
    path = os.path.join(scratch, "absent.conf")
    p = subprocess.run([MEETD_BIN, *cmd, "-c", path], capture_output=True, text=True, timeout=30)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert f"{path}: cannot open" in p.stderr


def test_token_with_c_last(base):
    d, settings = base
    path = os.path.join(d, "meetd.conf")
    with open(path, "w") as f:
        f.write(render(settings))
    p = subprocess.run([MEETD_BIN, "token", "--sub", "u1", "-c", path], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert p.stdout.count(".") == 2


@pytest.mark.parametrize("args", [["-t", "-c"], ["-c", "a.conf", "-c", "b.conf", "-t"],
                                  ["-c", "", "-t"]],
                         ids=["no file", "twice", "empty"])
def test_bad_c_option(args):
    p = subprocess.run([MEETD_BIN, *args], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    assert "-c needs one configuration file" in p.stderr and "usage:" in p.stderr


def test_credentials_beside_the_config_outside_systemd(base):
    """With no $CREDENTIALS_DIRECTORY, credential names are read from
    credentials/ beside the config file; with it, from there only."""
    d, settings = base
    s = set_key(settings, "auth", "jwt_key_file", "jwt.key")
    s = set_key(s, "database", "password_file", "db.password")
    path = os.path.join(d, "meetd.conf")
    with open(path, "w") as f:
        f.write(render(s))
    env = {k: v for k, v in os.environ.items() if k != "CREDENTIALS_DIRECTORY"}
    p = subprocess.run([MEETD_BIN, "-t", "-c", path], capture_output=True, text=True, env=env)
    assert p.returncode == 1
    assert os.path.join(d, "credentials", "jwt.key") in p.stderr
    assert "CREDENTIALS_DIRECTORY" in p.stderr
    creds = os.path.join(d, "credentials")
    os.mkdir(creds, 0o700)
    for name in ("jwt.key", "db.password"):
        shutil.copy(os.path.join(d, name), creds)
    p = subprocess.run([MEETD_BIN, "-t", "-c", path], capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    # under systemd the credentials directory wins, even when it lacks the file
    other = os.path.join(d, "other")
    os.mkdir(other, 0o700)
    p = subprocess.run([MEETD_BIN, "-t", "-c", path], capture_output=True, text=True,
                       env=dict(env, CREDENTIALS_DIRECTORY=other))
    assert p.returncode == 1 and os.path.join(other, "jwt.key") in p.stderr
