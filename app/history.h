/* history.h - the history of a prompt's versions: every creation,
 * promotion, rollback and archiving, who did it and when, the version in
 * production before, and the regression run that let a promotion through
 * the gate (gate.h). */
#ifndef PM_HISTORY_H
#define PM_HISTORY_H

#include <json-c/json.h>
#include <stdint.h>

struct db;

#define HISTORY_MAX	500	/* entries shown, newest first */

/* The history of the owner's prompt slug, newest first: a new array of
 * {"version","action" (create|promote|rollback|archive),"from_status",
 * "to_status","from_version","by","at","gating_run":{"id","status",
 * "passed","total"}|null}. The archiving of the version a promotion
 * replaced is part of that promotion, not an entry. Returns 0 with *out
 * (caller puts), PM_NOTFOUND or a db_err. */
int prompt_history(struct db *db, int64_t uid, const char *slug,
    json_object **out);

#endif
