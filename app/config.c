/* config.c - the configuration table, file parsing and PM_* overrides. */
#include "config.h"

#include <ctype.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

const struct config *cfg;

const struct cfg_def config_keys[CFG__MAX] = {
	{ "listen", CFG_STR, "unix:/run/prompt-manager/pm.sock",
	  "FastCGI socket: unix:/path or HOST:PORT" },
	{ "listen_mode", CFG_OCTAL, "0660",
	  "permissions of a unix FastCGI socket" },
	{ "backlog", CFG_INT, "1024", "listen(2) backlog of the FastCGI socket" },
	{ "workers", CFG_INT, "8", "number of pre-forked worker processes" },
	{ "threads", CFG_INT, "64",
	  "requests each worker process serves at once, one thread each" },
	{ "db_pool_size", CFG_INT, "4",
	  "MariaDB connections of each worker process, lent per request" },
	{ "max_runs_per_process", CFG_INT, "0",
	  "prompt runs a worker process holds at once (0: threads - 8);"
	  " more are refused with 503" },
	{ "max_runs", CFG_INT, "0",
	  "prompt runs the whole site holds at once (0: no cap beyond the"
	  " processes'); more are refused with 503" },
	{ "settle_retry_seconds", CFG_INT, "60",
	  "how long a finished run retries recording its outcome while the"
	  " database is away" },
	{ "max_requests", CFG_INT, "10000",
	  "requests a worker serves before it is replaced (0: never)" },
	{ "shutdown_timeout", CFG_INT, "30",
	  "seconds to wait for in-flight requests at shutdown before SIGKILL" },
	{ "log_level", CFG_STR, "info", "debug, info, warn or error" },
	{ "db_socket", CFG_STR, "", "MariaDB unix socket (empty: use TCP)" },
	{ "db_host", CFG_STR, "localhost", "MariaDB host when db_socket is empty" },
	{ "db_port", CFG_INT, "3306", "MariaDB TCP port" },
	{ "db_name", CFG_STR, "prompt_manager", "database name" },
	{ "db_user", CFG_STR, "prompt_manager", "database user" },
	{ "db_password_file", CFG_STR, "",
	  "file holding the database password (empty: no password)" },
	{ "db_connect_timeout", CFG_INT, "2", "seconds to wait when connecting" },
	{ "db_retries", CFG_INT, "2",
	  "reconnect-and-retry attempts after a lost connection" },
	{ "templates_dir", CFG_STR, "/usr/local/share/prompt-manager/templates",
	  "directory of HTML templates and message catalogs" },
	{ "migrations_dir", CFG_STR,
	  "/usr/local/share/prompt-manager/db/migrations",
	  "directory of NNN_name.sql migrations" },
	{ "max_body_bytes", CFG_INT, "1048576",
	  "largest request body accepted (larger: 413)" },
	{ "session_idle_seconds", CFG_INT, "604800",
	  "a session unused for this long expires" },
	{ "session_absolute_seconds", CFG_INT, "2592000",
	  "a session expires this long after log-in whatever its use" },
	{ "login_max_failures_account", CFG_INT, "5",
	  "failed log-ins per account within the window before throttling" },
	{ "login_max_failures_address", CFG_INT, "20",
	  "failed log-ins per client address within the window" },
	{ "login_window_seconds", CFG_INT, "900",
	  "window (and lock-out length) for log-in throttling" },
	{ "login_device_days", CFG_INT, "365",
	  "a device that logged in is known (not locked out) this long" },
	{ "signup_max_per_address", CFG_INT, "10",
	  "sign-up attempts per client address within the window" },
	{ "signup_max_per_network", CFG_INT, "50",
	  "sign-up attempts per /24 (IPv4) or /64 (IPv6) within the window" },
	{ "signup_window_seconds", CFG_INT, "3600",
	  "window of the sign-up limits" },
	{ "public_base_url", CFG_STR, "",
	  "the site's address as users reach it (https://prompts.example.com):"
	  " links in e-mail are built from it, never from a request's Host"
	  " (empty: no password reset or change of e-mail)" },
	{ "smtp_url", CFG_STR, "",
	  "mail server: smtp://HOST:PORT or smtps://HOST:PORT (TLS from the"
	  " start); empty: mail is queued and not sent" },
	{ "smtp_starttls", CFG_STR, "required",
	  "smtp:// only: required (refuse a server without STARTTLS), try, or"
	  " off (plain text; a server on loopback)" },
	{ "smtp_username", CFG_STR, "",
	  "user name for SMTP AUTH (empty: no authentication)" },
	{ "smtp_password_file", CFG_STR, "",
	  "file holding the SMTP AUTH password" },
	{ "smtp_ca_file", CFG_STR, "",
	  "CA certificates (PEM) that sign the mail server's certificate"
	  " (empty: the system's)" },
	{ "smtp_timeout_seconds", CFG_INT, "30",
	  "seconds one delivery may take, connection included" },
	{ "mail_from", CFG_STR, "Prompt Manager <no-reply@localhost>",
	  "sender of every message: an address, or Name <address>" },
	{ "mail_poll_seconds", CFG_INT, "5",
	  "how often each worker's sender looks for mail queued by others"
	  " (its own is sent at once)" },
	{ "mail_retry_seconds", CFG_INT, "30",
	  "wait after a first failed delivery; doubled after each failure" },
	{ "mail_retry_max_seconds", CFG_INT, "3600",
	  "longest wait between two delivery attempts" },
	{ "mail_give_up_seconds", CFG_INT, "259200",
	  "a message undelivered this long after it was queued is marked"
	  " failed (kept in mail_outbox, logged)" },
	{ "reset_token_seconds", CFG_INT, "3600",
	  "a password reset link works for this long" },
	{ "email_change_token_seconds", CFG_INT, "86400",
	  "a link confirming a new e-mail address works for this long" },
	{ "reset_max_per_address", CFG_INT, "3",
	  "links (reset, change of e-mail) asked for one address within the"
	  " window" },
	{ "reset_max_per_client", CFG_INT, "10",
	  "password reset links asked for from one client address within the"
	  " window" },
	{ "reset_window_seconds", CFG_INT, "3600",
	  "window of the reset and change-of-e-mail limits" },
	{ "demo_mail_dir", CFG_STR, "",
	  "demo and test stacks only: the directory where the local SMTP sink"
	  " writes what it caught; when set, anyone who reaches the site reads"
	  " those messages at /demo/mail (never set it on a real installation)" },
	{ "argon2_memory_kib", CFG_INT, "19456",
	  "argon2id memory cost in KiB (OWASP: 19 MiB)" },
	{ "argon2_iterations", CFG_INT, "2", "argon2id time cost" },
	{ "test_mode", CFG_BOOL, "false",
	  "enable test-only routes and the clock file (never in production)" },
	{ "clock_file", CFG_STR, "",
	  "test_mode only: file holding the current UTC time as epoch seconds" },
	{ "openrouter_base_url", CFG_STR, "https://openrouter.ai/api/v1",
	  "OpenRouter API base URL (chat/completions, models, key)" },
	{ "openrouter_key_file", CFG_STR, "",
	  "file holding the platform's OpenRouter API key (empty: no key)" },
	{ "upstream_connect_timeout_ms", CFG_INT, "5000",
	  "milliseconds to wait for the upstream connection" },
	{ "upstream_timeout_ms", CFG_INT, "120000",
	  "milliseconds an upstream call may take in all (504 after)" },
	{ "plans_dir", CFG_STR, "/usr/local/share/prompt-manager/conf/plans",
	  "directory of plan catalogs (JSON)" },
	{ "api_key_secret_file", CFG_STR, "",
	  "file holding the secret API keys are hashed with (64 hex digits)" },
	{ "vault_key_file", CFG_STR, "",
	  "file holding the master key sealing users' provider keys (64 hex digits)" },
	{ "vault_old_key_file", CFG_STR, "",
	  "during a rotation: the previous master key (opens only)" },
	{ "byok_providers_base_url", CFG_STR, "",
	  "BYOK: reach every provider of the table but OpenRouter at"
	  " <this>/<provider> (a gateway, the tests' stand-in); empty: their own"
	  " base URLs" },
	{ "byok_private_base_urls", CFG_BOOL, "false",
	  "BYOK: let a custom OpenAI-compatible base URL be plain http or on a"
	  " loopback or private network (never on a shared host)" },
	{ "byok_test_timeout_ms", CFG_INT, "15000",
	  "BYOK: milliseconds the Test of a key waits for its provider" },
	/* Billing ([8/14], Stripe) */
	{ "stripe_secret_key_file", CFG_STR, "",
	  "file holding the Stripe secret key sk_... (empty: billing is off)" },
	{ "stripe_webhook_secret_file", CFG_STR, "",
	  "file of webhook signing secrets, one whsec_... per line (several"
	  " during a rotation)" },
	{ "stripe_base_url", CFG_STR, "https://api.stripe.com",
	  "Stripe API base URL (a local stand-in in tests)" },
	{ "stripe_timeout_ms", CFG_INT, "10000",
	  "milliseconds a call to Stripe may take, retries included" },
	{ "stripe_max_retries", CFG_INT, "2",
	  "retries of a Stripe call after a network error, 409, 429 or 5xx" },
	{ "billing_grace_days", CFG_INT, "7",
	  "days a past_due subscription keeps its plan before the downgrade" },
	{ "run_threads", CFG_INT, "4",
	  "background threads per worker running the samples of regression"
	  " runs and benchmarks (0: this process runs none)" },
	{ "run_poll_ms", CFG_INT, "500",
	  "how often an idle background thread looks for samples queued by"
	  " other processes (its own process's are taken at once)" },
	{ "run_wait_seconds", CFG_INT, "600",
	  "longest wait of an API request asking for a run's end (\"wait\":"
	  " true); after it the answer is 202 with the run as it stands" },
};

