/* test_vars.c - prompt variables: scanning, declarations, coercion,
 * rendering and the error list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "util.h"
#include "vars.h"

/* The compact JSON text of o (a static copy; "NULL" for NULL). */
static const char *js(json_object *o)
{
	static char out[8192];

	if (o == NULL)
		return "NULL";
	snprintf(out, sizeof(out), "%s", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	return out;
}

/* Assert that error i of errs is code/name at msg, line, col, offset. */
static void check_err(const struct vars_errors *errs, size_t i,
    const char *code, const char *name, int msg, int line, int col,
    size_t offset)
{
	assert_true(i < errs->n);
	assert_string_equal(errs->v[i].code, code);
	assert_string_equal(errs->v[i].name, name);
	assert_int_equal(errs->v[i].msg_index, msg);
	assert_int_equal(errs->v[i].line, line);
	assert_int_equal(errs->v[i].col, col);
	assert_int_equal(errs->v[i].offset, offset);
}

/* Assert an unlocated error. */
static void check_uerr(const struct vars_errors *errs, size_t i,
    const char *code, const char *name)
{
	check_err(errs, i, code, name, -1, 0, 0, 0);
}

/* Scan text as message msg into names (may be NULL). */
static int scan(const char *text, int msg, json_object *names,
    struct vars_errors *errs)
{
	return vars_scan(text, strlen(text), msg, names, errs);
}

static void test_name_valid(void **state)
{
	char long_name[VARS_NAME_MAX + 2];

	(void)state;
	assert_true(vars_name_valid("a", 1));
	assert_true(vars_name_valid("_", 1));
	assert_true(vars_name_valid("Topic_2", 7));
	assert_false(vars_name_valid("", 0));
	assert_false(vars_name_valid("2a", 2));
	assert_false(vars_name_valid("a-b", 3));
	assert_false(vars_name_valid("a b", 3));
	assert_false(vars_name_valid("\xc3\xa9", 2));
	memset(long_name, 'x', sizeof(long_name));
	assert_true(vars_name_valid(long_name, VARS_NAME_MAX));
	assert_false(vars_name_valid(long_name, VARS_NAME_MAX + 1));
}

static void test_scan_names(void **state)
{
	json_object *names = json_object_new_array();
	struct vars_errors errs = { 0 };

	(void)state;
	assert_int_equal(scan("Hi {{name}}, {{ topic }} and {{name}}{{\ttone\t}}"
	    " }} lone {{{{x}} {x} { {", 0, names, &errs), 0);
	assert_int_equal(errs.n, 0);
	assert_string_equal(js(names), "[\"name\",\"topic\",\"tone\"]");
	/* A second message adds only new names, in order. */
	assert_int_equal(scan("{{tone}} {{extra}} {{name}}", 1, names, &errs), 0);
	assert_string_equal(js(names),
	    "[\"name\",\"topic\",\"tone\",\"extra\"]");
	/* The empty text, and NULL names. */
	assert_int_equal(vars_scan("", 0, 0, names, &errs), 0);
	assert_int_equal(vars_scan(NULL, 0, 0, NULL, &errs), 0);
	assert_int_equal(scan("{{a}}", 0, NULL, &errs), 0);
	assert_int_equal(errs.n, 0);
	assert_int_equal(json_object_array_length(names), 4);
	json_object_put(names);
	vars_errors_free(&errs);
}

static void test_scan_errors(void **state)
{
	json_object *names = json_object_new_array();
	struct vars_errors errs = { 0 };
	char text[200];

	(void)state;
	/* vars.unclosed: at the "{{", line 2 column 3, byte 5. */
	assert_int_equal(scan("ab\n  {{x", 3, names, &errs), PM_INVALID);
	assert_int_equal(errs.n, 1);
	check_err(&errs, 0, VARS_E_UNCLOSED, "", 3, 2, 3, 5);
	vars_errors_free(&errs);

	/* A placeholder must close on its line. */
	assert_int_equal(scan("{{ a\n}}", 0, names, &errs), PM_INVALID);
	check_err(&errs, 0, VARS_E_UNCLOSED, "", 0, 1, 1, 0);
	assert_int_equal(errs.n, 1);
	vars_errors_free(&errs);

	/* vars.bad_name: empty, digit first, bad character, inner space. */
	assert_int_equal(scan("{{}} {{ }}\n{{1x}} {{a-b}}\n\n x{{a b}}", 0,
	    names, &errs), PM_INVALID);
	assert_int_equal(errs.n, 5);
	check_err(&errs, 0, VARS_E_BAD_NAME, "", 0, 1, 1, 0);
	check_err(&errs, 1, VARS_E_BAD_NAME, "", 0, 1, 6, 5);
	check_err(&errs, 2, VARS_E_BAD_NAME, "1x", 0, 2, 1, 11);
	check_err(&errs, 3, VARS_E_BAD_NAME, "a-b", 0, 2, 8, 18);
	check_err(&errs, 4, VARS_E_BAD_NAME, "a b", 0, 4, 3, 29);
	vars_errors_free(&errs);

	/* Too long: 65 characters; the error keeps the first 64. */
	memset(text, 0, sizeof(text));
	strcpy(text, "{{");
	memset(text + 2, 'n', 65);
	strcpy(text + 67, "}}");
	assert_int_equal(scan(text, 0, names, &errs), PM_INVALID);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.v[0].code, VARS_E_BAD_NAME);
	assert_int_equal(strlen(errs.v[0].name), 64);
	vars_errors_free(&errs);
	strcpy(text + 66, "}}");	/* 64 characters: fine */
	assert_int_equal(scan(text, 0, names, &errs), 0);

	/* Unicode columns count code points; offsets count bytes. */
	assert_int_equal(scan("h\xc3\xa9llo \xe2\x86\x92 {{ 2x }}\n"
	    "\xf0\x9f\x98\x80{{\xc3\xa9}}", 2, names, &errs), PM_INVALID);
	assert_int_equal(errs.n, 2);
	check_err(&errs, 0, VARS_E_BAD_NAME, "2x", 2, 1, 9, 11);
	check_err(&errs, 1, VARS_E_BAD_NAME, "\xc3\xa9", 2, 2, 2, 24);
	vars_errors_free(&errs);

	/* Several errors at once, valid names still collected. */
	json_object_put(names);
	names = json_object_new_array();
	assert_int_equal(scan("{{a {{b}}\n{{ c d }} {{ok}} {{9}}\n{{{x}}} {{", 1,
	    names, &errs), PM_INVALID);
	assert_int_equal(errs.n, 5);
	check_err(&errs, 0, VARS_E_UNCLOSED, "", 1, 1, 1, 0);
	check_err(&errs, 1, VARS_E_BAD_NAME, "c d", 1, 2, 1, 10);
	check_err(&errs, 2, VARS_E_BAD_NAME, "9", 1, 2, 18, 27);
	check_err(&errs, 3, VARS_E_BAD_NAME, "{x", 1, 3, 1, 33);
	check_err(&errs, 4, VARS_E_UNCLOSED, "", 1, 3, 9, 41);
	assert_string_equal(js(names), "[\"b\",\"ok\"]");
	vars_errors_free(&errs);

	/* "{{{{" escapes, even where a placeholder would start. */
	assert_int_equal(scan("{{{{ {{{{{{x}} }} {{{{", 0, names, &errs), 0);
	assert_string_equal(js(names), "[\"b\",\"ok\",\"x\"]");
	assert_int_equal(scan("{{{{{{", 0, names, &errs), PM_INVALID);
	check_err(&errs, 0, VARS_E_UNCLOSED, "", 0, 1, 5, 4);
	vars_errors_free(&errs);

	/* Invalid UTF-8 in a bad name is cut from the error name. */
	assert_int_equal(scan("{{a\xff}}", 0, NULL, &errs), PM_INVALID);
	check_err(&errs, 0, VARS_E_BAD_NAME, "a", 0, 1, 1, 0);
	vars_errors_free(&errs);
	json_object_put(names);
}

