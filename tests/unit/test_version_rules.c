/* test_version_rules.c - what a version's content may hold
 * (version_content): messages or system + user template, model,
 * parameters, variable declarations, commit message, and what an edit
 * inherits from the version it starts from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "prompts.h"

/* version_content() of the JSON text in over the JSON text base (or
 * NULL); the result (caller puts) or NULL with the refusal in f. */
static struct json_object *content(const char *in, const char *base,
    int *rc, struct pm_fail *f)
{
	struct json_object *i = json_tokener_parse(in), *b = NULL, *out = NULL;

	if (i == NULL)
		fail_msg("bad test input %s", in);
	if (base != NULL && (b = json_tokener_parse(base)) == NULL)
		fail_msg("bad test base %s", base);
	*rc = version_content(i, b, &out, f);
	json_object_put(i);
	json_object_put(b);
	return out;
}

/* The refusal's key for in (asserting its code and field). */
static const char *refusal(const char *in, int code, const char *field)
{
	static char key[64];
	struct pm_fail f = { 0 };
	int rc;
	struct json_object *o = content(in, NULL, &rc, &f);

	assert_null(o);
	assert_int_equal(rc, code);
	if (field == NULL)
		assert_null(f.field);
	else
		assert_string_equal(f.field, field);
	snprintf(key, sizeof(key), "%s", f.key);
	pm_fail_clear(&f);
	return key;
}

static const char *text(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
}

static void test_messages_and_template(void **state)
{
	struct pm_fail f = { 0 };
	struct json_object *o;
	int rc;

	(void)state;
	o = content("{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
	    "{\"role\":\"user\",\"content\":\"About {{topic}}\"}],"
	    "\"model\":\"openai/gpt-4o-mini\"}", NULL, &rc, &f);
	assert_int_equal(rc, 0);
	assert_string_equal(text(o), "{\"messages\":[{\"role\":\"system\","
	    "\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":"
	    "\"About {{topic}}\"}],\"model\":\"openai/gpt-4o-mini\","
	    "\"params\":{},\"variables\":[{\"name\":\"topic\",\"type\":"
	    "\"string\",\"required\":true}],\"commit_message\":\"\"}");
	json_object_put(o);
	/* system + user_template: two messages; an empty system is none */
	o = content("{\"system\":\"S\",\"user_template\":\"U\",\"model\":\"a/b\"}",
	    NULL, &rc, &f);
	assert_int_equal(rc, 0);
	assert_string_equal(text(json_object_object_get(o, "messages")),
	    "[{\"role\":\"system\",\"content\":\"S\"},{\"role\":\"user\","
	    "\"content\":\"U\"}]");
	json_object_put(o);
	o = content("{\"system\":\"\",\"user_template\":\"U\",\"model\":\"a/b\"}",
	    NULL, &rc, &f);
	assert_int_equal(json_object_array_length(json_object_object_get(o,
	    "messages")), 1);
	json_object_put(o);
}

