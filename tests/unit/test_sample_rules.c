/* test_sample_rules.c - the rules of a golden sample's fields
 * (sample_rules.h), without a database: names, variables, expected
 * output, threshold, judge model, checks, unknown members. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "jsonx.h"
#include "msg.h"
#include "sample_rules.h"

/* The sentence refusing the sample text (static), or "OK" with sf kept
 * in *out when out is not NULL. */
static const char *check(const char *text, int importing,
    struct sample_fields *out)
{
	static char s[1024];
	struct sample_fields sf;
	struct pm_fail f = { 0 };
	struct json_error e;
	json_object *o = json_parse_strict(text, strlen(text), &e);
	struct buf b = { 0 };
	int rc;

	assert_non_null(o);
	rc = sample_fields_check(NULL, o, importing, &sf, &f);
	if (rc == 0) {
		if (out != NULL) {
			/* the borrowed strings die with o: copy what is read */
			*out = sf;
			out->name = NULL;
			out->expected = NULL;
			out->judge_model = NULL;
		} else {
			sample_fields_free(&sf);
		}
		json_object_put(o);
		return "OK";
	}
	assert_null(sf.checks);
	assert_null(sf.variables);
	pm_fail_text(rc, &f, &b);
	snprintf(s, sizeof(s), "%s", b.data);
	buf_free(&b);
	pm_fail_clear(&f);
	json_object_put(o);
	return s;
}

#define C "\"checks\":[{\"type\":\"is-json\"}]"

static void test_valid(void **state)
{
	struct sample_fields sf;

	(void)state;
	assert_string_equal(check("{\"name\":\"A\"," C "}", 0, &sf), "OK");
	assert_string_equal(sf.variables, "{}");
	assert_string_equal(sf.checks,
	    "[{\"type\":\"is-json\",\"not\":false,\"weight\":1}]");
	assert_false(sf.has_threshold);
	assert_false(sf.has_rubric);
	sample_fields_free(&sf);
	assert_string_equal(check("{\"name\":\"A\",\"variables\":{\"a\":\"x\","
	    "\"b_2\":1.5,\"c\":true},\"threshold\":0,\"expected_output\":\"\","
	    "\"judge_model\":\"openai/gpt-4o-mini\",\"checks\":[{\"type\":"
	    "\"rubric\",\"rubric\":\"Short.\"}]}", 0, &sf), "OK");
	assert_string_equal(sf.variables, "{\"a\":\"x\",\"b_2\":1.5,\"c\":true}");
	assert_true(sf.has_threshold);
	assert_true(sf.threshold == 0);
	assert_true(sf.has_rubric);
	sample_fields_free(&sf);
	sample_fields_free(NULL);
	/* null members are absent */
	assert_string_equal(check("{\"name\":\"A\",\"variables\":null,"
	    "\"threshold\":null,\"judge_model\":null,\"expected_output\":null,"
	    C "}", 0, NULL), "OK");
}

