/* plans.h - plans as data: catalogs of limits (JSON files in conf/plans), the
 * plans table, and the plan of each user.
 *
 * A plan is a row of limits. Catalog files are validated in full by
 * plans_parse() (format: conf/plans/README.md) and loaded into the plans
 * table by plans_load(), which also makes the catalog the active one
 * (app_settings 'plans.catalog'). Every question "what may this user do"
 * starts from plan_for_user(), the one place that knows where a user's
 * plan comes from (an assignment in user_plans, else the active catalog's
 * default plan).
 *
 * In struct plan every count, price and amount is an int64_t where -1
 * means unlimited / not applicable (null in the catalog, NULL in SQL).
 *
 * The pure part (parsing, what a plan allows, JSON) is plan_catalog.c;
 * the plans table is plans.c. Error convention: error.h; refusals carry
 * their catalog key (templates/messages/<lang>/plans.txt) in a struct
 * pm_fail.
 */
#ifndef PM_PLANS_H
#define PM_PLANS_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

struct db;

#define PLAN_CATALOG_MAX	64	/* catalog name: [a-z0-9-], bytes */
#define PLAN_CODE_MAX		32	/* plan code: [A-Z0-9_], bytes */
#define PLAN_NAME_MAX		100	/* display name, bytes of UTF-8 */
#define PLAN_MODEL_ID_MAX	200	/* one model id in model_list, bytes */
#define PLANS_MAX		50	/* plans in one catalog */
#define PLAN_FILE_MAX		(1024 * 1024)	/* catalog file, bytes */

/* Which models a plan may run on the platform's keys. */
enum plan_models {
	PLAN_MODELS_FREE,	/* only models the admin marked free-tier */
	PLAN_MODELS_WHITELIST,	/* only the ids in model_list */
	PLAN_MODELS_BLACKLIST,	/* every model except the ids in model_list */
	PLAN_MODELS_ALL,	/* every model */
	PLAN_MODELS__MAX
};

/* Which models a plan may run on the user's own key (BYOK). */
enum plan_byok_models {
	PLAN_BYOK_NONE,
	PLAN_BYOK_ALL,
	PLAN_BYOK__MAX
};

/* Where a user's plan comes from (user_plans.source). */
enum plan_source {
	PLAN_SOURCE_FILE,	/* parsed from a catalog file, no user */
	PLAN_SOURCE_DEFAULT,	/* the catalog's default plan */
	PLAN_SOURCE_ADMIN,	/* assigned with pm-admin set-plan */
	PLAN_SOURCE_STRIPE,	/* set by billing */
	PLAN_SOURCE__MAX
};

/* Execution channels, as bits of counted_channels and allowed_channels. */
#define PLAN_CH_UI	0x1u
#define PLAN_CH_API	0x2u

/* One plan. Catalog keys have the same names (see conf/plans/README.md);
 * -1 is null (unlimited / not applicable) in every int64_t field except
 * id and position. model_list and features are json-c values the plan
 * owns: release them with plan_free(). */
struct plan {
	int64_t		 id;		/* plans.id; 0 when parsed from a file */
	char		 catalog[PLAN_CATALOG_MAX + 1];
	char		 code[PLAN_CODE_MAX + 1];
	char		 name[PLAN_NAME_MAX + 1];	/* UTF-8 */
	int64_t		 position;
	int		 is_default;
	int		 is_public;
	int64_t		 price_monthly_cents;
	int64_t		 price_annual_cents;
	int64_t		 price_byok_monthly_cents;
	int64_t		 price_byok_annual_cents;
	int		 price_per_seat;
	int		 price_custom;
	int64_t		 executions_per_day;	/* calendar day, UTC */
	int64_t		 executions_per_month;	/* calendar month, UTC */
	int		 limits_per_seat;
	unsigned	 counted_channels;	/* PLAN_CH_* bits */
	unsigned	 allowed_channels;	/* PLAN_CH_* bits */
	int64_t		 burst_per_minute;
	int64_t		 burst_per_day;
	int64_t		 soft_cap_per_month;
	int64_t		 throttle_per_minute;
	enum plan_models models;
	struct json_object *model_list;		/* array of model id strings */
	enum plan_byok_models byok_models;
	int		 api_access;
	int64_t		 api_keys;
	int		 byok_allowed;
	int64_t		 log_retention_days;
	int64_t		 cache_ttl_hours;
	int64_t		 daily_spend_cap_micros;
	int64_t		 monthly_budget_micros;
	int64_t		 max_tokens_per_execution;
	int64_t		 max_concurrent_executions;	/* runs at once */
	int64_t		 sandbox_tries_per_day;
	int64_t		 seats_included;
	int64_t		 seats_max;
	struct json_object *features;		/* object, display only */
	enum plan_source source;		/* set by plan_for_user() */
};

/* A parsed catalog file. Release with plan_catalog_free(). */
struct plan_catalog {
	char		 name[PLAN_CATALOG_MAX + 1];
	char		*description;
	char		*notes;
	struct plan	*plans;
	size_t		 nplans;
};

