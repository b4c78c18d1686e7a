/* clock.h - the one source of "now" (UTC), injectable in tests.
 *
 * Every timestamp the application stores or compares comes from clock_now(),
 * never from SQL NOW(), so tests can move time (test_mode + clock_file).
 */
#ifndef PM_CLOCK_H
#define PM_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Current UTC time in epoch seconds. In test_mode with a clock_file, the
 * integer in that file when it holds one. Returns the time. */
int64_t clock_now(void);
/* Monotonic time in microseconds, for measuring durations. */
int64_t clock_mono_us(void);
/* Format t as "YYYY-MM-DD HH:MM:SS" (UTC) into out (at least 20 bytes).
 * Returns out. */
char *clock_fmt(int64_t t, char *out, size_t len);
/* Format t as ISO 8601 "YYYY-MM-DDTHH:MM:SSZ". Returns out. */
char *clock_iso(int64_t t, char *out, size_t len);

#endif
