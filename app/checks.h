/* checks.h - the checks of a golden sample: parsing and validating a
 * checks array, evaluating one check against an execution's outcome, and
 * the weighted score of a sample. Pure functions: no database, no
 * network; the rubric check is judged by the caller (judge.h).
 *
 * A checks array is a JSON array of 1..CHECKS_MAX objects. Every check has
 *   "type"    one of the names below (required)
 *   "not"     true: negate the result (pass <-> fail; an error stays an
 *             error). Default false.
 *   "weight"  a number > 0 and <= 1000. Default 1.
 * and the fields of its type (any other field is refused, so a typo is
 * caught when the sample is saved):
 *
 *   equals        "value"? text, or any JSON value; "json"? boolean.
 *                 Without "value" the sample's expected output is used.
 *                 JSON mode (a non-string "value", or "json": true with a
 *                 string value or the expected output, which must then be
 *                 valid JSON): the output, parsed as JSON, must be
 *                 deep-equal to it: objects with the same keys in any
 *                 order and deep-equal members, arrays of the same length
 *                 with deep-equal elements in order, numbers equal by
 *                 value (1 == 1.0), strings, booleans, null equal.
 *                 Text mode: the output equals the text byte for byte
 *                 once both have leading and trailing white space
 *                 trimmed.
 *   contains      "value" text (1..CHECK_TEXT_MAX bytes): a substring.
 *   icontains     the same ignoring letter case (ASCII, Latin-1, Latin
 *                 Extended-A, Greek and Cyrillic simple case folding).
 *   contains-any  "values" array of 1..CHECK_VALUES_MAX texts, and
 *   contains-all  "ignore_case"? boolean: at least one / every one is a
 *                 substring.
 *   starts-with   "value" text: the output, leading white space trimmed,
 *                 starts with it.
 *   regex         "pattern" (1..CHECK_PATTERN_MAX bytes, POSIX extended,
 *                 regcomp REG_EXTENDED | REG_NOSUB), "ignore_case"?
 *                 (REG_ICASE): regexec finds a match in the output. A
 *                 costly pattern is refused (checks.regex_costly: back-
 *                 references, stacked quantifiers, {m,n} bounds that
 *                 multiply past 10000); an output longer than
 *                 CHECK_REGEX_INPUT_MAX is an error.
 *   is-json       "schema"? (see json-schema): the output is one JSON
 *                 value (after trimming white space and one enclosing
 *                 ``` or ```json fence), valid against the schema when
 *                 given.
 *   contains-json "schema"?: some {...} or [...] in the output parses as
 *                 JSON (and validates against the schema when given).
 *   json-schema   "schema" object (json_schema.h subset: type,
 *                 properties, required, items, enum, minimum, maximum,
 *                 minLength, maxLength): the output is JSON (as is-json)
 *                 and valid against it.
 *   levenshtein   "max" integer >= 0, "value"? text (default: expected
 *                 output): edit distance in code points <= max.
 *   rouge-n       "min" number 0..1, "n"? 1..4 (default 1), "value"?
 *                 (default: expected output): ROUGE-N recall >= min.
 *   bleu          "min" number 0..1, "value"? (default: expected output):
 *                 BLEU >= min.
 *   word-count    "min"? and/or "max"? integers >= 0 (at least one, min
 *                 <= max): words (runs of non-white-space bytes) within.
 *   max-cost      "max" integer micro-dollars >= 0: cost_micros <= max.
 *   max-latency   "max" integer milliseconds >= 0: latency_ms <= max.
 *   finish-reason "value" text: finish_reason equals it ("stop",
 *                 "length", ...).
 *   rubric        "rubric" text (1..CHECK_TEXT_MAX bytes): a judge model
 *                 answers pass or fail (judge.h); the sample names the
 *                 judge model.
 *
 * Formulas (text_metrics.h; tokens are the words of the text, split on
 * white space and ASCII punctuation, lower-cased):
 *   ROUGE-N recall = sum over n-grams g of the reference of
 *     min(count_candidate(g), count_reference(g)) / number of n-grams of
 *     the reference. A reference with no n-gram: 1 when the candidate has
 *     none either, else 0.
 *   BLEU = BP * exp(sum_{k=1..4} 1/4 * log p_k), p_k the clipped k-gram
 *     precision sum min(count_cand, count_ref) / number of candidate
 *     k-grams, BP = 1 when c > r else exp(1 - r/c) (c, r: candidate and
 *     reference lengths in tokens). Zero counts: smoothing "add one" for
 *     k >= 2 (p_k = (matches + 1) / (total + 1)), as Lin and Och's
 *     smoothing 2; p_1 is not smoothed, so no shared word gives 0. An
 *     empty candidate gives 0; an empty candidate and reference give 1.
 *     Candidates shorter than k tokens: p_k = 1 / 1 by the smoothing.
 *
 * Error convention (error.h): checks_parse returns 0 or PM_INVALID with a
 * struct pm_fail whose key is a "checks.*" catalog key (templates/messages/
 * en/samples.txt), field "checks", and arguments {n} (1-based position),
 * {type} (the check's type, or "?") and, for some, {reason}; the sentence
 * reads e.g. "Check 2 (regex): the regular expression is invalid:
 * Unmatched ( or \(.".
 *
 * Memory: a struct checks owns everything its checks hold; checks_free
 * releases it (and accepts an empty or freed one). The structs are
 * read-only for callers once parsed; they may be shared between threads
 * (regexec on a compiled regex_t is thread-safe).
 */
