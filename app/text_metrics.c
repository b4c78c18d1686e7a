/* text_metrics.c - case folding, search, word counts, Levenshtein
 * distance, ROUGE-N and BLEU (formulas in text_metrics.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "text_metrics.h"
#include "util.h"

#define INVALID_BASE	0x110000u

size_t tm_next(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = utf8_seq(s, n);

	switch (len) {
	case 1:
		*cp = u[0];
		return 1;
	case 2:
		*cp = ((uint32_t)(u[0] & 0x1f) << 6) | (u[1] & 0x3f);
		return 2;
	case 3:
		*cp = ((uint32_t)(u[0] & 0x0f) << 12) |
		    ((uint32_t)(u[1] & 0x3f) << 6) | (u[2] & 0x3f);
		return 3;
	case 4:
		*cp = ((uint32_t)(u[0] & 0x07) << 18) |
		    ((uint32_t)(u[1] & 0x3f) << 12) |
		    ((uint32_t)(u[2] & 0x3f) << 6) | (u[3] & 0x3f);
		return 4;
	default:
		/* NUL is valid text for this purpose: one character. */
		*cp = u[0] == 0 ? 0 : INVALID_BASE + u[0];
		return 1;
	}
}

uint32_t tm_fold(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'A' && c <= 'Z') ? c + 32 : c;
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 32;
	if (c >= 0x100 && c <= 0x17f) {
		if (c == 0x130)
			return 'i';
		if (c == 0x178)
			return 0xff;
		if ((c <= 0x137 || (c >= 0x14a && c <= 0x177)) && c % 2 == 0)
			return c + 1;
		if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
		    && c % 2 == 1)
			return c + 1;
		return c;
	}
	if (c >= 0x386 && c <= 0x3ab) {
		if (c == 0x386)
			return 0x3ac;
		if (c >= 0x388 && c <= 0x38a)
			return c + 37;
		if (c == 0x38c)
			return 0x3cc;
		if (c == 0x38e || c == 0x38f)
			return c + 63;
		if (c >= 0x391 && c != 0x3a2)
			return c + 32;
		return c;
	}
	if (c == 0x3c2)		/* final sigma folds to sigma */
		return 0x3c3;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	if (((c >= 0x460 && c <= 0x481) || (c >= 0x48a && c <= 0x4bf)) &&
	    c % 2 == 0)
		return c + 1;
	return c;
}

