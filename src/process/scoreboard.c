/*
 * scoreboard.c — see scoreboard.h. Relaxed atomics are enough: counters are
 * independent, and the master only needs an eventually-consistent view of a
 * slot to decide about timeouts (a stale read delays a kill by one tick).
 */
#include <string.h>
#include <sys/mman.h>

#include "core/clock.h"
#include "process/scoreboard.h"

const int64_t sb_latency_bounds_us[SB_LAT_BUCKETS] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, INT64_MAX
};
const int sb_statuses[SB_NSTATUS - 1] = { SB_STATUS_LIST };

struct scoreboard *
sb_create(void)
{
	void *p = mmap(NULL, sizeof(struct scoreboard), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void
sb_destroy(struct scoreboard *sb)
{
	if (sb != NULL)
		munmap(sb, sizeof(*sb));
}

int
sb_status_index(int status)
{
	int i;

	for (i = 0; i < SB_NSTATUS - 1; i++)
		if (sb_statuses[i] == status)
			return i;
	return SB_NSTATUS - 1;
}

void
sb_count(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

uint64_t
sb_read(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

void
sb_set_state(struct scoreboard *sb, int slot, enum slot_state st)
{
	__atomic_store_n(&sb->slots[slot].state, (int)st, __ATOMIC_RELEASE);
}

enum slot_state
sb_get_state(const struct scoreboard *sb, int slot)
{
	return (enum slot_state)__atomic_load_n(&sb->slots[slot].state, __ATOMIC_ACQUIRE);
}

static void
copy_field(char *dst, size_t cap, const char *src)
{
	size_t n = src != NULL ? strnlen(src, cap - 1) : 0;

	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

void
sb_request_begin(struct scoreboard *sb, int slot, const char *method,
    const char *path, const char *request_id)
{
	struct sb_slot *s = &sb->slots[slot];

	copy_field(s->req_method, sizeof(s->req_method), method);
	copy_field(s->req_path, sizeof(s->req_path), path);
	copy_field(s->req_id, sizeof(s->req_id), request_id);
	__atomic_store_n(&s->req_start_ms, clock_mono_ms(), __ATOMIC_RELEASE);
	sb_set_state(sb, slot, SLOT_BUSY);
}

void
sb_request_end(struct scoreboard *sb, int slot, size_t route_index,
    int status, int64_t duration_us)
{
	struct sb_metrics *m = &sb->m;
	int b;

	if (route_index >= SB_MAX_ROUTES)
		route_index = SB_MAX_ROUTES - 1;
	sb_count(&m->requests[route_index][sb_status_index(status)]);
	for (b = 0; b < SB_LAT_BUCKETS - 1 && duration_us > sb_latency_bounds_us[b]; b++)
		;
	sb_count(&m->latency[route_index][b]);
	__atomic_fetch_add(&m->latency_sum_us[route_index], (uint64_t)duration_us, __ATOMIC_RELAXED);
	__atomic_store_n(&sb->slots[slot].req_start_ms, 0, __ATOMIC_RELEASE);
	sb_set_state(sb, slot, SLOT_IDLE);
}
