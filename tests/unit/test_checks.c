/* test_checks.c - the checks of golden samples: parsing and its refusals,
 * every check type with its edge cases, negation, weights, thresholds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "checks.h"
#include "error.h"
#include "jsonx.h"
#include "msg.h"
#include "util.h"

/* The sentence of the refusal of checks text (static copy), or "OK". */
static const char *refusal(const char *text, const char *expected)
{
	static char out[1024];
	struct pm_fail f = { 0 };
	struct checks cs;
	struct json_error e;
	json_object *a = json_parse_strict(text, strlen(text), &e);
	struct buf b = { 0 };
	int rc;

	assert_non_null(a);
	rc = checks_parse(a, expected, &cs, &f);
	json_object_put(a);
	if (rc == 0) {
		checks_free(&cs);
		return "OK";
	}
	assert_int_equal(rc, PM_INVALID);
	assert_null(cs.v);
	assert_int_equal(cs.n, 0);
	pm_fail_text(rc, &f, &b);
	snprintf(out, sizeof(out), "%s", b.data);
	buf_free(&b);
	pm_fail_clear(&f);
	return out;
}

/* Parse one check (JSON object text) that must be valid. */
static void parse1(const char *check, const char *expected, struct checks *cs)
{
	struct pm_fail f = { 0 };
	struct buf t = { 0 };
	struct json_error e;
	json_object *a;

	buf_printf(&t, "[%s]", check);
	a = json_parse_strict(t.data, t.len, &e);
	assert_non_null(a);
	if (checks_parse(a, expected, cs, &f) != 0) {
		struct buf b = { 0 };

		pm_fail_text(PM_INVALID, &f, &b);
		fail_msg("%s: %s", check, b.data);
	}
	json_object_put(a);
	buf_free(&t);
}

static struct check_outcome outcome(const char *output, const char *expected)
{
	struct check_outcome o = { output, strlen(output), expected,
	    expected ? strlen(expected) : 0, "stop", 1500, 2000 };

	return o;
}

/* The state of check (JSON) on output, with its reason in *why. */
static enum check_state run(const char *check, const char *output,
    const char *expected, char *why)
{
	struct checks cs;
	struct check_result r;
	struct check_outcome o = outcome(output, expected);

	parse1(check, expected, &cs);
	check_eval(&cs.v[0], &o, &r);
	if (why != NULL)
		strcpy(why, r.reason);
	checks_free(&cs);
	return r.state;
}

#define PASS(check, out, exp) assert_int_equal(run(check, out, exp, NULL), \
	CHECK_PASS)
#define FAIL(check, out, exp) assert_int_equal(run(check, out, exp, NULL), \
	CHECK_FAIL)

