/* test_util.c - UTF-8 checks, strict integers, buffers, encodings, the
 * config table and the message catalog. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "crypto.h"
#include "jsonx.h"
#include "msg.h"
#include "util.h"

static void test_utf8(void **state)
{
	(void)state;
	assert_true(utf8_valid("hello", 5));
	assert_int_equal(utf8_seq("\xc3\xa9x", 3), 2);
	assert_int_equal(utf8_seq("\xf0\x9f\x98\x80", 4), 4);
	assert_int_equal(utf8_seq("\xe2\x82", 2), 0);		/* cut */
	assert_int_equal(utf8_seq("\xc0\xaf", 2), 0);		/* overlong */
	assert_int_equal(utf8_seq("\xed\xa0\x80", 3), 0);	/* surrogate */
	assert_int_equal(utf8_seq("\xf4\x90\x80\x80", 4), 0);	/* > U+10FFFF */
	assert_int_equal(utf8_seq("", 0), 0);
	assert_true(utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
	assert_false(utf8_valid("a\0b", 3));
	assert_false(utf8_valid("\xc3", 1));		/* truncated */
	assert_false(utf8_valid("\xc0\xaf", 2));	/* overlong */
	assert_false(utf8_valid("\xe0\x80\xaf", 3));	/* overlong */
	assert_false(utf8_valid("\xed\xa0\x80", 3));	/* surrogate */
	assert_false(utf8_valid("\xf4\x90\x80\x80", 4));	/* > U+10FFFF */
	assert_false(utf8_valid("\xff", 1));
	assert_false(utf8_valid("\x80", 1));		/* stray continuation */
	assert_int_equal(utf8_len("\xc3\xa9t\xc3\xa9", 5), 3);
}

