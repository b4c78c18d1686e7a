/* main_admin.c - pm-admin: operate a Prompt Manager installation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "admission.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "migrate.h"
#include "models.h"
#include "plans.h"
#include "prompts.h"
#include "upstream.h"
#include "users.h"
#include "util.h"

struct command {
	const char	*name;		/* one word, or two ("plans load") */
	int		 nargs;		/* arguments required... */
	int		 maxargs;	/* ...and allowed */
	const char	*args;
	const char	*help;
	int		(*fn)(struct db *db, char **argv);
};

static int cmd_migrate(struct db *db, char **argv)
{
	int n = migrate_run(db, cfg_str(CFG_MIGRATIONS_DIR), stdout);

	(void)argv;
	if (n < 0)
		return 1;
	printf("%d migration%s applied\n", n, n == 1 ? "" : "s");
	return 0;
}

/* Read one line from stdin without echo when it is a terminal. Returns a
 * string the caller frees, or NULL on end of input. */
static char *read_password(const char *prompt)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	}
	n = getline(&line, &cap, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
		fprintf(stderr, "\n");
	}
	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

static int cmd_create_admin(struct db *db, char **argv)
{
	char norm[EMAIL_MAX + 1], *pw;
	const char *bad;
	int64_t id;

	if ((bad = email_check(argv[0], norm)) != NULL) {
		fprintf(stderr, "pm-admin: invalid email address\n");
		return 1;
	}
	if ((pw = read_password("Password for the new admin: ")) == NULL) {
		fprintf(stderr, "pm-admin: no password on standard input\n");
		return 1;
	}
	if ((bad = password_check(pw, argv[0])) != NULL) {
		fprintf(stderr, "pm-admin: password rejected (%s): use %d to %d"
		    " characters, not a common password, not the email\n",
		    bad, PASSWORD_MIN, PASSWORD_MAX);
		explicit_bzero(pw, strlen(pw));
		free(pw);
		return 1;
	}
	id = user_create(db, argv[0], norm, pw, 1, clock_now());
	explicit_bzero(pw, strlen(pw));
	free(pw);
	if (id == DB_DUP) {
		fprintf(stderr, "pm-admin: a user with this email already exists\n");
		return 1;
	}
	if (id < 0) {
		fprintf(stderr, "pm-admin: cannot create the user: %s\n",
		    db_strerror((int)id));
		return 1;
	}
	printf("admin %s created (id %lld)\n", argv[0], (long long)id);
	return 0;
}

static int cmd_config(struct db *db, char **argv)
{
	int i;

	(void)db;
	(void)argv;
	for (i = 0; i < CFG__MAX; i++)
		printf("%-28s = %-40s # %s\n", config_keys[i].name, cfg_str(i),
		    config_keys[i].description);
	return 0;
}

/* models free-tier MODEL on|off: whether the FREE plan may use a model. */
static int cmd_models_free_tier(struct db *db, char **argv)
{
	int on = strcmp(argv[1], "on") == 0, rc;

	if (!on && strcmp(argv[1], "off") != 0) {
		fprintf(stderr, "pm-admin: say on or off, not %s\n", argv[1]);
		return 1;
	}
	if ((rc = model_set_free_tier(db, argv[0], on)) != 0) {
		fprintf(stderr, "pm-admin: %s\n", rc == PM_NOTFOUND ?
		    "no such model (run pm-admin models sync first)" :
		    db_strerror(rc));
		return 1;
	}
	printf("%s: free tier %s\n", argv[0], on ? "on" : "off");
	return 0;
}

/* purge: delete expired sessions and old log-in failures (from cron). */
static int cmd_purge(struct db *db, char **argv)
{
	int64_t sessions = 0, failures = 0;
	int rc = accounts_purge(db, clock_now(),
	    cfg_int(CFG_SESSION_IDLE_SECONDS), cfg_int(CFG_SESSION_ABSOLUTE_SECONDS),
	    cfg_int(CFG_LOGIN_WINDOW_SECONDS), &sessions, &failures);

	(void)argv;
	if (rc < 0) {
		fprintf(stderr, "pm-admin: %s\n", db_strerror(rc));
		return 1;
	}
	printf("%lld expired session%s and %lld old log-in failure%s deleted\n",
	    (long long)sessions, sessions == 1 ? "" : "s",
	    (long long)failures, failures == 1 ? "" : "s");
	return 0;
}

