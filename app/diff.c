/* diff.c - side-by-side line diff: Myers' greedy algorithm with a cap. */
#include "diff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* A line of one input: its bytes without '\n', whether it had one, and a
 * hash of both for fast inequality. */
struct line {
	const char	*p;
	size_t		 len;
	int		 eol;
	uint64_t	 h;
};

enum op_kind { OP_SAME, OP_DEL, OP_ADD };

/* One step of the edit script: a line index of a (SAME, DEL) and/or of b
 * (SAME, ADD). */
struct op {
	enum op_kind	 kind;
	size_t		 ai;
	size_t		 bi;
};

struct script {
	struct op	*v;
	size_t		 n;
	size_t		 cap;
};

static void script_push(struct script *sc, enum op_kind kind, size_t ai,
    size_t bi)
{
	if (sc->n == sc->cap) {
		sc->cap = sc->cap ? sc->cap * 2 : 64;
		sc->v = xrealloc(sc->v, sc->cap * sizeof(*sc->v));
	}
	sc->v[sc->n].kind = kind;
	sc->v[sc->n].ai = ai;
	sc->v[sc->n].bi = bi;
	sc->n++;
}

/* FNV-1a over the line and its terminator flag. */
static uint64_t line_hash(const char *p, size_t n, int eol)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	h ^= (uint64_t)eol;
	return h * 1099511628211ULL;
}

/* Split the n bytes at s into lines. Returns the count; *out (caller
 * frees) holds them. */
static size_t split_lines(const char *s, size_t n, struct line **out)
{
	size_t i, count = 0, start = 0;
	struct line *v;

	for (i = 0; i < n; i++)
		if (s[i] == '\n')
			count++;
	if (n > 0 && s[n - 1] != '\n')
		count++;
	v = xcalloc(count ? count : 1, sizeof(*v));
	count = 0;
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '\n')
			continue;
		if (i == n && start == n)
			break;
		v[count].p = s + start;
		v[count].len = i - start;
		v[count].eol = i < n;
		v[count].h = line_hash(v[count].p, v[count].len, v[count].eol);
		count++;
		start = i + 1;
	}
	*out = v;
	return count;
}

static int line_eq(const struct line *x, const struct line *y)
{
	return x->h == y->h && x->len == y->len && x->eol == y->eol &&
	    memcmp(x->p, y->p, x->len) == 0;
}

/* Myers' greedy forward search over a[0..n) and b[0..m), keeping the V
 * array of every round for the walk back. Appends the edit script of the
 * shortest path to sc (indices offset by ao and bo). Returns 0, or -1
 * without touching sc when more than DIFF_MAX_D edits are needed. */
static int myers(const struct line *a, int n, const struct line *b, int m,
    size_t ao, size_t bo, struct script *sc)
{
	const int vo = DIFF_MAX_D + 1;		/* V index of diagonal 0 */
	int *v = xcalloc(2 * (size_t)vo + 1, sizeof(*v));
	int *trace = NULL;
	size_t tcap = 0;
	struct script rev = { 0 };
	int d, k, x, y, dmax = n + m < DIFF_MAX_D ? n + m : DIFF_MAX_D;
	int found = -1;
	const size_t tmax = (size_t)(dmax + 1) * (size_t)(dmax + 1);

	for (d = 0; d <= dmax && found < 0; d++) {
		size_t need = (size_t)(d + 1) * (size_t)(d + 1);

		/* Round d's starting V[-d..d] lives at trace[d * d]. */
		if (need > tcap) {
			tcap = need * 2 < tmax ? need * 2 : tmax;
			trace = xrealloc(trace, tcap * sizeof(*trace));
		}
		memcpy(trace + (size_t)d * (size_t)d, v + vo - d,
		    (2 * (size_t)d + 1) * sizeof(*v));
		for (k = -d; k <= d; k += 2) {
			if (k == -d ||
			    (k != d && v[vo + k - 1] < v[vo + k + 1]))
				x = v[vo + k + 1];
			else
				x = v[vo + k - 1] + 1;
			y = x - k;
			while (x < n && y < m && line_eq(&a[x], &b[y])) {
				x++;
				y++;
			}
			v[vo + k] = x;
			if (x >= n && y >= m) {
				found = d;
				break;
			}
		}
	}
	free(v);
	if (found < 0) {
		free(trace);
		return -1;
	}
	/* Walk back from (n, m), collecting the script reversed. */
	x = n;
	y = m;
	for (d = found; d >= 0; d--) {
		/* pv[k]: V[k] at the start of round d. */
		const int *pv = trace + (size_t)d * (size_t)d + d;
		int pk, px, py;

		k = x - y;
		if (d == 0) {
			px = py = 0;
		} else {
			pk = (k == -d || (k != d && pv[k - 1] < pv[k + 1])) ?
			    k + 1 : k - 1;
			px = pv[pk];
			py = px - pk;
		}
		while (x > px && y > py) {
			x--;
			y--;
			script_push(&rev, OP_SAME, ao + (size_t)x,
			    bo + (size_t)y);
		}
		if (d == 0)
			break;
		if (x == px)
			script_push(&rev, OP_ADD, 0, bo + (size_t)py);
		else
			script_push(&rev, OP_DEL, ao + (size_t)px, 0);
		x = px;
		y = py;
	}
	while (rev.n > 0) {
		rev.n--;
		script_push(sc, rev.v[rev.n].kind, rev.v[rev.n].ai,
		    rev.v[rev.n].bi);
	}
	free(rev.v);
	free(trace);
	return 0;
}

/* Script for the middles a[ab..ae) and b[bb..be). Returns 1 when the
 * fallback (all deleted, then all added) was used, 0 otherwise. */
