/* test_diff.c - the side-by-side line diff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "diff.h"

/* Rebuild one side of the diff (lines joined with '\n', a final '\n'
 * unless the last line has noeol) and check that its line numbers run
 * 1, 2, 3... */
static void rebuild(const struct diff_row *rows, size_t n, int right,
    struct buf *out)
{
	size_t i, no = 0;

	for (i = 0; i < n; i++) {
		const char *p = right ? rows[i].right : rows[i].left;
		size_t len = right ? rows[i].right_len : rows[i].left_len;
		size_t lno = right ? rows[i].right_no : rows[i].left_no;
		int noeol = right ? rows[i].right_noeol : rows[i].left_noeol;

		if (p == NULL) {
			assert_int_equal(lno, 0);
			assert_int_equal(len, 0);
			continue;
		}
		assert_int_equal(lno, ++no);
		buf_append(out, p, len);
		if (!noeol)
			buf_putc(out, '\n');
	}
}

/* Diff a and b, check the rows are a correct diff of them, and return the
 * row kinds as a string: '=' same, '~' change, '-' del, '+' add. */
static const char *diff(const char *a, size_t alen, const char *b,
    size_t blen, int *fallback, struct diff_row **rows_out, size_t *n_out)
{
	static char kinds[64];
	struct diff_row *rows;
	struct buf x = { 0 }, y = { 0 };
	size_t n, i;
	int rc;

	rc = diff_lines(a, alen, b, blen, &rows, &n);
	assert_true(rc == 0 || rc == 1);
	if (fallback != NULL)
		*fallback = rc;
	if (n == 0)
		assert_null(rows);
	rebuild(rows, n, 0, &x);
	rebuild(rows, n, 1, &y);
	assert_int_equal(x.len, alen);
	assert_int_equal(y.len, blen);
	assert_true(alen == 0 || memcmp(x.data, a, alen) == 0);
	assert_true(blen == 0 || memcmp(y.data, b, blen) == 0);
	for (i = 0; i < n; i++) {
		const struct diff_row *r = &rows[i];

		switch (r->kind) {
		case DIFF_SAME:
			assert_non_null(r->left);
			assert_non_null(r->right);
			assert_int_equal(r->left_len, r->right_len);
			assert_int_equal(r->left_noeol, r->right_noeol);
			assert_memory_equal(r->left, r->right, r->left_len);
			break;
		case DIFF_CHANGE:
			assert_non_null(r->left);
			assert_non_null(r->right);
			break;
		case DIFF_DEL:
			assert_non_null(r->left);
			assert_null(r->right);
			break;
		case DIFF_ADD:
			assert_null(r->left);
			assert_non_null(r->right);
			break;
		}
		if (i < sizeof(kinds) - 1)
			kinds[i] = "=~-+"[r->kind];
	}
	kinds[n < sizeof(kinds) - 1 ? n : sizeof(kinds) - 1] = '\0';
	buf_free(&x);
	buf_free(&y);
	if (rows_out != NULL) {
		*rows_out = rows;
		*n_out = n;
	} else
		diff_free(rows, n);
	return kinds;
}

/* diff() of two C strings, rows released. */
static const char *d(const char *a, const char *b)
{
	return diff(a, strlen(a), b, strlen(b), NULL, NULL, NULL);
}