static void test_errors_cap(void **state)
{
	struct vars_errors errs = { 0 };
	struct buf b = { 0 };
	int i;

	(void)state;
	for (i = 0; i < 150; i++)
		buf_puts(&b, "{{\n");
	assert_int_equal(vars_scan(b.data, b.len, 0, NULL, &errs), PM_INVALID);
	assert_int_equal(errs.n, VARS_ERRORS_MAX);
	assert_true(errs.truncated);
	check_err(&errs, 99, VARS_E_UNCLOSED, "", 0, 100, 1, 297);
	vars_errors_free(&errs);
	assert_int_equal(errs.n, 0);
	assert_false(errs.truncated);
	vars_errors_free(NULL);
	buf_free(&b);
}

static void test_errors_json(void **state)
{
	struct vars_errors errs = { 0 };
	json_object *j;

	(void)state;
	scan("x\n {{1}}", 2, NULL, &errs);
	j = vars_errors_json(&errs);
	assert_string_equal(js(j), "[{\"code\":\"vars.bad_name\",\"variable\":"
	    "\"1\",\"message_index\":2,\"line\":2,\"column\":2,\"offset\":3}]");
	json_object_put(j);
	vars_errors_free(&errs);
	scan("{{}}", 0, NULL, &errs);
	j = vars_errors_json(&errs);
	assert_string_equal(js(j), "[{\"code\":\"vars.bad_name\","
	    "\"message_index\":0,\"line\":1,\"column\":1,\"offset\":0}]");
	json_object_put(j);
	vars_errors_free(&errs);
	j = vars_errors_json(&errs);
	assert_string_equal(js(j), "[]");
	json_object_put(j);
}

