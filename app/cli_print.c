/* cli_print.c - how pm-admin commands print: catalog sentences on stdout,
 * errors on stderr. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>

#include "buf.h"
#include "db.h"
#include "msg.h"

void cli_say(const char *key, ...)
{
	struct buf b = { 0 };
	va_list ap;

	va_start(ap, key);
	msg_vfmt(&b, key, ap);
	va_end(ap);
	printf("%s\n", buf_cstr(&b));
	buf_free(&b);
}

/* Print "pm-admin: " and text on stderr. */
static void error_line(const char *text)
{
	struct buf b = { 0 };

	msg_fmt(&b, "cli.error", "message", text, NULL);
	fprintf(stderr, "%s\n", buf_cstr(&b));
	buf_free(&b);
}

int cli_error(const char *key, ...)
{
	struct buf b = { 0 };
	va_list ap;

	va_start(ap, key);
	msg_vfmt(&b, key, ap);
	va_end(ap);
	error_line(buf_cstr(&b));
	buf_free(&b);
	return 1;
}

int cli_fail(int rc, struct pm_fail *f)
{
	struct buf b = { 0 };

	/* An operator wants the database's own words. */
	if (err_is_db(rc))
		msg_fmt(&b, "cli.db_error", "detail", db_strerror(rc), NULL);
	else
		pm_fail_text(rc, f, &b);
	error_line(buf_cstr(&b));
	buf_free(&b);
	pm_fail_clear(f);
	return 1;
}