static void test_basic(void **state)
{
	(void)state;
	/* Identical. */
	assert_string_equal(d("a\nb\nc\n", "a\nb\nc\n"), "===");
	assert_string_equal(d("a\nb\nc", "a\nb\nc"), "===");
	/* All different: changes paired, extras added or deleted. */
	assert_string_equal(d("a\nb\n", "x\ny\nz\n"), "~~+");
	assert_string_equal(d("a\nb\nc\n", "x\n"), "~--");
	/* Insertions and deletions in the middle. */
	assert_string_equal(d("a\nb\nc\n", "a\nb\nX\nY\nc\n"), "==++=");
	assert_string_equal(d("a\nb\nX\nY\nc\n", "a\nb\nc\n"), "==--=");
	assert_string_equal(d("a\nb\nc\nd\ne\n", "a\nc\ne\n"), "=-=-=");
	/* A run of deletions followed by additions is paired row by row. */
	assert_string_equal(d("a\nb\nc\nd\n", "a\nB\nC\nD2\nE\nd\n"), "=~~++=");
	assert_string_equal(d("a\nb\nc\nd\nz\n", "a\nB\nz\n"), "=~--=");
	/* Moved line. */
	assert_string_equal(d("a\nb\nc\n", "c\na\nb\n"), "+==-");
}

static void test_edges(void **state)
{
	struct diff_row *rows;
	size_t n, added, removed;
	int fb;

	(void)state;
	/* Empty inputs. */
	assert_string_equal(diff("", 0, "", 0, &fb, &rows, &n), "");
	assert_int_equal(n, 0);
	assert_int_equal(fb, 0);
	diff_counts(rows, n, &added, &removed);
	assert_int_equal(added, 0);
	assert_int_equal(removed, 0);
	diff_free(rows, n);
	diff_free(NULL, 0);
	assert_string_equal(diff(NULL, 0, NULL, 0, NULL, NULL, NULL), "");
	assert_string_equal(d("", "a\nb"), "++");
	assert_string_equal(d("a", ""), "-");
	assert_string_equal(d("\n", ""), "-");
	assert_string_equal(d("\n\n", "\n"), "=-");

	/* Trailing newline differences are differences. */
	assert_string_equal(diff("a\nb", 3, "a\nb\n", 4, NULL, &rows, &n), "=~");
	assert_int_equal(rows[1].left_noeol, 1);
	assert_int_equal(rows[1].right_noeol, 0);
	assert_int_equal(rows[1].left_len, 1);
	assert_int_equal(rows[1].right_len, 1);
	assert_int_equal(rows[0].left_noeol, 0);
	diff_free(rows, n);
	assert_string_equal(d("a\n", "a"), "~");
	assert_string_equal(d("a\n", "a\n\n"), "=+");
	assert_string_equal(d("a", "a"), "=");

	/* Line numbers and text of a change pair. */
	assert_string_equal(diff("x\nold\ny\n", 8, "x\nnew1\nnew2\ny\n", 14,
	    NULL, &rows, &n), "=~+=");
	assert_int_equal(rows[1].left_no, 2);
	assert_int_equal(rows[1].right_no, 2);
	assert_memory_equal(rows[1].left, "old", 3);
	assert_memory_equal(rows[1].right, "new1", 4);
	assert_int_equal(rows[2].left_no, 0);
	assert_int_equal(rows[2].right_no, 3);
	assert_int_equal(rows[3].left_no, 3);
	assert_int_equal(rows[3].right_no, 4);
	diff_counts(rows, n, &added, &removed);
	assert_int_equal(added, 2);
	assert_int_equal(removed, 1);
	diff_free(rows, n);
}