/* Normalise decls (JSON text or NULL) for the names (JSON text). Returns
 * the result's JSON text, or "ERR" with the errors in errs. */
static const char *normalize(const char *names, const char *decls,
    struct vars_errors *errs)
{
	json_object *n = json_tokener_parse(names);
	json_object *d = decls ? json_tokener_parse(decls) : NULL;
	json_object *out = (json_object *)1;
	const char *r;
	int rc;

	assert_true(decls == NULL || d != NULL);
	rc = vars_normalize_decls(n, d, &out, errs);
	r = rc == 0 ? js(out) : "ERR";
	if (rc != 0)
		assert_null(out);
	else
		assert_non_null(out);
	json_object_put(out);
	json_object_put(n);
	json_object_put(d);
	return r;
}

static void test_normalize(void **state)
{
	struct vars_errors errs = { 0 };

	(void)state;
	/* Undeclared names get the default declaration, in detection order. */
	assert_string_equal(normalize("[\"b\",\"a\"]", NULL, &errs),
	    "[{\"name\":\"b\",\"type\":\"string\",\"required\":true},"
	    "{\"name\":\"a\",\"type\":\"string\",\"required\":true}]");
	assert_string_equal(normalize("[]", NULL, &errs), "[]");
	assert_string_equal(normalize("[]", "[]", &errs), "[]");
	/* Given declarations are validated and normalised. */
	assert_string_equal(normalize("[\"s\",\"n\",\"b\",\"e\",\"x\",\"f\"]",
	    "[{\"name\":\"e\",\"type\":\"enum\",\"required\":false,"
	    "\"choices\":[\"formal\",\"casual\"],\"default\":\"casual\","
	    "\"description\":\"Tone\"},"
	    "{\"name\":\"n\",\"type\":\"number\",\"required\":false,"
	    "\"default\":\"1.5\"},"
	    "{\"name\":\"b\",\"type\":\"boolean\",\"required\":false,"
	    "\"default\":\"on\",\"description\":\"\"},"
	    "{\"name\":\"s\",\"required\":false,\"default\":\"\"},"
	    "{\"name\":\"x\",\"type\":\"number\",\"default\":3,"
	    "\"description\":null,\"choices\":[]},"
	    "{\"name\":\"f\",\"type\":\"boolean\",\"required\":false,"
	    "\"default\":false}]", &errs),
	    "[{\"name\":\"s\",\"type\":\"string\",\"required\":false,"
	    "\"default\":\"\"},"
	    "{\"name\":\"n\",\"type\":\"number\",\"required\":false,"
	    "\"default\":1.5},"
	    "{\"name\":\"b\",\"type\":\"boolean\",\"required\":false,"
	    "\"default\":true},"
	    "{\"name\":\"e\",\"type\":\"enum\",\"required\":false,"
	    "\"default\":\"casual\",\"description\":\"Tone\","
	    "\"choices\":[\"formal\",\"casual\"]},"
	    "{\"name\":\"x\",\"type\":\"number\",\"required\":true,"
	    "\"default\":3},"
	    "{\"name\":\"f\",\"type\":\"boolean\",\"required\":false,"
	    "\"default\":false}]");
	assert_int_equal(errs.n, 0);
	/* "" as default of a non-string type means none. */
	assert_string_equal(normalize("[\"n\"]",
	    "[{\"name\":\"n\",\"type\":\"number\",\"default\":\"\"}]", &errs),
	    "[{\"name\":\"n\",\"type\":\"number\",\"required\":true}]");
	assert_int_equal(errs.n, 0);
}