/* executions sweep: settle runs left RUNNING by a worker that died. */
static int cmd_executions_sweep(struct db *db, char **argv)
{
	int64_t now = clock_now();
	int n = admission_sweep(db, now);

	(void)argv;
	if (n < 0) {
		fprintf(stderr, "pm-admin: %s\n", db_strerror(n));
		return 1;
	}
	printf("%d interrupted execution%s settled\n", n, n == 1 ? "" : "s");
	return 0;
}

static const struct command commands[] = {
	{ "migrate", 0, 0, "", "apply pending database migrations", cmd_migrate },
	{ "create-admin", 1, 1, "EMAIL",
	  "create an admin account (password read from standard input)",
	  cmd_create_admin },
	{ "config", 0, 0, "", "print the effective configuration", cmd_config },
	{ "plans load", 1, 1, "FILE",
	  "load a plan catalog (conf/plans/NAME.json) and make it active",
	  admin_plans_load },
	{ "set-plan", 2, 2, "EMAIL PLAN", "assign a plan to a user by hand",
	  admin_set_plan },
	{ "models sync", 0, 2, "[--file F]",
	  "load the model catalog from OpenRouter (or a JSON file)",
	  admin_models_sync },
	{ "models free-tier", 2, 2, "MODEL on|off",
	  "allow or forbid a model on the free plan", cmd_models_free_tier },
	{ "executions sweep", 0, 0, "",
	  "settle runs left RUNNING by a worker that died (workers also do it)",
	  cmd_executions_sweep },
	{ "purge", 0, 0, "",
	  "delete expired sessions and old log-in failures (run daily)",
	  cmd_purge },
};

static void usage(void)
{
	size_t i;

	fprintf(stderr, "usage: pm-admin [-c config-file] COMMAND [ARGS]\n\n");
	for (i = 0; i < NELEM(commands); i++)
		fprintf(stderr, "  %-17s %-13s %s\n", commands[i].name,
		    commands[i].args, commands[i].help);
	exit(2);
}

int main(int argc, char *argv[])
{
	static struct config conf;
	const struct command *c = NULL;
	const char *path = NULL;
	struct buf err = { 0 };
	struct db *db = NULL;
	size_t i;
	int ch, rc;

	while ((ch = getopt(argc, argv, "+c:h")) != -1) {
		if (ch == 'c')
			path = optarg;
		else
			usage();
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	for (i = 0; i < NELEM(commands); i++) {
		const char *n = commands[i].name, *sp = strchr(n, ' ');

		if (sp == NULL && strcmp(argv[0], n) == 0)
			c = &commands[i];
		else if (sp != NULL && argc >= 2 &&
		    strlen(argv[0]) == (size_t)(sp - n) &&
		    strncmp(argv[0], n, (size_t)(sp - n)) == 0 &&
		    strcmp(argv[1], sp + 1) == 0)
			c = &commands[i];
		if (c != NULL)
			break;
	}
	if (c != NULL && strchr(c->name, ' ') != NULL) {
		argc--;
		argv++;
	}
	if (c == NULL || argc - 1 < c->nargs || argc - 1 > c->maxargs)
		usage();
	if (path == NULL)
		path = config_default_path();
	log_init("pm-admin", LOG_WARN);
	if (config_load(&conf, path, &err) != 0) {
		fprintf(stderr, "pm-admin: configuration: %s\n", buf_cstr(&err));
		return 1;
	}
	cfg = &conf;
	if (strcmp(c->name, "config") != 0) {
		if ((db = db_open(&err)) == NULL) {
			fprintf(stderr, "pm-admin: %s\n", buf_cstr(&err));
			return 1;
		}
		if (db_ping(db) != DB_OK) {
			fprintf(stderr, "pm-admin: cannot reach the database (%s)\n",
			    cfg_str(CFG_DB_SOCKET)[0] ? cfg_str(CFG_DB_SOCKET) :
			    cfg_str(CFG_DB_HOST));
			db_close(db);
			return 1;
		}
	}
	rc = c->fn(db, argv + 1);
	upstream_global_cleanup();	/* libcurl starts only when used */
	db_close(db);
	config_free(&conf);
	buf_free(&err);
	return rc;
}