static void test_refusals(void **state)
{
	(void)state;
	assert_string_equal(refusal("{}", NULL),
	    "The checks must be a JSON array.");
	assert_string_equal(refusal("[]", NULL), "Add at least one check.");
	assert_string_equal(refusal("[1]", NULL),
	    "Check 1: each check must be a JSON object.");
	assert_string_equal(refusal("[{\"value\":\"x\"}]", NULL),
	    "Check 1: give the check a \"type\".");
	assert_string_equal(refusal("[{\"type\":\"contains\",\"value\":\"a\"},"
	    "{\"type\":\"regex\",\"pattern\":\"a(b\"}]", NULL),
	    "Check 2 (regex): the regular expression is invalid: "
	    "Unmatched ( or \\(.");
	assert_string_equal(refusal("[{\"type\":\"regex\",\"pattern\":"
	    "\"((a{1,100}){1,100}){1,100}\"}]", NULL), "Check 1 (regex): the "
	    "regular expression is too costly to run: back-references (\\1 to "
	    "\\9) and a quantifier right after another (\"a++\") are not "
	    "supported, and its {m,n} repetitions may multiply to 10000 at "
	    "most.");
	assert_string_equal(refusal("[{\"type\":\"regex\",\"pattern\":"
	    "\"(a)\\\\1\"}]", NULL), "Check 1 (regex): the regular expression "
	    "is too costly to run: back-references (\\1 to \\9) and a "
	    "quantifier right after another (\"a++\") are not supported, and its "
	    "{m,n} repetitions may multiply to 10000 at most.");
	assert_string_equal(refusal("[{\"type\":\"regex\",\"pattern\":"
	    "\"ab++\"}]", NULL), "Check 1 (regex): the regular expression "
	    "is too costly to run: back-references (\\1 to \\9) and a "
	    "quantifier right after another (\"a++\") are not supported, and its "
	    "{m,n} repetitions may multiply to 10000 at most.");
	assert_non_null(strstr(refusal("[{\"type\":\"regex\",\"pattern\":"
	    "\"a{2}*\"}]", NULL), "Check 1 (regex): the regular expression is "
	    "too costly"));
	assert_string_equal(refusal("[{\"type\":\"regex\",\"pattern\":"
	    "\"(a+)+[*+]\\\\+x?\"}]", NULL), "OK");
	assert_string_equal(refusal("[{\"type\":\"regex\",\"pattern\":"
	    "\"^[0-9]{3}-[{]{2}[}{]$\"}]", NULL), "OK");
	assert_string_equal(refusal("[{\"type\":\"regex\",\"pattern\":\"\"}]",
	    NULL), "Check 1 (regex): give the \"pattern\".");
	assert_true(strncmp(refusal("[{\"type\":\"sounds-like\"}]", NULL),
	    "Check 1: \"sounds-like\" is not a check type.", 43) == 0);
	assert_string_equal(refusal("[{\"type\":\"contains\",\"value\":\"a\","
	    "\"patern\":\"x\"}]", NULL),
	    "Check 1 (contains): \"patern\" is not a field of this check.");
	assert_string_equal(refusal("[{\"type\":\"contains\"}]", NULL),
	    "Check 1 (contains): give the \"value\".");
	assert_string_equal(refusal("[{\"type\":\"contains\",\"value\":\"\"}]",
	    NULL), "Check 1 (contains): give the \"value\".");
	assert_string_equal(refusal("[{\"type\":\"contains\",\"value\":3}]",
	    NULL), "Check 1 (contains): \"value\" has the wrong type.");
	assert_string_equal(refusal("[{\"type\":\"contains\",\"value\":\"a\","
	    "\"not\":1}]", NULL),
	    "Check 1 (contains): \"not\" has the wrong type.");
	assert_string_equal(refusal("[{\"type\":\"contains\",\"value\":\"a\","
	    "\"weight\":0}]", NULL), "Check 1 (contains): the weight must be "
	    "a number above 0 and at most 1000.");
	assert_string_equal(refusal("[{\"type\":\"contains\",\"value\":\"a\","
	    "\"weight\":1001}]", NULL), "Check 1 (contains): the weight must "
	    "be a number above 0 and at most 1000.");
	assert_string_equal(refusal("[{\"type\":\"equals\",\"value\":\"{\\\"a\\\":\","
	    "\"json\":true}]", NULL), "Check 1 (equals): the expected value is "
	    "not valid JSON: unexpected end of data.");
	assert_string_equal(refusal("[{\"type\":\"equals\",\"json\":true}]",
	    "not json"), "Check 1 (equals): the expected output is not valid "
	    "JSON: null expected.");
	assert_string_equal(refusal("[{\"type\":\"equals\"}]", NULL),
	    "Check 1 (equals): give a \"value\", or an expected output for "
	    "the sample.");
	assert_string_equal(refusal("[{\"type\":\"equals\"}]", "x"), "OK");
	assert_string_equal(refusal("[{\"type\":\"bleu\",\"min\":0.5}]", NULL),
	    "Check 1 (bleu): give a \"value\", or an expected output for the "
	    "sample.");
	assert_string_equal(refusal("[{\"type\":\"bleu\",\"min\":1.5}]", "x"),
	    "Check 1 (bleu): \"min\" is out of range.");
	assert_string_equal(refusal("[{\"type\":\"bleu\"}]", "x"),
	    "Check 1 (bleu): \"min\" is out of range.");
	assert_string_equal(refusal("[{\"type\":\"rouge-n\",\"min\":0.5,"
	    "\"n\":5}]", "x"), "Check 1 (rouge-n): \"n\" must be 1, 2, 3 or 4.");
	assert_string_equal(refusal("[{\"type\":\"levenshtein\"}]", "x"),
	    "Check 1 (levenshtein): \"max\" is out of range.");
	assert_string_equal(refusal("[{\"type\":\"levenshtein\",\"max\":-1}]",
	    "x"), "Check 1 (levenshtein): \"max\" is out of range.");
	assert_string_equal(refusal("[{\"type\":\"max-cost\",\"max\":1.5}]",
	    NULL), "Check 1 (max-cost): \"max\" is out of range.");
	assert_string_equal(refusal("[{\"type\":\"word-count\"}]", NULL),
	    "Check 1 (word-count): \"min\" is out of range.");
	assert_string_equal(refusal("[{\"type\":\"word-count\",\"min\":5,"
	    "\"max\":4}]", NULL), "Check 1 (word-count): \"min\" is out of "
	    "range.");
	assert_string_equal(refusal("[{\"type\":\"contains-any\",\"values\":"
	    "[]}]", NULL), "Check 1 (contains-any): \"values\" must be a list "
	    "of 1 to 100 non-empty texts.");
	assert_string_equal(refusal("[{\"type\":\"contains-all\",\"values\":"
	    "[\"a\",\"\"]}]", NULL), "Check 1 (contains-all): \"values\" must "
	    "be a list of 1 to 100 non-empty texts.");
	assert_string_equal(refusal("[{\"type\":\"rubric\"}]", NULL),
	    "Check 1 (rubric): give the \"rubric\".");
	assert_string_equal(refusal("[{\"type\":\"json-schema\"}]", NULL),
	    "Check 1 (json-schema): give the \"schema\".");
	assert_string_equal(refusal("[{\"type\":\"json-schema\",\"schema\":"
	    "{\"type\":\"object\",\"properties\":{\"age\":{\"minimum\":\"x\"}}}}]",
	    NULL), "Check 1 (json-schema): the schema is invalid: \"minimum\" "
	    "at /properties/age must be a number.");
	assert_string_equal(refusal("[{\"type\":\"is-json\",\"schema\":"
	    "{\"additionalProperties\":false}}]", NULL), "Check 1 (is-json): "
	    "the schema is invalid: the schema at / uses "
	    "\"additionalProperties\", which is not supported (supported: "
	    "type, properties, required, items, enum, minimum, maximum, "
	    "minLength, maxLength).");
	assert_string_equal(refusal("[{\"type\":\"json-schema\",\"schema\":"
	    "{\"type\":\"strin\"}}]", NULL), "Check 1 (json-schema): the schema "
	    "is invalid: \"type\" at / must be object, array, string, number, "
	    "integer, boolean or null, or a list of them.");
	assert_string_equal(refusal("[{\"type\":\"json-schema\",\"schema\":"
	    "{\"items\":{\"minLength\":-1}}}]", NULL), "Check 1 (json-schema): "
	    "the schema is invalid: \"minLength\" at /items must be a whole "
	    "number, 0 or more.");
	assert_string_equal(refusal("[{\"type\":\"json-schema\",\"schema\":"
	    "{\"required\":[\"a\",\"a\"]}}]", NULL), "Check 1 (json-schema): "
	    "the schema is invalid: \"required\" at / must be a list of "
	    "distinct names.");
	assert_string_equal(refusal("[{\"type\":\"json-schema\",\"schema\":"
	    "{\"enum\":[]}}]", NULL), "Check 1 (json-schema): the schema is "
	    "invalid: \"enum\" at / must be a non-empty list.");
	assert_string_equal(refusal("[{\"type\":\"json-schema\",\"schema\":"
	    "{\"minimum\":5,\"maximum\":1}}]", NULL), "Check 1 (json-schema): "
	    "the schema is invalid: \"minimum\" at / is above its maximum.");
	assert_string_equal(refusal("[{\"type\":\"json-schema\",\"schema\":3}]",
	    NULL), "Check 1 (json-schema): the schema is invalid: the schema "
	    "at / must be an object.");
}

