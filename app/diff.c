/* diff.c - side-by-side line diff (Myers' greedy algorithm with a cap),
 * the word diff of a changed line, and the changes between named values. */
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

/* Script for the middles a[ab..ae) and b[bb..be), Myers' when they hold
 * at most cap units together. Returns 1 when the fallback (all deleted,
 * then all added) was used, 0 otherwise. */
static int diff_middle(const struct line *a, size_t ab, size_t ae,
    const struct line *b, size_t bb, size_t be, size_t cap,
    struct script *sc)
{
	size_t n = ae - ab, m = be - bb, i;
	int fallback = 0;

	if (n > 0 && m > 0) {
		if (n + m <= cap &&
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

/* The edit script of a[0..na) into b[0..nb): the common head and tail,
 * and diff_middle() between them. Returns diff_middle()'s fallback flag. */
static int diff_script(const struct line *a, size_t na, const struct line *b,
    size_t nb, size_t cap, struct script *sc)
{
	size_t pre = 0, suf = 0, i;
	int fallback;

	while (pre < na && pre < nb && line_eq(&a[pre], &b[pre]))
		pre++;
	while (suf < na - pre && suf < nb - pre &&
	    line_eq(&a[na - 1 - suf], &b[nb - 1 - suf]))
		suf++;
	for (i = 0; i < pre; i++)
		script_push(sc, OP_SAME, i, i);
	fallback = diff_middle(a, pre, na - suf, b, pre, nb - suf, cap, sc);
	for (i = 0; i < suf; i++)
		script_push(sc, OP_SAME, na - suf + i, nb - suf + i);
	return fallback;
}

int diff_lines(const char *a, size_t alen, const char *b, size_t blen,
    struct diff_row **rows, size_t *nrows)
{
	struct line *la, *lb;
	size_t na = split_lines(a, alen, &la), nb = split_lines(b, blen, &lb);
	size_t i, run, n = 0;
	struct script sc = { 0 };
	struct diff_row *out;
	int fallback;

	fallback = diff_script(la, na, lb, nb, DIFF_MAX_LINES, &sc);

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

/* A byte of a word: letters, digits, '_' and every non-ASCII byte. */
static int word_byte(unsigned char c)
{
	return c >= 0x80 || c == '_' || (c >= '0' && c <= '9') ||
	    ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static int blank_byte(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The length of the placeholder "{{ name }}" (blanks optional) or of the
 * escape "{{{{" (a literal "{{") at s[i], or 0 when there is neither. */
static size_t placeholder_len(const char *s, size_t n, size_t i)
{
	size_t j = i + 2, w;

	if (i + 1 >= n || s[i] != '{' || s[i + 1] != '{')
		return 0;
	if (i + 3 < n && s[i + 2] == '{' && s[i + 3] == '{')
		return 4;
	while (j < n && (s[j] == ' ' || s[j] == '\t'))
		j++;
	for (w = j; j < n && word_byte((unsigned char)s[j]); j++)
		;
	if (j == w)
		return 0;
	while (j < n && (s[j] == ' ' || s[j] == '\t'))
		j++;
	return j + 1 < n && s[j] == '}' && s[j + 1] == '}' ? j + 2 - i : 0;
}

/* Cut the n bytes at s into placeholders, words, runs of blanks and
 * single punctuation bytes. Returns the count; *out (caller frees) holds
 * them. */
static size_t split_words(const char *s, size_t n, struct line **out)
{
	struct line *v = NULL;
	size_t i = 0, count = 0, cap = 0, start, ph;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		start = i++;
		if ((ph = placeholder_len(s, n, start)) > 0)
			i = start + ph;
		else if (word_byte(c))
			while (i < n && word_byte((unsigned char)s[i]))
				i++;
		else if (blank_byte(c))
			while (i < n && blank_byte((unsigned char)s[i]))
				i++;
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[count].p = s + start;
		v[count].len = i - start;
		v[count].eol = 0;
		v[count].h = line_hash(v[count].p, v[count].len, 0);
		count++;
	}
	*out = v;
	return count;
}

/* The pieces of one side: its words w[0..n) with their changed flags,
 * blanks between two changed words made changed, runs merged. Returns the
 * count; *out (caller frees, NULL for none) holds them, offsets from s. */
static size_t spans_of(const char *s, const struct line *w, size_t n,
    unsigned char *changed, struct diff_span **out)
{
	struct diff_span *v = n ? xcalloc(n, sizeof(*v)) : NULL;
	size_t i, count = 0;

	for (i = 1; i + 1 < n; i++)
		if (!changed[i] && changed[i - 1] && changed[i + 1] &&
		    blank_byte((unsigned char)w[i].p[0]))
			changed[i] = 1;
	for (i = 0; i < n; i++) {
		if (count > 0 && v[count - 1].changed == changed[i]) {
			v[count - 1].len += w[i].len;
			continue;
		}
		v[count].off = (size_t)(w[i].p - s);
		v[count].len = w[i].len;
		v[count].changed = changed[i];
		count++;
	}
	*out = v;
	return count;
}

int diff_words(const char *a, size_t alen, const char *b, size_t blen,
    struct diff_span **as, size_t *nas, struct diff_span **bs, size_t *nbs)
{
	struct line *wa, *wb;
	size_t na = split_words(a, alen, &wa), nb = split_words(b, blen, &wb), i;
	unsigned char *ca = xcalloc(na + 1, 1), *cb = xcalloc(nb + 1, 1);
	struct script sc = { 0 };
	int fallback = diff_script(wa, na, wb, nb, DIFF_MAX_WORDS, &sc);

	for (i = 0; i < sc.n; i++) {
		if (sc.v[i].kind == OP_DEL)
			ca[sc.v[i].ai] = 1;
		else if (sc.v[i].kind == OP_ADD)
			cb[sc.v[i].bi] = 1;
	}
	*nas = spans_of(a, wa, na, ca, as);
	*nbs = spans_of(b, wb, nb, cb, bs);
	free(sc.v);
	free(ca);
	free(cb);
	free(wa);
	free(wb);
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

/* The pieces of one side of a changed line as [{"text", "changed"}]. */
static json_object *spans_json(const char *s, const struct diff_span *v,
    size_t n)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "text", json_object_new_string_len(
		    s + v[i].off, (int)v[i].len));
		json_object_object_add(o, "changed",
		    json_object_new_boolean(v[i].changed));
		json_object_array_add(a, o);
	}
	return a;
}

/* Add the word diff of change row r to o as left_words and right_words. */
static void words_json(json_object *o, const struct diff_row *r)
{
	struct diff_span *as, *bs;
	size_t nas, nbs;

	diff_words(r->left, r->left_len, r->right, r->right_len, &as, &nas,
	    &bs, &nbs);
	json_object_object_add(o, "left_words", spans_json(r->left, as, nas));
	json_object_object_add(o, "right_words", spans_json(r->right, bs, nbs));
	free(as);
	free(bs);
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
		if (r->kind == DIFF_CHANGE)
			words_json(o, r);
		json_object_array_add(arr, o);
	}
	return arr;
}

/* The member name of o as a string, or NULL when o is not an object or
 * has no such member (or it is null). */
static const char *field_text(json_object *o, const char *name)
{
	json_object *v;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, name, &v) || v == NULL)
		return NULL;
	return json_object_get_string(v);
}