static int set_value(struct config *c, enum cfg_key k, const char *val,
    const char *where, struct buf *err)
{
	const struct cfg_def *d = &config_keys[k];
	int64_t n = 0;
	char *end;

	switch (d->type) {
	case CFG_STR:
		break;
	case CFG_INT:
		if (parse_i64(val, 0, INT64_MAX, &n) != 0) {
			buf_printf(err, "%s: %s must be a non-negative integer",
			    where, d->name);
			return -1;
		}
		break;
	case CFG_OCTAL:
		errno = 0;
		n = strtol(val, &end, 8);
		if (*val == '\0' || *end != '\0' || errno || n < 0 ||
		    n > 07777) {
			buf_printf(err, "%s: %s must be an octal mode", where,
			    d->name);
			return -1;
		}
		break;
	case CFG_BOOL:
		if (strcmp(val, "true") == 0 || strcmp(val, "yes") == 0 ||
		    strcmp(val, "1") == 0 || strcmp(val, "on") == 0)
			n = 1;
		else if (strcmp(val, "false") == 0 || strcmp(val, "no") == 0 ||
		    strcmp(val, "0") == 0 || strcmp(val, "off") == 0)
			n = 0;
		else {
			buf_printf(err, "%s: %s must be true or false", where,
			    d->name);
			return -1;
		}
		break;
	}
	free(c->str[k]);
	c->str[k] = xstrdup(val);
	c->num[k] = n;
	return 0;
}

