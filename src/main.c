/*
 * main.c — the meetd command line: one binary, several subcommands.
 *
 * `-c FILE` may stand anywhere on the line (before or after the subcommand).
 *
 *   meetd [-c FILE] serve          run the master and its responders
 *   meetd [-c FILE] migrate        apply pending schema migrations
 *   meetd [-c FILE] rekey          re-seal every secret at rest under the current data key
 *   meetd [-c FILE] -t             check the configuration, change nothing
 *   meetd [-c FILE] token --sub ID [--role user|admin] [--ttl SECONDS]
 *   meetd version
 *   meetd config-reference         print every key with default and help
 *   meetd routes                   print the route table (method, path, auth)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "auth/crypto.h"
#include "core/rand.h"
#include "core/log.h"
#include "process/master.h"
#include "store/migrate.h"
#include "store/rekey.h"
#include "core/parse.h"
#include "http/router.h"
#include "auth/token.h"
#include "cli/users_cli.h"
#include "process/worker.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: meetd [-c FILE] serve | worker [--once] | migrate | rekey | -t\n"
	    "       meetd [-c FILE] token --sub ID [--role user|admin] [--ttl SECONDS]\n"
	    "       meetd [-c FILE] user list | show|disable|enable|sign-out|delete USER_ID\n"
	    "       meetd version | config-reference | routes | keygen\n"
	    "default FILE: %s\n", CONFIG_DEFAULT_PATH);
}

/* fds 0-2 must be open so that nothing we open later lands on them. */
static void
sanitize_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0 && fd <= 2)
		fcntl(fd, F_SETFD, 0);
	if (fd > 2)
		close(fd);
}

/* Loads config and secrets; prints problems to stderr. */
static struct config *
load(const char *path, bool secrets)
{
	struct config *cfg = NULL;
	struct buf errs;

	buf_init(&errs, 64 * 1024);
	if (config_load(path, &cfg, &errs) != ERR_OK ||
	    (secrets && config_load_secrets(cfg, &errs) != ERR_OK)) {
		fprintf(stderr, "meetd: configuration has errors:\n%s", buf_cstr(&errs));
		config_free(cfg);
		cfg = NULL;
	}
	buf_free(&errs);
	return cfg;
}

static int
cmd_check(const char *path)
{
	struct config *cfg = load(path, true);
	struct token_policy p;
	char *tok = NULL;
	struct arena *a;
	struct token_claims claims;
	int rc = 0;

	if (cfg == NULL)
		return 1;
	/* prove the keys work: sign and verify a token in memory */
	token_policy_from_config(cfg, &p);
	if (p.sign_key != NULL) {
		a = arena_new(1 << 20);
		if (token_issue(&p, "meetd-config-test", "user", (int64_t)time(NULL), 60, &tok) != ERR_OK ||
		    token_verify(&p, tok, (int64_t)time(NULL), a, &claims) != ERR_OK) {
			fprintf(stderr, "meetd: auth keys do not work together: signing or verifying a token failed\n");
			rc = 1;
		}
		free(tok);
		arena_free(a);
	} else {
		fprintf(stderr, "meetd: note: no signing key; login and `meetd token` are disabled\n");
	}
	if (rc == 0)
		printf("meetd: configuration %s is valid\n", path);
	config_free(cfg);
	return rc;
}