static void test_too_many(void **state)
{
	struct buf t = { 0 };
	int i;

	(void)state;
	buf_putc(&t, '[');
	for (i = 0; i <= CHECKS_MAX; i++)
		buf_printf(&t, "%s{\"type\":\"is-json\"}", i ? "," : "");
	buf_putc(&t, ']');
	assert_string_equal(refusal(t.data, NULL),
	    "A sample has at most 50 checks.");
	buf_free(&t);
}

static void test_equals(void **state)
{
	char why[CHECK_REASON_MAX];

	(void)state;
	PASS("{\"type\":\"equals\",\"value\":\"Paris\"}", "  Paris\n", NULL);
	FAIL("{\"type\":\"equals\",\"value\":\"Paris\"}", "paris", NULL);
	PASS("{\"type\":\"equals\"}", "Paris", " Paris ");
	FAIL("{\"type\":\"equals\"}", "", "Paris");
	PASS("{\"type\":\"equals\",\"value\":\"\"}", "  ", NULL);
	/* JSON: key order and number forms do not matter, arrays' order does. */
	PASS("{\"type\":\"equals\",\"value\":{\"a\":1,\"b\":[1,2]}}",
	    "{\"b\": [1, 2.0], \"a\": 1}", NULL);
	FAIL("{\"type\":\"equals\",\"value\":{\"a\":1,\"b\":[1,2]}}",
	    "{\"b\": [2, 1], \"a\": 1}", NULL);
	FAIL("{\"type\":\"equals\",\"value\":{\"a\":1}}",
	    "{\"a\": 1, \"c\": 2}", NULL);
	PASS("{\"type\":\"equals\",\"json\":true}",
	    "```json\n{\"x\": \"y\"}\n```", "{\"x\":\"y\"}");
	PASS("{\"type\":\"equals\",\"value\":\"[1, true, null]\",\"json\":true}",
	    "[1,true,null]", NULL);
	PASS("{\"type\":\"equals\",\"value\":\"null\",\"json\":true}", "null",
	    NULL);
	assert_int_equal(run("{\"type\":\"equals\",\"value\":[1]}", "[1",
	    NULL, why), CHECK_FAIL);
	assert_string_equal(why, "The output is not valid JSON: unexpected "
	    "end of data.");
	assert_int_equal(run("{\"type\":\"equals\",\"value\":[1]}", "[2]",
	    NULL, why), CHECK_FAIL);
	assert_string_equal(why, "The output is JSON, but not equal to the "
	    "expected value.");
	assert_int_equal(run("{\"type\":\"equals\",\"value\":\"a\","
	    "\"not\":true}", "a", NULL, why), CHECK_FAIL);
	assert_string_equal(why, "The output equals the expected text.");
}

static void test_equals_expected_at_run_time(void **state)
{
	struct checks cs;
	struct check_result r;
	struct check_outcome o = outcome("x", NULL);

	(void)state;
	parse1("{\"type\":\"equals\"}", "saved", &cs);
	check_eval(&cs.v[0], &o, &r);
	assert_int_equal(r.state, CHECK_ERROR);
	assert_string_equal(r.reason, "This check compares with the expected "
	    "output, and the sample has none.");
	checks_free(&cs);
	parse1("{\"type\":\"equals\",\"json\":true}", "{}", &cs);
	o = outcome("{}", "{oops");
	check_eval(&cs.v[0], &o, &r);
	assert_int_equal(r.state, CHECK_ERROR);
	assert_string_equal(r.reason, "The expected output is not valid JSON: "
	    "quoted object property name expected.");
	checks_free(&cs);
}