static void test_refusals(void **state)
{
	struct buf big = { 0 };
	int i;

	(void)state;
	assert_string_equal(refusal("[1]", PM_INVALID, NULL), "prompts.body_object");
	assert_string_equal(refusal("{\"model\":\"a/b\"}", PM_INVALID, "messages"),
	    "versions.messages_required");
	assert_string_equal(refusal("{\"messages\":[],\"model\":\"a/b\"}",
	    PM_INVALID, "messages"), "versions.messages_invalid");
	assert_string_equal(refusal("{\"messages\":[{\"role\":\"user\"}],"
	    "\"model\":\"a/b\"}", PM_INVALID, "messages"),
	    "versions.messages_invalid");
	assert_string_equal(refusal("{\"messages\":[{\"role\":\"user\","
	    "\"content\":\"x\",\"name\":\"n\"}],\"model\":\"a/b\"}", PM_INVALID,
	    "messages"), "versions.messages_invalid");
	assert_string_equal(refusal("{\"messages\":[{\"role\":\"tool\","
	    "\"content\":\"x\"}],\"model\":\"a/b\"}", PM_INVALID, "messages"),
	    "versions.role_invalid");
	assert_string_equal(refusal("{\"user_template\":\"  \\n\","
	    "\"model\":\"a/b\"}", PM_INVALID, "user_template"),
	    "versions.user_required");
	assert_string_equal(refusal("{\"user_template\":\"x\"}", PM_INVALID,
	    "model"), "versions.model_required");
	assert_string_equal(refusal("{\"user_template\":\"x\",\"model\":\"nope\"}",
	    PM_INVALID, "model"), "versions.model_invalid");
	assert_string_equal(refusal("{\"user_template\":\"x\",\"model\":\"a/b c\"}",
	    PM_INVALID, "model"), "versions.model_invalid");
	assert_string_equal(refusal("{\"user_template\":\"x\",\"model\":\"a/b\","
	    "\"params\":{\"temperature\":2.5}}", PM_INVALID, "params"),
	    "versions.temperature_invalid");
	assert_string_equal(refusal("{\"user_template\":\"x\",\"model\":\"a/b\","
	    "\"params\":{\"top_p\":0}}", PM_INVALID, "params"),
	    "versions.top_p_invalid");
	assert_string_equal(refusal("{\"user_template\":\"x\",\"model\":\"a/b\","
	    "\"params\":{\"max_tokens\":0}}", PM_INVALID, "params"),
	    "versions.max_tokens_invalid");
	assert_string_equal(refusal("{\"user_template\":\"x\",\"model\":\"a/b\","
	    "\"params\":{\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}}", PM_INVALID,
	    "params"), "versions.stop_invalid");
	assert_string_equal(refusal("{\"user_template\":\"x\",\"model\":\"a/b\","
	    "\"params\":{\"temprature\":1}}", PM_INVALID, "params"),
	    "versions.param_unknown");
	assert_string_equal(refusal("{\"user_template\":\"x {{\",\"model\":\"a/b\"}",
	    PM_INVALID, "messages"), "vars.unclosed");
	buf_puts(&big, "{\"user_template\":\"x\",\"model\":\"a/b\",\"commit_message\":\"");
	for (i = 0; i < COMMIT_MAX + 1; i++)
		buf_puts(&big, "\xc3\xa9");	/* characters, not bytes */
	buf_puts(&big, "\"}");
	assert_string_equal(refusal(big.data, PM_INVALID, "commit_message"),
	    "versions.commit_too_long");
	buf_reset(&big);
	buf_puts(&big, "{\"model\":\"a/b\",\"messages\":[");
	for (i = 0; i < MESSAGES_MAX_COUNT + 1; i++)
		buf_printf(&big, "%s{\"role\":\"user\",\"content\":\"m\"}", i ? "," : "");
	buf_puts(&big, "]}");
	assert_string_equal(refusal(big.data, PM_INVALID, "messages"),
	    "versions.messages_too_many");
	buf_reset(&big);
	buf_puts(&big, "{\"model\":\"a/b\",\"user_template\":\"");
	for (i = 0; i < MESSAGES_MAX_BYTES + 1; i++)
		buf_putc(&big, 'z');
	buf_puts(&big, "\"}");
	assert_string_equal(refusal(big.data, PM_TOOBIG, "messages"),
	    "versions.messages_too_large");
	buf_free(&big);
}

/* The parameter a refusal names. */
static void test_refusal_names_the_parameter(void **state)
{
	struct pm_fail f = { 0 };
	int rc;

	(void)state;
	assert_null(content("{\"user_template\":\"x\",\"model\":\"a/b\","
	    "\"params\":{\"seed\":1}}", NULL, &rc, &f));
	assert_int_equal(f.nargs, 1);
	assert_string_equal(f.arg[0].name, "param");
	assert_string_equal(f.arg[0].val, "seed");
}

