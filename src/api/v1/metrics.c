/*
 * metrics.c — Prometheus text exposition (format 0.0.4) of the shared
 * scoreboard. Any responder can answer because the counters live in the
 * master's shared mapping. nginx admits /metrics from loopback only.
 */
#include "api/api.h"
#include "config/config.h"
#include "core/app.h"
#include "http/router.h"
#include "process/scoreboard.h"

static const char *
route_label(size_t i)
{
	return i < routes_count ? routes[i].name : "unmatched";
}

static void
counter(struct buf *b, const char *name, const char *help, uint64_t v)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
	    (unsigned long long)v);
}

enum err
api_metrics(struct request *rq, struct response *rs)
{
	struct scoreboard *sb = rq->ctx.app->sb;
	struct sb_metrics *m;
	struct buf *b;
	size_t r;
	int s, busy = 0, idle = 0, i;

	if (sb == NULL)
		return request_fail(rq, ERR_NOT_CONFIGURED, "Metrics need the process manager");
	m = &sb->m;
	b = resp_raw(rs, 200, "text/plain; version=0.0.4; charset=utf-8");

	buf_puts(b, "# HELP meetd_http_requests_total Requests answered, by route and status.\n"
	    "# TYPE meetd_http_requests_total counter\n");
	for (r = 0; r <= routes_count && r < SB_MAX_ROUTES; r++) {
		for (s = 0; s < SB_NSTATUS; s++) {
			uint64_t v = sb_read(&m->requests[r][s]);
			if (v == 0)
				continue;
			if (s < SB_NSTATUS - 1)
				buf_printf(b, "meetd_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
				    route_label(r), sb_statuses[s], (unsigned long long)v);
			else
				buf_printf(b, "meetd_http_requests_total{route=\"%s\",status=\"other\"} %llu\n",
				    route_label(r), (unsigned long long)v);
		}
	}
	buf_puts(b, "# HELP meetd_http_request_duration_seconds Time from accept to answer, by route.\n"
	    "# TYPE meetd_http_request_duration_seconds histogram\n");
	for (r = 0; r <= routes_count && r < SB_MAX_ROUTES; r++) {
		uint64_t cum = 0;
		for (s = 0; s < SB_LAT_BUCKETS; s++)
			cum += sb_read(&m->latency[r][s]);
		if (cum == 0)
			continue;
		cum = 0;
		for (s = 0; s < SB_LAT_BUCKETS; s++) {
			cum += sb_read(&m->latency[r][s]);
			if (s < SB_LAT_BUCKETS - 1)
				buf_printf(b, "meetd_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
				    route_label(r), (double)sb_latency_bounds_us[s] / 1e6, (unsigned long long)cum);
			else
				buf_printf(b, "meetd_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
				    route_label(r), (unsigned long long)cum);
		}
		buf_printf(b, "meetd_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
		    route_label(r), (double)sb_read(&m->latency_sum_us[r]) / 1e6);
		buf_printf(b, "meetd_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
		    route_label(r), (unsigned long long)cum);
	}
	for (i = 0; i < SB_MAX_SLOTS; i++) {
		enum slot_state st = sb_get_state(sb, i);
		if (st == SLOT_BUSY)
			busy++;
		else if (st == SLOT_IDLE)
			idle++;
	}
	buf_printf(b, "# HELP meetd_responders Responder processes by state.\n"
	    "# TYPE meetd_responders gauge\nmeetd_responders{state=\"busy\"} %d\n"
	    "meetd_responders{state=\"idle\"} %d\n", busy, idle);
	counter(b, "meetd_responder_respawns_total", "Responders started to replace others.", sb_read(&m->respawns));
	counter(b, "meetd_responder_crashes_total", "Responders that died abnormally.", sb_read(&m->crashes));
	counter(b, "meetd_responder_timeouts_total", "Responders killed past request_timeout.", sb_read(&m->timeouts));
	counter(b, "meetd_responder_recycles_total", "Responders that exited after max_requests.", sb_read(&m->recycles));
	counter(b, "meetd_db_errors_total", "Database errors seen by responders.", sb_read(&m->db_errors));
	counter(b, "meetd_db_tx_retries_total",
	    "Transactions and statements run again after a deadlock or lock wait timeout.",
	    sb_read(&m->db_tx_retries));
	counter(b, "meetd_realtime_published_total",
	    "Events nchan nodes took from responders (one per node).", sb_read(&m->rt_published));
	counter(b, "meetd_realtime_publish_failed_total",
	    "Publishes to nchan that failed; the worker publishes them from the outbox.",
	    sb_read(&m->rt_publish_failed));
	counter(b, "meetd_limiter_full_total",
	    "Rate-limit takes let through because the limiter's table was full (raise its MAX_ROWS).",
	    sb_read(&m->limiter_full));
	buf_printf(b, "# HELP meetd_degraded 1 while responders are crash-looping.\n"
	    "# TYPE meetd_degraded gauge\nmeetd_degraded %d\n", sb->degraded ? 1 : 0);
	buf_printf(b, "# HELP meetd_build_info Build version.\n# TYPE meetd_build_info gauge\n"
	    "meetd_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	return ERR_OK;
}
