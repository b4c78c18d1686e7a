/* money.c - money as integers: exact decimal amounts parsed without
 * floating point, saturating arithmetic, rounding between units, and
 * formatting for people. */
#include "money.h"

#include <stdio.h>
#include <string.h>

/* Exact decimals */

int dec_parse_units(const char *s, size_t n, int decimals, int64_t *out)
{
	size_t i = 0, int_start, int_end, frac_start = 0, frac_end = 0, m, idx;
	long long exp = 0, k, place;
	int neg = 0, roundup = 0, expneg = 0;
	int64_t acc = 0;

	if (n > 0 && s[0] == '-') {
		neg = 1;
		i++;
	}
	int_start = i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	int_end = i;
	if (int_end == int_start)
		return -1;
	if (i < n && s[i] == '.') {
		frac_start = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		frac_end = i;
		if (frac_end == frac_start)
			return -1;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t e0;

		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			expneg = s[i++] == '-';
		e0 = i;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (exp < 100000)
				exp = exp * 10 + (s[i] - '0');
		if (i == e0)
			return -1;
		if (expneg)
			exp = -exp;
	}
	if (i != n || decimals < 0 || decimals > 18)
		return -1;
	/* value = D * 10^(exp - fraclen); units = D * 10^k. Digit idx of D
	 * (m digits) is worth 10^(m - 1 - idx + k) units. */
	m = (int_end - int_start) + (frac_end - frac_start);
	k = exp - (long long)(frac_end - frac_start) + decimals;
	for (idx = 0; idx < m; idx++) {
		size_t pos = idx < int_end - int_start ? int_start + idx :
		    frac_start + (idx - (int_end - int_start));
		int d = s[pos] - '0';

		place = (long long)(m - 1 - idx) + k;
		if (place < 0) {
			if (d != 0)
				roundup = 1;
			continue;
		}
		if (acc > (INT64_MAX - d) / 10)
			return -1;
		acc = acc * 10 + d;
	}
	for (place = k; place > 0 && acc != 0; place--) {
		if (acc > INT64_MAX / 10)
			return -1;
		acc *= 10;
	}
	if (roundup) {
		if (acc == INT64_MAX)
			return -1;
		acc++;
	}
	if (neg && acc != 0)
		return -1;
	*out = acc;
	return 0;
}

/* ------------------------------------------------------------------ */
int dec_json_units(json_object *v, int decimals, int64_t *out)
{
	const char *s;

	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double) &&
	    !json_object_is_type(v, json_type_string))
		return -1;
	/* A double parsed from text prints as that very text. */
	if ((s = json_object_get_string(v)) == NULL)
		return -1;
	return dec_parse_units(s, strlen(s), decimals, out);
}

/* Cost arithmetic */

int64_t money_sat_add(int64_t a, int64_t b)
{
	int64_t r;

	return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
}

/* ------------------------------------------------------------------ */
int64_t money_sat_mul(int64_t a, int64_t b)
{
	int64_t r;

	return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r;
}

int64_t money_nanos_to_micros(int64_t nanos)
{
	if (nanos <= 0)
		return 0;
	if (nanos == INT64_MAX)
		return INT64_MAX;
	return nanos / 1000 + (nanos % 1000 != 0);
}

int64_t money_micros_to_cents(int64_t micros)
{
	if (micros <= 0)
		return 0;
	if (micros > INT64_MAX - 5000)
		return INT64_MAX / 10000;
	return (micros + 5000) / 10000;
}


void money_micros(int64_t micros, char *out, size_t len)
{
	int neg = micros < 0;
	uint64_t m = neg ? (uint64_t)(-(micros + 1)) + 1 : (uint64_t)micros;

	snprintf(out, len, "%s$%llu.%06llu", neg ? "-" : "",
	    (unsigned long long)(m / 1000000), (unsigned long long)(m % 1000000));
}

/* Round v to a multiple of unit, half up (v >= 0). */
static uint64_t round_to(uint64_t v, uint64_t unit)
{
	uint64_t q = v / unit, r = v % unit;

	return (q + (r >= unit - r)) * unit;
}

void money_human(int64_t micros, char *out, size_t len)
{
	const char *sign = micros < 0 ? "-" : "";
	uint64_t m = micros < 0 ? (uint64_t)(-(micros + 1)) + 1 : (uint64_t)micros;
	char frac[8], whole[32], grouped[48];
	int decimals;
	size_t i, n, w;

	if (m == 0) {
		snprintf(out, len, "$0");
		return;
	}
	if (m < 100) {
		snprintf(out, len, "%s", micros < 0 ? "> -$0.0001" : "< $0.0001");
		return;
	}
	/* Two significant digits below a dollar: the unit they stop at. */
	if (m < 10000)
		decimals = 4;		/* $0.0001 to $0.0099 */
	else if (m < 100000)
		decimals = 3;		/* $0.010 to $0.099 */
	else
		decimals = 2;		/* $0.10 and up */
	m = round_to(m, decimals == 4 ? 100 : decimals == 3 ? 1000 : 10000);
	if (m >= 1000000)
		decimals = 2;
	snprintf(frac, sizeof(frac), "%06llu", (unsigned long long)(m % 1000000));
	frac[decimals] = '\0';
	while (decimals > 2 && frac[decimals - 1] == '0')
		frac[--decimals] = '\0';
	n = (size_t)snprintf(whole, sizeof(whole), "%llu",
	    (unsigned long long)(m / 1000000));
	for (i = 0, w = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			grouped[w++] = ',';
		grouped[w++] = whole[i];
	}
	grouped[w] = '\0';
	snprintf(out, len, "%s$%s.%s", sign, grouped, frac);
}

/* "$7" or "$7.50" from cents. */
void money_cents(int64_t cents, char *out, size_t len)
{
	if (cents % 100 == 0)
		snprintf(out, len, "$%lld", (long long)(cents / 100));
	else
		snprintf(out, len, "$%lld.%02lld", (long long)(cents / 100),
		    (long long)(cents % 100));
}


/* v / 10^decimals (0..18) as exact decimal text without trailing zeros. */
static char *decimal_text(uint64_t v, int decimals, char *out, size_t size)
{
	char frac[20];
	uint64_t unit = 1, rest;
	int i, n;

	if (decimals < 0)
		decimals = 0;
	if (decimals > 18)
		decimals = 18;
	for (i = 0; i < decimals; i++)
		unit *= 10;
	rest = v % unit;
	for (i = decimals - 1; i >= 0; i--) {
		frac[i] = (char)('0' + rest % 10);
		rest /= 10;
	}
	n = decimals;
	while (n > 0 && frac[n - 1] == '0')
		n--;
	frac[n] = '\0';
	snprintf(out, size, "%llu%s%s", (unsigned long long)(v / unit),
	    n ? "." : "", frac);
	return out;
}

char *money_usd_per_m(int64_t nanos, char *out, size_t size)
{
	/* nanos per token * 1e6 tokens = nanos / 1000 USD. */
	return decimal_text(nanos < 0 ? 0 : (uint64_t)nanos, 3, out, size);
}

char *money_nanos_usd(int64_t nanos, char *out, size_t size)
{
	return decimal_text(nanos < 0 ? 0 : (uint64_t)nanos, 9, out, size);
}

