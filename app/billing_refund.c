/* billing_refund.c - the prorated refund's arithmetic, in integers. */
#include "billing_refund.h"

#include <stdio.h>
#include <string.h>

#include "msg.h"

int billing_refund_compute(int64_t paid, int64_t start, int64_t end,
    int64_t at, struct refund_calc *c)
{
	__int128 x;

	memset(c, 0, sizeof(*c));
	c->paid = paid;
	c->start = start;
	c->end = end;
	c->at = at;
	if (end < start)
		return -1;
	c->period = end - start;
	c->unused = end - at;
	if (c->unused < 0)
		c->unused = 0;
	if (c->unused > c->period)
		c->unused = c->period;
	if (paid <= 0 || c->period == 0)
		return 0;
	x = (__int128)paid * c->unused;
	c->amount = (int64_t)(x / c->period);
	c->hundredths = (int64_t)(x * 100 / c->period);
	if (c->amount > paid)		/* cannot happen: unused <= period */
		c->amount = paid;
	return 0;
}

void billing_digits(int64_t n, struct buf *out)
{
	char s[32];
	size_t len, i;

	snprintf(s, sizeof(s), "%lld", (long long)(n < 0 ? -n : n));
	len = strlen(s);
	if (n < 0)
		buf_putc(out, '-');
	for (i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			buf_putc(out, ',');
		buf_putc(out, s[i]);
	}
}

void billing_cents(int64_t cents, char *out, size_t len)
{
	int64_t a = cents < 0 ? -cents : cents;

	snprintf(out, len, "%s$%lld.%02lld", cents < 0 ? "-" : "",
	    (long long)(a / 100), (long long)(a % 100));
}

void billing_refund_text(const struct refund_calc *c, struct buf *out)
{
	struct buf unused = { 0 }, period = { 0 };
	char paid[32], amount[32], share[48];

	billing_cents(c->paid, paid, sizeof(paid));
	billing_cents(c->amount, amount, sizeof(amount));
	snprintf(share, sizeof(share), "%lld.%02lld",
	    (long long)(c->hundredths / 100), (long long)(c->hundredths % 100));
	billing_digits(c->unused, &unused);
	billing_digits(c->period, &period);
	msg_fmt(out, "billing.refund_arithmetic", "paid", paid,
	    "unused", buf_cstr(&unused), "period", buf_cstr(&period),
	    "share", share, "amount", amount, NULL);
	buf_free(&unused);
	buf_free(&period);
}