static void test_text_checks(void **state)
{
	char why[CHECK_REASON_MAX];

	(void)state;
	PASS("{\"type\":\"contains\",\"value\":\"cat\"}", "a cat sat", NULL);
	FAIL("{\"type\":\"contains\",\"value\":\"Cat\"}", "a cat sat", NULL);
	FAIL("{\"type\":\"contains\",\"value\":\"cat\"}", "", NULL);
	PASS("{\"type\":\"icontains\",\"value\":\"Cat\"}", "a CAT sat", NULL);
	/* Multibyte letters fold too. */
	PASS("{\"type\":\"icontains\",\"value\":\"école\"}", "À L'ÉCOLE", NULL);
	PASS("{\"type\":\"icontains\",\"value\":\"ПРИВЕТ\"}", "привет, мир",
	    NULL);
	PASS("{\"type\":\"icontains\",\"value\":\"σοφία\"}", "ΣΟΦΊΑ", NULL);
	PASS("{\"type\":\"icontains\",\"value\":\"ŁÓDŹ\"}", "łódź", NULL);
	FAIL("{\"type\":\"icontains\",\"value\":\"école\"}", "ecole", NULL);
	FAIL("{\"type\":\"icontains\",\"value\":\"x\"}", "", NULL);
	PASS("{\"type\":\"starts-with\",\"value\":\"Dear\"}", "\n  Dear Sir",
	    NULL);
	FAIL("{\"type\":\"starts-with\",\"value\":\"Dear\"}", "Hello Dear",
	    NULL);
	FAIL("{\"type\":\"starts-with\",\"value\":\"Dear\"}", "", NULL);
	assert_int_equal(run("{\"type\":\"contains\",\"value\":\"cat\","
	    "\"not\":true}", "a cat", NULL, why), CHECK_FAIL);
	assert_string_equal(why, "The output contains \"cat\".");
	assert_int_equal(run("{\"type\":\"contains\",\"value\":\"dog\","
	    "\"not\":true}", "a cat", NULL, why), CHECK_PASS);
	assert_string_equal(why, "The output does not contain \"dog\".");
}

static void test_long_value_is_cut_in_reason(void **state)
{
	char why[CHECK_REASON_MAX], check[400];

	(void)state;
	/* 60 two-byte letters: cut at 80 bytes on a character boundary. */
	snprintf(check, sizeof(check), "{\"type\":\"contains\",\"value\":\"%s\"}",
	    "éééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé");
	assert_int_equal(run(check, "x", NULL, why), CHECK_FAIL);
	assert_string_equal(why, "The output does not contain \""
	    "éééééééééééééééééééééééééééééééééééééééé…\".");
}

static void test_values(void **state)
{
	char why[CHECK_REASON_MAX];

	(void)state;
	assert_int_equal(run("{\"type\":\"contains-any\",\"values\":[\"dog\","
	    "\"cat\"]}", "a cat", NULL, why), CHECK_PASS);
	assert_string_equal(why, "The output contains \"cat\".");
	assert_int_equal(run("{\"type\":\"contains-any\",\"values\":[\"dog\","
	    "\"cow\"]}", "a cat", NULL, why), CHECK_FAIL);
	assert_string_equal(why, "The output contains none of the 2 texts.");
	PASS("{\"type\":\"contains-any\",\"values\":[\"DOG\"],"
	    "\"ignore_case\":true}", "a dog", NULL);
	assert_int_equal(run("{\"type\":\"contains-all\",\"values\":[\"a\","
	    "\"b\",\"c\"]}", "a b", NULL, why), CHECK_FAIL);
	assert_string_equal(why, "The output does not contain \"c\".");
	assert_int_equal(run("{\"type\":\"contains-all\",\"values\":[\"a\","
	    "\"b\"]}", "b a", NULL, why), CHECK_PASS);
	assert_string_equal(why, "The output contains all 2 texts.");
	FAIL("{\"type\":\"contains-all\",\"values\":[\"A\"]}", "a", NULL);
	PASS("{\"type\":\"contains-all\",\"values\":[\"Ä\"],\"ignore_case\":"
	    "true}", "ä", NULL);
	PASS("{\"type\":\"contains-any\",\"values\":[\"x\"],\"not\":true}", "",
	    NULL);
}

