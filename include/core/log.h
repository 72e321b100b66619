/*
 * log.h — structured logging: one JSON object per line on stderr, written
 * with a single write(2) so lines from several processes never interleave
 * and journald stores each record whole (no 1024-byte cut, no decoration).
 *
 * Every line carries ts, level, pid, proc ("master", "responder", ...) and,
 * while a request is being served, its request_id.
 *
 *     struct logline *l = log_begin(LOG_INFO, "access");
 *     log_str(l, "path", path);
 *     log_int(l, "status", 200);
 *     log_end(l);
 *
 * Never pass a secret (token, password, passcode, key) to any of these.
 */
#ifndef MEETD_LOG_H
#define MEETD_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG__MAX };

struct logline;

void log_setup(enum log_level min, const char *proc);
/* Borrowed pointer, kept until the next call; NULL clears. */
void log_set_request_id(const char *request_id);
bool log_enabled(enum log_level level);
/* log_begin returns NULL when the level is filtered; the other calls accept NULL. */
struct logline *log_begin(enum log_level level, const char *event);
void log_str(struct logline *l, const char *key, const char *value);
void log_int(struct logline *l, const char *key, int64_t value);
void log_end(struct logline *l);
/* One-shot: {"event":event,"msg":formatted}. */
void log_msg(enum log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Parses "debug", "info", "warn", "error"; false if none. */
bool log_level_parse(const char *s, enum log_level *out);

#endif