static void test_normalize_errors(void **state)
{
	struct vars_errors errs = { 0 };
	struct buf b = { 0 };
	int i;

	(void)state;
	/* Every problem at once, in declaration order. */
	assert_string_equal(normalize(
	    "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\"]",
	    "[{\"name\":\"zz\"},"
	    "{\"name\":\"a\",\"type\":\"text\"},"
	    "{\"name\":\"b\",\"type\":\"number\",\"required\":false,"
	    "\"default\":\"many\"},"
	    "{\"name\":\"c\",\"type\":\"enum\",\"required\":false,"
	    "\"choices\":[\"x\"],\"default\":\"y\"},"
	    "{\"name\":\"d\",\"required\":false},"
	    "{\"name\":\"e\",\"type\":\"enum\"},"
	    "{\"name\":\"f\",\"type\":\"boolean\",\"default\":\"maybe\"},"
	    "{\"name\":\"g\",\"required\":\"yes\"},"
	    "{\"name\":\"h\",\"label\":\"H\"},"
	    "{\"name\":\"a\"},"
	    "{\"name\":\"1bad\"},"
	    "42,"
	    "{\"name\":\"i\",\"type\":\"string\",\"choices\":[\"x\"]},"
	    "{\"name\":\"j\",\"type\":7}]", &errs), "ERR");
	assert_int_equal(errs.n, 14);
	check_uerr(&errs, 0, VARS_E_DECL_UNKNOWN, "zz");
	check_uerr(&errs, 1, VARS_E_DECL_TYPE, "a");
	check_uerr(&errs, 2, VARS_E_DECL_DEFAULT, "b");
	check_uerr(&errs, 3, VARS_E_DECL_DEFAULT, "c");
	check_uerr(&errs, 4, VARS_E_DECL_DEFAULT, "d");
	check_uerr(&errs, 5, VARS_E_DECL_CHOICES, "e");
	check_uerr(&errs, 6, VARS_E_DECL_DEFAULT, "f");
	check_uerr(&errs, 7, VARS_E_DECL_INVALID, "g");
	check_uerr(&errs, 8, VARS_E_DECL_INVALID, "h");
	check_uerr(&errs, 9, VARS_E_DECL_DUPLICATE, "a");
	check_uerr(&errs, 10, VARS_E_BAD_NAME, "1bad");
	check_uerr(&errs, 11, VARS_E_DECL_INVALID, "");
	check_uerr(&errs, 12, VARS_E_DECL_CHOICES, "i");
	check_uerr(&errs, 13, VARS_E_DECL_TYPE, "j");
	vars_errors_free(&errs);

	/* The list itself must be an array. */
	assert_string_equal(normalize("[\"a\"]", "{}", &errs), "ERR");
	check_uerr(&errs, 0, VARS_E_DECL_INVALID, "");
	vars_errors_free(&errs);

	/* Enum choices: empty, duplicate, empty string, not strings, 51. */
	assert_string_equal(normalize("[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]",
	    "[{\"name\":\"a\",\"type\":\"enum\",\"choices\":[]},"
	    "{\"name\":\"b\",\"type\":\"enum\",\"choices\":[\"x\",\"x\"]},"
	    "{\"name\":\"c\",\"type\":\"enum\",\"choices\":[\"\"]},"
	    "{\"name\":\"d\",\"type\":\"enum\",\"choices\":[1]},"
	    "{\"name\":\"e\",\"type\":\"enum\",\"choices\":\"x\"},"
	    "{\"name\":\"f\",\"type\":\"enum\",\"choices\":[\"x\"]}]", &errs),
	    "ERR");
	assert_int_equal(errs.n, 5);
	for (i = 0; i < 5; i++)
		check_uerr(&errs, (size_t)i, VARS_E_DECL_CHOICES,
		    (const char *[]){ "a", "b", "c", "d", "e" }[i]);
	vars_errors_free(&errs);
	buf_puts(&b, "[{\"name\":\"a\",\"type\":\"enum\",\"choices\":[");
	for (i = 0; i < VARS_CHOICES_MAX; i++)
		buf_printf(&b, "%s\"c%d\"", i ? "," : "", i);
	buf_puts(&b, "]}]");
	assert_string_not_equal(normalize("[\"a\"]", b.data, &errs), "ERR");
	b.len -= 3;
	buf_puts(&b, ",\"one more\"]}]");
	assert_string_equal(normalize("[\"a\"]", b.data, &errs), "ERR");
	check_uerr(&errs, 0, VARS_E_DECL_CHOICES, "a");
	vars_errors_free(&errs);

	/* Description: 500 characters (multi-byte) pass, 501 do not. */
	buf_reset(&b);
	buf_puts(&b, "[{\"name\":\"a\",\"description\":\"");
	for (i = 0; i < VARS_DESC_MAX; i++)
		buf_puts(&b, "\xc3\xa9");
	buf_puts(&b, "\"}]");
	assert_string_not_equal(normalize("[\"a\"]", b.data, &errs), "ERR");
	assert_int_equal(errs.n, 0);
	b.len -= 3;
	buf_puts(&b, "x\"}]");
	assert_string_equal(normalize("[\"a\"]", b.data, &errs), "ERR");
	check_uerr(&errs, 0, VARS_E_DECL_DESCRIPTION, "a");
	vars_errors_free(&errs);
	assert_string_equal(normalize("[\"a\"]",
	    "[{\"name\":\"a\",\"description\":5}]", &errs), "ERR");
	check_uerr(&errs, 0, VARS_E_DECL_DESCRIPTION, "a");
	vars_errors_free(&errs);

	/* Defaults of the wrong JSON type. */
	assert_string_equal(normalize("[\"a\",\"b\",\"c\"]",
	    "[{\"name\":\"a\",\"default\":1},"
	    "{\"name\":\"b\",\"type\":\"boolean\",\"default\":1},"
	    "{\"name\":\"c\",\"type\":\"number\",\"default\":true}]", &errs),
	    "ERR");
	assert_int_equal(errs.n, 3);
	check_uerr(&errs, 0, VARS_E_DECL_DEFAULT, "a");
	check_uerr(&errs, 1, VARS_E_DECL_DEFAULT, "b");
	check_uerr(&errs, 2, VARS_E_DECL_DEFAULT, "c");
	vars_errors_free(&errs);
	buf_free(&b);
}

