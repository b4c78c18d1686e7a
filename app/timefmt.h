/* timefmt.h - times for people: "2 min ago", "in 5 h", "1 Dec 06:05 UTC",
 * in the words of the message catalog (time.* keys), and the <time>
 * element that carries the exact time. Every time is UTC. */
#ifndef PM_TIMEFMT_H
#define PM_TIMEFMT_H

#include <stdint.h>

#include "buf.h"

/* How a time is put in words. */
enum time_style {
	TIME_AUTO,	/* relative within a day of now, else the date */
	TIME_DATE	/* always the date and time: "1 Dec 06:05 UTC" */
};

/* Parse "YYYY-MM-DDTHH:MM:SSZ" (what clock_iso writes) into *t. Returns 0,
 * or -1 when s is not such a time. */
int time_parse_iso(const char *s, int64_t *t);
/* Append t in words, as seen at now: within a minute "just now" (or "in
 * less than a minute"), within an hour "N min ago" / "in N min", within a
 * day "N h ago" / "in N h"; otherwise, or with TIME_DATE, "1 Dec 06:05
 * UTC", with the year when it is not now's: "1 Dec 2023, 06:05 UTC". */
void time_words(struct buf *out, int64_t t, int64_t now, enum time_style st);
/* Append <time datetime="ISO" title="YYYY-MM-DD HH:MM:SS UTC">words</time>
 * (time_words, HTML-escaped). */
void time_html(struct buf *out, int64_t t, int64_t now, enum time_style st);

#endif