static int diff_middle(const struct line *a, size_t ab, size_t ae,
    const struct line *b, size_t bb, size_t be, struct script *sc)
{
	size_t n = ae - ab, m = be - bb, i;
	int fallback = 0;

	if (n > 0 && m > 0) {
		if (n + m <= DIFF_MAX_LINES &&
		    myers(a + ab, (int)n, b + bb, (int)m, ab, bb, sc) == 0)
			return 0;
		fallback = 1;
	}
	for (i = ab; i < ae; i++)
		script_push(sc, OP_DEL, i, 0);
	for (i = bb; i < be; i++)
		script_push(sc, OP_ADD, 0, i);
	return fallback;
}

static void row_left(struct diff_row *r, const struct line *a, size_t i)
{
	r->left_no = i + 1;
	r->left = a[i].p;
	r->left_len = a[i].len;
	r->left_noeol = !a[i].eol;
}

static void row_right(struct diff_row *r, const struct line *b, size_t i)
{
	r->right_no = i + 1;
	r->right = b[i].p;
	r->right_len = b[i].len;
	r->right_noeol = !b[i].eol;
}

/* Turn the run of DEL and ADD ops sc->v[from..to) into rows at *rows + *n:
 * deletions and additions paired in order, then the extras. */
static void rows_run(const struct script *sc, size_t from, size_t to,
    const struct line *a, const struct line *b, struct diff_row *rows,
    size_t *n)
{
	size_t di = from, ai = from;

	for (;;) {
		struct diff_row *r;

		while (di < to && sc->v[di].kind != OP_DEL)
			di++;
		while (ai < to && sc->v[ai].kind != OP_ADD)
			ai++;
		if (di == to && ai == to)
			break;
		r = &rows[(*n)++];
		memset(r, 0, sizeof(*r));
		if (di < to)
			row_left(r, a, sc->v[di++].ai);
		if (ai < to)
			row_right(r, b, sc->v[ai++].bi);
		r->kind = r->left && r->right ? DIFF_CHANGE :
		    r->left ? DIFF_DEL : DIFF_ADD;
	}
}

int diff_lines(const char *a, size_t alen, const char *b, size_t blen,
    struct diff_row **rows, size_t *nrows)
{
	struct line *la, *lb;
	size_t na = split_lines(a, alen, &la), nb = split_lines(b, blen, &lb);
	size_t pre = 0, suf = 0, i, run, n = 0;
	struct script sc = { 0 };
	struct diff_row *out;
	int fallback;

	while (pre < na && pre < nb && line_eq(&la[pre], &lb[pre]))
		pre++;
	while (suf < na - pre && suf < nb - pre &&
	    line_eq(&la[na - 1 - suf], &lb[nb - 1 - suf]))
		suf++;
	for (i = 0; i < pre; i++)
		script_push(&sc, OP_SAME, i, i);
	fallback = diff_middle(la, pre, na - suf, lb, pre, nb - suf, &sc);
	for (i = 0; i < suf; i++)
		script_push(&sc, OP_SAME, na - suf + i, nb - suf + i);

	out = sc.n ? xcalloc(sc.n, sizeof(*out)) : NULL;
	for (i = 0, run = 0; i <= sc.n; i++) {
		if (i < sc.n && sc.v[i].kind != OP_SAME)
			continue;
		rows_run(&sc, run, i, la, lb, out, &n);
		if (i < sc.n) {
			memset(&out[n], 0, sizeof(out[n]));
			out[n].kind = DIFF_SAME;
			row_left(&out[n], la, sc.v[i].ai);
			row_right(&out[n], lb, sc.v[i].bi);
			n++;
		}
		run = i + 1;
	}
	free(sc.v);
	free(la);
	free(lb);
	*rows = out;
	*nrows = n;
	return fallback;
}

void diff_free(struct diff_row *rows, size_t n)
{
	(void)n;
	free(rows);
}

void diff_counts(const struct diff_row *rows, size_t n, size_t *added,
    size_t *removed)
{
	size_t i;

	*added = *removed = 0;
	for (i = 0; i < n; i++) {
		if (rows[i].kind == DIFF_SAME)
			continue;
		if (rows[i].left != NULL)
			(*removed)++;
		if (rows[i].right != NULL)
			(*added)++;
	}
}

/* The side of a row as JSON: the line text or null. */
static json_object *side_json(const char *p, size_t len)
{
	return p != NULL ? json_object_new_string_len(p, (int)len) : NULL;
}

json_object *diff_to_json(const struct diff_row *rows, size_t n)
{
	static const char *const kinds[] = {
		[DIFF_SAME] = "same",
		[DIFF_CHANGE] = "change",
		[DIFF_DEL] = "del",
		[DIFF_ADD] = "add",
	};
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++) {
		const struct diff_row *r = &rows[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "kind",
		    json_object_new_string(kinds[r->kind]));
		json_object_object_add(o, "left_no", r->left_no ?
		    json_object_new_int64((int64_t)r->left_no) : NULL);
		json_object_object_add(o, "left", side_json(r->left,
		    r->left_len));
		json_object_object_add(o, "right_no", r->right_no ?
		    json_object_new_int64((int64_t)r->right_no) : NULL);
		json_object_object_add(o, "right", side_json(r->right,
		    r->right_len));
		if (r->left != NULL && r->left_noeol)
			json_object_object_add(o, "left_noeol",
			    json_object_new_boolean(1));
		if (r->right != NULL && r->right_noeol)
			json_object_object_add(o, "right_noeol",
			    json_object_new_boolean(1));
		json_object_array_add(arr, o);
	}
	return arr;
}