static void test_json(void **state)
{
	struct diff_row *rows;
	size_t n;
	json_object *j;

	(void)state;
	assert_string_equal(diff("a\nb\nc", 5, "a\nB\nc\nd", 7, NULL, &rows, &n),
	    "=~~+");
	j = diff_to_json(rows, n);
	assert_string_equal(json_object_to_json_string_ext(j,
	    JSON_C_TO_STRING_PLAIN),
	    "[{\"kind\":\"same\",\"left_no\":1,\"left\":\"a\",\"right_no\":1,"
	    "\"right\":\"a\"},"
	    "{\"kind\":\"change\",\"left_no\":2,\"left\":\"b\",\"right_no\":2,"
	    "\"right\":\"B\","
	    "\"left_words\":[{\"text\":\"b\",\"changed\":true}],"
	    "\"right_words\":[{\"text\":\"B\",\"changed\":true}]},"
	    "{\"kind\":\"change\",\"left_no\":3,\"left\":\"c\",\"right_no\":3,"
	    "\"right\":\"c\",\"left_noeol\":true,"
	    "\"left_words\":[{\"text\":\"c\",\"changed\":false}],"
	    "\"right_words\":[{\"text\":\"c\",\"changed\":false}]},"
	    "{\"kind\":\"add\",\"left_no\":null,\"left\":null,\"right_no\":4,"
	    "\"right\":\"d\",\"right_noeol\":true}]");
	json_object_put(j);
	diff_free(rows, n);
	j = diff_to_json(NULL, 0);
	assert_string_equal(json_object_to_json_string(j), "[ ]");
	json_object_put(j);
	assert_string_equal(diff("a\n", 2, "", 0, NULL, &rows, &n), "-");
	j = diff_to_json(rows, n);
	assert_string_equal(json_object_to_json_string_ext(j,
	    JSON_C_TO_STRING_PLAIN),
	    "[{\"kind\":\"del\",\"left_no\":1,\"left\":\"a\",\"right_no\":null,"
	    "\"right\":null}]");
	json_object_put(j);
	diff_free(rows, n);
}

/* Word diff of a and b: checks that the pieces of each side cover it in
 * order without gap or empty piece and that neighbours differ in kind,
 * and returns both sides marked, "[old]" for changed pieces, as
 * "left|right" (static). */
static const char *w(const char *a, const char *b, int *fallback)
{
	static char out[512];
	struct diff_span *sp[2];
	size_t n[2], i, k, off;
	const char *s[2] = { a, b };
	struct buf m = { 0 };
	int rc;

	rc = diff_words(a, strlen(a), b, strlen(b), &sp[0], &n[0], &sp[1],
	    &n[1]);
	assert_true(rc == 0 || rc == 1);
	if (fallback != NULL)
		*fallback = rc;
	for (k = 0; k < 2; k++) {
		if (k)
			buf_putc(&m, '|');
		if (n[k] == 0)
			assert_null(sp[k]);
		for (i = 0, off = 0; i < n[k]; i++) {
			assert_int_equal(sp[k][i].off, off);
			assert_true(sp[k][i].len > 0);
			if (i > 0)
				assert_int_not_equal(sp[k][i].changed,
				    sp[k][i - 1].changed);
			if (sp[k][i].changed)
				buf_putc(&m, '[');
			buf_append(&m, s[k] + off, sp[k][i].len);
			if (sp[k][i].changed)
				buf_putc(&m, ']');
			off += sp[k][i].len;
		}
		assert_int_equal(off, strlen(s[k]));
		free(sp[k]);
	}
	snprintf(out, sizeof(out), "%s", buf_cstr(&m));
	buf_free(&m);
	return out;
}

