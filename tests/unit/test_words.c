/* test_words.c - numbers, money, times and plurals as people read them:
 * the shortest decimals (jsonx), money_human, the plural forms of the

 * catalog (msg_count, {name:KEY}) and times in words (timefmt); the
 * template filters that use them are in test_tmpl.c. Run from the checkout root (it loads
 * templates/messages/en). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "jsonx.h"
#include "money.h"
#include "msg.h"
#include "timefmt.h"

/* json_double_text(d) in a static buffer. */
static const char *dbl(double d)
{
	static char s[JSON_DOUBLE_MAX];

	return json_double_text(d, s, sizeof(s));
}

static void test_shortest_decimals(void **state)
{
	char s[JSON_DOUBLE_MAX];

	(void)state;
	assert_string_equal(dbl(0.1), "0.1");
	assert_string_equal(dbl(0.7), "0.7");
	assert_string_equal(dbl(0.3), "0.3");
	assert_string_equal(dbl(1e-7), "1e-07");
	assert_string_equal(dbl(1.0 / 3), "0.3333333333333333");
	assert_string_equal(dbl(2.0), "2.0");
	assert_string_equal(dbl(0.0), "0.0");
	assert_string_equal(dbl(-0.0), "-0.0");
	assert_string_equal(dbl(-0.7), "-0.7");
	assert_string_equal(dbl(-2.0), "-2.0");
	assert_string_equal(dbl(1e21), "1e+21");
	assert_string_equal(dbl(123456789.125), "123456789.125");
	assert_string_equal(dbl(0.1 + 0.2), "0.30000000000000004");
	assert_string_equal(dbl(1.7976931348623157e308), "1.7976931348623157e+308");
	assert_string_equal(dbl(5e-324), "4.94065645841247e-324");
	assert_string_equal(dbl(1.0 / 0.0), "null");
	/* Every one reads back as the same double. */
	{
		static const double v[] = { 0.1, 0.7, 0.3, 1e-7, 1.0 / 3, 2.0,
		    -0.7, 1e21, 0.1 + 0.2, 1.7976931348623157e308, 5e-324,
		    2.5e-6, 0.95 };
		size_t i;

		for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
			assert_true(strtod(json_double_text(v[i], s, sizeof(s)),
			    NULL) == v[i]);
	}
}

static void test_json_writers(void **state)
{
	struct json_object *o, *p;
	const char *doc = "{\"temperature\":0.69999999999999996,"
	    "\"top_p\":0.29999999999999999,\"n\":[1.5,2,{\"x\":0.10000000000000001}],"
	    "\"s\":\"0.69999999999999996\"}";
	size_t len;

	(void)state;
	/* A double made by the program. */
	o = json_object_new_object();
	json_object_object_add(o, "t", json_new_double(0.7));
	json_object_object_add(o, "u", json_new_double(3.0));
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
	    "{\"t\":0.7,\"u\":3.0}");
	json_object_put(o);
	/* json-c's own: %.17g, the bug. */
	o = json_object_new_double(0.7);
	assert_string_equal(json_object_to_json_string(o), "0.69999999999999996");
	assert_string_equal(json_to_text(o, JSON_C_TO_STRING_PLAIN, &len), "0.7");
	assert_int_equal(len, 3);
	json_object_put(o);
	/* Long forms stored before, parsed back: made short everywhere;
	 * strings are left alone. */
	p = json_tokener_parse(doc);
	assert_non_null(p);
	assert_string_equal(json_to_text(p, JSON_C_TO_STRING_PLAIN, NULL),
	    "{\"temperature\":0.7,\"top_p\":0.3,\"n\":[1.5,2,{\"x\":0.1}],"
	    "\"s\":\"0.69999999999999996\"}");
	assert_string_equal(json_object_get_string(json_object_object_get(p,
	    "temperature")), "0.7");
	/* A copy keeps the short form. */
	o = NULL;
	assert_int_equal(json_object_deep_copy(p, &o, NULL), 0);
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
	    "{\"temperature\":0.7,\"top_p\":0.3,\"n\":[1.5,2,{\"x\":0.1}],"
	    "\"s\":\"0.69999999999999996\"}");
	json_object_put(o);
	json_object_put(p);
	json_doubles_shortest(NULL);
}

/* money_human(m) in a static buffer. */
static const char *human(int64_t m)
{
	static char s[MONEY_HUMAN_MAX];

	money_human(m, s, sizeof(s));
	return s;
}

static void test_money_human(void **state)
{
	(void)state;
	assert_string_equal(human(0), "$0");
	assert_string_equal(human(1), "< $0.0001");
	assert_string_equal(human(99), "< $0.0001");
	assert_string_equal(human(100), "$0.0001");
	assert_string_equal(human(149), "$0.0001");
	assert_string_equal(human(150), "$0.0002");
	assert_string_equal(human(1000), "$0.001");
	assert_string_equal(human(3100), "$0.0031");
	assert_string_equal(human(3149), "$0.0031");
	assert_string_equal(human(9950), "$0.01");
	assert_string_equal(human(10000), "$0.01");
	assert_string_equal(human(53100), "$0.053");
	assert_string_equal(human(99960), "$0.10");
	assert_string_equal(human(100000), "$0.10");
	assert_string_equal(human(123456), "$0.12");
	assert_string_equal(human(999999), "$1.00");
	assert_string_equal(human(1240000), "$1.24");
	assert_string_equal(human(7000000), "$7.00");
	assert_string_equal(human(1234567890), "$1,234.57");
	assert_string_equal(human(1000000000000), "$1,000,000.00");
	assert_string_equal(human(-3100), "-$0.0031");
	assert_string_equal(human(-5), "> -$0.0001");
	assert_string_equal(human(INT64_MAX), "$9,223,372,036,854.78");
	assert_string_equal(human(INT64_MIN), "-$9,223,372,036,854.78");
}

