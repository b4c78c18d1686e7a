/* fuzz_sse.c - libFuzzer harness for the Server-Sent Events reader of
 * OpenRouter streams: sse_feed() on any bytes in any chunks, and what the
 * upstream client does with each event (a strict JSON parse, the exact
 * decimal cost of a usage chunk).
 *
 * Input: one flag byte (bits 0-3: how many chunk sizes follow; bits 4-5:
 * stop after that many events, 0 never; bit 6: a 64-byte event limit
 * instead of SSE_MAX_EVENT), the chunk sizes (one byte each, 0 feeds
 * nothing; used in turn, cycling), then the stream.
 *
 * Properties: the stream fed in one piece, in the chosen chunks and byte
 * by byte gives the same events and comments, in the same order, the same
 * final status and the same pending state; every text handed over is
 * NUL-terminated; dec_parse_units() rounds consistently: the units at
 * 10^-d are the units at 10^-(d+1) divided by 10, rounded up. */
#include "fuzz.h"

#include "buf.h"
#include "jsonx.h"
#include "sse.h"
#include "money.h"
#include "upstream.h"

/* What the callback saw, and when to stop. */
struct seen {
	struct buf	 log;
	int		 stop_after;
	int		 events;
	int		 inspect;	/* parse event data (once per input) */
};

/* The decimal text s (n bytes) rounds consistently at every precision. */
static void check_units(const char *s, size_t n)
{
	int64_t prev = 0, cur;
	int d, prev_ok = 0, ok;

	for (d = 18; d >= 0; d--) {
		ok = dec_parse_units(s, n, d, &cur) == 0;
		if (prev_ok) {
			FUZZ_ASSERT(ok);
			FUZZ_ASSERT(cur == prev / 10 + (prev % 10 != 0));
		}
		if (ok)
			FUZZ_ASSERT(cur >= 0);
		prev_ok = ok;
		prev = cur;
	}
}

/* The usage part of an OpenRouter chunk, as upstream.c reads it. */
static void inspect(const char *text, size_t n)
{
	struct json_error e;
	struct json_object *o, *usage, *cost;
	int64_t micros;

	check_units(text, n);
	if (n == 6 && memcmp(text, "[DONE]", 6) == 0)
		return;
	if ((o = json_parse_strict(text, n, &e)) == NULL)
		return;
	usage = json_member(o, "usage");
	if ((cost = json_member(usage, "cost")) != NULL) {
		const char *s = json_object_get_string(cost);

		if (dec_json_units(cost, 6, &micros) == 0)
			FUZZ_ASSERT(micros >= 0);
		if (s != NULL)
			check_units(s, strlen(s));
	}
	(void)json_str_member(o, "id", NULL);
	json_object_put(o);
}

static int on_sse(void *arg, enum sse_kind kind, const char *text, size_t n)
{
	struct seen *w = arg;
	char len[32];

	FUZZ_ASSERT(kind == SSE_EVENT || kind == SSE_COMMENT);
	FUZZ_ASSERT(text[n] == '\0');
	snprintf(len, sizeof(len), "%c%zu:", kind == SSE_EVENT ? 'E' : 'C', n);
	buf_puts(&w->log, len);
	buf_append(&w->log, text, n);
	if (kind == SSE_EVENT && w->inspect)
		inspect(text, n);
	return kind == SSE_EVENT && ++w->events == w->stop_after;
}

struct result {
	int		 status;
	int		 pending;
	size_t		 events, comments;
};

/* Feed the stream s (n bytes) to a new parser in chunks of the sizes
 * (cycling; nsizes 0: all at once). */
static struct result run(const char *s, size_t n, const uint8_t *sizes,
    size_t nsizes, size_t max, struct seen *w)
{
	struct sse_parser p;
	struct result r;
	size_t off = 0, k = 0, zeros = 0, c;
	int rc = SSE_OK;

	sse_init(&p, max, on_sse, w);
	if (nsizes == 0)
		rc = sse_feed(&p, s, n);
	while (nsizes > 0 && off < n && rc == SSE_OK) {
		c = sizes[k++ % nsizes];
		if (c > n - off || (c == 0 && ++zeros > nsizes))
			c = n - off;	/* only empty chunks: the rest */
		rc = sse_feed(&p, s + off, c);
		off += c;
	}
	FUZZ_ASSERT(rc == SSE_OK || rc == SSE_TOOBIG || rc == SSE_STOPPED);
	r.status = rc;
	r.pending = rc == SSE_OK ? sse_pending(&p) : 0;
	/* The end of an event still pending is dispatched alike. */
	FUZZ_ASSERT(sse_feed(&p, "\n\n", 2) == rc || rc == SSE_OK);
	r.events = p.events;
	r.comments = p.comments;
	sse_free(&p);
	return r;
}

static void same(const struct result *a, const struct seen *wa,
    const struct result *b, const struct seen *wb)
{
	FUZZ_ASSERT(a->status == b->status);
	FUZZ_ASSERT(a->pending == b->pending);
	FUZZ_ASSERT(a->events == b->events && a->comments == b->comments);
	FUZZ_ASSERT(wa->log.len == wb->log.len &&
	    (wa->log.len == 0 || memcmp(wa->log.data, wb->log.data,
	    wa->log.len) == 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t one = 1;
	struct seen whole = { { 0 }, 0, 0, 1 }, chunked = { { 0 }, 0, 0, 0 };
	struct seen bytes = { { 0 }, 0, 0, 0 };
	struct result a, b, c;
	size_t nsizes, max;
	const uint8_t *sizes;
	char *stream;
	size_t n;

	if (size == 0)
		return 0;
	nsizes = data[0] & 0x0f;
	if (nsizes > size - 1)
		nsizes = size - 1;
	whole.stop_after = chunked.stop_after = bytes.stop_after =
	    (data[0] >> 4) & 3;
	max = (data[0] & 0x40) ? 64 : 0;
	sizes = data + 1;
	n = size - 1 - nsizes;
	stream = fuzz_strndup((const char *)data + 1 + nsizes, n);

	a = run(stream, n, NULL, 0, max, &whole);
	b = run(stream, n, sizes, nsizes, max, &chunked);
	same(&a, &whole, &b, &chunked);
	if (n <= 4096) {
		c = run(stream, n, &one, 1, max, &bytes);
		same(&a, &whole, &c, &bytes);
	}
	buf_free(&whole.log);
	buf_free(&chunked.log);
	buf_free(&bytes.log);
	free(stream);
	return 0;
}