static int find_key(const char *name)
{
	int i;

	for (i = 0; i < CFG__MAX; i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return i;
	return -1;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int load_file(struct config *c, const char *path, struct buf *err)
{
	char line[4096], where[600];
	FILE *f;
	int lineno = 0, rc = 0;

	if ((f = fopen(path, "r")) == NULL) {
		buf_printf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = trim(line), *eq, *key, *val;
		int k;

		lineno++;
		if (*p == '\0' || *p == '#')
			continue;
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		if ((eq = strchr(p, '=')) == NULL) {
			buf_printf(err, "%s: expected key = value", where);
			rc = -1;
			break;
		}
		*eq = '\0';
		key = trim(p);
		val = trim(eq + 1);
		if (strlen(val) >= 2 && val[0] == '"' &&
		    val[strlen(val) - 1] == '"') {
			val[strlen(val) - 1] = '\0';
			val++;
		}
		if ((k = find_key(key)) < 0) {
			buf_printf(err, "%s: unknown key \"%s\"", where, key);
			rc = -1;
			break;
		}
		if (set_value(c, (enum cfg_key)k, val, where, err) != 0) {
			rc = -1;
			break;
		}
	}
	fclose(f);
	return rc;
}

/* The mail keys hold together: a known STARTTLS mode, an smtp(s) URL,
 * an http(s) base URL without a trailing slash, timings that make sense.
 * Returns 0, or -1 with a message in err. */
static int mail_config_check(struct config *c, struct buf *err)
{
	const char *tls = c->str[CFG_SMTP_STARTTLS];
	const char *url = c->str[CFG_SMTP_URL];
	const char *base = c->str[CFG_PUBLIC_BASE_URL];
	size_t n = strlen(base);

	if (strcmp(tls, "required") != 0 && strcmp(tls, "try") != 0 &&
	    strcmp(tls, "off") != 0) {
		buf_printf(err, "smtp_starttls must be required, try or off");
		return -1;
	}
	if (*url != '\0' && strncmp(url, "smtp://", 7) != 0 &&
	    strncmp(url, "smtps://", 8) != 0) {
		buf_printf(err, "smtp_url must start with smtp:// or smtps://");
		return -1;
	}
	if (n > 0 && ((strncmp(base, "http://", 7) != 0 &&
	    strncmp(base, "https://", 8) != 0) || base[n - 1] == '/' ||
	    strpbrk(base, " \"<>?#") != NULL)) {
		buf_printf(err, "public_base_url must be http://host[:port][/path] or https://..."
		    " without a trailing slash, query or fragment");
		return -1;
	}
	if (c->num[CFG_SMTP_TIMEOUT_SECONDS] < 1 ||
	    c->num[CFG_MAIL_POLL_SECONDS] < 1 ||
	    c->num[CFG_MAIL_RETRY_SECONDS] < 1 ||
	    c->num[CFG_MAIL_RETRY_MAX_SECONDS] < c->num[CFG_MAIL_RETRY_SECONDS]) {
		buf_printf(err, "smtp_timeout_seconds, mail_poll_seconds and"
		    " mail_retry_seconds must be at least 1, and"
		    " mail_retry_max_seconds at least mail_retry_seconds");
		return -1;
	}
	if (c->num[CFG_RUN_POLL_MS] < 10 || c->num[CFG_RUN_THREADS] > 256) {
		buf_printf(err, "run_poll_ms must be at least 10, and run_threads"
		    " at most 256");
		return -1;
	}
	if (c->num[CFG_RESET_TOKEN_SECONDS] < 60 ||
	    c->num[CFG_EMAIL_CHANGE_TOKEN_SECONDS] < 60) {
		buf_printf(err, "reset_token_seconds and email_change_token_seconds"
		    " must be at least 60");
		return -1;
	}
	return 0;
}

int config_load(struct config *c, const char *path, struct buf *err)
{
	char env[128], where[160];
	int i, j;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < CFG__MAX; i++)
		if (set_value(c, (enum cfg_key)i, config_keys[i].def,
		    "default", err) != 0)
			return -1;
	if (path != NULL && load_file(c, path, err) != 0)
		return -1;
	for (i = 0; i < CFG__MAX; i++) {
		const char *v;

		snprintf(env, sizeof(env), "PM_%s", config_keys[i].name);
		for (j = 3; env[j]; j++)
			env[j] = (char)toupper((unsigned char)env[j]);
		if ((v = getenv(env)) == NULL)
			continue;
		snprintf(where, sizeof(where), "environment %s", env);
		if (set_value(c, (enum cfg_key)i, v, where, err) != 0)
			return -1;
	}
	if (log_level_parse(c->str[CFG_LOG_LEVEL]) < 0) {
		buf_printf(err, "log_level must be debug, info, warn or error");
		return -1;
	}
	if (c->num[CFG_WORKERS] < 1 || c->num[CFG_WORKERS] > 256) {
		buf_printf(err, "workers must be between 1 and 256");
		return -1;
	}
	if (c->num[CFG_THREADS] < 1 || c->num[CFG_THREADS] > 4096) {
		buf_printf(err, "threads must be between 1 and 4096");
		return -1;
	}
	if (c->num[CFG_DB_POOL_SIZE] < 1 || c->num[CFG_DB_POOL_SIZE] > 256) {
		buf_printf(err, "db_pool_size must be between 1 and 256");
		return -1;
	}
	if (c->num[CFG_MAX_RUNS_PER_PROCESS] < 0 ||
	    c->num[CFG_MAX_RUNS_PER_PROCESS] >= c->num[CFG_THREADS]) {
		buf_printf(err, "max_runs_per_process must be 0 or less than"
		    " threads (the other threads answer pages)");
		return -1;
	}
	if (c->num[CFG_MAX_RUNS] < 0) {
		buf_printf(err, "max_runs must not be negative");
		return -1;
	}
	if (mail_config_check(c, err) != 0)
		return -1;
	return 0;
}

void config_free(struct config *c)
{
	int i;

	for (i = 0; i < CFG__MAX; i++) {
		free(c->str[i]);
		c->str[i] = NULL;
	}
}

const char *config_default_path(void)
{
	static const char *candidates[] = {
		"var/app.conf", "conf/app.conf", "/etc/prompt-manager/app.conf"
	};
	const char *env = getenv("PM_CONFIG");
	size_t i;

	if (env != NULL && *env != '\0')
		return env;
	for (i = 0; i < NELEM(candidates); i++)
		if (access(candidates[i], R_OK) == 0)
			return candidates[i];
	return NULL;
}

char *config_read_secret(const char *path, struct buf *err)
{
	struct stat st;
	char *secret;
	size_t len;
	ssize_t n;
	int fd;

	/* One buffer of the file's size, read with read(2): no stdio buffer
	 * or reallocation leaves a copy of the secret behind. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
		buf_printf(err, "cannot read secret file %s: %s", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > 64 * 1024) {
		buf_printf(err, "secret file %s is not a regular file of at most 64 KiB",
		    path);
		close(fd);
		return NULL;
	}
	secret = xmalloc((size_t)st.st_size + 1);
	for (len = 0; len < (size_t)st.st_size; len += (size_t)n)
		if ((n = read(fd, secret + len, (size_t)st.st_size - len)) <= 0)
			break;
	close(fd);
	secret[len] = '\0';
	while (len > 0 && (secret[len - 1] == '\n' || secret[len - 1] == '\r'))
		secret[--len] = '\0';
	return secret;
}
