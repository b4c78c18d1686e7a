/* page_runs.h - what other pages take from the run pages (page_runs.c):
 * a run's words for templates, and the page of a promotion the gate
 * refused. */
#ifndef PM_PAGE_RUNS_H
#define PM_PAGE_RUNS_H

#include <json-c/json.h>
#include <stdint.h>

struct req;
struct pm_fail;

/* The text member key of o, or "" when it is absent or not text. */
const char *run_text(json_object *o, const char *key);

/* The ?before= of a list of runs (a run id; 0: from the newest, also for
 * a value that is not an id). */
int64_t page_before(struct req *r);

/* Add to run (from golden_run_get or a list) what its templates need:
 * status flags (is_<status>, is_trial, result_passed), "time_text",
 * "score_pct", on each item its status flags and "score_pct", on each
 * check is_pass / is_fail / is_error, and the baseline's signed deltas. */
void run_decorate(json_object *run);

/* Add to page data d the last regression run of version number of
 * prompt p (from prompt_get) as "last_run" (decorated), with "gate_on"
 * when the prompt's gate is on; nothing when it has none or on a
 * database failure (the page shows without it). */
void run_last_to_page(struct req *r, json_object *d, json_object *p,
    int number);

/* When the promotion of version number of prompt slug was refused by the
 * gate (rc PM_CONFLICT, a "gate.*" key in f), answer 409 with the page
 * that says why, shows the last run and offers to run one: returns 1.
 * Returns 0 (nothing answered) for any other refusal. */
int gate_refused_page(struct req *r, const char *slug, int number, int rc,
    struct pm_fail *f);

#endif