static void test_regex(void **state)
{
	char why[CHECK_REASON_MAX];

	(void)state;
	PASS("{\"type\":\"regex\",\"pattern\":\"^[0-9]{3}-[0-9]{4}$\"}",
	    "555-1234", NULL);
	FAIL("{\"type\":\"regex\",\"pattern\":\"^[0-9]{3}-[0-9]{4}$\"}",
	    "call 555-1234", NULL);
	PASS("{\"type\":\"regex\",\"pattern\":\"(yes|no)\"}", "I say yes.",
	    NULL);
	FAIL("{\"type\":\"regex\",\"pattern\":\"YES\"}", "yes", NULL);
	PASS("{\"type\":\"regex\",\"pattern\":\"YES\",\"ignore_case\":true}",
	    "yes", NULL);
	PASS("{\"type\":\"regex\",\"pattern\":\"^$\"}", "", NULL);
	assert_int_equal(run("{\"type\":\"regex\",\"pattern\":\"a+\","
	    "\"not\":true}", "baa", NULL, why), CHECK_FAIL);
	assert_string_equal(why, "The output matches /a+/.");
	{
		static char big[CHECK_REGEX_INPUT_MAX + 2];

		memset(big, 'a', CHECK_REGEX_INPUT_MAX + 1);
		assert_int_equal(run("{\"type\":\"regex\",\"pattern\":\"a\"}",
		    big, NULL, why), CHECK_ERROR);
		assert_string_equal(why, "The output is too long for a regular "
		    "expression (64 KB at most).");
		big[CHECK_REGEX_INPUT_MAX] = '\0';
		PASS("{\"type\":\"regex\",\"pattern\":\"^a+$\"}", big, NULL);
	}
}

static void test_json_checks(void **state)
{
	char why[CHECK_REASON_MAX];
	const char *schema = "{\"type\":\"json-schema\",\"schema\":{\"type\":"
	    "\"object\",\"required\":[\"name\",\"age\"],\"properties\":{"
	    "\"name\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":5},"
	    "\"age\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":150},"
	    "\"tags\":{\"type\":\"array\",\"items\":{\"enum\":[\"a\",\"b\"]}},"
	    "\"note\":{\"type\":[\"string\",\"null\"]}}}}";

	(void)state;
	PASS("{\"type\":\"is-json\"}", " {\"a\": [1, 2]} ", NULL);
	PASS("{\"type\":\"is-json\"}", "```\n[1]\n```", NULL);
	PASS("{\"type\":\"is-json\"}", "null", NULL);
	assert_int_equal(run("{\"type\":\"is-json\"}", "Sure! {\"a\":1}", NULL,
	    why), CHECK_FAIL);
	assert_string_equal(why, "The output is not valid JSON: unexpected "
	    "character.");
	FAIL("{\"type\":\"is-json\"}", "", NULL);
	FAIL("{\"type\":\"is-json\"}", "NaN", NULL);
	PASS("{\"type\":\"is-json\",\"not\":true}", "plain text", NULL);
	PASS("{\"type\":\"contains-json\"}", "Here: {\"a\": 1} done", NULL);
	PASS("{\"type\":\"contains-json\"}", "a { b [1,2] c", NULL);
	assert_int_equal(run("{\"type\":\"contains-json\"}", "a { b } c", NULL,
	    why), CHECK_FAIL);
	assert_string_equal(why, "The output contains no JSON.");
	FAIL("{\"type\":\"contains-json\"}", "", NULL);
	PASS("{\"type\":\"contains-json\",\"schema\":{\"required\":[\"b\"]}}",
	    "[1] then {\"b\":2}", NULL);
	assert_int_equal(run("{\"type\":\"contains-json\",\"schema\":"
	    "{\"required\":[\"b\"]}}", "x {\"a\":2}", NULL, why), CHECK_FAIL);
	assert_string_equal(why, "The output contains no JSON that matches "
	    "the schema (at /, the member \"b\" is missing).");

	PASS(schema, "{\"name\":\"Ann\",\"age\":30,\"tags\":[\"a\"],"
	    "\"note\":null}", NULL);
	PASS(schema, "{\"name\":\"Zoë\",\"age\":30.0}", NULL);
	assert_int_equal(run(schema, "{\"name\":\"Ann\"}", NULL, why),
	    CHECK_FAIL);
	assert_string_equal(why, "The output is JSON, but does not match the "
	    "schema: at /, the member \"age\" is missing.");
	assert_int_equal(run(schema, "{\"name\":\"Ann\",\"age\":1.5}", NULL,
	    why), CHECK_FAIL);
	assert_string_equal(why, "The output is JSON, but does not match the "
	    "schema: at /age, expected integer but found number.");
	assert_int_equal(run(schema, "{\"name\":\"Ann\",\"age\":151}", NULL,
	    why), CHECK_FAIL);
	assert_string_equal(why, "The output is JSON, but does not match the "
	    "schema: at /age, 151 is above the maximum 150.");
	assert_int_equal(run(schema, "{\"name\":\"Ann\",\"age\":-1}", NULL,
	    why), CHECK_FAIL);
	assert_string_equal(why, "The output is JSON, but does not match the "
	    "schema: at /age, -1 is below the minimum 0.");
	assert_int_equal(run(schema, "{\"name\":\"A\",\"age\":1}", NULL, why),
	    CHECK_FAIL);
	assert_string_equal(why, "The output is JSON, but does not match the "
	    "schema: at /name, the text is shorter than 2 characters.");
	/* Lengths count characters: 5 two-byte letters fit maxLength 5. */
	PASS(schema, "{\"name\":\"ééééé\",\"age\":1}", NULL);
	assert_int_equal(run(schema, "{\"name\":\"éééééé\",\"age\":1}", NULL,
	    why), CHECK_FAIL);
	assert_string_equal(why, "The output is JSON, but does not match the "
	    "schema: at /name, the text is longer than 5 characters.");
	assert_int_equal(run(schema, "{\"name\":\"Ann\",\"age\":1,\"tags\":"
	    "[\"a\",\"c\"]}", NULL, why), CHECK_FAIL);
	assert_string_equal(why, "The output is JSON, but does not match the "
	    "schema: at /tags/1, the value is not one of the allowed values.");
	assert_int_equal(run(schema, "[]", NULL, why), CHECK_FAIL);
	assert_string_equal(why, "The output is JSON, but does not match the "
	    "schema: at /, expected object but found array.");
	assert_int_equal(run(schema, "not json", NULL, why), CHECK_FAIL);
	assert_string_equal(why, "The output is not valid JSON: null "
	    "expected.");
	PASS("{\"type\":\"json-schema\",\"schema\":{\"type\":\"number\"}}", "3",
	    NULL);
	PASS("{\"type\":\"json-schema\",\"schema\":{\"type\":\"object\"},"
	    "\"not\":true}", "[1]", NULL);
	/* The title and other annotations are accepted and ignored. */
	PASS("{\"type\":\"json-schema\",\"schema\":{\"title\":\"T\",\"$schema\":"
	    "\"x\",\"properties\":{\"a/b\":{\"type\":\"string\"}}}}",
	    "{\"a/b\":\"s\"}", NULL);
	assert_int_equal(run("{\"type\":\"json-schema\",\"schema\":"
	    "{\"properties\":{\"a/b\":{\"type\":\"string\"}}}}", "{\"a/b\":1}",
	    NULL, why), CHECK_FAIL);
	assert_string_equal(why, "The output is JSON, but does not match the "
	    "schema: at /a~1b, expected string but found integer.");
}

