/*
 * users_cli.c — `meetd user list|show|disable|enable|sign-out|delete`, the
 * operator's side of users.c, run against the configured database. Each
 * user is printed as one JSON object on a line, so the output reads well
 * and pipes into jq. Exit status: 0 done, 1 failed, 2 usage.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "store/db.h"
#include "core/jsonw.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/rand.h"
#include "domain/users.h"
#include "cli/users_cli.h"

#define CLI_ARENA_MAX (8u << 20)
#define CLI_LIST_PAGE 200

static void
print_user(const struct user *u)
{
	struct buf b;
	struct jsonw w;

	buf_init(&b, 1 << 16);
	jw_init(&w, &b);
	jw_obj_open(&w);
	jw_kstr(&w, "id", u->id);
	jw_kstr(&w, "kind", u->kind);
	jw_kstr_or_null(&w, "email", u->email);
	jw_kstr(&w, "display_name", u->display_name);
	jw_kstr(&w, "role", u->role);
	jw_kstr(&w, "created_at", u->created_at);
	jw_kstr_or_null(&w, "guest_meeting_id", u->guest_meeting_id);
	jw_kstr_or_null(&w, "disabled_at", u->disabled_at);
	jw_kstr_or_null(&w, "deleted_at", u->deleted_at);
	jw_obj_close(&w);
	printf("%s\n", buf_cstr(&b));
	buf_free(&b);
}

static int
usage(void)
{
	fprintf(stderr, "usage: meetd [-c FILE] user list | show ID | disable ID | enable ID | "
	    "sign-out ID | delete ID\n");
	return 2;
}

static enum err
list_all(struct db *db, struct arena *a)
{
	char after[ULID_LEN + 1] = "";
	struct user *page;
	size_t n, i;
	enum err e;

	do {
		arena_reset(a);
		if ((e = users_list(db, a, after, CLI_LIST_PAGE, &page, &n)) != ERR_OK)
			return e;
		for (i = 0; i < n; i++)
			print_user(&page[i]);
		if (n > 0)
			memcpy(after, page[n - 1].id, ULID_LEN + 1);
	} while (n == CLI_LIST_PAGE);
	return ERR_OK;
}

static enum err
run(struct db *db, struct arena *a, const char *verb, const char *id)
{
	struct user u;
	enum err e;

	if (strcmp(verb, "list") == 0)
		return list_all(db, a);
	if (strcmp(verb, "disable") == 0)
		e = users_set_disabled(db, a, id, true);
	else if (strcmp(verb, "enable") == 0)
		e = users_set_disabled(db, a, id, false);
	else if (strcmp(verb, "sign-out") == 0)
		e = users_sign_out_everywhere(db, a, id, (int64_t)time(NULL));
	else if (strcmp(verb, "delete") == 0)
		e = users_delete(db, a, id);
	else
		e = ERR_OK;             /* show */
	if (e == ERR_OK && (e = users_get(db, a, id, &u)) == ERR_OK)
		print_user(&u);
	return e;
}

int
users_cli_main(const struct config *cfg, int argc, char **argv)
{
	static const char *const verbs[] = { "list", "show", "disable", "enable", "sign-out", "delete" };
	const char *verb, *id = NULL;
	struct arena *a = NULL;
	struct db *db = NULL;
	bool known = false;
	size_t i;
	enum err e;

	if (argc < 1)
		return usage();
	verb = argv[0];
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		known |= strcmp(verb, verbs[i]) == 0;
	if (!known || (strcmp(verb, "list") == 0 ? argc != 1 : argc != 2))
		return usage();
	if (argc == 2 && !ulid_valid(id = argv[1])) {
		fprintf(stderr, "meetd user: %s is not a user id\n", argv[1]);
		return 1;
	}
	if ((a = arena_new(CLI_ARENA_MAX)) == NULL || (db = db_new(cfg, NULL)) == NULL)
		e = ERR_NOMEM;
	else if ((e = db_connect(db)) == ERR_OK)
		e = run(db, a, verb, id);
	db_free(db);
	arena_free(a);
	if (e == ERR_USER_NOT_FOUND)
		fprintf(stderr, "meetd user: no user %s\n", id != NULL ? id : "");
	else if (e != ERR_OK)
		fprintf(stderr, "meetd user: %s failed (%s)\n", verb, err_code(e));
	return e == ERR_OK ? 0 : 1;
}
