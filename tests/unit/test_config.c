/* test_config.c — the key table, the INI reader and secret loading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/config.h"

static char dir[] = "/tmp/meetd-test-config-XXXXXX";

static const char *
write_file(const char *name, const char *text, mode_t mode)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

/* Loads text; returns the config (or NULL) and leaves errors in errs. */
static struct config *
load(const char *text, struct buf *errs)
{
	struct config *cfg = NULL;
	const char *path = write_file("meetd.conf", text, 0600);

	buf_reset(errs);
	config_load(path, &cfg, errs);
	return cfg;
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void
defaults_and_values(void **state)
{
	struct buf errs;
	struct config *cfg;

	(void)state;
	buf_init(&errs, 8192);
	cfg = load("# comment\n; comment\n\n[server]\nresponders = 8\nbody_limit = 2m\n"
	    "listen = /tmp/x.sock\n[auth]\njwt_algorithm = RS256\nregistration = off\n"
	    "[log]\nlevel = debug\n", &errs);
	assert_non_null(cfg);
	assert_int_equal(errs.len, 0);
	assert_int_equal(cfg->responders, 8);
	assert_int_equal(cfg->body_limit, 2 * 1024 * 1024);
	assert_int_equal(cfg->body_limit_anonymous, 16 * 1024);      /* default */
	assert_string_equal(cfg->listen, "/tmp/x.sock");
	assert_int_equal(cfg->jwt_algorithm, CFG_JWT_RS256);
	assert_false(cfg->registration);
	assert_int_equal(cfg->log_level, LOG_DEBUG);
	assert_int_equal(cfg->request_timeout, 30);
	assert_string_equal(cfg->db_name, "meetd");
	assert_null(cfg->jwt_issuer);
	config_free(cfg);
	config_free(NULL);
	buf_free(&errs);
}

/* Each broken line is refused and the message names file and line. */
static void
errors_name_the_line(void **state)
{
	static const struct { const char *text; const char *expect; } cases[] = {
		{ "[server]\nbogus = 1\n", ":2: unknown key 'bogus'" },
		{ "[nope]\nx = 1\n", ":1: unknown section [nope]" },
		{ "[server]\nresponders = 2\nresponders = 3\n", ":3: duplicate key" },
		{ "[server]\nresponders = 0\n", ":2: server.responders" },
		{ "[server]\nresponders = 257\n", "(1..256)" },
		{ "[server]\nresponders = 4x\n", ":2:" },
		{ "[server]\nlisten = relative.sock\n", "absolute path" },
		{ "[server]\nlisten_mode = 999\n", "octal" },
		{ "[server]\nbody_limit = 5t\n", "size" },
		{ "[auth]\njwt_leeway = 61\n", "(0..60)" },
		{ "[auth]\njwt_algorithm = none\n", "HS256, RS256 or ES256" },
		{ "[auth]\nregistration = maybe\n", "on or off" },
		{ "[log]\nlevel = loud\n", "debug, info" },
		{ "responders = 4\n", ":1: key 'responders' outside any [section]" },
		{ "[server]\njust words\n", ":2: expected 'key = value'" },
		{ "[server\n", ":1: malformed section header" },
		{ "[server]\nbody_limit = 1k\nbody_limit_anonymous = 2k\n", "must not exceed" },
		{ "[server]\nlisten =\n", "server.listen must be set" },
	};
	struct buf errs;

	(void)state;
	buf_init(&errs, 8192);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config *cfg = load(cases[i].text, &errs);
		if (cfg != NULL || strstr(buf_cstr(&errs), cases[i].expect) == NULL)
			fail_msg("case %zu: expected '%s', got '%s'", i, cases[i].expect, buf_cstr(&errs));
	}
	/* every problem is reported, not just the first */
	assert_null(load("[server]\nbogus = 1\nresponders = 0\n[x]\n", &errs));
	assert_non_null(strstr(buf_cstr(&errs), ":2:"));
	assert_non_null(strstr(buf_cstr(&errs), ":3:"));
	assert_non_null(strstr(buf_cstr(&errs), ":4:"));
	buf_free(&errs);
}

