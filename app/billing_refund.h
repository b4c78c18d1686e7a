/* billing_refund.h - the prorated refund of "cancel now": the unused
 * share of the amount actually paid on the last invoice, in whole cents,
 * rounded down.
 *
 *   refund = floor(paid x unused / period), unused = end - at clamped to
 *   [0, period], period = end - start (seconds)
 *
 * Pure arithmetic on integers (no floating point); the product's only
 * rule about refunds lives here.
 */
#ifndef PM_BILLING_REFUND_H
#define PM_BILLING_REFUND_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct refund_calc {
	int64_t	 paid;		/* cents paid on the last invoice */
	int64_t	 start, end;	/* the period it paid for */
	int64_t	 at;		/* when the subscription ends */
	int64_t	 period;	/* end - start, seconds */
	int64_t	 unused;	/* seconds of the period left at at */
	int64_t	 amount;	/* the refund, whole cents rounded down */
	int64_t	 hundredths;	/* paid x unused / period in 1/100 cent,
				 * rounded down: the exact share shown */
};

/* Fill c for a payment of paid cents for [start, end) cancelled at at.
 * Cancelling before the period starts refunds it all, at or after its end
 * nothing; a payment of 0 (or less) or an empty period refunds 0. Never
 * more than paid. Returns 0, or -1 (c zeroed but for its inputs) when
 * end < start. */
int billing_refund_compute(int64_t paid, int64_t start, int64_t end,
    int64_t at, struct refund_calc *c);
/* Append the arithmetic of c in words from the catalog
 * (billing.refund_arithmetic) to out, e.g. "$7.00 x 1,728,000 s unused
 * / 2,592,000 s = 466.66 cents, rounded down to $4.66". */
void billing_refund_text(const struct refund_calc *c, struct buf *out);
/* cents as "$7.00" (always two decimals) into out. */
void billing_cents(int64_t cents, char *out, size_t len);
/* Append n with a comma between each group of three digits. */
void billing_digits(int64_t n, struct buf *out);

#endif
