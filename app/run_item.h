/* run_item.h - one item of a golden run: its execution through the
 * ordinary pipeline (execute_run: the same plan checks, quotas and
 * billing as any run, on the run's channel, without HTTP), then its
 * checks (checks.h), each rubric judged by the sample's judge model
 * through the pipeline too (judge.h; billed and counted, its cost kept
 * apart), and the sample's score.
 *
 * Faults are the item's, not the run's: a sample whose variables no
 * longer match the version, an upstream failure, a model the plan no
 * longer allows → the item is an error with the sentence of why. A judge
 * that fails or answers garbage → that check is an error with the
 * reason. A quota of the plan reached (not the cap of runs at once) →
 * the run stops at its limit (ITEM_LIMIT, with the sentence). The cap of
 * runs at once, or the database away (DB_DOWN, DB_RETRY) → the item
 * waits (ITEM_REQUEUE).
 */
#ifndef PM_RUN_ITEM_H
#define PM_RUN_ITEM_H

#include "buf.h"
#include "run_queue.h"

struct db;

enum item_verdict {
	ITEM_DONE,	/* out.o is the outcome to record */
	ITEM_REQUEUE,	/* run it again later */
	ITEM_LIMIT	/* the run stops: out.message says why */
};

/* What running an item gave; free with item_run_free. */
struct item_run {
	struct item_outcome	 o;	/* points into the members below */
	struct buf		 output, results, error, message;
	char			 finish_reason[32];
};

/* Run item j (claimed). cancel (may be NULL) is polled while a model
 * answers: non-zero cancels the call (the process is stopping; the
 * caller then queues the item again). Returns its verdict with out
 * filled. */
enum item_verdict run_item(struct db *db, const struct run_job *j,
    int (*cancel)(void *), struct item_run *out);
void item_run_free(struct item_run *r);

#endif
