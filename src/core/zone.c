/*
 * zone.c — see zone.h. The name is checked character by character before
 * it comes near the file system: letters, digits, '_', '+', '-' and '/'
 * between non-empty parts, never "." or "..". Then the file must be a TZif
 * file (RFC 8536), not merely exist.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/zone.h"

static bool
name_ok(const char *s)
{
	size_t n = strlen(s), i, part = 0;

	if (n == 0 || n > 64)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '/') {
			if (part == 0)
				return false;
			part = 0;
			continue;
		}
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '+' || c == '-'))
			return false;
		part++;
	}
	return part > 0;
}

bool
zone_exists(const char *name)
{
	char path[128], magic[4];
	int fd;
	bool ok;

	if (!name_ok(name))
		return false;
	snprintf(path, sizeof(path), "%s/%s", ZONEINFO_DIR, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	ok = read(fd, magic, 4) == 4 && memcmp(magic, "TZif", 4) == 0;
	close(fd);
	return ok;
}
