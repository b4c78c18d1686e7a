/* test_sse.c - the incremental Server-Sent Events parser: line ends split
 * anywhere, comments, ignored fields, multi-line data, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "sse.h"

/* What the callback saw: "E[data]" per event, "C[text]" per comment. */
struct log {
	struct buf	out;
	int		stop_after;	/* stop at this event (1-based), 0 never */
	int		events;
};

static int record(void *arg, enum sse_kind kind, const char *text, size_t n)
{
	struct log *l = arg;

	assert_int_equal(text[n], '\0');
	buf_puts(&l->out, kind == SSE_EVENT ? "E[" : "C[");
	buf_append(&l->out, text, n);
	buf_puts(&l->out, "]");
	if (kind == SSE_EVENT && ++l->events == l->stop_after)
		return 1;
	return 0;
}

/* Parse s in one go (max 0: the default limit); returns the transcript
 * (caller frees with buf_free) and the last status in *rc. */
static struct buf parse_all(const char *s, size_t n, size_t max, int *rc)
{
	struct sse_parser p;
	struct log l = { { 0 }, 0, 0 };

	sse_init(&p, max, record, &l);
	*rc = sse_feed(&p, s, n);
	sse_free(&p);
	buf_puts(&l.out, "");
	return l.out;
}

static void expect(const char *s, const char *want)
{
	struct buf got;
	int rc;

	got = parse_all(s, strlen(s), 0, &rc);
	assert_int_equal(rc, SSE_OK);
	assert_string_equal(got.data, want);
	buf_free(&got);
}

static void test_basic(void **state)
{
	(void)state;
	expect("data: hello\n\n", "E[hello]");
	expect("data: a\n\ndata: b\n\n", "E[a]E[b]");
	expect("data:no-space\n\n", "E[no-space]");
	expect("data:  two\n\n", "E[ two]");	/* only one space goes */
	expect("data\n\n", "E[]");		/* no colon: empty value */
	expect("data:\n\n", "E[]");
	expect("\n\n\n", "");			/* blank lines, no event */
	expect("data: {\"a\": \"b: c\"}\n\n", "E[{\"a\": \"b: c\"}]");
	expect("data: x", "");			/* never completed */
	expect("data: x\n", "");		/* no blank line yet */
}

static void test_multiline(void **state)
{
	(void)state;
	expect("data: a\ndata:\ndata: b\n\n", "E[a\n\nb]");
	expect("data: a\ndata: b\n\ndata: c\n\n", "E[a\nb]E[c]");
	expect("data\ndata\n\n", "E[\n]");
}

static void test_line_ends(void **state)
{
	(void)state;
	expect("data: a\r\n\r\n", "E[a]");
	expect("data: a\r\r", "E[a]");
	expect("data: a\r\ndata: b\rdata: c\n\r\n", "E[a\nb\nc]");
	/* "\r\n" is one line end, not a line end and a blank line. */
	expect("data: a\r\ndata: b\r\n\r\n", "E[a\nb]");
	/* "\n\r" is two line ends: a blank line dispatches. */
	expect("data: a\n\rdata: b\n\n", "E[a]E[b]");
}

static void test_comments_and_fields(void **state)
{
	(void)state;
	expect(": OPENROUTER PROCESSING\n\n", "C[ OPENROUTER PROCESSING]");
	expect(":\n", "C[]");
	expect(": ping\ndata: x\n: pong\n\n", "C[ ping]C[ pong]E[x]");
	expect("event: message\nid: 7\nretry: 1000\nfoo: bar\nweird\n"
	    "data: y\n\n", "E[y]");
	expect("event: only\nid: 1\n\n", "");	/* no data: no event */
	expect("Data: no\ndata : no\n data: no\n\n", "");
	expect("\xef\xbb\xbf" "data: bom\n\n", "E[bom]");
	/* Only a BOM at the very start is skipped. */
	expect("data: a\n\n\xef\xbb\xbf" "data: b\n\n", "E[a]");
}

/* A stream with every feature, parsed whole and split at each position
 * into two and three pieces, and fed byte by byte: same transcript. */
static void test_split_everywhere(void **state)
{
	static const char s[] =
	    "\xef\xbb\xbf: OPENROUTER PROCESSING\r\n"
	    "\r\n"
	    "data: {\"id\":\"gen-1\",\"choices\":[{\"delta\":"
	    "{\"content\":\"He\"}}]}\r\n"
	    "\r\n"
	    "event: x\rid: 3\rdata: line1\rdata:line2\r\r"
	    ": keep-alive\n"
	    "data: multi\ndata:\ndata:  end\n\n"
	    "unknown: field\r\n"
	    "data: [DONE]\r\n\r\n"
	    "data: tail";
	size_t n = sizeof(s) - 1, i, j, k;
	struct buf whole;
	int rc;

	(void)state;
	whole = parse_all(s, n, 0, &rc);
	assert_int_equal(rc, SSE_OK);
	assert_string_equal(whole.data,
	    "C[ OPENROUTER PROCESSING]"
	    "E[{\"id\":\"gen-1\",\"choices\":[{\"delta\":"
	    "{\"content\":\"He\"}}]}]"
	    "E[line1\nline2]"
	    "C[ keep-alive]"
	    "E[multi\n\n end]"
	    "E[[DONE]]");
	for (i = 0; i <= n; i++) {
		for (j = i; j <= n; j++) {
			struct sse_parser p;
			struct log l = { { 0 }, 0, 0 };

			sse_init(&p, 0, record, &l);
			assert_int_equal(sse_feed(&p, s, i), SSE_OK);
			assert_int_equal(sse_feed(&p, s + i, j - i), SSE_OK);
			assert_int_equal(sse_feed(&p, s + j, n - j), SSE_OK);
			assert_true(sse_pending(&p));	/* "data: tail" */
			buf_puts(&l.out, "");
			assert_string_equal(l.out.data, whole.data);
			sse_free(&p);
			buf_free(&l.out);
		}
	}
	{
		struct sse_parser p;
		struct log l = { { 0 }, 0, 0 };

		sse_init(&p, 0, record, &l);
		for (k = 0; k < n; k++)
			assert_int_equal(sse_feed(&p, s + k, 1), SSE_OK);
		buf_puts(&l.out, "");
		assert_string_equal(l.out.data, whole.data);
		assert_int_equal(p.events, 4);
		assert_int_equal(p.comments, 2);
		sse_free(&p);
		buf_free(&l.out);
	}
	buf_free(&whole);
}

