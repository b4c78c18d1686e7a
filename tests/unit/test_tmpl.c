/* test_tmpl.c - escaping and the template engine, its filters included
 * (run from the checkout root: they read templates/messages/en). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "escape.h"
#include "msg.h"
#include "tmpl.h"

static void test_escape(void **state)
{
	struct buf b = { 0 };

	(void)state;
	esc_html(&b, "<a href=\"x\">'&'</a>", 19);
	assert_string_equal(b.data,
	    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
	buf_reset(&b);
	esc_url(&b, "/a b?c=d&e~", 11);
	assert_string_equal(b.data, "%2Fa%20b%3Fc%3Dd%26e~");
	buf_reset(&b);
	esc_json_str(&b, "</script>\"\\\n\x01\xff\xc3\xa9", 16);
	assert_string_equal(b.data,
	    "\"\\u003c/script\\u003e\\\"\\\\\\n\\u0001\\ufffd\xc3\xa9\"");
	buf_free(&b);
}

/* Render src with the JSON text data; returns a static copy of the output
 * or "ERR:" + the error. */
static char *render(const char *src, const char *data)
{
	static char out[4096];
	struct tmpl_set *s = tmpl_set_new();
	struct json_object *d = json_tokener_parse(data);
	struct buf b = { 0 }, err = { 0 };

	if (tmpl_add(s, "t", src, strlen(src), &err) != 0)
		snprintf(out, sizeof(out), "ERR:%s", buf_cstr(&err));
	else if (tmpl_render(s, "t", d, &b) != 0)
		snprintf(out, sizeof(out), "RENDER-FAILED");
	else
		snprintf(out, sizeof(out), "%s", buf_cstr(&b));
	json_object_put(d);
	buf_free(&b);
	buf_free(&err);
	tmpl_set_free(s);
	return out;
}

static void test_values(void **state)
{
	(void)state;
	assert_string_equal(render("Hi {{name}}!", "{\"name\":\"<b>Ann</b>\"}"),
	    "Hi &lt;b&gt;Ann&lt;/b&gt;!");
	assert_string_equal(render("{{{raw}}}", "{\"raw\":\"<b>x</b>\"}"),
	    "<b>x</b>");
	assert_string_equal(render("{{ n }}/{{f}}/{{t}}", "{\"n\":42,\"f\":1.5,\"t\":true}"),
	    "42/1.5/true");
	assert_string_equal(render("[{{missing}}]", "{}"), "[]");
	assert_string_equal(render("{{u.e}}", "{\"u\":{\"e\":\"a@b\"}}"), "a@b");
	assert_string_equal(render("{{q|url}}", "{\"q\":\"a b&c\"}"), "a%20b%26c");
	assert_string_equal(render("{{q|json}}", "{\"q\":\"</x>\"}"),
	    "\"\\u003c/x\\u003e\"");
	assert_string_equal(render("{{o|json}}", "{\"o\":{\"a\":\"<\"}}"),
	    "{\"a\":\"\\u003c\"}");
	assert_string_equal(render("a{{! note }}b", "{}"), "ab");
}

static void test_sections(void **state)
{
	(void)state;
	assert_string_equal(render("{{#xs}}<{{.}}>{{/xs}}", "{\"xs\":[1,2,3]}"),
	    "<1><2><3>");
	assert_string_equal(render("{{#xs}}{{n}}{{top}},{{/xs}}",
	    "{\"top\":\"T\",\"xs\":[{\"n\":1},{\"n\":2,\"top\":\"X\"}]}"),
	    "1T,2X,");
	assert_string_equal(render("{{#u}}{{email}}{{/u}}{{^u}}anon{{/u}}",
	    "{\"u\":{\"email\":\"e\"}}"), "e");
	assert_string_equal(render("{{#u}}{{email}}{{/u}}{{^u}}anon{{/u}}",
	    "{\"u\":null}"), "anon");
	/* Falsy values. */
	assert_string_equal(render("{{#a}}A{{/a}}{{#b}}B{{/b}}{{#c}}C{{/c}}"
	    "{{#d}}D{{/d}}{{#e}}E{{/e}}{{#f}}F{{/f}}",
	    "{\"a\":0,\"b\":\"\",\"c\":[],\"d\":false,\"e\":null,\"f\":1}"), "F");
	assert_string_equal(render("{{#errors.email}}!{{errors.email}}{{/errors.email}}",
	    "{\"errors\":{\"email\":\"bad\"}}"), "!bad");
}

static void test_errors(void **state)
{
	(void)state;
	assert_string_equal(render("a\n{{x", "{}"), "ERR:t:2: unclosed tag\n");
	assert_string_equal(render("{{#a}}\n{{/b}}", "{}"),
	    "ERR:t:2: mismatched close tag, expected a\n");
	assert_string_equal(render("\n{{#a}}x", "{}"),
	    "ERR:t:2: unclosed section a\n");
	assert_string_equal(render("{{/a}}", "{}"),
	    "ERR:t:1: close tag without open a\n");
	assert_string_equal(render("{{a b}}", "{}"), "ERR:t:1: bad tag name a b\n");
	assert_string_equal(render("{{a|upper}}", "{}"),
	    "ERR:t:1: unknown filter upper\n");
}