#ifndef PM_CHECKS_H
#define PM_CHECKS_H

#include <json-c/json.h>
#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define CHECKS_MAX		50	/* checks per sample */
#define CHECK_TEXT_MAX		(64 * 1024)	/* bytes of a text value */
#define CHECK_VALUES_MAX	100	/* texts of contains-any/-all */
#define CHECK_PATTERN_MAX	1000	/* bytes of a regex pattern */
#define CHECK_WEIGHT_MAX	1000.0
#define CHECK_REASON_MAX	600	/* bytes of a result's reason */
/* bytes of output a regex is run on: more is an error (glibc's regexec
 * can take time quadratic in the length for some patterns) */
#define CHECK_REGEX_INPUT_MAX	(64 * 1024)

enum check_type {
	CHECK_EQUALS,
	CHECK_CONTAINS,
	CHECK_ICONTAINS,
	CHECK_CONTAINS_ANY,
	CHECK_CONTAINS_ALL,
	CHECK_STARTS_WITH,
	CHECK_REGEX,
	CHECK_IS_JSON,
	CHECK_CONTAINS_JSON,
	CHECK_JSON_SCHEMA,
	CHECK_LEVENSHTEIN,
	CHECK_ROUGE_N,
	CHECK_BLEU,
	CHECK_WORD_COUNT,
	CHECK_MAX_COST,
	CHECK_MAX_LATENCY,
	CHECK_FINISH_REASON,
	CHECK_RUBRIC,
	CHECK__MAX
};

/* One parsed check. Which fields are set depends on the type (see the
 * table above); the rest are zero/NULL. */
struct check {
	enum check_type	 type;
	int		 negate;	/* "not" */
	double		 weight;
	int		 ignore_case;
	/* text: equals/contains/icontains/starts-with/levenshtein/rouge-n/
	 * bleu/finish-reason value, rubric text; NULL: the expected output */
	char		*text;
	size_t		 text_len;
	char		**values;	/* contains-any/-all */
	size_t		 nvalues;
	int		 json_mode;	/* equals compares JSON */
	/* equals: the expected JSON when "value" was given (NULL: parse the
	 * expected output at evaluation); is-json/contains-json/json-schema:
	 * the schema (NULL: none) */
	json_object	*json;
	json_object	*raw_value;	/* equals "value" as given, for output */
	regex_t		*re;		/* regex, compiled */
	char		*pattern;
	int		 has_min, has_max;
	int64_t		 min, max;	/* word-count, levenshtein/cost/latency max */
	double		 min_score;	/* rouge-n, bleu */
	int		 n;		/* rouge-n */
};

/* A parsed checks array. {0} is empty. */
struct checks {
	struct check	*v;
	size_t		 n;
};

/* The type's name ("equals", "max-cost"...); "?" out of range. */
const char *check_type_name(enum check_type t);
/* The type named s (exact, lower case), or -1. */
int check_type_from_name(const char *s);

