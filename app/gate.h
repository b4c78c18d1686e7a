/* gate.h - the promotion gate of a prompt: a version may become
 * PRODUCTION only when its last regression run passed every golden sample
 * (and, when set, reached a minimum score and cost at most a maximum).
 * The check runs inside the promotion's transaction (versions.c), so
 * every way of promoting (the site, the API, any API key) meets it.
 *
 * Error convention (error.h): >= 0 on success, a db_err, or a refusal
 * with its catalog key (templates/messages/en/runs.txt) in f.
 */
#ifndef PM_GATE_H
#define PM_GATE_H

#include <json-c/json.h>
#include <stdint.h>

struct db;
struct pm_fail;

struct gate {
	int	 required;
	int	 has_min_score;
	double	 min_score;		/* 0..1 */
	int64_t	 max_cost_micros;	/* -1: none */
};

/* The gate of the owner's prompt slug into g. Returns 0, PM_NOTFOUND or a
 * db_err. */
int gate_get(struct db *db, int64_t uid, const char *slug, struct gate *g);
/* The gate as JSON {"required","min_score","max_cost_micros"} (nulls for
 * none). New reference. */
json_object *gate_json(const struct gate *g);
/* Set the gate of the owner's prompt slug. Refusals: PM_INVALID
 * gate.min_score (field min_score: 0 to 1), gate.max_cost (field
 * max_cost_micros: at least 0). Returns 0, PM_NOTFOUND or a db_err. */
int gate_set(struct db *db, int64_t uid, const char *slug,
    const struct gate *g, int64_t now, struct pm_fail *f);

/* Within a transaction that locked prompt pid: whether its version number
 * may be promoted. Returns 0 with *run the gating run's id (0 when the
 * prompt has no gate), or PM_CONFLICT with f: gate.no_run {version}
 * (never run), gate.running {version} {run} (its last run has not ended),
 * gate.failed {version} {samples} {run} (the samples that did not pass),
 * gate.score {version} {score} {min}, gate.cost {version} {cost} {max};
 * or a db_err. */
int gate_check(struct db *db, int64_t pid, int number, int64_t *run,
    struct pm_fail *f);

#endif
