/* money.h - money as integers, never floating point: cents for prices,
 * micro-dollars (1e-6 USD) for the cost of calls, nano-dollars (1e-9 USD)
 * per token for model prices. Amounts from a provider are parsed exactly
 * from their decimal text and rounded up, so the platform never
 * undercharges; arithmetic saturates at INT64_MAX instead of wrapping.
 */
#ifndef PM_MONEY_H
#define PM_MONEY_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

/* Parse the n bytes at s, a non-negative decimal number in JSON syntax
 * ("0.00000015", "12", "1.5e-05"), as a count of units of 10^-decimals
 * (0 to 18), rounded up: with decimals 9, "0.00000015" is 150 and
 * "0.0000001234" is 124. Returns 0 with *out, or -1 for a negative
 * number, a syntax error or a result above INT64_MAX. */
int dec_parse_units(const char *s, size_t n, int decimals, int64_t *out);
/* The same for a JSON number or numeric string (the number's original
 * text is used, not its double value). Returns 0 or -1. */
int dec_json_units(json_object *v, int decimals, int64_t *out);

/* a + b and a * b, INT64_MAX when the result would not fit. */
int64_t money_sat_add(int64_t a, int64_t b);
int64_t money_sat_mul(int64_t a, int64_t b);
/* Nano-dollars to micro-dollars, rounded up (0 for negatives; INT64_MAX
 * stays INT64_MAX). */
int64_t money_nanos_to_micros(int64_t nanos);
/* Micro-dollars to cents, rounded half up (0 for negatives). */
int64_t money_micros_to_cents(int64_t micros);

/* Format micro-dollars exactly as "$0.000123" (6 decimals) into out. */
void money_micros(int64_t micros, char *out, size_t len);
/* Format micro-dollars the way a person reads an amount, into out (at
 * least MONEY_HUMAN_MAX bytes): "$0" for zero; below a hundredth of a
 * cent, "< $0.0001"; below a dollar, two significant digits, rounded
 * half up, at most four decimals, no trailing zero after the cents:
 * 3100 -> "$0.0031", 150 -> "$0.0002", 53100 -> "$0.053", 10000 ->
 * "$0.01", 123456 -> "$0.12"; from a dollar, cents with thousands
 * separated: 1240000 -> "$1.24", 1234567890 -> "$1,234.57". Negative
 * amounts get a leading "-". The exact amount is money_micros(). */
#define MONEY_HUMAN_MAX	40
void money_human(int64_t micros, char *out, size_t len);
/* Format cents as "$7" (whole dollars) or "$7.50" into out. */
void money_cents(int64_t cents, char *out, size_t len);
/* Format nanos (1e-9 USD per token) as exact USD per million tokens:
 * 150 -> "0.15", 2500 -> "2.5", 0 -> "0". out needs 32 bytes. Returns
 * out. */
char *money_usd_per_m(int64_t nanos, char *out, size_t size);
/* Format nanos as exact USD per token, as OpenRouter writes prices:
 * 150 -> "0.00000015", 0 -> "0". out needs 32 bytes. Returns out. */
char *money_nanos_usd(int64_t nanos, char *out, size_t size);

#endif
