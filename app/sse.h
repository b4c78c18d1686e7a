/* sse.h - an incremental Server-Sent Events parser (the framing only).
 *
 * Feed the bytes of a text/event-stream in chunks of any size; the parser
 * calls back once per complete event and once per comment line. Lines may
 * end in "\n", "\r\n" or "\r", split anywhere across chunks. Following the
 * WHATWG EventSource rules: "data" fields are joined with "\n" (one space
 * after the colon is dropped), a blank line dispatches the event when it
 * holds at least one data field, a line starting with ':' is a comment,
 * every other field ("event", "id", "retry", unknown ones) is ignored, a
 * UTF-8 byte order mark at the start of the stream is skipped, and an
 * event left incomplete at the end of the stream is never dispatched.
 *
 * Usage:
 *	struct sse_parser p;
 *	sse_init(&p, SSE_MAX_EVENT, on_sse, ctx);
 *	while (bytes arrive)
 *		if (sse_feed(&p, chunk, n) != SSE_OK) ... stop ...
 *	sse_free(&p);
 */
#ifndef PM_SSE_H
#define PM_SSE_H

#include <stddef.h>

#include "buf.h"

/* Default limit on one event's data: 1 MiB. A line may be longer by
 * SSE_LINE_SLACK bytes (room for a field name). */
#define SSE_MAX_EVENT	(1024 * 1024)
#define SSE_LINE_SLACK	64

enum sse_kind {
	SSE_EVENT,	/* a dispatched event: text is its data */
	SSE_COMMENT	/* a comment line: text follows the ':' (keep-alives) */
};

/* Results of sse_feed(); an error is sticky: later feeds return it too. */
enum sse_status {
	SSE_OK = 0,
	SSE_TOOBIG = -1,	/* an event or a line went over its limit */
	SSE_STOPPED = -2	/* the callback returned non-zero */
};

/* Called for each event and comment. text is NUL-terminated at text[len]
 * and valid only during the call. Return 0 to go on, non-zero to stop the
 * parser (sse_feed then returns SSE_STOPPED). */
typedef int (*sse_fn)(void *arg, enum sse_kind kind, const char *text,
    size_t len);

struct sse_parser {
	struct buf	 line;		/* the current, unfinished line */
	struct buf	 data;		/* data fields of the current event */
	size_t		 max;		/* limit on data bytes per event */
	sse_fn		 fn;
	void		*arg;
	int		 has_data;	/* a data field was seen in this event */
	int		 skip_lf;	/* the last byte was '\r': drop a '\n' */
	int		 started;	/* the first line (BOM check) is done */
	int		 status;	/* SSE_OK or the sticky error */
	size_t		 events;	/* events dispatched */
	size_t		 comments;	/* comment lines seen */
};

/* Prepare p to parse a new stream; max is the largest event's data in
 * bytes (counting the "\n" joining lines), 0 for SSE_MAX_EVENT. */
void sse_init(struct sse_parser *p, size_t max, sse_fn fn, void *arg);
/* Parse n more bytes. Returns SSE_OK, SSE_TOOBIG or SSE_STOPPED. */
int sse_feed(struct sse_parser *p, const char *s, size_t n);
/* Whether an incomplete line or event is buffered (the stream ended in
 * the middle of an event when this is 1 at its end). */
int sse_pending(const struct sse_parser *p);
/* Release the buffers; p may be initialised again. Accepts a zeroed p. */
void sse_free(struct sse_parser *p);

#endif
