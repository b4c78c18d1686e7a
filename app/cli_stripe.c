/* cli_stripe.c - pm-admin stripe sync-prices, stripe sync and stripe
 * reapply: the operator's side of billing. */
#include "cli.h"

#include <stdio.h>

#include "billing.h"
#include "buf.h"
#include "clock.h"

/* stripe sync-prices: the active catalog's prices in Stripe (by
 * lookup_key; a second run creates nothing). */
int cli_stripe_sync_prices(struct db *db, char **argv)
{
	struct buf report = { 0 };
	struct pm_fail f = { 0 };
	int rc = billing_sync_prices(db, clock_now(), &report, &f);

	if (report.len > 0)
		printf("%s\n", buf_cstr(&report));
	buf_free(&report);
	if (rc != 0)
		return cli_fail(rc, &f);
	return 0;
}

/* stripe sync: every customer's subscriptions and invoices read again,
 * drift repaired and printed. */
int cli_stripe_sync(struct db *db, char **argv)
{
	struct buf report = { 0 };
	char n[24];
	int failed = 0, rc;

	if (!stripe_configured())
		return cli_error("stripe.not_configured", NULL);
	rc = billing_sync(db, clock_now(), &report, &failed);
	if (report.len > 0)
		printf("%s\n", buf_cstr(&report));
	buf_free(&report);
	if (rc < 0)
		return cli_fail(rc, NULL);
	snprintf(n, sizeof(n), "%d", rc);
	cli_say(rc == 0 ? "billing.sync_none" : "billing.sync_done", "count", n,
	    NULL);
	return failed > 0;
}

/* stripe reapply EVENT: apply a stored event again. */
int cli_stripe_reapply(struct db *db, char **argv)
{
	struct pm_fail f = { 0 };
	int outcome, rc = billing_event_reapply(db, argv[0], clock_now(),
	    &outcome, &f);

	if (rc != 0)
		return cli_fail(rc, &f);
	cli_say("billing.reapplied", "event", argv[0], "outcome",
	    billing_outcome_name(outcome), NULL);
	if (outcome == BO_FAILED || outcome == BO_FLAGGED) {
		return cli_fail(PM_UNAVAILABLE, &f);
	}
	pm_fail_clear(&f);
	return 0;
}