static void test_levenshtein(void **state)
{
	char why[CHECK_REASON_MAX];

	(void)state;
	assert_int_equal(run("{\"type\":\"levenshtein\",\"max\":3,\"value\":"
	    "\"sitting\"}", "kitten", NULL, why), CHECK_PASS);
	assert_string_equal(why, "The edit distance to the expected text is 3 "
	    "(at most 3).");
	assert_int_equal(run("{\"type\":\"levenshtein\",\"max\":2}", "kitten",
	    "sitting", why), CHECK_FAIL);
	assert_string_equal(why, "The edit distance to the expected text is "
	    "more than 2.");
	/* Counted in characters, not bytes. */
	PASS("{\"type\":\"levenshtein\",\"max\":1}", "café", "cafe");
	PASS("{\"type\":\"levenshtein\",\"max\":0}", "naïve", "naïve");
	FAIL("{\"type\":\"levenshtein\",\"max\":0}", "naïve", "naive");
	PASS("{\"type\":\"levenshtein\",\"max\":2}", "日本語", "日本");
	PASS("{\"type\":\"levenshtein\",\"max\":3}", "", "abc");
	FAIL("{\"type\":\"levenshtein\",\"max\":2}", "", "abc");
	PASS("{\"type\":\"levenshtein\",\"max\":0}", "", "");
	PASS("{\"type\":\"levenshtein\",\"max\":1,\"not\":true}", "abcd",
	    "wxyz");
}

static void test_rouge_bleu(void **state)
{
	char why[CHECK_REASON_MAX];
	const char *ref = "The cat is on the mat.";
	const char *cand = "the cat sat on the mat";

	(void)state;
	/* R1 = 5/6 (the x2, cat, on, mat of 6 reference unigrams). */
	assert_int_equal(run("{\"type\":\"rouge-n\",\"min\":0.83}", cand, ref,
	    why), CHECK_PASS);
	assert_string_equal(why, "ROUGE-1 is 0.833 (at least 0.830).");
	FAIL("{\"type\":\"rouge-n\",\"min\":0.84}", cand, ref);
	/* R2 = 3/5 (the cat, on the, the mat). */
	assert_int_equal(run("{\"type\":\"rouge-n\",\"n\":2,\"min\":0.7}", cand,
	    ref, why), CHECK_FAIL);
	assert_string_equal(why, "ROUGE-2 is 0.600, below 0.700.");
	PASS("{\"type\":\"rouge-n\",\"n\":2,\"min\":0.6}", cand, ref);
	/* BLEU = (5/6 * 4/6 * 2/5 * 1/4)^(1/4) = 18^(-1/4) = 0.4855 */
	assert_int_equal(run("{\"type\":\"bleu\",\"min\":0.48}", cand, ref,
	    why), CHECK_PASS);
	assert_string_equal(why, "BLEU is 0.485 (at least 0.480).");
	FAIL("{\"type\":\"bleu\",\"min\":0.49}", cand, ref);
	PASS("{\"type\":\"bleu\",\"min\":1}", "a b c d", "a b c d");
	FAIL("{\"type\":\"bleu\",\"min\":0.01}", "", "a b");
	PASS("{\"type\":\"bleu\",\"min\":0.5,\"not\":true}", "x y", "a b");
}