static void
secrets_from_files_and_credentials(void **state)
{
	struct buf errs;
	struct config *cfg;
	char text[1024], key[512];

	(void)state;
	buf_init(&errs, 8192);
	snprintf(key, sizeof(key), "%s", write_file("jwt.key", "0123456789abcdef0123456789abcdef-secret\n", 0600));
	snprintf(text, sizeof(text), "[auth]\njwt_key_file = %s\n", key);
	cfg = load(text, &errs);
	assert_non_null(cfg);
	assert_int_equal(config_load_secrets(cfg, &errs), ERR_OK);
	assert_int_equal(cfg->jwt_key.len, 39);          /* trailing newline stripped */
	config_free(cfg);

	/* a world-readable secret is refused */
	chmod(key, 0644);
	cfg = load(text, &errs);
	assert_int_equal(config_load_secrets(cfg, &errs), ERR_CONFIG);
	assert_non_null(strstr(buf_cstr(&errs), "readable by every user"));
	config_free(cfg);

	/* too short for HS256 */
	snprintf(key, sizeof(key), "%s", write_file("short.key", "short\n", 0600));
	snprintf(text, sizeof(text), "[auth]\njwt_key_file = %s\n", key);
	cfg = load(text, &errs);
	assert_int_equal(config_load_secrets(cfg, &errs), ERR_CONFIG);
	assert_non_null(strstr(buf_cstr(&errs), "at least 32 bytes"));
	config_free(cfg);

	/* RS256 needs a PEM public key */
	snprintf(text, sizeof(text), "[auth]\njwt_algorithm = RS256\njwt_key_file = %s\n", key);
	cfg = load(text, &errs);
	assert_int_equal(config_load_secrets(cfg, &errs), ERR_CONFIG);
	config_free(cfg);

	/* a credential name resolves in $CREDENTIALS_DIRECTORY; without it
	 * (outside systemd), in credentials/ beside the config file */
	write_file("cred.key", "abcdefghijklmnopqrstuvwxyz0123456789", 0600);
	cfg = load("[auth]\njwt_key_file = cred.key\n", &errs);
	unsetenv("CREDENTIALS_DIRECTORY");
	buf_reset(&errs);
	assert_int_equal(config_load_secrets(cfg, &errs), ERR_CONFIG);
	assert_non_null(strstr(buf_cstr(&errs), "/credentials/cred.key"));
	assert_non_null(strstr(buf_cstr(&errs), "CREDENTIALS_DIRECTORY"));
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	buf_reset(&errs);
	assert_int_equal(config_load_secrets(cfg, &errs), ERR_OK);
	assert_int_equal(cfg->jwt_key.len, 36);
	config_free(cfg);
	snprintf(key, sizeof(key), "%s/credentials", dir);
	assert_int_equal(mkdir(key, 0700), 0);
	write_file("credentials/cred.key", "fallback-fallback-fallback-fallback-fallback", 0600);
	cfg = load("[auth]\njwt_key_file = cred.key\n", &errs);
	assert_int_equal(config_load_secrets(cfg, &errs), ERR_OK);
	assert_int_equal(cfg->jwt_key.len, 36);          /* the environment wins */
	config_free(cfg);
	unsetenv("CREDENTIALS_DIRECTORY");
	cfg = load("[auth]\njwt_key_file = cred.key\n", &errs);
	assert_int_equal(config_load_secrets(cfg, &errs), ERR_OK);
	assert_int_equal(cfg->jwt_key.len, 44);          /* the directory beside the config */
	config_free(cfg);
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	cfg = load("[auth]\njwt_key_file = ../etc/passwd\n", &errs);
	assert_int_equal(config_load_secrets(cfg, &errs), ERR_CONFIG);
	config_free(cfg);
	unsetenv("CREDENTIALS_DIRECTORY");
	buf_free(&errs);
}

static void
describe_lists_every_key(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 20);
	config_describe(&b);
	assert_non_null(strstr(buf_cstr(&b), "[server]"));
	assert_non_null(strstr(buf_cstr(&b), "responders = 4"));
	assert_non_null(strstr(buf_cstr(&b), "jwt_leeway = 30"));
	assert_non_null(strstr(buf_cstr(&b), "(0..60)"));
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_and_values),
		cmocka_unit_test(errors_name_the_line),
		cmocka_unit_test(secrets_from_files_and_credentials),
		cmocka_unit_test(describe_lists_every_key),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