/* Append the UTF-8 encoding of cp (a valid code point) to out. */
static void put_cp(struct buf *out, uint32_t cp)
{
	char b[4];

	if (cp < 0x80) {
		buf_putc(out, (int)cp);
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		buf_append(out, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		buf_append(out, b, 3);
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		buf_append(out, b, 4);
	}
}

void tm_fold_text(const char *s, size_t n, struct buf *out)
{
	size_t i = 0, len;
	uint32_t cp;

	buf_grow(out, n);
	while (i < n) {
		len = tm_next(s + i, n - i, &cp);
		if (cp >= INVALID_BASE)
			buf_append(out, s + i, len);
		else
			put_cp(out, tm_fold(cp));
		i += len;
	}
}

int tm_contains(const char *hay, size_t hl, const char *needle, size_t nl)
{
	if (nl == 0)
		return 1;
	return memmem(hay, hl, needle, nl) != NULL;
}

int tm_icontains(const char *hay, size_t hl, const char *needle, size_t nl)
{
	struct buf h = { 0 }, n = { 0 };
	int found;

	tm_fold_text(hay, hl, &h);
	tm_fold_text(needle, nl, &n);
	found = tm_contains(h.data ? h.data : "", h.len,
	    n.data ? n.data : "", n.len);
	buf_free(&h);
	buf_free(&n);
	return found;
}

int tm_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

void tm_trim(const char **s, size_t *n)
{
	while (*n > 0 && tm_is_space((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && tm_is_space((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

size_t tm_word_count(const char *s, size_t n)
{
	size_t i, words = 0;
	int in = 0;

	for (i = 0; i < n; i++) {
		if (tm_is_space((unsigned char)s[i])) {
			in = 0;
		} else if (!in) {
			in = 1;
			words++;
		}
	}
	return words;
}

/* The characters of the n bytes at s as a new array (caller frees) of
 * *count code points. */
static uint32_t *code_points(const char *s, size_t n, size_t *count)
{
	uint32_t *v = xcalloc(n ? n : 1, sizeof(*v));
	size_t i = 0, k = 0;

	while (i < n)
		i += tm_next(s + i, n - i, &v[k++]);
	*count = k;
	return v;
}

/* The banded dynamic programme over the code points a[0..la) and
 * b[0..lb), band half-width w, values capped at big. */
static int64_t banded(const uint32_t *a, size_t la, const uint32_t *b,
    size_t lb, int64_t w, int64_t big)
{
	int64_t *prev = xcalloc(lb + 2, sizeof(*prev));
	int64_t *cur = xcalloc(lb + 2, sizeof(*cur)), *t, best, v, d;
	size_t i, j, lo, hi;

	for (j = 0; j <= lb + 1; j++)
		prev[j] = (int64_t)j <= w ? (int64_t)j : big;
	for (i = 1; i <= la; i++) {
		lo = (int64_t)i - w > 1 ? (size_t)((int64_t)i - w) : 1;
		hi = (int64_t)(i + (size_t)w) < (int64_t)lb ? i + (size_t)w : lb;
		cur[lo - 1] = lo == 1 && (int64_t)i <= w ? (int64_t)i : big;
		best = cur[lo - 1];
		for (j = lo; j <= hi; j++) {
			v = prev[j - 1] + (a[i - 1] != b[j - 1]);
			d = prev[j] + 1;
			if (d < v)
				v = d;
			d = cur[j - 1] + 1;
			if (d < v)
				v = d;
			cur[j] = v > big ? big : v;
			if (cur[j] < best)
				best = cur[j];
		}
		cur[hi + 1] = big;
		t = prev;
		prev = cur;
		cur = t;
		if (best >= big) {
			free(prev);
			free(cur);
			return big;
		}
	}
	v = prev[lb];
	free(prev);
	free(cur);
	return v > big ? big : v;
}

int64_t tm_levenshtein(const char *a, size_t al, const char *b, size_t bl,
    int64_t bound)
{
	size_t la, lb;
	uint32_t *ca = code_points(a, al, &la), *cb = code_points(b, bl, &lb);
	int64_t w, diff, big, cells, r;

	if (bound < 0)
		bound = 0;
	/* The distance never exceeds the longer length: a larger bound is
	 * that length (and bound + 1 cannot overflow). */
	w = (int64_t)(la > lb ? la : lb);
	if (bound > w)
		bound = w;
	w = bound;
	big = bound + 1;
	diff = (int64_t)la - (int64_t)lb;
	if (diff < 0)
		diff = -diff;
	if (diff > w) {
		r = big;
		goto out;
	}
	cells = (int64_t)(la + 1) * ((int64_t)lb + 1 < 2 * w + 1 ?
	    (int64_t)lb + 1 : 2 * w + 1);
	if (cells > TM_LEV_CELLS_MAX) {
		r = -1;
		goto out;
	}
	r = banded(ca, la, cb, lb, w, big);
out:
	free(ca);
	free(cb);
	return r;
}

/* --- tokens and n-grams --- */

struct tok {
	const char	*s;
	size_t		 n;
	uint32_t	 id;	/* equal tokens have equal ids, from 1 */
	size_t		 pos;	/* index in the combined list */
};

/* Whether the byte c separates tokens: white space or ASCII punctuation. */
static int is_sep(unsigned char c)
{
	return tm_is_space(c) || (c < 0x80 && c > ' ' && !(c >= '0' && c <= '9') &&
	    !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && c != 0x7f) ||
	    c < ' ';
}

/* Append the tokens of the folded text f to *v (growing *cap). */
static void tokenize(const struct buf *f, struct tok **v, size_t *n,
    size_t *cap)
{
	size_t i = 0, start;

	while (i < f->len) {
		while (i < f->len && is_sep((unsigned char)f->data[i]))
			i++;
		if (i >= f->len)
			break;
		start = i;
		while (i < f->len && !is_sep((unsigned char)f->data[i]))
			i++;
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 64;
			*v = xrealloc(*v, *cap * sizeof(**v));
		}
		(*v)[*n].s = f->data + start;
		(*v)[*n].n = i - start;
		(*v)[*n].pos = *n;
		(*n)++;
	}
}

static int tok_cmp(const void *x, const void *y)
{
	const struct tok *a = x, *b = y;
	size_t m = a->n < b->n ? a->n : b->n;
	int c = memcmp(a->s, b->s, m);

	if (c != 0)
		return c;
	return a->n < b->n ? -1 : a->n > b->n;
}

static int pos_cmp(const void *x, const void *y)
{
	const struct tok *a = x, *b = y;

	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* The token ids of a candidate and a reference. */
struct ids {
	uint32_t	*cand, *ref;
	size_t		 nc, nr;
};

/* Tokenise cand and ref and number their distinct tokens. */
static void token_ids(const char *cand, size_t cl, const char *ref,
    size_t rl, struct ids *out)
{
	struct buf fc = { 0 }, fr = { 0 };
	struct tok *v = NULL;
	size_t n = 0, cap = 0, i;
	uint32_t id = 0;

	tm_fold_text(cand, cl, &fc);
	tm_fold_text(ref, rl, &fr);
	tokenize(&fc, &v, &n, &cap);
	out->nc = n;
	tokenize(&fr, &v, &n, &cap);
	out->nr = n - out->nc;
	if (n > 0) {
		qsort(v, n, sizeof(*v), tok_cmp);
		for (i = 0; i < n; i++) {
			if (i == 0 || tok_cmp(&v[i - 1], &v[i]) != 0)
				id++;
			v[i].id = id;
		}
		qsort(v, n, sizeof(*v), pos_cmp);
	}
	out->cand = xcalloc(out->nc + 1, sizeof(uint32_t));
	out->ref = xcalloc(out->nr + 1, sizeof(uint32_t));
	for (i = 0; i < out->nc; i++)
		out->cand[i] = v[i].id;
	for (i = 0; i < out->nr; i++)
		out->ref[i] = v[out->nc + i].id;
	free(v);
	buf_free(&fc);
	buf_free(&fr);
}

static void ids_free(struct ids *x)
{
	free(x->cand);
	free(x->ref);
}

struct gram {
	uint32_t	 t[4];
};

static int gram_cmp(const void *x, const void *y)
{
	const struct gram *a = x, *b = y;
	int i;

	for (i = 0; i < 4; i++)
		if (a->t[i] != b->t[i])
			return a->t[i] < b->t[i] ? -1 : 1;
	return 0;
}

/* The sorted k-grams of the n ids at t (caller frees); *count of them. */
static struct gram *grams(const uint32_t *t, size_t n, int k, size_t *count)
{
	size_t i, m = n >= (size_t)k ? n - (size_t)k + 1 : 0;
	struct gram *g = xcalloc(m ? m : 1, sizeof(*g));
	int j;

	for (i = 0; i < m; i++)
		for (j = 0; j < k; j++)
			g[i].t[j] = t[i + (size_t)j];
	qsort(g, m, sizeof(*g), gram_cmp);
	*count = m;
	return g;
}

/* The clipped matches: sum over distinct k-grams of min(count in c, count
 * in r), with *tc and *tr the numbers of k-grams of each. */
static size_t clipped(const struct ids *x, int k, size_t *tc, size_t *tr)
{
	struct gram *c = grams(x->cand, x->nc, k, tc);
	struct gram *r = grams(x->ref, x->nr, k, tr);
	size_t i = 0, j = 0, m = 0, a, b;
	int d;

	while (i < *tc && j < *tr) {
		d = gram_cmp(&c[i], &r[j]);
		if (d < 0) {
			i++;
		} else if (d > 0) {
			j++;
		} else {
			for (a = 0; i + a < *tc && !gram_cmp(&c[i + a], &c[i]); a++)
				;
			for (b = 0; j + b < *tr && !gram_cmp(&r[j + b], &r[j]); b++)
				;
			m += a < b ? a : b;
			i += a;
			j += b;
		}
	}
	free(c);
	free(r);
	return m;
}

double tm_rouge_n(const char *cand, size_t cl, const char *ref, size_t rl,
    int n)
{
	struct ids x;
	size_t tc, tr, m;
	double r;

	if (n < 1)
		n = 1;
	if (n > 4)
		n = 4;
	token_ids(cand, cl, ref, rl, &x);
	m = clipped(&x, n, &tc, &tr);
	if (tr == 0)
		r = tc == 0 ? 1.0 : 0.0;
	else
		r = (double)m / (double)tr;
	ids_free(&x);
	return r;
}

double tm_bleu(const char *cand, size_t cl, const char *ref, size_t rl)
{
	struct ids x;
	size_t tc, tr, m;
	double logsum = 0, bp, r;
	int k;

	token_ids(cand, cl, ref, rl, &x);
	if (x.nc == 0) {
		r = x.nr == 0 ? 1.0 : 0.0;
		goto out;
	}
	for (k = 1; k <= 4; k++) {
		m = clipped(&x, k, &tc, &tr);
		if (k == 1) {
			if (m == 0) {
				r = 0.0;
				goto out;
			}
			logsum += log((double)m / (double)tc);
		} else {
			logsum += log((double)(m + 1) / (double)(tc + 1));
		}
	}
	bp = x.nc > x.nr ? 1.0 : exp(1.0 - (double)x.nr / (double)x.nc);
	r = bp * exp(logsum / 4.0);
out:
	ids_free(&x);
	return r;
}
