/*
 * response.c — the envelope writer. The timestamp is written last so it is
 * the time the answer was produced, as in 001's examples.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "http/response.h"

void
resp_init(struct response *rs)
{
	memset(rs, 0, sizeof(*rs));
	buf_init(&rs->headers, RESP_HEADERS_MAX);
	buf_init(&rs->body, RESP_BODY_MAX);
}

void
resp_free(struct response *rs)
{
	buf_free(&rs->headers);
	buf_free(&rs->body);
}

void
resp_reset(struct response *rs)
{
	rs->status = 0;
	rs->kind = RESP_NONE;
	rs->content_type = NULL;
	buf_reset(&rs->headers);
	buf_reset(&rs->body);
}

void
resp_header(struct response *rs, const char *name, const char *value)
{
	if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL)
		return;
	buf_printf(&rs->headers, "%s: %s\r\n", name, value);
}

struct jsonw *
resp_data(struct response *rs, int status, const char *message)
{
	rs->status = status;
	rs->kind = RESP_ENVELOPE;
	buf_reset(&rs->body);
	jw_init(&rs->w, &rs->body);
	jw_obj_open(&rs->w);
	jw_kstr(&rs->w, "status", "success");
	jw_kstr(&rs->w, "message", message);
	jw_key(&rs->w, "data");
	return &rs->w;
}

struct jsonw *
resp_json(struct response *rs, int status)
{
	jw_init(&rs->w, resp_raw(rs, status, "application/json; charset=utf-8"));
	return &rs->w;
}

struct buf *
resp_raw(struct response *rs, int status, const char *content_type)
{
	rs->status = status;
	rs->kind = RESP_RAW;
	rs->content_type = content_type;
	buf_reset(&rs->body);
	return &rs->body;
}

/* 000's clients read a snake_case "error": its own names where the
 * document gives one (`zoom_not_configured`, `rate_limit_exceeded`), else
 * the canonical code in lower case. */
static void
error_000(enum err e, char *out, size_t n)
{
	const char *platform = err_platform(e), *code = err_code(e);
	size_t i;

	if (platform != NULL) {
		snprintf(out, n, "%s_not_configured", platform);
		return;
	}
	for (i = 0; code[i] != '\0' && i + 1 < n; i++)
		out[i] = (char)tolower((unsigned char)code[i]);
	out[i] = '\0';
}

void
resp_error(struct response *rs, enum err e, const struct errinfo *info, enum face face)
{
	const char *platform = err_platform(e);
	size_t i;

	rs->status = err_http_status(e);
	rs->kind = RESP_ENVELOPE;
	buf_reset(&rs->body);
	jw_init(&rs->w, &rs->body);
	jw_obj_open(&rs->w);
	jw_kstr(&rs->w, "status", "error");
	jw_kstr(&rs->w, "message",
	    info != NULL && info->message != NULL ? info->message : err_message(e));
	jw_kstr(&rs->w, "code", err_code(e));
	if (face == FACE_004)
		jw_kstr(&rs->w, "detail",
		    info != NULL && info->message != NULL ? info->message : err_message(e));
	if (face == FACE_003)
		jw_kbool(&rs->w, "success", false);
	if (face == FACE_000) {
		char legacy[64];

		error_000(e, legacy, sizeof(legacy));
		jw_kstr(&rs->w, "error", legacy);
	}
	jw_key(&rs->w, "details");
	jw_obj_open(&rs->w);
	if (platform != NULL)
		jw_kstr(&rs->w, "platform", platform);
	if (info != NULL && info->limit != NULL && info->limit->applied) {
		char reset[CLOCK_ISO_LEN];

		clock_iso8601(info->limit->reset_epoch_s, reset);
		jw_kint(&rs->w, "limit", info->limit->limit);
		jw_kint(&rs->w, "window", info->limit->window_s);
		jw_kstr(&rs->w, "reset_at", reset);
	}
	for (i = 0; info != NULL && i < info->nfields; i++)
		jw_kstr(&rs->w, info->field[i], info->reason[i]);
	for (i = 0; info != NULL && i < info->nextra; i++) {
		jw_key(&rs->w, info->extra_key[i]);
		jw_raw(&rs->w, info->extra_json[i], strlen(info->extra_json[i]));
	}
	jw_obj_close(&rs->w);
}

void
resp_finish(struct response *rs)
{
	char ts[CLOCK_ISO_LEN];

	if (rs->kind != RESP_ENVELOPE || rs->w.depth != 1)
		return;
	clock_iso8601((int64_t)time(NULL), ts);
	jw_kstr(&rs->w, "timestamp", ts);
	jw_obj_close(&rs->w);
}

void
resp_etag(struct response *rs, int64_t version)
{
	char v[32];

	snprintf(v, sizeof(v), "\"%lld\"", (long long)version);
	resp_header(rs, "ETag", v);
}
