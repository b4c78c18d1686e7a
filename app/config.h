/* config.h - every configuration key, declared once in a table.
 *
 * Keys are read from a "key = value" file (# comments) and each may be
 * overridden by an environment variable PM_<KEY> (upper case). Secrets are
 * never configuration values: the config names files that hold them
 * (read with config_read_secret()).
 */
#ifndef PM_CONFIG_H
#define PM_CONFIG_H

#include <stdint.h>

#include "buf.h"

enum cfg_type {
	CFG_STR,
	CFG_INT,
	CFG_BOOL,
	CFG_OCTAL
};

/* Indexes config_keys[]; keep both in the same order. */
enum cfg_key {
	CFG_LISTEN,
	CFG_LISTEN_MODE,
	CFG_BACKLOG,
	CFG_WORKERS,
	CFG_THREADS,
	CFG_DB_POOL_SIZE,
	CFG_MAX_RUNS_PER_PROCESS,
	CFG_MAX_RUNS,
	CFG_SETTLE_RETRY_SECONDS,
	CFG_MAX_REQUESTS,
	CFG_SHUTDOWN_TIMEOUT,
	CFG_LOG_LEVEL,
	CFG_DB_SOCKET,
	CFG_DB_HOST,
	CFG_DB_PORT,
	CFG_DB_NAME,
	CFG_DB_USER,
	CFG_DB_PASSWORD_FILE,
	CFG_DB_CONNECT_TIMEOUT,
	CFG_DB_RETRIES,
	CFG_TEMPLATES_DIR,
	CFG_MIGRATIONS_DIR,
	CFG_MAX_BODY_BYTES,
	CFG_SESSION_IDLE_SECONDS,
	CFG_SESSION_ABSOLUTE_SECONDS,
	CFG_LOGIN_MAX_FAILURES_ACCOUNT,
	CFG_LOGIN_MAX_FAILURES_ADDRESS,
	CFG_LOGIN_WINDOW_SECONDS,
	CFG_LOGIN_DEVICE_DAYS,
	CFG_SIGNUP_MAX_PER_ADDRESS,
	CFG_SIGNUP_MAX_PER_NETWORK,
	CFG_SIGNUP_WINDOW_SECONDS,
	CFG_PUBLIC_BASE_URL,
	CFG_SMTP_URL,
	CFG_SMTP_STARTTLS,
	CFG_SMTP_USERNAME,
	CFG_SMTP_PASSWORD_FILE,
	CFG_SMTP_CA_FILE,
	CFG_SMTP_TIMEOUT_SECONDS,
	CFG_MAIL_FROM,
	CFG_MAIL_POLL_SECONDS,
	CFG_MAIL_RETRY_SECONDS,
	CFG_MAIL_RETRY_MAX_SECONDS,
	CFG_MAIL_GIVE_UP_SECONDS,
	CFG_RESET_TOKEN_SECONDS,
	CFG_EMAIL_CHANGE_TOKEN_SECONDS,
	CFG_RESET_MAX_PER_ADDRESS,
	CFG_RESET_MAX_PER_CLIENT,
	CFG_RESET_WINDOW_SECONDS,
	CFG_DEMO_MAIL_DIR,
	CFG_ARGON2_MEMORY_KIB,
	CFG_ARGON2_ITERATIONS,
	CFG_TEST_MODE,
	CFG_CLOCK_FILE,
	CFG_OPENROUTER_BASE_URL,
	CFG_OPENROUTER_KEY_FILE,
	CFG_UPSTREAM_CONNECT_TIMEOUT_MS,
	CFG_UPSTREAM_TIMEOUT_MS,
	CFG_PLANS_DIR,
	CFG_API_KEY_SECRET_FILE,
	CFG_VAULT_KEY_FILE,
	CFG_VAULT_OLD_KEY_FILE,
	CFG_BYOK_PROVIDERS_BASE_URL,
	CFG_BYOK_PRIVATE_BASE_URLS,
	CFG_BYOK_TEST_TIMEOUT_MS,
	/* Billing ([8/14], Stripe) */
	CFG_STRIPE_SECRET_KEY_FILE,
	CFG_STRIPE_WEBHOOK_SECRET_FILE,
	CFG_STRIPE_BASE_URL,
	CFG_STRIPE_TIMEOUT_MS,
	CFG_STRIPE_MAX_RETRIES,
	CFG_BILLING_GRACE_DAYS,
	CFG_RUN_THREADS,
	CFG_RUN_POLL_MS,
	CFG_RUN_WAIT_SECONDS,
	CFG__MAX
};

struct cfg_def {
	const char	*name;
	enum cfg_type	 type;
	const char	*def;
	const char	*description;
};

extern const struct cfg_def config_keys[CFG__MAX];

struct config {
	char	*str[CFG__MAX];	/* every value as text (owned) */
	int64_t	 num[CFG__MAX];	/* parsed value of INT, BOOL, OCTAL keys */
};

/* Fill c with defaults, then the file at path (when path is not NULL), then
 * PM_* environment overrides. Unknown keys and unparsable numbers are
 * errors. Returns 0, or -1 with a message appended to err. */
int config_load(struct config *c, const char *path, struct buf *err);
/* Release the strings held by c. Accepts a zeroed config. */
void config_free(struct config *c);
/* Find the config file to use when none was given on the command line:
 * $PM_CONFIG, then var/app.conf, conf/app.conf (relative to the current
 * directory), then /etc/prompt-manager/app.conf. Returns a static string or
 * NULL when none exists. */
const char *config_default_path(void);
/* Read a secret from the file at path: the whole content with trailing
 * newlines removed. Returns a string the caller frees (and should wipe),
 * or NULL with a message in err (the message never holds the secret). */
char *config_read_secret(const char *path, struct buf *err);

/* The configuration of this process, set once after loading. */
extern const struct config *cfg;

static inline const char *cfg_str(enum cfg_key k) { return cfg->str[k]; }
static inline int64_t cfg_int(enum cfg_key k) { return cfg->num[k]; }

#endif