/* Parse and validate the checks array arr (borrowed). expected is the
 * sample's expected output (NULL: none): a check that needs it (equals,
 * levenshtein, rouge-n, bleu without "value") is refused without it, and
 * equals in JSON mode without "value" needs it to be valid JSON. Returns
 * 0 with out filled (free with checks_free), or PM_INVALID with out empty
 * and f naming the first bad check (see the header comment): keys
 * checks.not_array, checks.too_many, checks.empty, checks.not_object,
 * checks.type_missing, checks.type_unknown, checks.field_unknown
 * ({reason}: the field), checks.field_type ({reason}: the field),
 * checks.weight, checks.text_required, checks.text_too_long,
 * checks.values, checks.bad_regex ({reason}: regerror), checks.bad_json
 * ({reason}: json-c's error), checks.bad_schema ({reason}: path and
 * problem), checks.needs_expected, checks.expected_not_json, checks.range
 * ({reason}: the field), checks.n. */
int checks_parse(json_object *arr, const char *expected, struct checks *out,
    struct pm_fail *f);
/* Release everything cs holds and leave it empty. Accepts NULL. */
void checks_free(struct checks *cs);
/* The normalised JSON array of cs (what is stored and exported): each
 * check with "type", "not" and "weight" always, then its own fields; a new
 * reference the caller puts. checks_parse of it gives the same checks. */
json_object *checks_to_json(const struct checks *cs);
/* Whether any check of cs is a rubric (the sample then needs a judge
 * model). */
int checks_have_rubric(const struct checks *cs);

/* What an execution gave, borrowed for one evaluation. output need not be
 * NUL-terminated; expected (NULL: none) is the sample's expected output;
 * finish_reason "" or NULL when none was received. */
struct check_outcome {
	const char	*output;
	size_t		 output_len;
	const char	*expected;
	size_t		 expected_len;
	const char	*finish_reason;
	int64_t		 cost_micros;
	int64_t		 latency_ms;
};

enum check_state {
	CHECK_PASS,
	CHECK_FAIL,
	CHECK_ERROR,		/* could not be decided (reason says why) */
	CHECK_NEEDS_JUDGE	/* rubric: call the judge, then check_judged */
};

/* The result of one check. measure is the measured value of metric
 * checks (distance, score, words, cost, latency) when has_measure. The
 * reason is a sentence of the catalog (samples.txt "check.*") with the
 * negation already applied: e.g. "The output contains \"foo\"." for a
 * failing "not contains". */
struct check_result {
	enum check_state state;
	int		 has_measure;
	double		 measure;
	char		 reason[CHECK_REASON_MAX];
};

/* Evaluate c against o into r (every field set). Never fails: what cannot
 * be decided (output not JSON for json-schema is a FAIL; an expected
 * output that is missing or not JSON at run time is an ERROR) is a state
 * with its reason; a rubric gives CHECK_NEEDS_JUDGE and an empty reason. */
void check_eval(const struct check *c, const struct check_outcome *o,
    struct check_result *r);
/* Record the judge's verdict of rubric check c in r: pass (1) or fail
 * (0) with the judge's reason, negated when c is. */
void check_judged(const struct check *c, int pass, const char *reason,
    struct check_result *r);
/* Record that c could not be decided: r becomes CHECK_ERROR with the
 * sentence of catalog key (with the {reason} argument, may be NULL), e.g.
 * a judge answering garbage or failing upstream. */
void check_errored(struct check_result *r, const char *key,
    const char *reason);

/* The score of a sample from the results rs[0..cs->n-1]. */
struct check_score {
	double	 total_weight;
	double	 passed_weight;
	double	 score;		/* passed / total, 0..1 (1 with no checks) */
	size_t	 passed, failed, errors, pending;
	int	 pass;		/* the sample passes */
};

/* Weigh the results: score = sum of the weights of passing checks / sum
 * of all weights. The sample passes when no check is an error or pending
 * and, with has_threshold, score >= threshold - 1e-9, else (no
 * threshold: the default) when every check passes. */
void checks_score(const struct checks *cs, const struct check_result *rs,
    int has_threshold, double threshold, struct check_score *out);

#endif