static void test_refusals(void **state)
{
	(void)state;
	assert_string_equal(check("{" C "}", 0, NULL), "Give the sample a name.");
	assert_string_equal(check("{\"name\":\" \\t\"," C "}", 0, NULL),
	    "Give the sample a name.");
	assert_string_equal(check("{\"name\":3," C "}", 0, NULL),
	    "The name must be a string.");
	assert_string_equal(check("{\"name\":\"A\"}", 0, NULL),
	    "Add at least one check.");
	assert_string_equal(check("{\"name\":\"A\",\"checks\":{}}", 0, NULL),
	    "The checks must be a JSON array.");
	assert_string_equal(check("{\"name\":\"A\",\"variables\":[]," C "}", 0,
	    NULL), "The variables must be a JSON object of names and values.");
	assert_string_equal(check("{\"name\":\"A\",\"variables\":{\"a b\":1},"
	    C "}", 0, NULL), "\"a b\" is not a valid variable name (letters, "
	    "digits and _, not starting with a digit, 64 at most).");
	assert_string_equal(check("{\"name\":\"A\",\"variables\":{\"a\":null},"
	    C "}", 0, NULL), "The value of \"a\" must be a string, a number or "
	    "true/false.");
	assert_string_equal(check("{\"name\":\"A\",\"variables\":{\"a\":{}},"
	    C "}", 0, NULL), "The value of \"a\" must be a string, a number or "
	    "true/false.");
	assert_string_equal(check("{\"name\":\"A\",\"expected_output\":1," C "}",
	    0, NULL), "The expected output must be a string or null.");
	assert_string_equal(check("{\"name\":\"A\",\"threshold\":-0.1," C "}",
	    0, NULL), "The threshold must be a number from 0 to 1, or empty "
	    "(every check must pass).");
	assert_string_equal(check("{\"name\":\"A\",\"threshold\":\"0.5\"," C "}",
	    0, NULL), "The threshold must be a number from 0 to 1, or empty "
	    "(every check must pass).");
	assert_string_equal(check("{\"name\":\"A\",\"judge_model\":\"a b\"," C
	    "}", 0, NULL), "\"a b\" is not a model of the catalog: choose one "
	    "of the listed models.");
	assert_string_equal(check("{\"name\":\"A\",\"judge_model\":1," C "}", 0,
	    NULL), "The judge model must be a model id or null.");
	assert_string_equal(check("{\"name\":\"A\",\"checks\":[{\"type\":"
	    "\"rubric\",\"rubric\":\"x\"}]}", 0, NULL), "A rubric check needs a "
	    "judge model: choose one for the sample.");
	assert_string_equal(check("{\"name\":\"A\",\"checks\":[{\"type\":"
	    "\"rubric\",\"rubric\":\"x\"}],\"judge_model\":\"\"}", 0, NULL),
	    "A rubric check needs a judge model: choose one for the sample.");
	assert_string_equal(check("[]", 0, NULL),
	    "The request body must be a JSON object.");
	/* the expected output the checks compare with */
	assert_string_equal(check("{\"name\":\"A\",\"checks\":[{\"type\":"
	    "\"rouge-n\",\"min\":0.5}]}", 0, NULL), "Check 1 (rouge-n): give a "
	    "\"value\", or an expected output for the sample.");
	assert_string_equal(check("{\"name\":\"A\",\"expected_output\":\"r\","
	    "\"checks\":[{\"type\":\"rouge-n\",\"min\":0.5}]}", 0, NULL), "OK");
}

static void test_members(void **state)
{
	(void)state;
	assert_string_equal(check("{\"name\":\"A\",\"id\":3," C "}", 0, NULL),
	    "\"id\" is not a field of a golden sample.");
	/* an import takes an API listing as it is */
	assert_string_equal(check("{\"name\":\"A\",\"id\":3,\"created_at\":\"x\","
	    "\"updated_at\":\"y\",\"created_from_execution_id\":null," C "}", 1,
	    NULL), "OK");
	assert_string_equal(check("{\"name\":\"A\",\"colour\":3," C "}", 1,
	    NULL), "\"colour\" is not a field of a golden sample.");
}

static void test_limits(void **state)
{
	struct buf t = { 0 };
	size_t i;

	(void)state;
	buf_puts(&t, "{\"name\":\"");
	for (i = 0; i < SAMPLE_NAME_MAX; i++)
		buf_puts(&t, "é");
	buf_puts(&t, "\"," C "}");
	assert_string_equal(check(t.data, 0, NULL), "OK");
	buf_reset(&t);
	buf_puts(&t, "{\"name\":\"");
	for (i = 0; i <= SAMPLE_NAME_MAX; i++)
		buf_puts(&t, "é");
	buf_puts(&t, "\"," C "}");
	assert_string_equal(check(t.data, 0, NULL),
	    "The name is too long (200 characters at most).");
	buf_reset(&t);
	buf_puts(&t, "{\"name\":\"A\",\"variables\":{\"v\":\"");
	for (i = 0; i < SAMPLE_VARIABLES_MAX; i++)
		buf_putc(&t, 'x');
	buf_puts(&t, "\"}," C "}");
	assert_string_equal(check(t.data, 0, NULL),
	    "The variables are too large (60 KB at most).");
	buf_reset(&t);
	buf_puts(&t, "{\"name\":\"A\",\"expected_output\":\"");
	for (i = 0; i <= SAMPLE_EXPECTED_MAX; i++)
		buf_putc(&t, 'x');
	buf_puts(&t, "\"," C "}");
	assert_string_equal(check(t.data, 0, NULL),
	    "The expected output is too long (256 KB at most).");
	buf_free(&t);
}

int main(void)
{
	struct buf err = { 0 };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_limits),
	};

	if (msg_load("templates", "en", &err) != 0) {
		fprintf(stderr, "%s (run from the repository root)\n",
		    buf_cstr(&err));
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
