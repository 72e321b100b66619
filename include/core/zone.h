/*
 * zone.h — IANA time zone names, checked against the system's zoneinfo
 * (tzdata), so "Europe/Paris" passes and "Mars/Base" or "../etc" do not.
 */
#ifndef MEETD_ZONE_H
#define MEETD_ZONE_H

#include <stdbool.h>

#define ZONEINFO_DIR "/usr/share/zoneinfo"

bool zone_exists(const char *name);

#endif
