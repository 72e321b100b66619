"""/api/v1/health, /api/v1/ready and /metrics: shapes and live counters."""

import glob
import os

from helpers import NGINX_RID_RE, assert_error, assert_success, metrics, pool_size, wait_until
from stack import SRCDIR

FAMILIES = {
    "meetd_http_requests_total": "counter",
    "meetd_http_request_duration_seconds": "histogram",
    "meetd_responders": "gauge",
    "meetd_responder_respawns_total": "counter",
    "meetd_responder_crashes_total": "counter",
    "meetd_responder_recycles_total": "counter",
    "meetd_db_errors_total": "counter",
    "meetd_db_tx_retries_total": "counter",
    "meetd_limiter_full_total": "counter",
}


def latest_schema_version():
    files = glob.glob(os.path.join(SRCDIR, "schema", "[0-9][0-9][0-9]_*.sql"))
    return max(int(os.path.basename(f)[:3]) for f in files)


def test_health_shape(stack):
    r = stack.call("GET", "/api/v1/health")
    data = assert_success(r)
    assert set(data) == {"status", "version", "pid", "uptime_seconds"}
    assert data["status"] == "ok"
    assert data["version"] == stack.meetd.run("version").stdout.split()[1]
    assert data["pid"] in stack.meetd.responder_pids()
    assert isinstance(data["uptime_seconds"], int) and data["uptime_seconds"] >= 0
    assert r.headers["Cache-Control"] == "no-store"
    assert NGINX_RID_RE.match(r.headers["X-Request-Id"])


def test_ready_shape(stack):
    data = assert_success(stack.call("GET", "/api/v1/ready"))
    assert data == {"database": "ok", "schema": "ok",
                    "schema_version": latest_schema_version(), "responders": "ok"}


def test_health_is_get_only(stack):
    r = stack.call("POST", "/api/v1/health", {})
    assert_error(r, 405, "METHOD_NOT_ALLOWED")
    assert r.headers["Allow"] == "GET, HEAD"


def test_metrics_has_type_for_every_family(stack):
    stack.call("GET", "/api/v1/health")      # so the per-route families have samples
    m = metrics(stack)
    for name, kind in FAMILIES.items():
        assert m.types.get(name) == kind, f"# TYPE {name} {kind} missing"
    # every sample belongs to a declared family
    for name in m.names():
        base = name
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and name[: -len(suffix)] in m.types:
                base = name[: -len(suffix)]
        assert base in m.types, f"sample {name} has no # TYPE line"


def test_metrics_counters_increase(stack):
    def counts():
        m = metrics(stack)
        return (m.get("meetd_http_requests_total", route="health", status="200"),
                m.get("meetd_http_request_duration_seconds_count", route="health"),
                m.get("meetd_http_requests_total", route="unmatched", status="404"))

    before = counts()
    for _ in range(5):
        assert stack.call("GET", "/api/v1/health").status == 200
    for _ in range(3):
        assert stack.call("GET", "/api/v1/no-such-route").status == 404
    # a responder counts a request just after it has answered it, so give the
    # last increment a moment to land
    want = (before[0] + 5, before[1] + 5, before[2] + 3)
    got, _ = wait_until(lambda: counts() == want, 2.0)
    assert got, f"{before} -> {counts()}, wanted {want}"


def test_metrics_histogram_is_cumulative(stack):
    stack.call("GET", "/api/v1/health")
    m = metrics(stack)
    buckets = sorted(((float(dict(lbl)["le"]), v) for (n, lbl), v in m.samples.items()
                      if n == "meetd_http_request_duration_seconds_bucket"
                      and dict(lbl)["route"] == "health"), key=lambda x: x[0])
    assert buckets and buckets[-1][0] == float("inf")
    values = [v for _, v in buckets]
    assert values == sorted(values)
    assert values[-1] == m.get("meetd_http_request_duration_seconds_count", route="health")


def test_responders_gauge_equals_configured(stack):
    configured = int(stack.meetd.settings["server"]["responders"])
    assert pool_size(stack) == configured
    m = metrics(stack)
    assert m.get("meetd_responders", state="busy") >= 1     # the one answering /metrics
    assert len(stack.meetd.responder_pids()) == configured


def test_ready_reports_not_ready_without_schema(stack, make_stack, make_database):
    """A meetd pointed at an empty database is alive but not ready."""
    s = make_stack(start=False, database__name=make_database(), server__responders=1)
    s.meetd.start()            # no migrate
    s.nginx.start()
    assert stack.call("GET", "/api/v1/ready").status == 200
    assert_success(s.call("GET", "/api/v1/health"))
    body = assert_error(s.call("GET", "/api/v1/ready"), 503, "NOT_READY")
    assert body["details"]["schema"] in ("outdated", "unknown")