static void test_word_count(void **state)
{
	char why[CHECK_REASON_MAX];

	(void)state;
	assert_int_equal(run("{\"type\":\"word-count\",\"min\":2,\"max\":3}",
	    "  one two\tthree\n", NULL, why), CHECK_PASS);
	assert_string_equal(why, "The output has 3 words (2 to 3).");
	assert_int_equal(run("{\"type\":\"word-count\",\"max\":2}",
	    "one two three", NULL, why), CHECK_FAIL);
	assert_string_equal(why, "The output has 3 words, not at most 2.");
	assert_int_equal(run("{\"type\":\"word-count\",\"min\":1}", "", NULL,
	    why), CHECK_FAIL);
	assert_string_equal(why, "The output has 0 words, not at least 1.");
	PASS("{\"type\":\"word-count\",\"max\":0}", " \n ", NULL);
	PASS("{\"type\":\"word-count\",\"min\":2}", "déjà vu", NULL);
}

static void test_limits(void **state)
{
	char why[CHECK_REASON_MAX];

	(void)state;
	/* The outcome costs 1500 micro-dollars and took 2000 ms. */
	assert_int_equal(run("{\"type\":\"max-cost\",\"max\":1500}", "x", NULL,
	    why), CHECK_PASS);
	assert_string_equal(why, "The execution cost $0.001500 (at most "
	    "$0.001500).");
	assert_int_equal(run("{\"type\":\"max-cost\",\"max\":1499}", "x", NULL,
	    why), CHECK_FAIL);
	assert_string_equal(why, "The execution cost $0.001500, more than "
	    "$0.001499.");
	assert_int_equal(run("{\"type\":\"max-latency\",\"max\":1999}", "x",
	    NULL, why), CHECK_FAIL);
	assert_string_equal(why, "The answer took 2000 ms, more than 1999 ms.");
	PASS("{\"type\":\"max-latency\",\"max\":2000}", "x", NULL);
	PASS("{\"type\":\"max-latency\",\"max\":1000,\"not\":true}", "x", NULL);
}

static void test_finish_reason(void **state)
{
	struct checks cs;
	struct check_result r;
	struct check_outcome o = outcome("x", NULL);

	(void)state;
	PASS("{\"type\":\"finish-reason\",\"value\":\"stop\"}", "x", NULL);
	parse1("{\"type\":\"finish-reason\",\"value\":\"stop\"}", NULL, &cs);
	o.finish_reason = "length";
	check_eval(&cs.v[0], &o, &r);
	assert_int_equal(r.state, CHECK_FAIL);
	assert_string_equal(r.reason, "The finish reason is \"length\", not "
	    "\"stop\".");
	o.finish_reason = NULL;
	check_eval(&cs.v[0], &o, &r);
	assert_int_equal(r.state, CHECK_FAIL);
	assert_string_equal(r.reason, "No finish reason was received "
	    "(expected \"stop\").");
	checks_free(&cs);
}

static void test_rubric_and_judge(void **state)
{
	struct checks cs;
	struct check_result r;
	struct check_outcome o = outcome("x", NULL);

	(void)state;
	parse1("{\"type\":\"rubric\",\"rubric\":\"Polite.\"}", NULL, &cs);
	assert_true(checks_have_rubric(&cs));
	check_eval(&cs.v[0], &o, &r);
	assert_int_equal(r.state, CHECK_NEEDS_JUDGE);
	check_judged(&cs.v[0], 1, "It says please.", &r);
	assert_int_equal(r.state, CHECK_PASS);
	assert_string_equal(r.reason, "The judge found the rubric met: It says "
	    "please.");
	check_judged(&cs.v[0], 0, "", &r);
	assert_int_equal(r.state, CHECK_FAIL);
	assert_string_equal(r.reason, "The judge found the rubric not met: No "
	    "reason given.");
	check_errored(&r, "judge.error", "upstream 502");
	assert_int_equal(r.state, CHECK_ERROR);
	assert_string_equal(r.reason, "The judge model could not be asked: "
	    "upstream 502");
	checks_free(&cs);
	parse1("{\"type\":\"rubric\",\"rubric\":\"Rude.\",\"not\":true}", NULL,
	    &cs);
	check_judged(&cs.v[0], 1, "It is rude.", &r);
	assert_int_equal(r.state, CHECK_FAIL);
	checks_free(&cs);
	parse1("{\"type\":\"is-json\"}", NULL, &cs);
	assert_false(checks_have_rubric(&cs));
	checks_free(&cs);
}

/* Score of checks text with the given states. */
static void score(const char *text, const enum check_state *st,
    int has_threshold, double threshold, struct check_score *out)
{
	struct checks cs;
	struct check_result r[8];
	struct pm_fail f = { 0 };
	struct json_error e;
	json_object *a = json_parse_strict(text, strlen(text), &e);
	size_t i;

	assert_int_equal(checks_parse(a, NULL, &cs, &f), 0);
	json_object_put(a);
	for (i = 0; i < cs.n; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].state = st[i];
	}
	checks_score(&cs, r, has_threshold, threshold, out);
	checks_free(&cs);
}

