/* test_money.c - money as integers: exact decimals, rounding, saturating
 * arithmetic, formatting, and the cost of a call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "models.h"
#include "money.h"

/* ------------------------------------------------------------------ */
/* Exact decimals */

static int64_t units(const char *s, int decimals)
{
	int64_t v = -12345;

	if (dec_parse_units(s, strlen(s), decimals, &v) != 0)
		return -1;
	return v;
}

static void test_decimals(void **state)
{
	json_object *doc;
	int64_t v;

	(void)state;
	/* Prices per token in nano-dollars. */
	assert_int_equal(units("0.00000015", 9), 150);
	assert_int_equal(units("0.0000006", 9), 600);
	assert_int_equal(units("0.0000025", 9), 2500);
	assert_int_equal(units("0.000075", 9), 75000);
	assert_int_equal(units("0", 9), 0);
	assert_int_equal(units("0.0", 9), 0);
	assert_int_equal(units("-0", 9), 0);
	assert_int_equal(units("1", 9), 1000000000);
	assert_int_equal(units("0.000123456789", 9), 123457);	/* up */
	assert_int_equal(units("0.000123456", 9), 123456);
	assert_int_equal(units("0.0000000001", 9), 1);		/* up */
	assert_int_equal(units("0.00000000000000000000000001", 9), 1);
	assert_int_equal(units("0.000000000000000000000000000", 9), 0);
	assert_int_equal(units("00.5", 9), 500000000);
	/* Costs in micro-dollars. */
	assert_int_equal(units("0.0000123", 6), 13);
	assert_int_equal(units("0.000012", 6), 12);
	assert_int_equal(units("0.95", 6), 950000);
	assert_int_equal(units("3.3e-7", 6), 1);
	assert_int_equal(units("1.5e-05", 6), 15);
	assert_int_equal(units("1.5E-5", 6), 15);
	assert_int_equal(units("2e-6", 6), 2);
	assert_int_equal(units("2.0000001e-6", 6), 3);
	assert_int_equal(units("1e+2", 6), 100000000);
	assert_int_equal(units("12e0", 6), 12000000);
	assert_int_equal(units("9.999999999999999999999", 6), 10000000);
	assert_int_equal(units("9223372036854.775807", 6), INT64_MAX);
	assert_int_equal(units("9223372036854.775808", 6), -1);	/* over */
	assert_int_equal(units("1e400", 6), -1);
	assert_int_equal(units("0e400", 6), 0);
	assert_int_equal(units("1e-400", 6), 1);
	/* Refused. */
	assert_int_equal(units("-1", 9), -1);
	assert_int_equal(units("-0.0000001", 9), -1);
	assert_int_equal(units("", 9), -1);
	assert_int_equal(units(".5", 9), -1);
	assert_int_equal(units("5.", 9), -1);
	assert_int_equal(units("1e", 9), -1);
	assert_int_equal(units("1e+", 9), -1);
	assert_int_equal(units(" 1", 9), -1);
	assert_int_equal(units("1 ", 9), -1);
	assert_int_equal(units("0x10", 9), -1);
	assert_int_equal(units("1,5", 9), -1);
	assert_int_equal(units("NaN", 9), -1);
	/* From JSON: the number's text, not its double. */
	doc = json_tokener_parse("{\"a\":0.0000123,\"b\":3.3e-7,\"c\":2,"
	    "\"d\":\"0.00000015\",\"e\":null,\"f\":true,\"g\":0.1}");
	assert_int_equal(dec_json_units(json_object_object_get(doc, "a"), 6,
	    &v), 0);
	assert_int_equal(v, 13);
	assert_int_equal(dec_json_units(json_object_object_get(doc, "b"), 6,
	    &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(dec_json_units(json_object_object_get(doc, "c"), 6,
	    &v), 0);
	assert_int_equal(v, 2000000);
	assert_int_equal(dec_json_units(json_object_object_get(doc, "d"), 9,
	    &v), 0);
	assert_int_equal(v, 150);
	/* 0.1 is not exactly representable as a double; the text is. */
	assert_int_equal(dec_json_units(json_object_object_get(doc, "g"), 18,
	    &v), 0);
	assert_int_equal(v, 100000000000000000LL);
	assert_int_equal(dec_json_units(json_object_object_get(doc, "e"), 6,
	    &v), -1);
	assert_int_equal(dec_json_units(json_object_object_get(doc, "f"), 6,
	    &v), -1);
	assert_int_equal(dec_json_units(NULL, 6, &v), -1);
	json_object_put(doc);
}

static void test_costs(void **state)
{
	struct model m = { 0 };
	char s[32];

	(void)state;
	m.price_prompt_nanos = 150;		/* $0.15 / M */
	m.price_completion_nanos = 600;		/* $0.60 / M */
	m.context_length = 128000;
	assert_int_equal(model_cost_micros(&m, 0, 0), 0);
	assert_int_equal(model_cost_micros(&m, 1, 0), 1);	/* 0.15 up */
	assert_int_equal(model_cost_micros(&m, 1000, 1000), 750);
	assert_int_equal(model_cost_micros(&m, 1000000, 0), 150000);
	assert_int_equal(model_cost_micros(&m, 10, 3), 4);	/* 3.3 up */
	assert_int_equal(model_cost_micros(&m, -1, 5), 3);	/* unknown */
	assert_int_equal(model_cost_micros(&m, INT64_MAX, 1), INT64_MAX);
	assert_int_equal(model_max_cost_micros(&m, 1000, 500),
	    model_cost_micros(&m, 1000, 500));
	/* No max_tokens: the rest of the context window. */
	assert_int_equal(model_max_cost_micros(&m, 1000, -1),
	    model_cost_micros(&m, 1000, 127000));
	assert_int_equal(model_max_cost_micros(&m, 200000, -1),
	    model_cost_micros(&m, 200000, 0));
	m.context_length = -1;
	assert_int_equal(model_max_cost_micros(&m, 10, -1),
	    model_cost_micros(&m, 10, MODEL_FALLBACK_COMPLETION));
	m.price_prompt_nanos = m.price_completion_nanos = 0;
	assert_int_equal(model_max_cost_micros(&m, 1000, -1), 0);
	assert_string_equal(money_usd_per_m(150, s, sizeof(s)), "0.15");
	assert_string_equal(money_usd_per_m(2500, s, sizeof(s)), "2.5");
	assert_string_equal(money_usd_per_m(75000, s, sizeof(s)), "75");
	assert_string_equal(money_usd_per_m(1, s, sizeof(s)), "0.001");
	assert_string_equal(money_usd_per_m(0, s, sizeof(s)), "0");
	assert_string_equal(money_nanos_usd(150, s, sizeof(s)),
	    "0.00000015");
	assert_string_equal(money_nanos_usd(2000000001, s, sizeof(s)),
	    "2.000000001");
	assert_string_equal(money_nanos_usd(3000000000, s, sizeof(s)), "3");
	model_free(&m);
}

/* Rounding between units and saturation. */
static void test_units(void **state)
{
	(void)state;
	assert_int_equal(money_nanos_to_micros(0), 0);
	assert_int_equal(money_nanos_to_micros(1), 1);		/* up */
	assert_int_equal(money_nanos_to_micros(1000), 1);
	assert_int_equal(money_nanos_to_micros(1001), 2);
	assert_int_equal(money_nanos_to_micros(-5), 0);
	assert_int_equal(money_nanos_to_micros(INT64_MAX), INT64_MAX);
	assert_int_equal(money_micros_to_cents(0), 0);
	assert_int_equal(money_micros_to_cents(4999), 0);	/* half up */
	assert_int_equal(money_micros_to_cents(5000), 1);
	assert_int_equal(money_micros_to_cents(1000000), 100);
	assert_int_equal(money_micros_to_cents(-1), 0);
	assert_int_equal(money_micros_to_cents(INT64_MAX), INT64_MAX / 10000);
	assert_int_equal(money_sat_add(INT64_MAX - 1, 1), INT64_MAX);
	assert_int_equal(money_sat_add(INT64_MAX, 1), INT64_MAX);
	assert_int_equal(money_sat_add(2, 3), 5);
	assert_int_equal(money_sat_mul(INT64_MAX / 2, 3), INT64_MAX);
	assert_int_equal(money_sat_mul(7, 6), 42);
}

static void test_format(void **state)
{
	char s[40];

	(void)state;
	money_micros(0, s, sizeof(s));
	assert_string_equal(s, "$0.000000");
	money_micros(123, s, sizeof(s));
	assert_string_equal(s, "$0.000123");
	money_micros(12345678, s, sizeof(s));
	assert_string_equal(s, "$12.345678");
	money_micros(-5, s, sizeof(s));
	assert_string_equal(s, "-$0.000005");
	money_micros(INT64_MIN, s, sizeof(s));
	assert_string_equal(s, "-$9223372036854.775808");
	money_cents(700, s, sizeof(s));
	assert_string_equal(s, "$7");
	money_cents(750, s, sizeof(s));
	assert_string_equal(s, "$7.50");
	money_cents(7005, s, sizeof(s));
	assert_string_equal(s, "$70.05");
	money_cents(0, s, sizeof(s));
	assert_string_equal(s, "$0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decimals),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_costs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