static int
cmd_token(const char *path, int argc, char **argv)
{
	const char *sub = NULL, *role = "user";
	int64_t ttl = 3600;
	struct token_policy p;
	struct config *cfg;
	char *tok = NULL;
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--sub") == 0 && i + 1 < argc)
			sub = argv[++i];
		else if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
			role = argv[++i];
		else if (strcmp(argv[i], "--ttl") == 0 && i + 1 < argc) {
			if (parse_i64z(argv[++i], 60, 30 * 86400, &ttl) != ERR_OK) {
				fprintf(stderr, "meetd token: --ttl must be 60..2592000 seconds\n");
				return 2;
			}
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (sub == NULL || sub[0] == '\0' || strlen(sub) > 255 ||
	    (strcmp(role, "user") != 0 && strcmp(role, "admin") != 0)) {
		fprintf(stderr, "meetd token: --sub is required; --role is user or admin\n");
		return 2;
	}
	if ((cfg = load(path, true)) == NULL)
		return 1;
	token_policy_from_config(cfg, &p);
	if (token_issue(&p, sub, role, (int64_t)time(NULL), ttl, &tok) != ERR_OK) {
		fprintf(stderr, "meetd token: cannot sign (is auth.jwt_signing_key_file set?)\n");
		config_free(cfg);
		return 1;
	}
	printf("%s\n", tok);
	free(tok);
	config_free(cfg);
	return 0;
}

/* Prints a new 256-bit data key (secrets.key_file) as 64 hex digits. */
static int
cmd_keygen(void)
{
	unsigned char key[32];
	size_t i;

	if (!rand_bytes(key, sizeof(key))) {
		fprintf(stderr, "meetd: no randomness available\n");
		return 1;
	}
	for (i = 0; i < sizeof(key); i++)
		printf("%02x", key[i]);
	printf("\n");
	crypto_wipe(key, sizeof(key));
	return 0;
}

/*
 * Removes `-c FILE` from argv wherever it stands, so `meetd -t -c FILE`,
 * `meetd -c FILE -t` and `meetd serve -c FILE` mean the same thing (the
 * order people type varies, and systemd units, docs and scripts differ).
 * Returns the new argc, or -1 for a `-c` without a file or given twice.
 */
static int
take_config_option(int argc, char **argv, const char **path)
{
	bool seen = false;
	int r, w = 1;

	for (r = 1; r < argc; r++) {
		if (strcmp(argv[r], "-c") != 0) {
			argv[w++] = argv[r];
			continue;
		}
		if (seen || r + 1 >= argc || argv[r + 1][0] == '\0') {
			fprintf(stderr, "meetd: -c needs one configuration file, given once\n");
			return -1;
		}
		seen = true;
		*path = argv[++r];
	}
	argv[w] = NULL;
	return w;
}

int
main(int argc, char **argv)
{
	const char *path = CONFIG_DEFAULT_PATH;
	const char *cmd;
	struct config *cfg;
	int i = 1;

	sanitize_fds();
	if ((argc = take_config_option(argc, argv, &path)) < 0) {
		usage(stderr);
		return 2;
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[i++];
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("meetd %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "config-reference") == 0) {
		struct buf b;
		buf_init(&b, 1 << 20);
		config_describe(&b);
		fputs(buf_cstr(&b), stdout);
		buf_free(&b);
		return 0;
	}
	if (strcmp(cmd, "keygen") == 0)
		return cmd_keygen();
	if (strcmp(cmd, "routes") == 0) {
		static const char *const auth[AUTH__MAX] = { "none", "user", "admin", "signed", "meeting",
		    "optional", "realtime", "hook" };
		size_t r;
		for (r = 0; r < routes_count; r++)
			printf("%s %s %s %s\n", request_method_name(routes[r].method), routes[r].pattern,
			    auth[routes[r].auth], routes[r].name);
		return 0;
	}
	if (strcmp(cmd, "-t") == 0)
		return cmd_check(path);
	if (strcmp(cmd, "token") == 0)
		return cmd_token(path, argc - i, argv + i);
	if (strcmp(cmd, "migrate") == 0) {
		enum err e;
		if ((cfg = load(path, true)) == NULL)
			return 1;
		log_setup(cfg->log_level, "migrate");
		e = migrate_run(cfg);
		config_free(cfg);
		return e == ERR_OK ? 0 : 1;
	}
	if (strcmp(cmd, "user") == 0) {
		int status;
		if ((cfg = load(path, true)) == NULL)
			return 1;
		log_setup(cfg->log_level, "user");
		status = users_cli_main(cfg, argc - i, argv + i);
		config_free(cfg);
		return status;
	}
	if (strcmp(cmd, "rekey") == 0) {
		struct rekey_counts n;
		enum err e;
		if ((cfg = load(path, true)) == NULL)
			return 1;
		log_setup(cfg->log_level, "rekey");
		e = rekey_run(cfg, &n);
		printf("rekey: %lld boxes re-sealed, %lld already under the current key, %lld unreadable\n",
		    (long long)n.resealed, (long long)n.current, (long long)n.unreadable);
		config_free(cfg);
		return e == ERR_OK ? 0 : 1;
	}
	if (strcmp(cmd, "worker") == 0) {
		bool once = i < argc && strcmp(argv[i], "--once") == 0;
		int status;
		if (i < argc && !once) {
			usage(stderr);
			return 2;
		}
		if ((cfg = load(path, true)) == NULL)
			return 1;
		status = worker_run(cfg, once);
		config_free(cfg);
		return status;
	}
	if (strcmp(cmd, "serve") == 0) {
		if ((cfg = load(path, true)) == NULL)
			return 1;
		return master_run(cfg);
	}
	usage(stderr);
	return 2;
}