static void test_score(void **state)
{
	const char *two = "[{\"type\":\"is-json\"},{\"type\":\"is-json\","
	    "\"weight\":3}]";
	const enum check_state pf[] = { CHECK_PASS, CHECK_FAIL };
	const enum check_state fp[] = { CHECK_FAIL, CHECK_PASS };
	const enum check_state pp[] = { CHECK_PASS, CHECK_PASS };
	const enum check_state pe[] = { CHECK_PASS, CHECK_ERROR };
	const enum check_state pj[] = { CHECK_PASS, CHECK_NEEDS_JUDGE };
	struct check_score s;

	(void)state;
	score(two, pf, 0, 0, &s);
	assert_true(s.score > 0.2499 && s.score < 0.2501);
	assert_int_equal(s.passed, 1);
	assert_int_equal(s.failed, 1);
	assert_false(s.pass);			/* default: every check */
	score(two, pf, 1, 0.25, &s);
	assert_true(s.pass);
	score(two, pf, 1, 0.26, &s);
	assert_false(s.pass);
	score(two, fp, 1, 0.75, &s);
	assert_true(s.pass);
	score(two, pp, 0, 0, &s);
	assert_true(s.pass);
	assert_true(s.score == 1.0);
	score(two, pe, 1, 0, &s);		/* an error never passes */
	assert_false(s.pass);
	assert_int_equal(s.errors, 1);
	score(two, pj, 1, 0, &s);
	assert_false(s.pass);
	assert_int_equal(s.pending, 1);
	score(two, pf, 1, 1 / 3.0 - 1e-12, &s);
	assert_false(s.pass);
}

static void test_round_trip(void **state)
{
	const char *in = "[{\"type\":\"equals\",\"value\":{\"a\":[1,2.5]}},"
	    "{\"type\":\"equals\",\"value\":\"{}\",\"json\":true,\"weight\":2.5},"
	    "{\"type\":\"contains-any\",\"values\":[\"a\",\"b\"],"
	    "\"ignore_case\":true,\"not\":true},"
	    "{\"type\":\"regex\",\"pattern\":\"x+\",\"ignore_case\":true},"
	    "{\"type\":\"json-schema\",\"schema\":{\"type\":\"object\"}},"
	    "{\"type\":\"rouge-n\",\"min\":0.5,\"n\":2,\"value\":\"r\"},"
	    "{\"type\":\"word-count\",\"min\":1},"
	    "{\"type\":\"rubric\",\"rubric\":\"Short.\"}]";
	const char *want = "[{\"type\":\"equals\",\"not\":false,\"weight\":1,"
	    "\"value\":{\"a\":[1,2.5]},\"json\":true},"
	    "{\"type\":\"equals\",\"not\":false,\"weight\":2.5,\"value\":\"{}\","
	    "\"json\":true},"
	    "{\"type\":\"contains-any\",\"not\":true,\"weight\":1,\"values\":"
	    "[\"a\",\"b\"],\"ignore_case\":true},"
	    "{\"type\":\"regex\",\"not\":false,\"weight\":1,\"pattern\":\"x+\","
	    "\"ignore_case\":true},"
	    "{\"type\":\"json-schema\",\"not\":false,\"weight\":1,\"schema\":"
	    "{\"type\":\"object\"}},"
	    "{\"type\":\"rouge-n\",\"not\":false,\"weight\":1,\"value\":\"r\","
	    "\"min\":0.5,\"n\":2},"
	    "{\"type\":\"word-count\",\"not\":false,\"weight\":1,\"min\":1},"
	    "{\"type\":\"rubric\",\"not\":false,\"weight\":1,\"rubric\":"
	    "\"Short.\"}]";
	struct checks cs, cs2;
	struct pm_fail f = { 0 };
	struct json_error e;
	json_object *a = json_parse_strict(in, strlen(in), &e), *out, *out2;
	const int fl = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;

	(void)state;
	assert_int_equal(checks_parse(a, NULL, &cs, &f), 0);
	out = checks_to_json(&cs);
	assert_string_equal(json_to_text(out, fl, NULL), want);
	assert_int_equal(checks_parse(out, NULL, &cs2, &f), 0);
	out2 = checks_to_json(&cs2);
	assert_string_equal(json_to_text(out2, fl, NULL), want);
	json_object_put(a);
	json_object_put(out);
	json_object_put(out2);
	checks_free(&cs);
	checks_free(&cs2);
	checks_free(&cs2);	/* freeing twice is harmless */
	checks_free(NULL);
}

static void test_type_names(void **state)
{
	int t;

	(void)state;
	for (t = 0; t < CHECK__MAX; t++)
		assert_int_equal(check_type_from_name(check_type_name(
		    (enum check_type)t)), t);
	assert_int_equal(check_type_from_name("Equals"), -1);
	assert_int_equal(check_type_from_name(NULL), -1);
	assert_string_equal(check_type_name(CHECK__MAX), "?");
}

int main(void)
{
	struct buf err = { 0 };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_equals),
		cmocka_unit_test(test_equals_expected_at_run_time),
		cmocka_unit_test(test_text_checks),
		cmocka_unit_test(test_long_value_is_cut_in_reason),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_regex),
		cmocka_unit_test(test_json_checks),
		cmocka_unit_test(test_levenshtein),
		cmocka_unit_test(test_rouge_bleu),
		cmocka_unit_test(test_word_count),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_finish_reason),
		cmocka_unit_test(test_rubric_and_judge),
		cmocka_unit_test(test_score),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_type_names),
	};

	if (msg_load("templates", "en", &err) != 0) {
		fprintf(stderr, "%s (run from the repository root)\n",
		    buf_cstr(&err));
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