static void test_partials(void **state)
{
	struct tmpl_set *s = tmpl_set_new();
	struct buf b = { 0 }, err = { 0 };
	struct json_object *d = json_tokener_parse("{\"x\":\"1\"}");

	(void)state;
	assert_int_equal(tmpl_add(s, "p/part", "[{{x}}]", 7, &err), 0);
	assert_int_equal(tmpl_add(s, "main", "a{{>p/part}}b", 13, &err), 0);
	assert_int_equal(tmpl_add(s, "loop", "{{>loop}}", 9, &err), 0);
	assert_true(tmpl_exists(s, "main"));
	assert_false(tmpl_exists(s, "nope"));
	assert_int_equal(tmpl_render(s, "main", d, &b), 0);
	assert_string_equal(b.data, "a[1]b");
	assert_int_equal(tmpl_render(s, "nope", d, &b), -1);
	assert_int_equal(tmpl_render(s, "loop", d, &b), -1);	/* depth cap */
	json_object_put(d);
	buf_free(&b);
	buf_free(&err);
	tmpl_set_free(s);
}

/* The filters that put values in words: plurals, catalog words, times,
 * money, and numbers in their shortest form. */
static void test_filters(void **state)
{
	(void)state;
	assert_string_equal(render("{{n|count:count.versions}}", "{\"n\":2}"),
	    "2 versions");
	assert_string_equal(render("{{n|count:count.versions}}", "{\"n\":1}"),
	    "1 version");
	assert_string_equal(render("{{n|count:count.uncategorised}}", "{\"n\":0}"),
	    "No uncategorised prompts");
	assert_string_equal(render("[{{n|count:count.versions}}]", "{}"), "[]");
	assert_string_equal(render("{{n|count:count.versions}}", "{\"n\":\"x<\"}"),
	    "x&lt;");
	assert_string_equal(render("{{c|msg:exec.channel}}", "{\"c\":\"UI\"}"),
	    "Run from the site");
	assert_string_equal(render("{{m|money}}", "{\"m\":3100}"),
	    "<span class=\"money\" title=\"$0.003100 exactly (3100 micro-dollars)\">"
	    "$0.0031</span>");
	assert_string_equal(render("{{m|money}}", "{\"m\":50}"),
	    "<span class=\"money\" title=\"$0.000050 exactly (50 micro-dollars)\">"
	    "&lt; $0.0001</span>");
	assert_string_equal(render("{{m|money}}", "{\"m\":0}"),
	    "<span class=\"money\" title=\"No cost\">$0</span>");
	assert_string_equal(render("{{t|time:date}}", "{\"t\":\"2001-02-03T04:05:06Z\"}"),
	    "<time datetime=\"2001-02-03T04:05:06Z\" title=\"2001-02-03 04:05:06 UTC\">"
	    "3 Feb 2001, 04:05 UTC</time>");
	assert_string_equal(render("{{t|time}}", "{\"t\":981173106}"),
	    "<time datetime=\"2001-02-03T04:05:06Z\" title=\"2001-02-03 04:05:06 UTC\">"
	    "3 Feb 2001, 04:05 UTC</time>");
	assert_string_equal(render("{{t|time}}", "{\"t\":\"soon<\"}"), "soon&lt;");
	/* Doubles in their shortest form, in text and in JSON. */
	assert_string_equal(render("{{t}} {{p|json}}",
	    "{\"t\":0.69999999999999996,\"p\":{\"top_p\":0.29999999999999999}}"),
	    "0.7 {\"top_p\":0.3}");
	/* Bad filters are refused when the template is loaded. */
	assert_string_equal(render("{{n|count}}", "{}"),
	    "ERR:t:1: filter needs an argument: count\n");
	assert_string_equal(render("{{n|count:Bad Key}}", "{}"),
	    "ERR:t:1: bad filter argument count:Bad Key\n");
	assert_string_equal(render("{{n|money:x}}", "{}"),
	    "ERR:t:1: bad filter argument money:x\n");
	assert_string_equal(render("{{n|time:when}}", "{}"),
	    "ERR:t:1: time takes no argument but date: time:when\n");
	assert_string_equal(render("{{n|plural}}", "{}"),
	    "ERR:t:1: unknown filter plural\n");
}

static int setup(void **state)
{
	struct buf err = { 0 };
	int rc = msg_load("templates", "en", &err);

	(void)state;
	if (rc != 0)
		fprintf(stderr, "catalog: %s (run from the checkout root)\n",
		    buf_cstr(&err));
	buf_free(&err);
	return rc;
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
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_partials),
		cmocka_unit_test(test_filters),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