/* Coerce the form (JSON text) for decls (JSON text). Returns the values'
 * JSON text or "ERR". */
static const char *coerce(const char *decls, const char *form,
    struct vars_errors *errs)
{
	json_object *d = json_tokener_parse(decls);
	json_object *f = form ? json_tokener_parse(form) : NULL;
	json_object *out = (json_object *)1;
	const char *r;
	int rc;

	assert_non_null(d);
	rc = vars_coerce(d, f, &out, errs);
	r = rc == 0 ? js(out) : "ERR";
	if (rc != 0)
		assert_null(out);
	json_object_put(out);
	json_object_put(d);
	json_object_put(f);
	return r;
}

#define NUM "[{\"name\":\"n\",\"type\":\"number\",\"required\":true}]"
#define BOOL "[{\"name\":\"b\",\"type\":\"boolean\",\"required\":true}]"

static void test_coerce(void **state)
{
	static const char *const good_numbers[][2] = {
		{ "3", "3" }, { "-1.5", "-1.5" }, { "1e3", "1000.0" },
		{ "0", "0" }, { "-0", "0" }, { "2.50", "2.5" },
		{ "1E-2", "0.01" }, { "007", "7" },
		{ "99999999999999999999", "1.0E+20" },
	};
	static const char *const bad_numbers[] = {
		"abc", "1.", ".5", " 3", "3 ", "+3", "1e", "1e+", "0x10",
		"Infinity", "NaN", "1e999", "1,5", "--1", "-",
	};
	static const char *const booleans[][2] = {
		{ "true", "true" }, { "on", "true" }, { "1", "true" },
		{ "false", "false" }, { "0", "false" },
	};
	struct vars_errors errs = { 0 };
	char form[64], want[64];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(good_numbers); i++) {
		snprintf(form, sizeof(form), "{\"n\":\"%s\"}", good_numbers[i][0]);
		snprintf(want, sizeof(want), "{\"n\":%s}", good_numbers[i][1]);
		if (strcmp(good_numbers[i][0], "99999999999999999999") == 0) {
			/* json-c spells big doubles its own way: compare
			 * the value. */
			assert_string_not_equal(coerce(NUM, form, &errs), "ERR");
			continue;
		}
		assert_string_equal(coerce(NUM, form, &errs), want);
	}
	assert_int_equal(errs.n, 0);
	for (i = 0; i < NELEM(bad_numbers); i++) {
		snprintf(form, sizeof(form), "{\"n\":\"%s\"}", bad_numbers[i]);
		assert_string_equal(coerce(NUM, form, &errs), "ERR");
		assert_int_equal(errs.n, 1);
		check_uerr(&errs, 0, VARS_E_TYPE_NUMBER, "n");
		vars_errors_free(&errs);
	}
	for (i = 0; i < NELEM(booleans); i++) {
		snprintf(form, sizeof(form), "{\"b\":\"%s\"}", booleans[i][0]);
		snprintf(want, sizeof(want), "{\"b\":%s}", booleans[i][1]);
		assert_string_equal(coerce(BOOL, form, &errs), want);
	}
	assert_string_equal(coerce(BOOL, "{\"b\":\"yes\"}", &errs), "ERR");
	check_uerr(&errs, 0, VARS_E_TYPE_BOOLEAN, "b");
	vars_errors_free(&errs);
	assert_string_equal(coerce(BOOL, "{\"b\":\"TRUE\"}", &errs), "ERR");
	vars_errors_free(&errs);
	/* Already typed values pass when of the right type. */
	assert_string_equal(coerce(BOOL, "{\"b\":false}", &errs), "{\"b\":false}");
	assert_string_equal(coerce(NUM, "{\"n\":4}", &errs), "{\"n\":4}");
	assert_string_equal(coerce(NUM, "{\"n\":true}", &errs), "ERR");
	check_uerr(&errs, 0, VARS_E_TYPE_NUMBER, "n");
	vars_errors_free(&errs);
}

#define DECLS "[{\"name\":\"topic\",\"type\":\"string\",\"required\":true}," \
	"{\"name\":\"n\",\"type\":\"number\",\"required\":false,\"default\":3}," \
	"{\"name\":\"tone\",\"type\":\"enum\",\"required\":false," \
	"\"default\":\"formal\",\"choices\":[\"formal\",\"casual\"]}," \
	"{\"name\":\"short\",\"type\":\"boolean\",\"required\":true}]"

