"""Fixtures for the integration suite.

One MariaDB serves the whole session (`shared_db`), and one meetd + nginx on
it (`stack`) serves every test that only sends requests. A test that damages
processes (kill, SIGHUP, SIGTERM, a database outage) starts its own meetd +
nginx with `make_stack(...)` (on the shared MariaDB unless given its own
from `make_db()`), so tests stay independent of each other and of their
order. Every process started here is stopped by a finalizer, also when the
test fails; the temporary roots are removed unless MEETD_KEEP_TMP is set.

Run as root, nginx's workers become `nobody`, so every directory on the way
to meetd's socket must be traversable by all: roots come from mkdtemp() and
are chmod 0755 (pytest's tmp_path is 0700 and is not used for stacks).
"""

import os
import secrets
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import stack as stackmod  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes several seconds (fault injection)")


def _check_binary():
    if not os.access(stackmod.MEETD_BIN, os.X_OK):
        pytest.exit(f"meetd binary not found at {stackmod.MEETD_BIN}; "
                    "set MEETD_BUILDDIR to the build directory", returncode=4)
    for tool in ("mariadbd", "mariadb-install-db", "mariadb", "nginx"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed", allow_module_level=True)


def new_root(prefix):
    root = tempfile.mkdtemp(prefix=f"meetd-it-{prefix}-")
    os.chmod(root, 0o755)
    return root


def remove_root(root):
    if not os.environ.get("MEETD_KEEP_TMP"):
        shutil.rmtree(root, ignore_errors=True)


def _start_db(root):
    db = stackmod.MariaDB(os.path.join(root, "mariadb"))
    os.makedirs(db.root, exist_ok=True)
    try:
        db.install()
        db.start()
        db.create_app_db()
    except BaseException:
        db.stop()
        raise
    return db


@pytest.fixture(scope="session")
def shared_db():
    """The session's MariaDB (database `meetd`, user `meetd`)."""
    _check_binary()
    root = new_root("db")
    db = None
    try:
        db = _start_db(root)
        yield db
    finally:
        if db is not None:
            db.stop()
        remove_root(root)


@pytest.fixture(scope="session")
def stack(shared_db):
    """meetd (4 responders) + nginx on the shared MariaDB, for request-only tests."""
    root = new_root("session")
    s = stackmod.Stack(root, db=shared_db)
    try:
        s.start()
        yield s
    finally:
        s.stop()
        remove_root(root)


@pytest.fixture
def make_db():
    """Factory for a private MariaDB (for tests that stop or break it)."""
    started = []

    def make():
        root = new_root("owndb")
        started.append((root, None))
        db = _start_db(root)
        started[-1] = (root, db)
        return db

    yield make
    for root, db in reversed(started):
        if db is not None:
            db.stop()
        remove_root(root)


@pytest.fixture
def make_stack(shared_db):
    """Factory: make_stack(db=None, start=True, **settings) -> a started Stack
    with its own meetd + nginx, on `db` or the shared MariaDB."""
    made = []

    def make(db=None, start=True, **settings):
        root = new_root("own")
        s = stackmod.Stack(root, db=db or shared_db, **settings)
        made.append((root, s))
        if start:
            s.start()
        return s

    yield make
    for root, s in reversed(made):
        try:
            s.stop()
        finally:
            remove_root(root)


@pytest.fixture
def make_database(shared_db):
    """Factory for a fresh, empty database on the shared MariaDB that user
    `meetd` may use; dropped at the end. Returns its name."""
    names = []

    def make():
        name = "meetd_t_" + secrets.token_hex(4)
        shared_db.create_app_db(name=name)
        names.append(name)
        return name

    yield make
    for name in names:
        shared_db.sql(f"DROP DATABASE IF EXISTS {name}", check=False)


@pytest.fixture
def scratch():
    """A world-traversable temporary directory (for configs and secrets)."""
    root = new_root("scratch")
    yield root
    remove_root(root)


@pytest.fixture
def make_nginx():
    """Factory: make_nginx(upstream_socket, **kw) -> a started extra nginx
    (stack.Nginx keywords: cors_origins, edits, snippet_edits) in front of
    any socket, e.g. the shared stack's meetd or a dead path."""
    made = []

    def make(upstream_socket, **kw):
        root = new_root("nginx")
        n = stackmod.Nginx(root, upstream_socket, **kw)
        made.append((root, n))
        n.start()
        return n

    yield make
    for root, n in reversed(made):
        try:
            n.stop()
        finally:
            remove_root(root)
