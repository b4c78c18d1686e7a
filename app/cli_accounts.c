/* cli_accounts.c - pm-admin create-admin and purge. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "msg.h"
#include "users.h"

/* Read one line from stdin without echo when it is a terminal, after
 * showing prompt there. Returns a string the caller frees, or NULL at the
 * end of input. */
static char *read_password(const char *prompt)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (tty) {
		fprintf(stderr, "%s ", prompt);
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

/* create-admin EMAIL: a new admin account, the password from stdin. */
int cli_create_admin(struct db *db, char **argv)
{
	char norm[EMAIL_MAX + 1], *pw, id_text[24], min[8], max[8];
	struct pm_fail f = { 0 };
	int64_t id;

	if (email_check(argv[0], norm, &f) != 0)
		return cli_error("cli.invalid_email", NULL);
	if ((pw = read_password(msg_get("cli.password_prompt"))) == NULL)
		return cli_error("cli.no_password", NULL);
	if (password_check(pw, argv[0], &f) != 0) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
		snprintf(min, sizeof(min), "%d", PASSWORD_MIN);
		snprintf(max, sizeof(max), "%d", PASSWORD_MAX);
		return cli_error("cli.password_rejected", "reason",
		    msg_get(f.key), "min", min, "max", max, NULL);
	}
	id = user_create(db, argv[0], norm, pw, 1, clock_now());
	explicit_bzero(pw, strlen(pw));
	free(pw);
	if (id == DB_DUP)
		return cli_error("cli.user_exists", NULL);
	if (id < 0)
		return cli_error("cli.user_failed", "detail",
		    db_strerror((int)id), NULL);
	snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
	cli_say("cli.admin_created", "email", argv[0], "id", id_text, NULL);
	return 0;
}

/* purge: delete expired sessions, old log-in failures and sign-up
 * attempts, and devices unused for long (from cron). */
int cli_purge(struct db *db, char **argv)
{
	struct buf s = { 0 }, f = { 0 }, a = { 0 }, d = { 0 };
	struct purge_ages ages;
	struct purge_counts n = { 0 };
	int rc;

	(void)argv;
	ages.session_idle = cfg_int(CFG_SESSION_IDLE_SECONDS);
	ages.session_absolute = cfg_int(CFG_SESSION_ABSOLUTE_SECONDS);
	ages.login_window = cfg_int(CFG_LOGIN_WINDOW_SECONDS);
	ages.signup_window = cfg_int(CFG_SIGNUP_WINDOW_SECONDS);
	ages.device_unused = cfg_int(CFG_LOGIN_DEVICE_DAYS) * 86400;
	if ((rc = accounts_purge(db, clock_now(), &ages, &n)) < 0)
		return cli_fail(rc, NULL);
	msg_count(&s, "cli.sessions", n.sessions);
	msg_count(&f, "cli.failures", n.failures);
	msg_count(&a, "cli.signups", n.signups);
	msg_count(&d, "cli.devices", n.devices);
	cli_say("cli.purged", "sessions", buf_cstr(&s), "failures",
	    buf_cstr(&f), "signups", buf_cstr(&a), "devices", buf_cstr(&d), NULL);
	buf_free(&s);
	buf_free(&f);
	buf_free(&a);
	buf_free(&d);
	return 0;
}