static void test_coerce_form(void **state)
{
	struct vars_errors errs = { 0 };

	(void)state;
	/* Empty optional fields are left out; strings are kept as they are. */
	assert_string_equal(coerce(DECLS, "{\"topic\":\" <b>x</b> \",\"n\":\"\","
	    "\"tone\":\"\",\"short\":\"0\"}", &errs),
	    "{\"topic\":\" <b>x</b> \",\"short\":false}");
	assert_string_equal(coerce(DECLS, "{\"topic\":\"t\",\"n\":\"2.5\","
	    "\"tone\":\"casual\",\"short\":\"on\"}", &errs),
	    "{\"topic\":\"t\",\"n\":2.5,\"tone\":\"casual\",\"short\":true}");
	assert_int_equal(errs.n, 0);
	/* Every offender at once: missing (empty and absent), type, choice,
	 * unknown. */
	assert_string_equal(coerce(DECLS, "{\"topic\":\"\",\"n\":\"x\","
	    "\"tone\":\"rude\",\"other\":\"1\",\"more\":\"\"}", &errs), "ERR");
	assert_int_equal(errs.n, 6);
	check_uerr(&errs, 0, VARS_E_MISSING, "topic");
	check_uerr(&errs, 1, VARS_E_TYPE_NUMBER, "n");
	check_uerr(&errs, 2, VARS_E_NOT_IN_CHOICES, "tone");
	check_uerr(&errs, 3, VARS_E_MISSING, "short");
	check_uerr(&errs, 4, VARS_E_UNKNOWN, "other");
	check_uerr(&errs, 5, VARS_E_UNKNOWN, "more");
	vars_errors_free(&errs);
	/* A NULL form: only the required ones are missing. */
	assert_string_equal(coerce(DECLS, NULL, &errs), "ERR");
	assert_int_equal(errs.n, 2);
	check_uerr(&errs, 0, VARS_E_MISSING, "topic");
	check_uerr(&errs, 1, VARS_E_MISSING, "short");
	vars_errors_free(&errs);
	/* Invalid UTF-8 text. */
	{
		json_object *d = json_tokener_parse(DECLS);
		json_object *f = json_object_new_object(), *out;

		json_object_object_add(f, "topic",
		    json_object_new_string("bad\xff"));
		json_object_object_add(f, "short", json_object_new_string("1"));
		assert_int_equal(vars_coerce(d, f, &out, &errs), PM_INVALID);
		check_uerr(&errs, 0, VARS_E_TYPE_STRING, "topic");
		json_object_put(d);
		json_object_put(f);
		vars_errors_free(&errs);
	}
	/* No declarations: an empty form gives empty values. */
	assert_string_equal(coerce("[]", "{}", &errs), "{}");
}

/* Render text with decls and values (JSON texts). Returns the output or
 * "ERR". */
static const char *render(const char *text, const char *decls,
    const char *values, struct vars_errors *errs)
{
	static char out[4096];
	json_object *d = json_tokener_parse(decls);
	json_object *v = values ? json_tokener_parse(values) : NULL;
	struct buf b = { 0 };
	int rc;

	assert_non_null(d);
	assert_true(values == NULL || v != NULL);
	buf_puts(&b, "pre:");
	rc = vars_render(text, strlen(text), d, v, 0, &b, errs);
	if (rc != 0)
		assert_string_equal(b.data, "pre:");	/* restored */
	snprintf(out, sizeof(out), "%s", rc == 0 ? b.data + 4 : "ERR");
	buf_free(&b);
	json_object_put(d);
	json_object_put(v);
	return out;
}

static void test_render(void **state)
{
	struct vars_errors errs = { 0 };

	(void)state;
	assert_string_equal(render("Write about {{ topic }} in {{n}} lines, "
	    "{{tone}}; short={{short}}. {{topic}}!", DECLS,
	    "{\"topic\":\"<cats> & \\\"dogs\\\"\",\"short\":true}", &errs),
	    "Write about <cats> & \"dogs\" in 3 lines, formal; short=true. "
	    "<cats> & \"dogs\"!");
	/* Number formatting. */
	assert_string_equal(render("{{n}}", DECLS, "{\"n\":3.0}", &errs), "3");
	assert_string_equal(render("{{n}}", DECLS, "{\"n\":1.5}", &errs), "1.5");
	assert_string_equal(render("{{n}}", DECLS, "{\"n\":1e3}", &errs), "1000");
	assert_string_equal(render("{{n}}", DECLS, "{\"n\":-0.25}", &errs),
	    "-0.25");
	assert_string_equal(render("{{n}}", DECLS, "{\"n\":0.1}", &errs), "0.1");
	assert_string_equal(render("{{n}}", DECLS, "{\"n\":-0.0}", &errs), "0");
	assert_string_equal(render("{{n}}", DECLS, "{\"n\":1e20}", &errs),
	    "1e+20");
	assert_string_equal(render("{{n}}", DECLS,
	    "{\"n\":9223372036854775807}", &errs), "9223372036854775807");
	assert_string_equal(render("{{n}}", DECLS, "{\"n\":-42}", &errs), "-42");
	assert_string_equal(render("{{short}}", DECLS, "{\"short\":false}",
	    &errs), "false");
	/* Escape, lone closers, the empty text. */
	assert_string_equal(render("{{{{topic}} }} {{{{{{topic}}", DECLS,
	    "{\"topic\":\"T\"}", &errs), "{{topic}} }} {{T");
	assert_string_equal(render("", DECLS, NULL, &errs), "");
	assert_string_equal(render("plain", "[]", "{}", &errs), "plain");
	assert_int_equal(errs.n, 0);
	/* A default of a number as double, booleans as default. */
	assert_string_equal(render("{{x}}/{{y}}",
	    "[{\"name\":\"x\",\"type\":\"number\",\"required\":false,"
	    "\"default\":2.50},{\"name\":\"y\",\"type\":\"boolean\","
	    "\"required\":false,\"default\":false}]", NULL, &errs), "2.5/false");
	assert_int_equal(errs.n, 0);
}

