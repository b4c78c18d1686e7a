/* judge.h - the rubric check's judge: the fixed, versioned prompt sent to
 * the judge model, and the reading of its answer. Pure functions; the
 * caller runs the judge model through the execution pipeline (billed and
 * counted like any execution) and gives its answer to judge_parse.
 *
 * The prompt (docs/GOLDEN.md shows it whole) is a system message, fixed
 * text of version JUDGE_PROMPT_VERSION, and a user message holding the
 * rubric and the output between markers. The judge must answer one line:
 *
 *   PASS: <reason>        the output satisfies the rubric
 *   FAIL: <reason>        it does not
 *
 * Reading: leading white space is skipped; the verdict is the word PASS
 * or FAIL in any letter case, followed by ':' (or '-', or the end of the
 * line); the reason is the rest of that first line, trimmed (may be
 * empty: the catalog's "No reason given."), cut to JUDGE_REASON_MAX bytes
 * on a UTF-8 boundary. Later lines are ignored. Anything else (an empty
 * answer, "PASSED", "yes", "The output passes") is garbage: an error with
 * the reason, and the check is an error (check_errored).
 */
#ifndef PM_JUDGE_H
#define PM_JUDGE_H

#include <json-c/json.h>
#include <stddef.h>

#include "buf.h"

#define JUDGE_PROMPT_VERSION	1
#define JUDGE_REASON_MAX	500	/* bytes of a verdict's reason */
#define JUDGE_MAX_TOKENS	200	/* max_tokens to ask the judge for */

/* The judge's system message (a static string). */
const char *judge_system_text(void);
/* The judge's messages for rubric and output (output_len bytes, any
 * text): a new JSON array [{"role":"system","content"},{"role":"user",
 * "content"}], ready for the pipeline. Caller puts. */
json_object *judge_messages(const char *rubric, const char *output,
    size_t output_len);
/* Append the user message alone to out (what judge_messages puts in its
 * second message). */
void judge_user_text(const char *rubric, const char *output,
    size_t output_len, struct buf *out);

/* The judge's verdict. */
struct judge_verdict {
	int	 pass;		/* 1 PASS, 0 FAIL */
	char	 reason[JUDGE_REASON_MAX + 1];
};

/* Read the judge's answer (len bytes). Returns 0 with v filled, or -1 when
 * the answer is garbage, with the catalog sentence of why (judge.empty,
 * judge.garbage with {answer}: the start of the answer) appended to why
 * (may be NULL). */
int judge_parse(const char *answer, size_t len, struct judge_verdict *v,
    struct buf *why);

#endif