static void test_pending(void **state)
{
	struct sse_parser p;
	struct log l = { { 0 }, 0, 0 };

	(void)state;
	sse_init(&p, 0, record, &l);
	assert_false(sse_pending(&p));
	assert_int_equal(sse_feed(&p, "data: a\n", 8), SSE_OK);
	assert_true(sse_pending(&p));
	assert_int_equal(sse_feed(&p, "\n", 1), SSE_OK);
	assert_false(sse_pending(&p));
	assert_int_equal(sse_feed(&p, "dat", 3), SSE_OK);
	assert_true(sse_pending(&p));
	sse_free(&p);
	buf_free(&l.out);
}

static void test_oversize(void **state)
{
	struct sse_parser p;
	struct log l = { { 0 }, 0, 0 };
	struct buf got, big = { 0 };
	const char *s;
	int rc, i;

	(void)state;
	/* 15 bytes of data and the '\n' that ends them: exactly the limit. */
	s = "data: 0123456789abcde\n\n";
	got = parse_all(s, strlen(s), 16, &rc);
	assert_int_equal(rc, SSE_OK);
	assert_string_equal(got.data, "E[0123456789abcde]");
	buf_free(&got);
	s = "data: 0123456789abcdef\n\n";
	got = parse_all(s, strlen(s), 16, &rc);
	assert_int_equal(rc, SSE_TOOBIG);
	assert_string_equal(got.data, "");
	buf_free(&got);
	/* Many small data lines add up. */
	s = "data: 1234\ndata: 1234\ndata: 1234\ndata: 1234\n\n";
	got = parse_all(s, strlen(s), 16, &rc);
	assert_int_equal(rc, SSE_TOOBIG);
	buf_free(&got);
	/* A comment or unknown line longer than the limit plus the slack. */
	buf_puts(&big, ":");
	for (i = 0; i < 16 + SSE_LINE_SLACK; i++)
		buf_putc(&big, 'x');
	buf_puts(&big, "\n");
	got = parse_all(big.data, big.len, 16, &rc);
	assert_int_equal(rc, SSE_TOOBIG);
	buf_free(&got);
	/* Without the ':' the (unknown field) line is exactly the limit. */
	got = parse_all(big.data + 1, big.len - 1, 16, &rc);
	assert_int_equal(rc, SSE_OK);
	buf_free(&got);
	/* The default limit: 1 MiB of data passes, one byte more fails. */
	buf_reset(&big);
	buf_puts(&big, "data: ");
	for (i = 0; i < SSE_MAX_EVENT - 1; i++)
		buf_putc(&big, 'y');
	buf_puts(&big, "\n\n");
	got = parse_all(big.data, big.len, 0, &rc);
	assert_int_equal(rc, SSE_OK);
	assert_int_equal(got.len, SSE_MAX_EVENT - 1 + 3);
	buf_free(&got);
	buf_reset(&big);
	buf_puts(&big, "data: ");
	for (i = 0; i < SSE_MAX_EVENT; i++)
		buf_putc(&big, 'y');
	buf_puts(&big, "\n\n");
	got = parse_all(big.data, big.len, 0, &rc);
	assert_int_equal(rc, SSE_TOOBIG);
	buf_free(&got);
	buf_free(&big);
	/* A line that never ends, fed in pieces; the error is sticky. */
	sse_init(&p, 16, record, &l);
	for (i = 0; i < 16 + SSE_LINE_SLACK; i++)
		assert_int_equal(sse_feed(&p, "z", 1), SSE_OK);
	assert_int_equal(sse_feed(&p, "z", 1), SSE_TOOBIG);
	assert_int_equal(sse_feed(&p, "\n\n", 2), SSE_TOOBIG);
	assert_int_equal(l.out.len, 0);
	sse_free(&p);
	buf_free(&l.out);
}

static void test_stop(void **state)
{
	struct sse_parser p;
	struct log l = { { 0 }, 2, 0 };
	const char *s = "data: 1\n\ndata: 2\n\ndata: 3\n\n";

	(void)state;
	sse_init(&p, 0, record, &l);
	assert_int_equal(sse_feed(&p, s, strlen(s)), SSE_STOPPED);
	buf_puts(&l.out, "");
	assert_string_equal(l.out.data, "E[1]E[2]");
	assert_int_equal(sse_feed(&p, s, strlen(s)), SSE_STOPPED);
	assert_string_equal(l.out.data, "E[1]E[2]");
	sse_free(&p);
	buf_free(&l.out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_multiline),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_comments_and_fields),
		cmocka_unit_test(test_split_everywhere),
		cmocka_unit_test(test_pending),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