static void test_words(void **state)
{
	struct buf a = { 0 }, b = { 0 };
	int fb, i;

	(void)state;
	assert_string_equal(w("", "", &fb), "|");
	assert_int_equal(fb, 0);
	assert_string_equal(w("same text", "same text", NULL),
	    "same text|same text");
	/* One word replaced: only it is marked. */
	assert_string_equal(w("Answer in a warm tone.", "Answer in a formal tone.",
	    NULL), "Answer in a [warm] tone.|Answer in a [formal] tone.");
	/* Words added and removed. */
	assert_string_equal(w("Reply briefly.", "Reply very briefly.", NULL),
	    "Reply briefly.|Reply [very ]briefly.");
	assert_string_equal(w("a b c", "a c", NULL), "a [b ]c|a c");
	assert_string_equal(w("", "new", NULL), "|[new]");
	assert_string_equal(w("old", "", NULL), "[old]|");
	/* Blanks between two changed words are part of the change. */
	assert_string_equal(w("say hello world now", "say goodbye moon now",
	    NULL), "say [hello world] now|say [goodbye moon] now");
	/* A placeholder is one piece, with or without blanks inside. */
	assert_string_equal(w("Hi {{name}}!", "Hi {{user}}!", NULL),
	    "Hi [{{name}}]!|Hi [{{user}}]!");
	assert_string_equal(w("Sign {{count}} times.", "Sign as {{ name }}.",
	    NULL), "Sign [{{count}} times].|Sign [as {{ name }}].");
	assert_string_equal(w("a {{x}} b", "a {{x}} c", NULL),
	    "a {{x}} [b]|a {{x}} [c]");
	/* Braces that are not a placeholder are punctuation. */
	assert_string_equal(w("{{{{x}}", "{{{{y}}", NULL),
	    "{{{{[x]}}|{{{{[y]}}");
	assert_string_equal(w("{{a b}}", "{{a c}}", NULL),
	    "{{a [b]}}|{{a [c]}}");
	assert_string_equal(w("{x}", "{y}", NULL), "{[x]}|{[y]}");
	assert_string_equal(w("{{", "{{x", NULL), "{{|{{[x]");
	assert_string_equal(w("x,y", "x;y", NULL), "x[,]y|x[;]y");
	/* A UTF-8 character is never cut: café and cafés are whole words. */
	assert_string_equal(w("un café noir", "un cafés noir", NULL),
	    "un [café] noir|un [cafés] noir");
	/* Only the blanks differ. */
	assert_string_equal(w("a b", "a  b", NULL), "a[ ]b|a[  ]b");
	/* Nothing in common. */
	assert_string_equal(w("abc", "xyz", NULL), "[abc]|[xyz]");

	/* Too many words: the middle of each side is one changed piece,
	 * the common head and tail still found. */
	buf_puts(&a, "head ");
	buf_puts(&b, "head ");
	for (i = 0; i < DIFF_MAX_WORDS; i++) {
		buf_printf(&a, "a%d ", i);
		buf_printf(&b, "b%d ", i);
	}
	buf_puts(&a, "tail");
	buf_puts(&b, "tail");
	{
		struct diff_span *as, *bs;
		size_t na, nb;

		assert_int_equal(diff_words(a.data, a.len, b.data, b.len, &as,
		    &na, &bs, &nb), 1);
		assert_int_equal(na, 3);
		assert_int_equal(nb, 3);
		assert_int_equal(as[0].changed, 0);
		assert_int_equal(as[0].len, 5);
		assert_int_equal(as[1].changed, 1);
		assert_int_equal(as[2].changed, 0);
		assert_int_equal(as[2].len, 5);	/* " tail" */
		free(as);
		free(bs);
	}
	buf_free(&a);
	buf_free(&b);
}

