/* diff.h - a side-by-side line diff (Myers) of two texts, e.g. the messages
 * of two prompt versions.
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
 * "left_noeol"/"right_noeol": true on a last line without '\n'. Caller
 * puts. */
json_object *diff_to_json(const struct diff_row *rows, size_t n);

#endif