/* Release what p owns and zero it. Accepts NULL and a zeroed plan. */
void plan_free(struct plan *p);
/* Release what c owns and zero it. Accepts NULL and a zeroed catalog. */
void plan_catalog_free(struct plan_catalog *c);

/* Parse and validate the catalog document of len bytes at json_text in
 * full: every key present with the right type (null only where the format
 * allows it), no unknown key, enums, non-negative integers, model_list
 * consistent with models, exactly one default plan, unique codes (prices
 * monthly/annual are not checked against each other). Messages name the
 * plan and the key, e.g. "plan PRO: executions_per_day must be a
 * non-negative integer or null"; the first problem found is reported.
 * Returns 0 with out filled (caller frees with plan_catalog_free()), or
 * PM_INVALID with the sentence (catalog.*) in f and out zeroed. */
int plans_parse(const char *json_text, size_t len, struct plan_catalog *out,
    struct pm_fail *f);

/* Load the catalog file at path into the plans table in one transaction:
 * insert or update every plan by (catalog, code), stop showing (is_public
 * and is_default cleared) the catalog's plans that are missing from the
 * file without deleting them (users may be on them), and make this catalog
 * the active one. Idempotent: loading the same file again changes no row
 * and reports "0 changed". Appends a short human report to report (a
 * summary line, then one line per changed plan). Returns 0, PM_INVALID
 * (unreadable or invalid file: plans.file_*, naming the path) or a
 * database failure (plans.load_failed), with the sentence in f. */
int plans_load(struct db *db, const char *path, int64_t now,
    struct buf *report, struct pm_fail *f);

/* The plan of user_id: the plan assigned in user_plans when it belongs to
 * the active catalog, else the active catalog's default plan (source
 * PLAN_SOURCE_DEFAULT). An assignment to a plan of another catalog (after
 * the active catalog was switched) is ignored. Returns 0 with out filled
 * (caller frees with plan_free()), PM_NOCATALOG when no catalog is
 * loaded, or a negative enum db_err. */
int plan_for_user(struct db *db, int64_t user_id, struct plan *out);

/* What a request read of the account's plan with its session: the
 * assignment (user_plans) and the catalog generation. */
struct plan_ref {
	int64_t		 user_id;
	int64_t		 plan_id;	/* assigned plan; 0: none */
	int		 source;	/* enum plan_source of the assignment */
	int64_t		 gen;		/* catalog_state.generation; 0 unknown */
};

/* plan_for_user() from the process's copy of the active catalog when it
 * is at least as new as ref->gen, reading the catalog again otherwise
 * (gen 0: plan_for_user() itself). Same results and errors. */
int plan_of(struct db *db, const struct plan_ref *ref, struct plan *out);
/* The enum plan_source named name (user_plans.source); NULL or unknown:
 * PLAN_SOURCE_DEFAULT. */
int plan_source_of(const char *name);

/* Assign the plan with code (any letter case) of the active catalog to
 * the user with email (source 'admin', assigned_at now), replacing any
 * previous assignment. Returns 0, PM_NOTFOUND (no such user, or no such
 * plan: the sentence then lists the valid codes) with f filled,
 * PM_NOCATALOG, or a database failure. */
int plan_set_for_user(struct db *db, const char *email, const char *code,
    int64_t now, struct pm_fail *f);

/* Whether p allows model_id on the platform's keys (executions on the
 * user's own key are governed by byok_allowed and byok_models instead).
 * model_is_free_tier: whether the admin marked the model free-tier (used
 * by PLAN_MODELS_FREE only). Ids are compared exactly. Returns 1 or 0. */
int plan_model_allowed(const struct plan *p, const char *model_id,
    int model_is_free_tier);

/* The effective value of an execution count of p (executions_per_day,
 * executions_per_month or soft_cap_per_month) for an account of seats
 * seats: multiplied by seats (at least 1) when p->limits_per_seat.
 * Returns -1 (unlimited) when limit is -1, else the count, saturated at
 * INT64_MAX. */
int64_t plan_seat_limit(const struct plan *p, int64_t limit, int64_t seats);

/* p as a JSON object with exactly the keys of a catalog plan (null for
 * -1), for pages and the API; parsing it back as a catalog plan gives the
 * same plan. Returns a new object the caller owns. */
struct json_object *plan_to_json(const struct plan *p);

/* Call fn on each public plan of the active catalog, in position order,
 * until it returns non-zero (a positive value stops the walk, a negative
 * one is returned as an error). catalog (PLAN_CATALOG_MAX + 1 bytes, or
 * NULL) receives the catalog's name. Returns 0, PM_NOCATALOG or a
 * negative enum db_err. */
int plans_each_public(struct db *db, char *catalog,
    int (*fn)(const struct plan *, void *), void *arg);

/* The public plans of the active catalog for a pricing page, in position
 * order: {"catalog": name, "plans": [plan_to_json()...]}. Returns 0 with
 * *out (caller owns), PM_NOCATALOG or a negative enum db_err (*out
 * NULL). */
int plans_list_public(struct db *db, struct json_object **out);

/* Name of a source ("default", "admin", "stripe", "file"). */
const char *plan_source_name(enum plan_source s);

#endif