static void test_plurals(void **state)
{
	struct buf b = { 0 };

	(void)state;
	msg_count(&b, "count.executions", 1);
	assert_string_equal(buf_cstr(&b), "1 execution");
	buf_reset(&b);
	msg_count(&b, "count.executions", 3);
	assert_string_equal(buf_cstr(&b), "3 executions");
	buf_reset(&b);
	msg_count(&b, "count.executions", 0);
	assert_string_equal(buf_cstr(&b), "0 executions");
	buf_reset(&b);
	msg_count(&b, "count.uncategorised", 0);		/* a .zero form */
	assert_string_equal(buf_cstr(&b), "No uncategorised prompts");
	buf_reset(&b);
	msg_count(&b, "count.uncategorised", 1);
	assert_string_equal(buf_cstr(&b), "1 uncategorised prompt");
	buf_reset(&b);
	msg_countf(&b, "money.exact", 1, "exact", "$0.000001", NULL);
	assert_string_equal(buf_cstr(&b), "$0.000001 exactly (1 micro-dollar)");
	buf_reset(&b);
	/* {name:KEY} in a sentence: the catalog says it, no C change. */
	msg_fmt(&b, "form.login_throttled", "minutes", "1", NULL);
	assert_string_equal(buf_cstr(&b),
	    "Too many failed log-in attempts. Try again in 1 minute.");
	buf_reset(&b);
	msg_fmt(&b, "form.login_throttled", "minutes", "15", NULL);
	assert_string_equal(buf_cstr(&b),
	    "Too many failed log-in attempts. Try again in 15 minutes.");
	buf_reset(&b);
	msg_fmt(&b, "form.login_throttled", "minutes", "soon", NULL);
	assert_string_equal(buf_cstr(&b),
	    "Too many failed log-in attempts. Try again in soon.");
	buf_reset(&b);
	msg_fmt(&b, "vars.more", "count", "1", NULL);
	assert_string_equal(buf_cstr(&b), "(1 more problem listed in the details.)");
	buf_reset(&b);
	msg_fmt(&b, "pricing.api_keys", "n", "5", NULL);
	assert_string_equal(buf_cstr(&b), "Public API with 5 API keys");
	assert_true(msg_has("count.versions.one"));
	assert_false(msg_has("count.versions.zero"));
	buf_free(&b);
}

/* time_words(t, now, st) in a static buffer. */
static const char *words(int64_t t, int64_t now, enum time_style st)
{
	static char s[128];
	struct buf b = { 0 };

	time_words(&b, t, now, st);
	snprintf(s, sizeof(s), "%s", buf_cstr(&b));
	buf_free(&b);
	return s;
}

static void test_times(void **state)
{
	/* 2024-12-01T06:05:33Z */
	const int64_t t = 1733033133;
	struct buf b = { 0 };
	int64_t p;

	(void)state;
	assert_int_equal(time_parse_iso("2024-12-01T06:05:33Z", &p), 0);
	assert_int_equal(p, t);
	assert_int_equal(time_parse_iso("2024-12-01 06:05:33", &p), -1);
	assert_int_equal(time_parse_iso("2024-12-01T06:05:33Zx", &p), -1);
	assert_int_equal(time_parse_iso("", &p), -1);
	assert_string_equal(words(t, t, TIME_AUTO), "just now");
	assert_string_equal(words(t, t + 59, TIME_AUTO), "just now");
	assert_string_equal(words(t, t + 60, TIME_AUTO), "1 min ago");
	assert_string_equal(words(t, t + 150, TIME_AUTO), "2 min ago");
	assert_string_equal(words(t, t + 3600 * 5 + 10, TIME_AUTO), "5 h ago");
	assert_string_equal(words(t, t - 30, TIME_AUTO), "in less than a minute");
	assert_string_equal(words(t, t - 600, TIME_AUTO), "in 10 min");
	assert_string_equal(words(t, t - 7200, TIME_AUTO), "in 2 h");
	assert_string_equal(words(t, t + 86400, TIME_AUTO), "1 Dec 06:05 UTC");
	assert_string_equal(words(t, t + 150, TIME_DATE), "1 Dec 06:05 UTC");
	assert_string_equal(words(t, t + 86400 * 40, TIME_AUTO),
	    "1 Dec 2024, 06:05 UTC");
	assert_string_equal(words(t - 86400 * 300, t, TIME_AUTO), "5 Feb 06:05 UTC");
	time_html(&b, t, t + 150, TIME_AUTO);
	assert_string_equal(buf_cstr(&b), "<time datetime=\"2024-12-01T06:05:33Z\""
	    " title=\"2024-12-01 06:05:33 UTC\">2 min ago</time>");
	buf_free(&b);
}

static int setup(void **state)
{
	struct buf err = { 0 };

	(void)state;
	if (msg_load("templates", "en", &err) != 0) {
		fprintf(stderr, "catalog: %s (run from the checkout root)\n",
		    buf_cstr(&err));
		buf_free(&err);
		return -1;
	}
	buf_free(&err);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	msg_free();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shortest_decimals),
		cmocka_unit_test(test_json_writers),
		cmocka_unit_test(test_money_human),
		cmocka_unit_test(test_plurals),
		cmocka_unit_test(test_times),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