/* An edit starts from the version it replaces. */
static void test_edit_inherits(void **state)
{
	static const char base[] = "{\"messages\":[{\"role\":\"system\","
	    "\"content\":\"Sys {{tone}}\"},{\"role\":\"user\",\"content\":"
	    "\"Old {{topic}}\"}],\"model\":\"a/b\",\"params\":{\"temperature\":"
	    "0.5},\"variables\":[{\"name\":\"tone\",\"type\":\"enum\","
	    "\"required\":true,\"choices\":[\"dry\",\"warm\"]},{\"name\":"
	    "\"topic\",\"type\":\"string\",\"required\":true}],"
	    "\"commit_message\":\"v1\"}";
	struct pm_fail f = { 0 };
	struct json_object *o;
	int rc;

	(void)state;
	/* A new user template keeps the system message, model, params and
	 * the declarations still used. */
	o = content("{\"user_template\":\"New {{topic}}\"}", base, &rc, &f);
	assert_int_equal(rc, 0);
	assert_string_equal(text(o), "{\"messages\":[{\"role\":\"system\","
	    "\"content\":\"Sys {{tone}}\"},{\"role\":\"user\",\"content\":"
	    "\"New {{topic}}\"}],\"model\":\"a/b\",\"params\":{\"temperature\":"
	    "0.5},\"variables\":[{\"name\":\"tone\",\"type\":\"enum\","
	    "\"required\":true,\"choices\":[\"dry\",\"warm\"]},{\"name\":"
	    "\"topic\",\"type\":\"string\",\"required\":true}],"
	    "\"commit_message\":\"\"}");
	json_object_put(o);
	/* "system": "" removes it, and its variable's declaration */
	o = content("{\"system\":\"\",\"user_template\":\"Only {{topic}}\"}", base,
	    &rc, &f);
	assert_int_equal(rc, 0);
	assert_string_equal(text(json_object_object_get(o, "variables")),
	    "[{\"name\":\"topic\",\"type\":\"string\",\"required\":true}]");
	assert_int_equal(json_object_array_length(json_object_object_get(o,
	    "messages")), 1);
	json_object_put(o);
	/* nothing given but a commit message: the same content */
	o = content("{\"commit_message\":\"again\"}", base, &rc, &f);
	assert_int_equal(rc, 0);
	assert_string_equal(json_object_get_string(json_object_object_get(o,
	    "commit_message")), "again");
	assert_int_equal(json_object_array_length(json_object_object_get(o,
	    "messages")), 2);
	json_object_put(o);
}

/* Declarations given with the content are checked and normalised;
 * prune_variables drops the ones no longer used. */
static void test_declarations(void **state)
{
	struct pm_fail f = { 0 };
	struct json_object *o;
	int rc;

	(void)state;
	o = content("{\"user_template\":\"{{n}} items\",\"model\":\"a/b\","
	    "\"variables\":[{\"name\":\"n\",\"type\":\"number\",\"required\":"
	    "false,\"default\":\"3\"}]}", NULL, &rc, &f);
	assert_int_equal(rc, 0);
	assert_string_equal(text(json_object_object_get(o, "variables")),
	    "[{\"name\":\"n\",\"type\":\"number\",\"required\":false,"
	    "\"default\":3}]");
	json_object_put(o);
	assert_null(content("{\"user_template\":\"{{n}}\",\"model\":\"a/b\","
	    "\"variables\":[{\"name\":\"m\"}]}", NULL, &rc, &f));
	assert_int_equal(rc, PM_INVALID);
	assert_string_equal(f.key, "vars.decl_unknown");
	assert_non_null(f.details);
	pm_fail_clear(&f);
	o = content("{\"user_template\":\"{{n}}\",\"model\":\"a/b\","
	    "\"prune_variables\":true,\"variables\":[{\"name\":\"m\"},"
	    "{\"name\":\"n\"}]}", NULL, &rc, &f);
	assert_int_equal(rc, 0);
	assert_string_equal(text(json_object_object_get(o, "variables")),
	    "[{\"name\":\"n\",\"type\":\"string\",\"required\":true}]");
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messages_and_template),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_refusal_names_the_parameter),
		cmocka_unit_test(test_edit_inherits),
		cmocka_unit_test(test_declarations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
