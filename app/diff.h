/* diff.h - a side-by-side line diff (Myers) of two texts, e.g. the messages
 * of two prompt versions, the changed words inside a changed line, and the
 * changes between two sets of named values (a version's settings).
 *
 * Texts are split on '\n'; a last line without '\n' counts as a line, and
 * the empty text has no lines. Lines compare byte for byte including their
 * terminator, so "a" and "a\n" differ (the row then carries noeol flags,
 * for a "no newline at end" mark). The common head and tail are matched
 * first; the middle gets Myers' O((N+M)D) algorithm unless it has more than
 * DIFF_MAX_LINES lines or needs more than DIFF_MAX_D edits, in which case
 * it is shown as all deleted then all added: still a correct diff, only not
 * a minimal one.
 *
 * Nothing here fails: memory exhaustion aborts (util.h).
 */
#ifndef PM_DIFF_H
#define PM_DIFF_H

#include <json-c/json.h>
#include <stddef.h>

#define DIFF_MAX_LINES	20000	/* lines of both middles together */
#define DIFF_MAX_D	1024	/* edits (deleted + added lines) */
#define DIFF_MAX_WORDS	4000	/* words of both lines' middles together */

enum diff_kind {
	DIFF_SAME,	/* the same line on both sides */
	DIFF_CHANGE,	/* a deleted line (left) paired with an added one */
	DIFF_DEL,	/* only left */
	DIFF_ADD	/* only right */
};

/* One row of the side-by-side view. left and right point into the texts
 * given to diff_lines() (not copies: the rows are valid while those texts
 * are) and exclude the '\n'. An absent side has number 0, pointer NULL,
 * length 0. */
struct diff_row {
	enum diff_kind	 kind;
	size_t		 left_no;	/* 1-based line number in a, or 0 */
	size_t		 right_no;	/* 1-based line number in b, or 0 */
	const char	*left;
	size_t		 left_len;
	const char	*right;
	size_t		 right_len;
	int		 left_noeol;	/* 1: last line of a, without '\n' */
	int		 right_noeol;	/* 1: last line of b, without '\n' */
};

/* Diff the alen bytes of a (old, left) with the blen bytes of b (new,
 * right) into rows, in order: runs of SAME lines, and between them each
 * run of deletions and additions paired row by row as CHANGE, the extra
 * deletions (DEL) or additions (ADD) after the pairs. *rows (caller frees
 * with diff_free; NULL when *nrows is 0) points into a and b. Returns 0
 * for a minimal diff, 1 when the fallback for large inputs was used. */
int diff_lines(const char *a, size_t alen, const char *b, size_t blen,
    struct diff_row **rows, size_t *nrows);

/* Release rows from diff_lines(); NULL is allowed. */
void diff_free(struct diff_row *rows, size_t n);

/* Count the lines only in a (removed: CHANGE and DEL rows) and only in b
 * (added: CHANGE and ADD rows). */
void diff_counts(const struct diff_row *rows, size_t n, size_t *added,
    size_t *removed);

/* The rows as a new JSON array of {"kind": "same"|"change"|"del"|"add",
 * "left_no", "left", "right_no", "right"} (absent sides are null), plus
 * "left_noeol"/"right_noeol": true on a last line without '\n'. A CHANGE
 * row also has "left_words" and "right_words", its sides cut by
 * diff_words() as [{"text", "changed": true|false}] (empty for an empty
 * line). Caller puts. */
json_object *diff_to_json(const struct diff_row *rows, size_t n);

/* A piece of one side of a changed line: len bytes from off, and whether
 * they are absent from the other side (changed) or common to both. */
struct diff_span {
	size_t	 off;
	size_t	 len;
	int	 changed;
};

/* The word diff of two versions of a line: the alen bytes of a (old) and
 * the blen bytes of b (new), each cut into placeholders ("{{name}}", with
 * or without blanks inside the braces) and escapes ("{{{{"), words (runs
 * of letters, digits, '_' and non-ASCII bytes, so a UTF-8 character is
 * never split), runs of blanks, and single punctuation bytes; the common
 * head and tail are matched first, the middle by Myers' algorithm.
 * Consecutive pieces of the same kind are merged, and blanks between two
 * changed pieces count as changed, so "a b" -> "x y" is one change.
 * *as and *bs (caller frees both with free(); NULL when the side is
 * empty) cover a and b in order without gap. When the middles hold more
 * than DIFF_MAX_WORDS words or need more than DIFF_MAX_D edits, the
 * middle of each side is one changed piece. Returns 0, or 1 when that
 * fallback was used. */
int diff_words(const char *a, size_t alen, const char *b, size_t blen,
    struct diff_span **as, size_t *nas, struct diff_span **bs, size_t *nbs);

/* The changes between two objects of named display texts, a (old) and b
 * (new), either NULL for none: a new JSON array of {"name", "change":
 * "added"|"removed"|"changed", "old": text|null, "new": text|null} plus a
 * true member named as the change ("added": true...) for templates: the
 * names of a in a's order (removed or changed), then those only in b.
 * Values are compared as strings (json_object_get_string). Equal names
 * give no entry; [] when nothing changed. Caller puts. */
json_object *diff_fields(json_object *a, json_object *b);

#endif
