/* log.c - one line per event on stderr, tagged with the current request id. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *level_names[LOG__MAX] = { "DEBUG", "INFO", "WARN", "ERROR" };
static char log_prog[32] = "pm";
static enum log_level log_min = LOG_INFO;
static __thread char log_rid[40];	/* the request this thread answers */

void log_init(const char *prog, enum log_level min)
{
	snprintf(log_prog, sizeof(log_prog), "%s", prog);
	log_min = min;
}

int log_level_parse(const char *s)
{
	static const char *names[LOG__MAX] = { "debug", "info", "warn", "error" };
	int i;

	for (i = 0; i < LOG__MAX; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

void log_set_rid(const char *rid)
{
	snprintf(log_rid, sizeof(log_rid), "%s", rid ? rid : "");
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[2048], stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	va_list ap;
	int n, m;

	if (level < log_min)
		return;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, sizeof(line), "%s %s[%d] %s %s%s%s", stamp, log_prog,
	    (int)getpid(), level_names[level], log_rid[0] ? "rid=" : "",
	    log_rid, log_rid[0] ? " " : "");
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	/* One event, one line: fold embedded newlines. */
	for (m = 0; m < n; m++)
		if (line[m] == '\n' || line[m] == '\r')
			line[m] = ' ';
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}
