/* test_mail.c - the text of an e-mail (headers, encoded words, bodies),
 * the sender's address, the retry backoff, and the mail configuration's
 * checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "mail_outbox.h"
#include "mail_smtp.h"

static void test_address_of(void **state)
{
	char out[64];

	(void)state;
	mail_address_of("Prompt Manager <no-reply@example.com>", out, sizeof(out));
	assert_string_equal(out, "no-reply@example.com");
	mail_address_of("plain@example.com", out, sizeof(out));
	assert_string_equal(out, "plain@example.com");
	mail_address_of("\"A <b>\" <c@d.e>", out, sizeof(out));
	assert_string_equal(out, "c@d.e");
}

static void test_format_ascii(void **state)
{
	struct mail_message m = { "Prompt Manager <no-reply@example.com>",
	    "user@example.com", "Reset your password",
	    "Hello,\n\nOpen http://x/reset?token=abc\n.dot line\n",
	    "42.abcdef@example.com", 1764579600 };
	struct buf b = { 0 };

	(void)state;
	mail_format(&m, &b);
	assert_non_null(strstr(b.data,
	    "From: \"Prompt Manager\" <no-reply@example.com>\r\n"
	    "To: user@example.com\r\n"
	    "Subject: Reset your password\r\n"
	    "Date: Mon, 01 Dec 2025 09:00:00 +0000\r\n"
	    "Message-ID: <42.abcdef@example.com>\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n\r\n"
	    "Hello,\r\n\r\nOpen http://x/reset?token=abc\r\n.dot line\r\n"));
	/* every line ends with CRLF, no bare LF */
	for (size_t i = 0; i < b.len; i++)
		if (b.data[i] == '\n')
			assert_int_equal(b.data[i - 1], '\r');
	buf_free(&b);
}

static void test_format_utf8(void **state)
{
	/* 40 "é" (80 bytes): more than one encoded word, cut between
	 * characters */
	char subject[128] = "", body[] = "Caf\xc3\xa9 ouvert\n";
	struct mail_message m = { "Gestionnaire \xc3\xa9t\xc3\xa9 <a@b.c>", "u@d.e",
	    subject, body, "1.x@b.c", 0 };
	struct buf b = { 0 };
	const char *p;
	int words = 0;

	(void)state;
	for (int i = 0; i < 40; i++)
		strcat(subject, "\xc3\xa9");
	mail_format(&m, &b);
	assert_non_null(strstr(b.data, "From: =?UTF-8?B?R2VzdGlvbm5haXJlIMOpdMOp?= <a@b.c>\r\n"));
	for (p = b.data; (p = strstr(p, "=?UTF-8?B?")) != NULL; p++)
		words++;
	assert_int_equal(words, 1 + 2);		/* the name, the subject in two */
	assert_non_null(strstr(b.data, "?=\r\n =?UTF-8?B?"));	/* folded */
	assert_non_null(strstr(b.data, "Content-Transfer-Encoding: base64\r\n\r\n"
	    "Q2Fmw6kgb3V2ZXJ0Cg==\r\n"));
	assert_non_null(strstr(b.data, "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
	buf_free(&b);
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(mail_backoff(1, 30, 3600), 30);
	assert_int_equal(mail_backoff(2, 30, 3600), 60);
	assert_int_equal(mail_backoff(3, 30, 3600), 120);
	assert_int_equal(mail_backoff(7, 30, 3600), 1920);
	assert_int_equal(mail_backoff(8, 30, 3600), 3600);
	assert_int_equal(mail_backoff(1000, 30, 3600), 3600);
	assert_int_equal(mail_backoff(0, 5, 5), 5);
}

/* config_load with one key=value setting in a file; returns its result
 * and leaves the message in err. */
static int load_with(const char *line, struct buf *err)
{
	char path[] = "/tmp/pm-test-mail-XXXXXX";
	struct config c;
	FILE *f;
	int fd = mkstemp(path), rc;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fprintf(f, "%s\n", line);
	fclose(f);
	rc = config_load(&c, path, err);
	config_free(&c);
	remove(path);
	return rc;
}

static void test_config_checks(void **state)
{
	struct buf err = { 0 };

	(void)state;
	assert_int_equal(load_with("smtp_url = smtps://mail.example.com:465", &err), 0);
	assert_int_equal(load_with("public_base_url = https://p.example.com/app", &err), 0);
	assert_int_equal(load_with("smtp_starttls = maybe", &err), -1);
	assert_non_null(strstr(err.data, "smtp_starttls must be required, try or off"));
	buf_reset(&err);
	assert_int_equal(load_with("smtp_url = http://mail.example.com", &err), -1);
	assert_non_null(strstr(err.data, "smtp_url must start with smtp:// or smtps://"));
	buf_reset(&err);
	assert_int_equal(load_with("public_base_url = https://p.example.com/", &err), -1);
	assert_int_equal(load_with("public_base_url = p.example.com", &err), -1);
	assert_int_equal(load_with("mail_retry_seconds = 0", &err), -1);
	assert_int_equal(load_with("reset_token_seconds = 10", &err), -1);
	buf_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address_of),
		cmocka_unit_test(test_format_ascii),
		cmocka_unit_test(test_format_utf8),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_config_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