static void test_render_errors(void **state)
{
	struct vars_errors errs = { 0 };
	json_object *d, *v;
	struct buf b = { 0 };
	const char *m0 = "{{topic}} {{short}}", *m1 = "x\n  {{ topic }}{{n}}";

	(void)state;
	/* Every offender at once, each once though used several times. */
	assert_string_equal(render("{{topic}}\n\xc3\xa9 {{ short }} {{topic}} "
	    "{{n}} {{tone}} {{short}} {{ghost}}", DECLS,
	    "{\"n\":\"3\",\"tone\":\"rude\",\"extra\":1,\"ghost\":\"g\"}", &errs),
	    "ERR");
	assert_int_equal(errs.n, 6);
	check_uerr(&errs, 0, VARS_E_TYPE_NUMBER, "n");
	check_uerr(&errs, 1, VARS_E_NOT_IN_CHOICES, "tone");
	check_uerr(&errs, 2, VARS_E_UNKNOWN, "extra");
	check_uerr(&errs, 3, VARS_E_UNKNOWN, "ghost");
	check_err(&errs, 4, VARS_E_MISSING, "topic", 0, 1, 1, 0);
	check_err(&errs, 5, VARS_E_MISSING, "short", 0, 2, 3, 13);
	vars_errors_free(&errs);

	/* Wrong JSON types. */
	assert_string_equal(render("{{topic}}{{short}}{{tone}}", DECLS,
	    "{\"topic\":5,\"short\":\"true\",\"tone\":1}", &errs), "ERR");
	assert_int_equal(errs.n, 3);
	check_uerr(&errs, 0, VARS_E_TYPE_STRING, "topic");
	check_uerr(&errs, 1, VARS_E_TYPE_BOOLEAN, "short");
	check_uerr(&errs, 2, VARS_E_NOT_IN_CHOICES, "tone");
	vars_errors_free(&errs);
	assert_string_equal(render("{{topic}}", DECLS,
	    "{\"topic\":null,\"short\":true}", &errs), "ERR");
	check_uerr(&errs, 0, VARS_E_TYPE_STRING, "topic");
	vars_errors_free(&errs);

	/* An undeclared placeholder without a value is missing. */
	assert_string_equal(render("a {{nope}}", "[]", NULL, &errs), "ERR");
	assert_int_equal(errs.n, 1);
	check_err(&errs, 0, VARS_E_MISSING, "nope", 0, 1, 3, 2);
	vars_errors_free(&errs);

	/* Syntax errors fail rendering too. */
	assert_string_equal(render("ok {{1}} {{topic", DECLS,
	    "{\"topic\":\"t\",\"short\":true}", &errs), "ERR");
	assert_int_equal(errs.n, 2);
	check_err(&errs, 0, VARS_E_BAD_NAME, "1", 0, 1, 4, 3);
	check_err(&errs, 1, VARS_E_UNCLOSED, "", 0, 1, 10, 9);
	vars_errors_free(&errs);

	/* Two messages with one error list: each offender once, missing at
	 * its first occurrence in the first message that uses it. */
	d = json_tokener_parse(DECLS);
	v = json_tokener_parse("{\"n\":true,\"x\":1}");
	assert_int_equal(vars_render(m0, strlen(m0), d, v, 0, &b, &errs), PM_INVALID);
	assert_int_equal(vars_render(m1, strlen(m1), d, v, 1, &b, &errs), PM_INVALID);
	assert_int_equal(b.len, 0);
	assert_int_equal(errs.n, 4);
	check_uerr(&errs, 0, VARS_E_TYPE_NUMBER, "n");
	check_uerr(&errs, 1, VARS_E_UNKNOWN, "x");
	check_err(&errs, 2, VARS_E_MISSING, "topic", 0, 1, 1, 0);
	check_err(&errs, 3, VARS_E_MISSING, "short", 0, 1, 11, 10);
	vars_errors_free(&errs);
	/* Missing only in the second message: located there. */
	json_object_put(v);
	v = json_tokener_parse("{\"short\":true}");
	assert_int_equal(vars_render("{{short}}", 9, d, v, 0, &b, &errs), 0);
	assert_int_equal(vars_render(m1, strlen(m1), d, v, 1, &b, &errs), PM_INVALID);
	assert_int_equal(errs.n, 1);
	check_err(&errs, 0, VARS_E_MISSING, "topic", 1, 2, 3, 4);
	assert_string_equal(b.data, "true");
	json_object_put(v);
	json_object_put(d);
	vars_errors_free(&errs);
	buf_free(&b);
}

