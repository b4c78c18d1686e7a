/* test_users.c - email and password rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "users.h"

/* The catalog key of the refusal, or NULL when accepted. */
static const char *ekey(const char *email, char *out)
{
	struct pm_fail f = { 0 };

	return email_check(email, out, &f) == 0 ? NULL : f.key;
}

static const char *pkey(const char *pw, const char *email)
{
	struct pm_fail f = { 0 };

	return password_check(pw, email, &f) == 0 ? NULL : f.key;
}

static void test_email(void **state)
{
	char out[EMAIL_MAX + 1], big[400];

	(void)state;
	assert_null(ekey("  Ann.Lee@Example.COM ", out));
	assert_string_equal(out, "ann.lee@example.com");
	assert_string_equal(ekey("", out), "form.email_required");
	assert_string_equal(ekey("   ", out), "form.email_required");
	assert_string_equal(ekey("no-at-sign", out), "form.email_invalid");
	assert_string_equal(ekey("a@b", out), "form.email_invalid");
	assert_string_equal(ekey("a@@b.c", out), "form.email_invalid");
	assert_string_equal(ekey("@b.com", out), "form.email_invalid");
	assert_string_equal(ekey("a b@c.com", out), "form.email_invalid");
	assert_string_equal(ekey("a\tb@c.com", out), "form.email_invalid");
	assert_string_equal(ekey("a@c..com", out), "form.email_invalid");
	assert_string_equal(ekey("a@c.com.", out), "form.email_invalid");
	memset(big, 'a', sizeof(big));
	memcpy(big + 300, "@example.com", 13);
	assert_string_equal(ekey(big, out), "form.email_too_long");
	/* SQL metacharacters are fine in an address and kept as typed. */
	assert_null(ekey("o'brien+tag@example.com", out));
	assert_string_equal(out, "o'brien+tag@example.com");
	/* So are HTML metacharacters: escaping happens when shown. */
	assert_null(ekey("<b>\"x\"</b>&'--@example.com", out));
	assert_string_equal(out, "<b>\"x\"</b>&'--@example.com");
}

static void test_password(void **state)
{
	char longpw[200];

	(void)state;
	assert_null(pkey("correct horse battery", "ann@example.com"));
	assert_string_equal(pkey("short", NULL), "form.password_too_short");
	/* Length counts characters, not bytes: 10 two-byte characters pass. */
	assert_null(pkey("\xc3\xa9\xc3\xa0\xc3\xa8\xc3\xa7\xc3\xb9"
	    "\xc3\xa9\xc3\xa0\xc3\xa8\xc3\xa7\xc3\xb9", NULL));
	memset(longpw, 'x', sizeof(longpw));
	longpw[129] = '\0';
	longpw[0] = 'a';
	longpw[1] = 'b';
	longpw[2] = 'c';
	assert_string_equal(pkey(longpw, NULL), "form.password_too_long");
	longpw[128] = '\0';
	assert_null(pkey(longpw, NULL));
	assert_string_equal(pkey("aaaaaaaaaaaa", NULL), "form.password_weak");
	assert_string_equal(pkey("Password123", NULL), "form.password_common");
	assert_string_equal(pkey("QwertyUIOP", NULL), "form.password_common");
	assert_string_equal(pkey("annabelle-2024!", "Annabelle@example.com"),
	    "form.password_is_email");
	assert_string_equal(pkey("bad\xff\xfe utf8 pw", NULL),
	    "form.password_invalid");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_password),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
