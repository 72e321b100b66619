/*
 * create_body.h — the one reader of a meeting create body, for every face.
 *
 * The canonical API, the rooms app, the Wakeve proxy and the Zoom
 * integration name the same fields differently and require different ones;
 * each describes its dialect (its names, what it requires, its defaults)
 * and the rules — types, bounds, time checks — are the same table for all.
 * Every bad field is reported at once, under the face's own name.
 */
#ifndef MEETD_CREATE_BODY_H
#define MEETD_CREATE_BODY_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/meetings.h"
#include "http/request.h"

enum create_field {
	CF_TITLE, CF_DESCRIPTION, CF_START, CF_DURATION, CF_TIMEZONE, CF_LIMIT,
	CF_REQUIRE_PASSWORD, CF_WAITING_ROOM, CF_PLATFORM, CF_EVENT_ID, CF__MAX
};

#define CF_BIT(f) (1u << (f))

struct create_dialect {
	const char *name[CF__MAX];      /* the face's name of each field; NULL: not accepted */
	int64_t max[CF__MAX];           /* a tighter length bound than the canonical one; 0: none */
	unsigned required;              /* CF_BIT()s */
	const char *platform;           /* fixed platform; NULL: the body's, native by default */
	int64_t default_duration;       /* when the body has none */
	bool waiting_room_default;
};

extern const struct create_dialect create_dialect_v1;

/* Reads rq's JSON body into nm by dialect d. ERR_VALIDATION_FAILED with
 * every bad field in rq's error details; other errors as validate_body. */
enum err create_body_parse(struct request *rq, const struct create_dialect *d, struct new_meeting *nm);

/* A start and an IANA zone checked as a create checks them (ISO-8601 with
 * an offset, not in the past beyond five minutes, within ten years), for
 * bodies that carry them in other shapes; failures under the given names. */
void create_body_check_when(struct request *rq, const char *start_name, const char *start,
    const char *zone_name, const char *zone, int64_t *start_ms);

#endif