static void test_parse_i64(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(parse_i64("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_i64("-5", -10, 10, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(parse_i64("101", 0, 100, &v), -1);
	assert_int_equal(parse_i64("", 0, 100, &v), -1);
	assert_int_equal(parse_i64(" 1", 0, 100, &v), -1);
	assert_int_equal(parse_i64("1 ", 0, 100, &v), -1);
	assert_int_equal(parse_i64("1x", 0, 100, &v), -1);
	assert_int_equal(parse_i64("99999999999999999999", 0, INT64_MAX, &v), -1);
}

static void test_buf(void **state)
{
	struct buf b = { 0 };
	char *s;

	(void)state;
	assert_string_equal(buf_cstr(&b), "");
	buf_puts(&b, "abc");
	buf_putc(&b, 'd');
	buf_printf(&b, "%d-%s", 12, "x");
	assert_string_equal(b.data, "abcd12-x");
	assert_int_equal(b.len, 8);
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	buf_append(&b, "a\0b", 3);
	assert_int_equal(b.len, 3);
	s = buf_detach(&b);
	assert_null(b.data);
	assert_memory_equal(s, "a\0b", 3);
	free(s);
	buf_free(&b);
	assert_true(ct_equal("abc", 3, "abc", 3));
	assert_false(ct_equal("abc", 3, "abd", 3));
	assert_false(ct_equal("abc", 3, "ab", 2));
}

static void test_encodings(void **state)
{
	struct buf b = { 0 };
	char hex[65], tok[TOKEN_LEN + 1], tok2[TOKEN_LEN + 1];
	unsigned char h[32];

	(void)state;
	b64url_encode((const unsigned char *)"\xfb\xff\xbf", 3, &b);
	assert_string_equal(b.data, "-_-_");
	buf_reset(&b);
	b64url_encode((const unsigned char *)"ab", 2, &b);
	assert_string_equal(b.data, "YWI");
	buf_free(&b);
	sha256("abc", 3, h);
	hex_encode(h, 32, hex);
	assert_string_equal(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	token_new(tok);
	token_new(tok2);
	assert_int_equal(strlen(tok), TOKEN_LEN);
	assert_string_not_equal(tok, tok2);
	assert_true(token_valid(tok));
	assert_false(token_valid(NULL));
	tok2[5] = '+';				/* not base64url */
	assert_false(token_valid(tok2));
	tok2[TOKEN_LEN - 1] = '\0';		/* too short */
	assert_false(token_valid(tok2));
	token_hash(tok, hex);
	assert_int_equal(strlen(hex), 64);
}

static void test_password_hash(void **state)
{
	struct buf b = { 0 };

	(void)state;
	assert_int_equal(password_hash("correct horse battery", &b), 0);
	/* argon2id with m = 19 MiB, t = 2, p = 1 by default. */
	assert_non_null(strstr(b.data, "$argon2id$v=19$m=19456,t=2,p=1$"));
	assert_int_equal(password_verify(b.data, "correct horse battery"), 1);
	assert_int_equal(password_verify(b.data, "wrong"), 0);
	assert_int_equal(password_verify("garbage", "x"), -1);
	buf_free(&b);
}

static void test_read_secret(void **state)
{
	struct buf err = { 0 };
	char path[] = "/tmp/pmsecXXXXXX";
	int fd = mkstemp(path);
	char *sec;

	(void)state;
	assert_int_equal(write(fd, "sk-or-v1-abc\r\n\n", 15), 15);
	close(fd);
	sec = config_read_secret(path, &err);
	assert_non_null(sec);
	assert_string_equal(sec, "sk-or-v1-abc");
	free(sec);
	unlink(path);
	assert_null(config_read_secret(path, &err));
	assert_non_null(strstr(err.data, "cannot read secret file"));
	buf_reset(&err);
	assert_null(config_read_secret("/tmp", &err));	/* a directory */
	assert_non_null(strstr(err.data, "not a regular file"));
	buf_free(&err);
}

static void test_config(void **state)
{
	struct config c;
	struct buf err = { 0 };
	char path[] = "/tmp/pmcfgXXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	(void)state;
	fprintf(f, "# comment\nworkers = 3\nlisten = \"unix:/tmp/x.sock\"\n"
	    "test_mode = yes\nlisten_mode = 0600\n");
	fclose(f);
	setenv("PM_WORKERS", "5", 1);
	assert_int_equal(config_load(&c, path, &err), 0);
	assert_int_equal(c.num[CFG_WORKERS], 5);	/* env wins */
	assert_string_equal(c.str[CFG_LISTEN], "unix:/tmp/x.sock");
	assert_int_equal(c.num[CFG_TEST_MODE], 1);
	assert_int_equal(c.num[CFG_LISTEN_MODE], 0600);
	assert_int_equal(c.num[CFG_MAX_BODY_BYTES], 1048576);	/* default */
	config_free(&c);
	unsetenv("PM_WORKERS");

	f = fopen(path, "w");
	fprintf(f, "no_such_key = 1\n");
	fclose(f);
	assert_int_equal(config_load(&c, path, &err), -1);
	assert_non_null(strstr(err.data, "unknown key \"no_such_key\""));
	assert_non_null(strstr(err.data, ":1"));
	config_free(&c);
	buf_reset(&err);

	f = fopen(path, "w");
	fprintf(f, "workers = many\n");
	fclose(f);
	assert_int_equal(config_load(&c, path, &err), -1);
	assert_non_null(strstr(err.data, "workers must be a non-negative integer"));
	config_free(&c);
	buf_reset(&err);

	setenv("PM_TEST_MODE", "maybe", 1);
	assert_int_equal(config_load(&c, NULL, &err), -1);
	assert_non_null(strstr(err.data, "PM_TEST_MODE"));
	unsetenv("PM_TEST_MODE");
	config_free(&c);
	unlink(path);
	buf_free(&err);
}

static void test_msg(void **state)
{
	char dir[] = "/tmp/pmmsgXXXXXX", path[256];
	struct buf out = { 0 }, err = { 0 };
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/messages", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/messages/en", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/messages/en/a.txt", dir);
	f = fopen(path, "w");
	fprintf(f, "# c\nb.key = Hello {name}, {name}! {missing}\na.key=Line\\nTwo\n");
	fclose(f);
	assert_int_equal(msg_load(dir, "en", &err), 0);
	assert_string_equal(msg_get("a.key"), "Line\nTwo");
	assert_string_equal(msg_get("nope"), "nope");
	msg_fmt(&out, "b.key", "name", "<Ann>", NULL);
	assert_string_equal(out.data, "Hello <Ann>, <Ann>! {missing}");
	f = fopen(path, "w");
	fprintf(f, "a = 1\na = 2\n");
	fclose(f);
	assert_int_equal(msg_load(dir, "en", &err), -1);
	assert_non_null(strstr(err.data, "duplicate key a"));
	/* The previous catalog stays in use after a failed load. */
	assert_string_equal(msg_get("a.key"), "Line\nTwo");
	msg_free();
	unlink(path);
	snprintf(path, sizeof(path), "%s/messages/en", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/messages", dir);
	rmdir(path);
	rmdir(dir);
	buf_free(&out);
	buf_free(&err);
}

static void test_json_str_member(void **state)
{
	struct json_object *o = json_tokener_parse(
	    "{\"s\":\"text\",\"n\":1,\"z\":null}");
	int bad = 0;

	(void)state;
	assert_string_equal(json_str_member(o, "s", &bad), "text");
	assert_int_equal(bad, 0);
	assert_null(json_str_member(o, "absent", &bad));
	assert_null(json_str_member(o, "z", &bad));
	assert_null(json_str_member(NULL, "s", &bad));
	assert_int_equal(bad, 0);
	assert_null(json_str_member(o, "n", &bad));	/* wrong type */
	assert_int_equal(bad, 1);
	assert_null(json_str_member(o, "n", NULL));
	json_object_put(o);
}

/* Every string and key must be text; the path of the first that is not
 * is named. Escaped lone surrogates are refused like raw ones. */
static void test_json_texts(void **state)
{
	static const struct {
		const char	*text;
		const char	*where;		/* NULL: valid */
	} cases[] = {
		{ "{\"a\":\"ok\\u00e9\\ud83d\\ude00\\t\\n\"}", NULL },
		{ "{\"a\":\"x\\ud800\"}", "a" },
		{ "{\"a\":\"x\\udc00\\ud800\"}", "a" },
		{ "{\"a\":\"\\ud800\\u0041\"}", "a" },
		{ "{\"a\":[1,{\"b\":\"\\u0001\"}]}", "a[1].b" },
		{ "{\"a\":[\"\xed\xa0\x80\"]}", "a[0]" },
		{ "{\"a\":{\"k\\ud800\":1}}", "a" },
		{ "{\"q\":\"\\\\ud800\"}", NULL },	/* an escaped backslash */
		{ "[\"\x7f\"]", "[0]" },
		{ "\"\x01\"", "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		struct json_error e;
		struct json_object *o = json_parse_strict(cases[i].text,
		    strlen(cases[i].text), &e);

		if (cases[i].where == NULL) {
			if (o == NULL)
				fail_msg("case %zu: %s", i, e.detail);
		} else {
			assert_null(o);
			assert_int_equal(e.kind, JSON_ERR_TEXT);
			assert_string_equal(e.where, cases[i].where);
		}
		json_object_put(o);
	}
}

static void test_json_parse_strict(void **state)
{
	static const struct {
		const char	*text;
		int		 kind;		/* -1: accepted */
		size_t		 offset;
	} cases[] = {
		{ "{\"a\": [1, \"x\"]}  \n", -1, 0 },
		{ "{\"a\": \"\\\\u0000\"}", -1, 0 },	/* an escaped backslash */
		{ "{\"a\": 1} x", JSON_ERR_SYNTAX, 9 },	/* trailing data */
		{ "{\"a\": \"x\\u0000y\"}", JSON_ERR_NUL, 8 },
		{ "{\"a\\u0000b\": 1}", JSON_ERR_NUL, 3 },
		{ "{\"a\": }", JSON_ERR_SYNTAX, 6 },
		{ "{a: 1}", JSON_ERR_SYNTAX, 1 },
		{ "{\"a\": \"\xff\"}", JSON_ERR_TEXT, 0 },	/* named: test_json_texts */
		{ "[1, 2", JSON_ERR_SYNTAX, 5 },
		{ "12", -1, 0 },			/* a bare literal */
		/* json-c takes NaN and Infinity even in strict mode */
		{ "{\"temperature\": NaN}", JSON_ERR_SYNTAX, 16 },
		{ "[1, -Infinity]", JSON_ERR_SYNTAX, 4 },
		{ "Infinity", JSON_ERR_SYNTAX, 0 },
		{ "{\"NaN\": \"Infinity \\\"NaN\"}", -1, 0 },	/* in strings */
		{ "1e999", -1, 0 },			/* JSON, if out of range */
		{ "null", JSON_ERR_NULL, 0 },
		{ "", JSON_ERR_SYNTAX, 0 },
	};
	struct json_error e;
	size_t i;

	(void)state;
	/* json-c stops at a NUL byte: what follows it is still refused */
	assert_null(json_parse_strict("{}\0x", 4, &e));
	assert_int_equal(e.kind, JSON_ERR_SYNTAX);
	assert_int_equal(e.offset, 2);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object *o = json_parse_strict(cases[i].text,
		    strlen(cases[i].text), &e);

		if (cases[i].kind < 0) {
			assert_non_null(o);
			json_object_put(o);
			continue;
		}
		assert_null(o);
		assert_int_equal(e.kind, cases[i].kind);
		assert_int_equal(e.offset, cases[i].offset);
	}
}

static void test_buf_read_file(void **state)
{
	struct buf b = { 0 };
	char path[] = "/tmp/pmreadXXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);
	buf_puts(&b, ">");
	assert_int_equal(buf_read_file(&b, path, 0), 0);	/* appended */
	assert_string_equal(buf_cstr(&b), ">0123456789");
	buf_reset(&b);
	assert_int_equal(buf_read_file(&b, path, 10), 0);	/* at the limit */
	buf_reset(&b);
	assert_int_equal(buf_read_file(&b, path, 9), -1);
	assert_int_equal(errno, EFBIG);
	unlink(path);
	assert_int_equal(buf_read_file(&b, path, 0), -1);
	assert_int_equal(errno, ENOENT);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_parse_i64),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_encodings),
		cmocka_unit_test(test_password_hash),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_read_secret),
		cmocka_unit_test(test_msg),
		cmocka_unit_test(test_json_str_member),
		cmocka_unit_test(test_json_parse_strict),
		cmocka_unit_test(test_json_texts),
		cmocka_unit_test(test_buf_read_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
