/* log.h - one line per event on stderr, tagged with the current request id.
 *
 * Lines look like:
 *   2026-11-24T12:00:00Z pm-fcgi[1234] INFO rid=5f2c0a1b9e3d4c7a message
 * Each line is written with a single write(2), so lines from several
 * workers sharing one stderr do not interleave. Never log secrets.
 */
#ifndef PM_LOG_H
#define PM_LOG_H

enum log_level {
	LOG_DEBUG,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR,
	LOG__MAX
};

/* Set the program name shown on each line and the lowest level written. */
void log_init(const char *prog, enum log_level min);
/* Parse "debug", "info", "warn" or "error". Returns the level, or -1. */
int log_level_parse(const char *s);
/* Set the request id for the following lines; NULL clears it. The string is
 * copied. */
void log_set_rid(const char *rid);
/* Write one formatted line at the given level. */
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
