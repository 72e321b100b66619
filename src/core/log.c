/*
 * log.c — JSON-lines logger; see log.h. A single static line buffer is
 * enough because every process is single-threaded and a line is finished
 * before the next begins.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include "core/log.h"

#define LINE_MAX_BYTES (64 * 1024)

struct logline {
	struct buf buf;
	struct jsonw w;
};

static const char *const level_names[LOG__MAX] = { "debug", "info", "warn", "error" };
static enum log_level min_level = LOG_INFO;
static const char *proc_name = "meetd";
static const char *request_id;
static struct logline line;
static bool line_ready;

void
log_setup(enum log_level min, const char *proc)
{
	min_level = min;
	proc_name = proc;
}

void
log_set_request_id(const char *rid)
{
	request_id = rid;
}

bool
log_enabled(enum log_level level)
{
	return level >= min_level;
}

bool
log_level_parse(const char *s, enum log_level *out)
{
	int i;

	for (i = 0; i < LOG__MAX; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	return false;
}

struct logline *
log_begin(enum log_level level, const char *event)
{
	char ts[32];
	int64_t ms = clock_wall_ms();
	char iso[CLOCK_ISO_LEN];

	if (level < min_level)
		return NULL;
	if (!line_ready) {
		buf_init(&line.buf, LINE_MAX_BYTES);
		line_ready = true;
	}
	buf_reset(&line.buf);
	jw_init(&line.w, &line.buf);
	clock_iso8601(ms / 1000, iso);
	/* millisecond precision: "...:SS.mmmZ" */
	snprintf(ts, sizeof(ts), "%.19s.%03dZ", iso, (int)(ms % 1000));
	jw_obj_open(&line.w);
	jw_kstr(&line.w, "ts", ts);
	jw_kstr(&line.w, "level", level_names[level]);
	jw_kint(&line.w, "pid", (int64_t)getpid());
	jw_kstr(&line.w, "proc", proc_name);
	jw_kstr(&line.w, "event", event);
	if (request_id != NULL)
		jw_kstr(&line.w, "request_id", request_id);
	return &line;
}

void
log_str(struct logline *l, const char *key, const char *value)
{
	if (l != NULL)
		jw_kstr(&l->w, key, value);
}

void
log_int(struct logline *l, const char *key, int64_t value)
{
	if (l != NULL)
		jw_kint(&l->w, key, value);
}

void
log_end(struct logline *l)
{
	const char *p;
	size_t n;

	if (l == NULL)
		return;
	jw_obj_close(&l->w);
	buf_putc(&l->buf, '\n');
	if (l->buf.failed) {
		/* too long or out of memory: say so rather than emit bad JSON */
		buf_reset(&l->buf);
		buf_puts(&l->buf, "{\"level\":\"error\",\"event\":\"log_overflow\"}\n");
	}
	p = l->buf.data;
	n = l->buf.len;
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

void
log_msg(enum log_level level, const char *event, const char *fmt, ...)
{
	struct logline *l = log_begin(level, event);
	char msg[2048];
	va_list ap;

	if (l == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_str(l, "msg", msg);
	log_end(l);
}