/* diff_fields() of two JSON texts, as compact JSON text (static). */
static const char *fields(const char *a, const char *b)
{
	static char out[1024];
	json_object *ja = a ? json_tokener_parse(a) : NULL;
	json_object *jb = b ? json_tokener_parse(b) : NULL;
	json_object *r = diff_fields(ja, jb);

	snprintf(out, sizeof(out), "%s", json_object_to_json_string_ext(r,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(r);
	json_object_put(ja);
	json_object_put(jb);
	return out;
}

static void test_fields(void **state)
{
	(void)state;
	assert_string_equal(fields(NULL, NULL), "[]");
	assert_string_equal(fields("{\"a\":\"1\"}", "{\"a\":\"1\"}"), "[]");
	assert_string_equal(fields("{\"model\":\"x/a\",\"temperature\":\"0.7\"}",
	    "{\"model\":\"x/b\",\"temperature\":\"0.7\",\"top_p\":\"0.9\"}"),
	    "[{\"name\":\"model\",\"change\":\"changed\",\"old\":\"x/a\","
	    "\"new\":\"x/b\",\"changed\":true},"
	    "{\"name\":\"top_p\",\"change\":\"added\",\"old\":null,"
	    "\"new\":\"0.9\",\"added\":true}]");
	assert_string_equal(fields("{\"stop\":\"END\",\"n\":\"1\"}", "{\"n\":\"2\"}"),
	    "[{\"name\":\"stop\",\"change\":\"removed\",\"old\":\"END\","
	    "\"new\":null,\"removed\":true},"
	    "{\"name\":\"n\",\"change\":\"changed\",\"old\":\"1\","
	    "\"new\":\"2\",\"changed\":true}]");
	/* Either side may be absent or not an object; null members are
	 * absent. */
	assert_string_equal(fields(NULL, "{\"a\":\"1\",\"b\":null}"),
	    "[{\"name\":\"a\",\"change\":\"added\",\"old\":null,"
	    "\"new\":\"1\",\"added\":true}]");
	assert_string_equal(fields("{\"a\":\"1\"}", "[]"),
	    "[{\"name\":\"a\",\"change\":\"removed\",\"old\":\"1\","
	    "\"new\":null,\"removed\":true}]");
	assert_string_equal(fields("{\"a\":null}", "{\"a\":\"1\"}"),
	    "[{\"name\":\"a\",\"change\":\"added\",\"old\":null,"
	    "\"new\":\"1\",\"added\":true}]");
}

/* Append lines "<prefix><i>\n" for i in [from, to). */
static void lines(struct buf *b, const char *prefix, int from, int to)
{
	int i;

	for (i = from; i < to; i++)
		buf_printf(b, "%s%d\n", prefix, i);
}

static void check_large(const struct buf *a, const struct buf *b,
    int want_fallback, size_t want_same, size_t want_added,
    size_t want_removed)
{
	struct diff_row *rows;
	size_t n, i, same = 0, added, removed;
	int fb;

	diff(a->data, a->len, b->data, b->len, &fb, &rows, &n);
	assert_int_equal(fb, want_fallback);
	for (i = 0; i < n; i++)
		same += rows[i].kind == DIFF_SAME;
	diff_counts(rows, n, &added, &removed);
	assert_int_equal(same, want_same);
	assert_int_equal(added, want_added);
	assert_int_equal(removed, want_removed);
	diff_free(rows, n);
}

static void test_large(void **state)
{
	struct buf a = { 0 }, b = { 0 };

	(void)state;
	/* More than DIFF_MAX_LINES different lines between a common head and
	 * tail: the fallback, still a correct diff. */
	lines(&a, "head", 0, 100);
	lines(&b, "head", 0, 100);
	lines(&a, "a", 0, 12000);
	lines(&b, "b", 0, 11000);
	lines(&a, "tail", 0, 100);
	lines(&b, "tail", 0, 100);
	check_large(&a, &b, 1, 200, 11000, 12000);

	/* A long text with one change: head and tail matching keep it exact. */
	buf_reset(&a);
	buf_reset(&b);
	lines(&a, "l", 0, 30000);
	lines(&b, "l", 0, 15000);
	buf_puts(&b, "changed\n");
	lines(&b, "l", 15001, 30000);
	check_large(&a, &b, 0, 29999, 1, 1);

	/* More than DIFF_MAX_D edits in a small middle: fallback. */
	buf_reset(&a);
	buf_reset(&b);
	lines(&a, "x", 0, 600);
	lines(&b, "y", 0, 600);
	buf_puts(&a, "common\n");
	buf_puts(&b, "common\n");
	lines(&a, "x", 600, 1200);
	lines(&b, "y", 600, 1200);
	check_large(&a, &b, 1, 0, 1201, 1201);

	/* Just under the cap: Myers finds the one common line. */
	buf_reset(&a);
	buf_reset(&b);
	lines(&a, "x", 0, 250);
	lines(&b, "y", 0, 250);
	buf_puts(&a, "common\n");
	buf_puts(&b, "common\n");
	lines(&a, "x", 250, 500);
	lines(&b, "y", 250, 500);
	check_large(&a, &b, 0, 1, 500, 500);
	buf_free(&a);
	buf_free(&b);
}

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

/* Split s into lines the way diff.c does (terminator included). */
static size_t split(const char *s, size_t n, const char **p, size_t *len)
{
	size_t i, start = 0, k = 0;

	for (i = 0; i < n; i++)
		if (s[i] == '\n') {
			p[k] = s + start;
			len[k++] = i + 1 - start;
			start = i + 1;
		}
	if (start < n) {
		p[k] = s + start;
		len[k++] = n - start;
	}
	return k;
}

/* Length of the longest common subsequence of lines, by dynamic
 * programming. */
static size_t lcs(const char *a, size_t alen, const char *b, size_t blen)
{
	const char *ap[64], *bp[64];
	size_t al[64], bl[64], t[65][65], na, nb, i, j;

	na = split(a, alen, ap, al);
	nb = split(b, blen, bp, bl);
	for (i = 0; i <= na; i++)
		for (j = 0; j <= nb; j++) {
			if (i == 0 || j == 0)
				t[i][j] = 0;
			else if (al[i - 1] == bl[j - 1] &&
			    memcmp(ap[i - 1], bp[j - 1], al[i - 1]) == 0)
				t[i][j] = t[i - 1][j - 1] + 1;
			else
				t[i][j] = t[i - 1][j] > t[i][j - 1] ?
				    t[i - 1][j] : t[i][j - 1];
		}
	return t[na][nb];
}

/* Random texts of up to 30 lines over a small alphabet: the diff is
 * correct (checked by diff()) and minimal (as many SAME rows as the
 * LCS). */
static void test_minimal(void **state)
{
	char a[64], b[64];
	int iter;

	(void)state;
	for (iter = 0; iter < 3000; iter++) {
		size_t alen = rnd() % 60, blen = rnd() % 60, i, n, same = 0;
		struct diff_row *rows;
		int fb;

		for (i = 0; i < alen; i++)
			a[i] = "ab\n\n"[rnd() % 4];
		for (i = 0; i < blen; i++)
			b[i] = "ab\n\n"[rnd() % 4];
		diff(a, alen, b, blen, &fb, &rows, &n);
		assert_int_equal(fb, 0);
		for (i = 0; i < n; i++)
			same += rows[i].kind == DIFF_SAME;
		assert_int_equal(same, lcs(a, alen, b, blen));
		/* No DEL or ADD row directly next to an unpaired opposite. */
		for (i = 0; i + 1 < n; i++)
			assert_false(rows[i].kind == DIFF_ADD &&
			    rows[i + 1].kind == DIFF_DEL);
		diff_free(rows, n);
	}
}

/* Random bytes: must not crash or read out of bounds (ASan build). */
static void test_robustness(void **state)
{
	char a[200], b[200];
	int iter;

	(void)state;
	for (iter = 0; iter < 3000; iter++) {
		size_t alen = rnd() % sizeof(a), blen = rnd() % sizeof(b), i;
		struct diff_row *rows;
		size_t n;

		for (i = 0; i < alen; i++)
			a[i] = iter % 2 ? (char)rnd() : "x\n\0\xff"[rnd() % 4];
		for (i = 0; i < blen; i++)
			b[i] = iter % 2 ? (char)rnd() : "x\n\0\xff"[rnd() % 4];
		diff(a, alen, b, blen, NULL, &rows, &n);
		json_object_put(diff_to_json(rows, n));
		diff_free(rows, n);
		{
			struct diff_span *as, *bs;
			size_t na, nb, j, off;

			diff_words(a, alen, b, blen, &as, &na, &bs, &nb);
			for (j = 0, off = 0; j < na; j++)
				off += as[j].len;
			assert_int_equal(off, alen);
			for (j = 0, off = 0; j < nb; j++)
				off += bs[j].len;
			assert_int_equal(off, blen);
			free(as);
			free(bs);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_robustness),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
