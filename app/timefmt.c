/* timefmt.c - times in words (relative or dated) and as <time> elements. */
#include "timefmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "escape.h"
#include "msg.h"

int time_parse_iso(const char *s, int64_t *t)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || strlen(s) != 20 ||
	    (end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL || *end)
		return -1;
	*t = (int64_t)timegm(&tm);
	return 0;
}

/* "1 Dec 06:05 UTC", or with the year when it is not the year of now. */
static void date_words(struct buf *out, int64_t t, int64_t now)
{
	time_t tt = (time_t)t, tn = (time_t)now;
	struct tm tm, tmn;
	char day[8], month[24], year[16], hm[8];

	gmtime_r(&tt, &tm);
	gmtime_r(&tn, &tmn);
	snprintf(day, sizeof(day), "%d", tm.tm_mday);
	snprintf(month, sizeof(month), "time.month.%d", tm.tm_mon + 1);
	snprintf(year, sizeof(year), "%d", tm.tm_year + 1900);
	snprintf(hm, sizeof(hm), "%02d:%02d", tm.tm_hour, tm.tm_min);
	msg_fmt(out, tm.tm_year == tmn.tm_year ? "time.date" : "time.date_year",
	    "day", day, "month", msg_get(month), "year", year, "time", hm, NULL);
}

void time_words(struct buf *out, int64_t t, int64_t now, enum time_style st)
{
	int64_t d = now - t, ad = d < 0 ? -d : d;

	if (st == TIME_DATE || ad >= 86400)
		date_words(out, t, now);
	else if (ad < 60)
		buf_puts(out, msg_get(d >= 0 ? "time.just_now" : "time.in_moment"));
	else if (ad < 3600)
		msg_count(out, d >= 0 ? "time.minutes_ago" : "time.in_minutes",
		    ad / 60);
	else
		msg_count(out, d >= 0 ? "time.hours_ago" : "time.in_hours",
		    ad / 3600);
}

void time_html(struct buf *out, int64_t t, int64_t now, enum time_style st)
{
	struct buf words = { 0 };
	char iso[32], full[32];

	time_words(&words, t, now, st);
	clock_iso(t, iso, sizeof(iso));
	clock_fmt(t, full, sizeof(full));
	buf_printf(out, "<time datetime=\"%s\" title=\"%s UTC\">", iso, full);
	esc_html(out, words.data ? words.data : "", words.len);
	buf_puts(out, "</time>");
	buf_free(&words);
}