/* Append {"name", "change", "old", "new", <change>: true} to arr. */
static void field_change(json_object *arr, const char *name, const char *old,
    const char *new)
{
	const char *kind = old == NULL ? "added" : new == NULL ? "removed" :
	    "changed";
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "change", json_object_new_string(kind));
	json_object_object_add(o, "old", old ? json_object_new_string(old) : NULL);
	json_object_object_add(o, "new", new ? json_object_new_string(new) : NULL);
	json_object_object_add(o, kind, json_object_new_boolean(1));
	json_object_array_add(arr, o);
}

json_object *diff_fields(json_object *a, json_object *b)
{
	json_object *arr = json_object_new_array();

	if (a != NULL && json_object_is_type(a, json_type_object)) {
		json_object_object_foreach(a, k, v) {
			const char *old = v ? json_object_get_string(v) : NULL;
			const char *new = field_text(b, k);

			if (old != NULL && (new == NULL || strcmp(old, new) != 0))
				field_change(arr, k, old, new);
		}
	}
	if (b != NULL && json_object_is_type(b, json_type_object)) {
		json_object_object_foreach(b, k, v) {
			if (v != NULL && field_text(a, k) == NULL)
				field_change(arr, k, NULL, json_object_get_string(v));
		}
	}
	return arr;
}
