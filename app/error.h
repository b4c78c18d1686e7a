/* error.h - the one error convention of the core and domain layers.
 *
 * A function that can fail returns a value >= 0 on success or a negative
 * enum pm_err. The database's failures (enum db_err of db.h) are kinds of
 * this enum with the same values, so they pass through every layer
 * unchanged; a refusal (bad input, not found, a plan limit...) is another
 * kind, and its particulars go in a struct pm_fail the caller passes: the
 * catalog key of the sentence, the input field it concerns, the {name}
 * arguments of the sentence, structured details (variable errors) and a
 * Retry-After delay.
 *
 * err_info() is the one table of what each kind means to a client: its
 * HTTP status, the JSON error type and the sentence used when the refusal
 * names none. pm_fail_text() writes the sentence; every sentence comes
 * from the message catalog (templates/messages/<lang>/). answer.c is the
 * only place that turns a failure into an HTML page or a JSON error.
 *
 * Ownership: f->details is owned by f until a caller takes it (setting it
 * to NULL); pm_fail_clear() releases it.
 */
#ifndef PM_ERROR_H
#define PM_ERROR_H

#include <json-c/json.h>
#include <stdint.h>

#include "buf.h"
#include "db.h"

enum pm_err {
	PM_OK = 0,
	/* The database (enum db_err): answered 503 or 500. */
	PM_DB_DOWN = DB_DOWN,
	PM_DB_DUP = DB_DUP,
	PM_DB_RETRY = DB_RETRY,
	PM_DB_CHECK = DB_CHECK,
	PM_DB_ERROR = DB_ERROR,
	PM_DB_REFUSED = DB_REFUSED,
	/* Refusals and failures of a request. */
	PM_NOTFOUND = -10,	/* no such row for this owner: 404 */
	PM_CONFLICT = -11,	/* duplicate or wrong state: 409 */
	PM_INVALID = -12,	/* bad input: 400 */
	PM_TOOBIG = -13,	/* over a size limit: 413 */
	PM_FORBIDDEN = -14,	/* the plan does not allow it: 403 */
	PM_QUOTA = -15,		/* a plan quota is used up: 429 */
	PM_UPSTREAM = -16,	/* the model provider failed: 502 */
	PM_TIMEOUT = -17,	/* the model provider timed out: 504 */
	PM_RATELIMIT = -18,	/* rate-limited (provider or abuse): 429 */
	PM_UNAVAILABLE = -19,	/* cannot serve it now: 503 */
	PM_NOCATALOG = -20,	/* no plan catalog is loaded: 503 */
	PM_UNAUTHENTICATED = -21, /* no valid credentials: 401 */
	PM_PERMISSION = -22,	/* not allowed for this user: 403 */
	PM_METHOD = -23,	/* method not allowed here: 405 */
	PM_UNSUPPORTED = -24,	/* unsupported content type: 415 */
	PM_NOT_IMPLEMENTED = -25, /* not available yet: 501 */
	PM_BUSY = -26,		/* at capacity: 503, try again shortly */
	PM_INTERNAL = -27,	/* a bug or an unexpected state: 500 */
	PM_ERR__MIN = -28
};

/* What a kind means to a client. */
struct err_info {
	int		 status;	/* HTTP status */
	const char	*type;		/* JSON error.type */
	const char	*key;		/* sentence when the refusal names none */
	int		 is_db;		/* a database failure, not a refusal */
};

/* The table entry of rc; any value that is not a kind (including
 * success) reads as PM_INTERNAL. */
const struct err_info *err_info(int rc);
/* Whether rc is a database failure rather than a refusal: a form page
 * then answers the failure itself instead of showing it as a form error. */
int err_is_db(int rc);

#define PM_FAIL_ARGS	3

/* The particulars of a refusal. Zero it before use: struct pm_fail f =
 * { 0 }. */
struct pm_fail {
	const char		*key;	/* catalog key of the sentence */
	const char		*field;	/* input field concerned, or NULL */
	struct {
		const char	*name;
		char		 val[256];
	}			 arg[PM_FAIL_ARGS];
	int			 nargs;
	struct json_object	*details;	/* variable errors, owned */
	int64_t			 retry_after;	/* seconds, 0: none */
	/* A count of executions refused at its limit: the limit, for the
	 * X-RateLimit-* headers of the answer (0: none). */
	int64_t			 rate_limit;
};

/* Record a refusal in f (which may be NULL): its key and field, replacing
 * any arguments set before. Returns code. */
int pm_refuse(struct pm_fail *f, int code, const char *key, const char *field);
/* Add the {name} argument of f's sentence with the printf-formatted value
 * (cut to fit). Setting a name again replaces its value; arguments beyond
 * PM_FAIL_ARGS are dropped. */
void pm_fail_arg(struct pm_fail *f, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Append the sentence of the failure rc with particulars f (may be NULL)
 * to out: the variable errors of f->details when there are some, else
 * f's key with its arguments, else the kind's own sentence. */
void pm_fail_text(int rc, const struct pm_fail *f, struct buf *out);
/* The sentence of one variable error object (an element of f->details,
 * as made by vars_errors_json()) appended to out. */
void pm_detail_text(struct json_object *e, struct buf *out);
/* Release what f owns and zero it. Accepts NULL. */
void pm_fail_clear(struct pm_fail *f);

#endif
