/* sse.c - an incremental Server-Sent Events parser (the framing only). */
#include "sse.h"

#include <string.h>

void sse_init(struct sse_parser *p, size_t max, sse_fn fn, void *arg)
{
	memset(p, 0, sizeof(*p));
	p->max = max ? max : SSE_MAX_EVENT;
	p->fn = fn;
	p->arg = arg;
}

void sse_free(struct sse_parser *p)
{
	buf_free(&p->line);
	buf_free(&p->data);
	p->has_data = 0;
}

int sse_pending(const struct sse_parser *p)
{
	return p->line.len > 0 || p->has_data;
}

/* A blank line: hand over the event when it has data, then start a new
 * one. Returns SSE_OK or SSE_STOPPED. */
static int dispatch(struct sse_parser *p)
{
	int stop = 0;

	if (p->has_data) {
		/* Every data field added a '\n'; the last one is dropped. */
		p->data.len--;
		p->data.data[p->data.len] = '\0';
		p->events++;
		stop = p->fn(p->arg, SSE_EVENT, p->data.data, p->data.len);
	}
	buf_reset(&p->data);
	p->has_data = 0;
	return stop ? SSE_STOPPED : SSE_OK;
}

/* Interpret one complete line (without its end). Returns an enum
 * sse_status. */
static int process_line(struct sse_parser *p)
{
	const char *s = p->line.data, *colon, *val;
	size_t n = p->line.len, flen, vlen;

	if (!p->started) {
		p->started = 1;
		if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
			s += 3;
			n -= 3;
		}
	}
	if (n == 0)
		return dispatch(p);
	if (s[0] == ':') {
		p->comments++;
		if (p->fn(p->arg, SSE_COMMENT, s + 1, n - 1) != 0)
			return SSE_STOPPED;
		return SSE_OK;
	}
	colon = memchr(s, ':', n);
	if (colon == NULL) {
		flen = n;
		val = s + n;
		vlen = 0;
	} else {
		flen = (size_t)(colon - s);
		val = colon + 1;
		vlen = n - flen - 1;
		if (vlen > 0 && val[0] == ' ') {
			val++;
			vlen--;
		}
	}
	if (flen != 4 || memcmp(s, "data", 4) != 0)
		return SSE_OK;		/* event, id, retry, unknown: ignored */
	if (p->data.len + vlen + 1 > p->max)
		return SSE_TOOBIG;
	buf_append(&p->data, val, vlen);
	buf_putc(&p->data, '\n');
	p->has_data = 1;
	return SSE_OK;
}

int sse_feed(struct sse_parser *p, const char *s, size_t n)
{
	size_t i = 0, j;
	int rc;

	if (p->status != SSE_OK)
		return p->status;
	while (i < n) {
		if (p->skip_lf) {
			p->skip_lf = 0;
			if (s[i] == '\n') {
				i++;
				continue;
			}
		}
		for (j = i; j < n && s[j] != '\n' && s[j] != '\r'; j++)
			;
		if (p->line.len + (j - i) > p->max + SSE_LINE_SLACK) {
			p->status = SSE_TOOBIG;
			return p->status;
		}
		buf_append(&p->line, s + i, j - i);
		if (j == n)
			break;
		p->skip_lf = s[j] == '\r';
		i = j + 1;
		rc = process_line(p);
		buf_reset(&p->line);
		if (rc != SSE_OK) {
			p->status = rc;
			return rc;
		}
	}
	return SSE_OK;
}
