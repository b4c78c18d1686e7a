/* test_judge.c - the rubric judge: its versioned prompt and the reading
 * of its answers, garbage included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "judge.h"
#include "msg.h"

/* Parse answer: returns the verdict (1, 0) or -1 with the reason in
 * why (static). */
static int parse(const char *answer, const char **reason)
{
	static struct judge_verdict v;
	static struct buf why;
	int rc;

	buf_reset(&why);
	rc = judge_parse(answer, strlen(answer), &v, &why);
	if (rc != 0) {
		assert_int_equal(rc, -1);
		*reason = buf_cstr(&why);
		return -1;
	}
	assert_int_equal(why.len, 0);
	*reason = v.reason;
	return v.pass;
}

static void test_verdicts(void **state)
{
	const char *r;

	(void)state;
	assert_int_equal(parse("PASS: polite and short", &r), 1);
	assert_string_equal(r, "polite and short");
	assert_int_equal(parse("FAIL: it is rude", &r), 0);
	assert_string_equal(r, "it is rude");
	assert_int_equal(parse("  \n pass:ok  \nmore lines ignored", &r), 1);
	assert_string_equal(r, "ok");
	assert_int_equal(parse("Fail - too long", &r), 0);
	assert_string_equal(r, "too long");
	assert_int_equal(parse("PASS", &r), 1);
	assert_string_equal(r, "");
	assert_int_equal(parse("FAIL :", &r), 0);
	assert_string_equal(r, "");
	assert_int_equal(parse("PASS: naïve — oui", &r), 1);
	assert_string_equal(r, "naïve — oui");
}

static void test_garbage(void **state)
{
	const char *r;

	(void)state;
	assert_int_equal(parse("", &r), -1);
	assert_string_equal(r, "The judge model gave an empty answer.");
	assert_int_equal(parse(" \n\t ", &r), -1);
	assert_string_equal(r, "The judge model gave an empty answer.");
	assert_int_equal(parse("echo: grade this", &r), -1);
	assert_string_equal(r, "The judge model did not answer PASS or FAIL: "
	    "\"echo: grade this\".");
	assert_int_equal(parse("PASSED: yes", &r), -1);
	assert_string_equal(r, "The judge model did not answer PASS or FAIL: "
	    "\"PASSED: yes\".");
	assert_int_equal(parse("PASS because", &r), -1);
	assert_int_equal(parse("The output passes.", &r), -1);
	assert_int_equal(parse("yes", &r), -1);
	assert_int_equal(parse("PAS", &r), -1);
	assert_int_equal(parse("FAILURE", &r), -1);
}

static void test_long_reason_cut(void **state)
{
	char answer[1200];
	const char *r;
	size_t i;

	(void)state;
	strcpy(answer, "FAIL: ");
	for (i = 0; i < 400; i++)
		strcat(answer, "é");		/* 800 bytes */
	assert_int_equal(parse(answer, &r), 0);
	assert_int_equal(strlen(r), JUDGE_REASON_MAX);	/* 250 é */
	/* A long garbage answer is quoted cut, with an ellipsis. */
	memset(answer, 'x', 200);
	answer[200] = '\0';
	assert_int_equal(parse(answer, &r), -1);
	assert_non_null(strstr(r, "xxx…\"."));
	assert_true(strlen(r) < 160);
}

static void test_prompt(void **state)
{
	json_object *m = judge_messages("Be polite.", "Hi there", 8), *e;
	const char *user;

	(void)state;
	assert_int_equal(JUDGE_PROMPT_VERSION, 1);
	assert_int_equal(json_object_array_length(m), 2);
	e = json_object_array_get_idx(m, 0);
	assert_string_equal(json_object_get_string(json_object_object_get(e,
	    "role")), "system");
	assert_string_equal(json_object_get_string(json_object_object_get(e,
	    "content")), judge_system_text());
	assert_non_null(strstr(judge_system_text(), "PASS: <one short"));
	assert_non_null(strstr(judge_system_text(), "FAIL: <one short"));
	e = json_object_array_get_idx(m, 1);
	assert_string_equal(json_object_get_string(json_object_object_get(e,
	    "role")), "user");
	user = json_object_get_string(json_object_object_get(e, "content"));
	assert_string_equal(user, "Rubric:\n<<<RUBRIC\nBe polite.\nRUBRIC>>>\n\n"
	    "Output to grade:\n<<<OUTPUT\nHi there\nOUTPUT>>>\n\n"
	    "Answer PASS: <reason> or FAIL: <reason>.");
	json_object_put(m);
}

int main(void)
{
	struct buf err = { 0 };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_long_reason_cut),
		cmocka_unit_test(test_prompt),
	};

	if (msg_load("templates", "en", &err) != 0) {
		fprintf(stderr, "%s (run from the repository root)\n",
		    buf_cstr(&err));
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
