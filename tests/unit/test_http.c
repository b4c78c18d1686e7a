/* test_http.c - request parsing at the edge: percent-decoding, forms,
 * cookies, route matching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"
#include "router.h"

static void test_url_decode(void **state)
{
	struct buf b = { 0 };

	(void)state;
	assert_int_equal(url_decode("a%20b+c", 7, 1, &b), 0);
	assert_string_equal(b.data, "a b c");
	buf_reset(&b);
	assert_int_equal(url_decode("a+b", 3, 0, &b), 0);
	assert_string_equal(b.data, "a+b");
	buf_reset(&b);
	assert_int_equal(url_decode("%41%6a%6A", 9, 0, &b), 0);
	assert_string_equal(b.data, "Ajj");
	buf_reset(&b);
	assert_int_equal(url_decode("%", 1, 0, &b), -1);
	buf_reset(&b);
	assert_int_equal(url_decode("%4", 2, 0, &b), -1);
	buf_reset(&b);
	assert_int_equal(url_decode("ab%zz", 5, 0, &b), -1);
	buf_reset(&b);
	assert_int_equal(url_decode("%00", 3, 0, &b), 0);
	assert_int_equal(b.len, 1);
	assert_int_equal(b.data[0], '\0');
	buf_reset(&b);
	assert_int_equal(url_decode("", 0, 0, &b), 0);
	assert_string_equal(b.data, "");
	buf_free(&b);
}

static void test_urlencoded(void **state)
{
	struct req r;
	struct params p = { 0 };

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(parse_urlencoded(&r, "a=1&b=x+y&&c&d=%C3%A9", 21, &p), 0);
	assert_int_equal(p.n, 4);
	assert_string_equal(params_get(&p, "a"), "1");
	assert_string_equal(params_get(&p, "b"), "x y");
	assert_string_equal(params_get(&p, "c"), "");
	assert_string_equal(params_get(&p, "d"), "\xc3\xa9");
	assert_null(params_get(&p, "zz"));
	memset(&p, 0, sizeof(p));
	/* NUL byte, invalid UTF-8, malformed escapes: all rejected. */
	assert_int_equal(parse_urlencoded(&r, "a=%00", 5, &p), -1);
	assert_int_equal(parse_urlencoded(&r, "a=%ff%fe", 8, &p), -1);
	assert_int_equal(parse_urlencoded(&r, "a=%C3", 5, &p), -1);
	assert_int_equal(parse_urlencoded(&r, "a=%G1", 5, &p), -1);
	assert_int_equal(parse_urlencoded(&r, "%zz=1", 5, &p), -1);
	/* Raw invalid UTF-8 bytes (not escaped) are rejected too. */
	assert_int_equal(parse_urlencoded(&r, "a=\xff", 3, &p), -1);
	/* Overlong encoding of '/' and a surrogate. */
	assert_int_equal(parse_urlencoded(&r, "a=%C0%AF", 8, &p), -1);
	assert_int_equal(parse_urlencoded(&r, "a=%ED%A0%80", 11, &p), -1);
	r.done = 1;
	req_end(&r);
}

static void test_cookies(void **state)
{
	struct req r;
	struct params p = { 0 };

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(parse_cookies(&r, "a=1; b=two ;c=\"q\"; bad; =x", &p), 0);
	assert_string_equal(params_get(&p, "a"), "1");
	assert_string_equal(params_get(&p, "b"), "two");
	assert_string_equal(params_get(&p, "c"), "q");
	assert_null(params_get(&p, "bad"));
	memset(&p, 0, sizeof(p));
	assert_int_equal(parse_cookies(&r, "a=\xff\xfe", &p), -1);
	assert_int_equal(parse_cookies(&r, "a=b\x01", &p), -1);
	assert_int_equal(parse_cookies(&r, "a=\xc3\xa9", &p), 0);
	r.done = 1;
	req_end(&r);
}

static void test_route_match(void **state)
{
	struct req r;
	struct params a = { 0 };

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_true(route_match(&r, "/", "/", &a));
	assert_false(route_match(&r, "/", "/x", &a));
	assert_true(route_match(&r, "/prompts", "/prompts", &a));
	assert_false(route_match(&r, "/prompts", "/prompts/", &a));
	assert_false(route_match(&r, "/prompts", "/prompt", &a));
	assert_true(route_match(&r, "/api/v1/prompts/:slug/versions/:n",
	    "/api/v1/prompts/my-slug/versions/12", &a));
	assert_int_equal(a.n, 2);
	assert_string_equal(params_get(&a, "slug"), "my-slug");
	assert_string_equal(params_get(&a, "n"), "12");
	a.n = 0;
	/* An empty segment never matches a :param. */
	assert_false(route_match(&r, "/p/:slug", "/p/", &a));
	assert_false(route_match(&r, "/p/:slug/x", "/p//x", &a));
	assert_int_equal(a.n, 0);
	/* A failed match leaves no captured params behind. */
	assert_false(route_match(&r, "/p/:slug/edit", "/p/abc/view", &a));
	assert_int_equal(a.n, 0);
	r.done = 1;
	req_end(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_decode),
		cmocka_unit_test(test_urlencoded),
		cmocka_unit_test(test_cookies),
		cmocka_unit_test(test_route_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
