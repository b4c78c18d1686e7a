/* clock.c - the one source of "now" (UTC), injectable in tests. */
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "config.h"
#include "util.h"

int64_t clock_now(void)
{
	if (cfg != NULL && cfg_int(CFG_TEST_MODE) && cfg_str(CFG_CLOCK_FILE)[0]) {
		FILE *f = fopen(cfg_str(CFG_CLOCK_FILE), "r");
		char line[64];
		int64_t t;

		if (f != NULL) {
			if (fgets(line, sizeof(line), f) != NULL) {
				char *nl = line;
				while (*nl && *nl != '\n')
					nl++;
				*nl = '\0';
				if (parse_i64(line, 0, INT64_MAX / 2, &t) == 0) {
					fclose(f);
					return t;
				}
			}
			fclose(f);
		}
	}
	return (int64_t)time(NULL);
}

int64_t clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

char *clock_fmt(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm);
	return out;
}

char *clock_iso(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}