/* The whole flow: scan the messages, normalise, coerce a form, render. */
static void test_flow(void **state)
{
	const char *msgs[] = { "You are {{role}}.", "Explain {{ topic }} to "
	    "{{role}} in {{n}} words. {{{{literal}}" };
	json_object *names = json_object_new_array(), *decls_in, *decls, *form;
	json_object *values;
	struct vars_errors errs = { 0 };
	struct buf b = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++)
		assert_int_equal(vars_scan(msgs[i], strlen(msgs[i]), (int)i,
		    names, &errs), 0);
	decls_in = json_tokener_parse("[{\"name\":\"n\",\"type\":\"number\","
	    "\"required\":false,\"default\":\"100\"}]");
	assert_int_equal(vars_normalize_decls(names, decls_in, &decls, &errs), 0);
	assert_string_equal(js(decls),
	    "[{\"name\":\"role\",\"type\":\"string\",\"required\":true},"
	    "{\"name\":\"topic\",\"type\":\"string\",\"required\":true},"
	    "{\"name\":\"n\",\"type\":\"number\",\"required\":false,"
	    "\"default\":100}]");
	form = json_tokener_parse("{\"role\":\"a child\",\"topic\":\"rain\","
	    "\"n\":\"\"}");
	assert_int_equal(vars_coerce(decls, form, &values, &errs), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(vars_render(msgs[i], strlen(msgs[i]), decls,
		    values, (int)i, &b, &errs), 0);
		buf_putc(&b, '|');
	}
	assert_string_equal(b.data, "You are a child.|Explain rain to a child "
	    "in 100 words. {{literal}}|");
	assert_int_equal(errs.n, 0);
	json_object_put(names);
	json_object_put(decls_in);
	json_object_put(decls);
	json_object_put(form);
	json_object_put(values);
	buf_free(&b);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

/* Random bytes, biased towards the syntax: scan and render must neither
 * crash nor read out of bounds (the ASan build checks). */
static void test_robustness(void **state)
{
	static const char alphabet[] = "{{{{}}}}  \n\tab_1\xc3\xa9\xff";
	json_object *decls = json_tokener_parse(
	    "[{\"name\":\"a\",\"type\":\"string\",\"required\":true},"
	    "{\"name\":\"b\",\"type\":\"number\",\"required\":false,"
	    "\"default\":1.5},\"junk\",{\"name\":7}]");
	json_object *values = json_tokener_parse("{\"a\":\"A{{\",\"zz\":1}");
	char text[96];
	int iter;

	(void)state;
	for (iter = 0; iter < 20000; iter++) {
		size_t len = rnd() % sizeof(text), i;
		json_object *names = json_object_new_array();
		struct vars_errors errs = { 0 };
		struct buf b = { 0 };
		int raw = iter % 4 == 0;

		for (i = 0; i < len; i++)
			text[i] = raw ? (char)rnd() :
			    alphabet[rnd() % (sizeof(alphabet) - 1)];
		vars_scan(text, len, iter, names, &errs);
		for (i = 0; i < errs.n; i++) {
			assert_true(errs.v[i].offset < len);
			assert_true(errs.v[i].line >= 1);
			assert_true(errs.v[i].col >= 1);
		}
		if (vars_render(text, len, decls, iter % 3 ? values : NULL,
		    0, &b, &errs) != 0)
			assert_int_equal(b.len, 0);
		json_object_put(vars_errors_json(&errs));
		json_object_put(names);
		vars_errors_free(&errs);
		buf_free(&b);
	}
	json_object_put(decls);
	json_object_put(values);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_valid),
		cmocka_unit_test(test_scan_names),
		cmocka_unit_test(test_scan_errors),
		cmocka_unit_test(test_errors_cap),
		cmocka_unit_test(test_errors_json),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_normalize_errors),
		cmocka_unit_test(test_coerce),
		cmocka_unit_test(test_coerce_form),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_render_errors),
		cmocka_unit_test(test_flow),
		cmocka_unit_test(test_robustness),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
