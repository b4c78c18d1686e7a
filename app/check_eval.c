/* check_eval.c - evaluating one check against an execution's outcome, the
 * judge's verdict of a rubric, and the weighted score of a sample
 * (checks.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check_json.h"
#include "checks.h"
#include "json_schema.h"
#include "money.h"
#include "msg.h"
#include "text_metrics.h"
#include "util.h"

#define SNIP_MAX	80	/* bytes of a value quoted in a reason */

/* Copy the text of b into r->reason, cut on a UTF-8 boundary. */
static void set_reason(struct check_result *r, const struct buf *b)
{
	size_t n = b->len, i = 0, l;

	if (n >= sizeof(r->reason)) {
		n = 0;
		while (i < sizeof(r->reason) - 1 && (l = utf8_seq(b->data + i,
		    b->len - i)) > 0 && i + l < sizeof(r->reason))
			i += l;
		n = i;
	}
	if (n > 0)
		memcpy(r->reason, b->data, n);
	r->reason[n] = '\0';
}

/* The sentence key with name, value pairs (ending with NULL) as r's
 * reason. */
static void reason(struct check_result *r, const char *key, ...)
{
	struct buf b = { 0 };
	va_list ap;

	va_start(ap, key);
	msg_vfmt(&b, key, ap);
	va_end(ap);
	set_reason(r, &b);
	buf_free(&b);
}

/* A value quoted in a reason: at most SNIP_MAX bytes, cut on a UTF-8
 * boundary, with an ellipsis when cut. */
static const char *snip(const char *s, size_t n, char out[SNIP_MAX + 8])
{
	size_t i = 0, l;

	while (i < n && (l = utf8_seq(s + i, n - i)) > 0 && i + l <= SNIP_MAX)
		i += l;
	memcpy(out, s, i);
	if (i < n)
		memcpy(out + i, "\xe2\x80\xa6", 4);	/* U+2026 */
	else
		out[i] = '\0';
	return out;
}

/* Decide r from the fact measured: pass when fact differs from the
 * negation. */
static void decide(const struct check *c, int fact, struct check_result *r)
{
	r->state = (fact != 0) != (c->negate != 0) ? CHECK_PASS : CHECK_FAIL;
}

/* The text a check compares with: its own value or the expected output.
 * Returns 0, or -1 with r an error when there is neither. */
static int reference(const struct check *c, const struct check_outcome *o,
    const char **s, size_t *n, struct check_result *r)
{
	if (c->text != NULL) {
		*s = c->text;
		*n = c->text_len;
		return 0;
	}
	if (o->expected == NULL) {
		r->state = CHECK_ERROR;
		reason(r, "check.no_expected", NULL);
		return -1;
	}
	*s = o->expected;
	*n = o->expected_len;
	return 0;
}

static void eval_equals(const struct check *c, const struct check_outcome *o,
    struct check_result *r)
{
	const char *ref, *out = o->output;
	size_t rn, on = o->output_len;
	json_object *want = NULL, *got = NULL, *owned = NULL;
	struct json_error e;
	int fact;

	if (!c->json_mode) {
		if (reference(c, o, &ref, &rn, r) != 0)
			return;
		tm_trim(&ref, &rn);
		tm_trim(&out, &on);
		fact = rn == on && memcmp(ref, out, rn) == 0;
		decide(c, fact, r);
		reason(r, fact ? "check.equals.yes" : "check.equals.no", NULL);
		return;
	}
	if (c->raw_value != NULL) {
		/* Shared between threads: read, never reference-counted. */
		want = c->json;
	} else {
		if (reference(c, o, &ref, &rn, r) != 0)
			return;
		if (check_json_parse(ref, rn, &want, &e) != 0) {
			r->state = CHECK_ERROR;
			reason(r, "check.expected_not_json", "reason", e.detail,
			    NULL);
			return;
		}
		owned = want;
	}
	if (check_json_parse(out, on, &got, &e) != 0) {
		decide(c, 0, r);
		reason(r, "check.not_json", "reason", e.detail, NULL);
	} else {
		fact = json_deep_equal(want, got);
		decide(c, fact, r);
		reason(r, fact ? "check.equals_json.yes" :
		    "check.equals_json.no", NULL);
	}
	json_object_put(owned);
	json_object_put(got);
}

/* contains, icontains, starts-with. */
static void eval_text(const struct check *c, const struct check_outcome *o,
    struct check_result *r)
{
	const char *out = o->output;
	size_t on = o->output_len;
	char q[SNIP_MAX + 8];
	int fact;
	const char *key;

	snip(c->text, c->text_len, q);
	if (c->type == CHECK_STARTS_WITH) {
		tm_trim(&out, &on);
		fact = on >= c->text_len && memcmp(out, c->text, c->text_len) == 0;
		key = fact ? "check.starts_with.yes" : "check.starts_with.no";
	} else if (c->type == CHECK_ICONTAINS) {
		fact = tm_icontains(out, on, c->text, c->text_len);
		key = fact ? "check.icontains.yes" : "check.icontains.no";
	} else {
		fact = tm_contains(out, on, c->text, c->text_len);
		key = fact ? "check.contains.yes" : "check.contains.no";
	}
	decide(c, fact, r);
	reason(r, key, "value", q, NULL);
}

/* contains-any, contains-all. */
static void eval_values(const struct check *c, const struct check_outcome *o,
    struct check_result *r)
{
	int all = c->type == CHECK_CONTAINS_ALL, has;
	char q[SNIP_MAX + 8], count[24];
	size_t i;

	snprintf(count, sizeof(count), "%zu", c->nvalues);
	for (i = 0; i < c->nvalues; i++) {
		size_t n = strlen(c->values[i]);

		has = c->ignore_case ? tm_icontains(o->output, o->output_len,
		    c->values[i], n) : tm_contains(o->output, o->output_len,
		    c->values[i], n);
		if (has && !all) {
			decide(c, 1, r);
			reason(r, "check.contains_any.yes", "value",
			    snip(c->values[i], n, q), NULL);
			return;
		}
		if (!has && all) {
			decide(c, 0, r);
			reason(r, "check.contains_all.no", "value",
			    snip(c->values[i], n, q), NULL);
			return;
		}
	}
	decide(c, all, r);
	reason(r, all ? "check.contains_all.yes" : "check.contains_any.no",
	    "count", count, NULL);
}

static void eval_regex(const struct check *c, const struct check_outcome *o,
    struct check_result *r)
{
	char *s, q[SNIP_MAX + 8];
	int fact;

	if (o->output_len > CHECK_REGEX_INPUT_MAX) {
		r->state = CHECK_ERROR;
		reason(r, "check.regex.too_long", NULL);
		return;
	}
	s = xstrndup(o->output, o->output_len);
	fact = regexec(c->re, s, 0, NULL, 0) == 0;

	free(s);
	decide(c, fact, r);
	reason(r, fact ? "check.regex.yes" : "check.regex.no", "value",
	    snip(c->pattern, strlen(c->pattern), q), NULL);
}

/* is-json, json-schema: the output is one JSON value (valid against the
 * schema when there is one). */
static void eval_json(const struct check *c, const struct check_outcome *o,
    struct check_result *r)
{
	struct json_error e;
	struct buf why = { 0 };
	json_object *got = NULL;
	int fact;

	if (check_json_parse(o->output, o->output_len, &got, &e) != 0) {
		decide(c, 0, r);
		reason(r, "check.not_json", "reason", e.detail, NULL);
		return;
	}
	if (c->json == NULL) {
		decide(c, 1, r);
		reason(r, "check.is_json.yes", NULL);
	} else {
		fact = json_schema_valid(c->json, got, &why);
		decide(c, fact, r);
		reason(r, fact ? "check.schema.yes" : "check.schema.no",
		    "reason", why.data ? why.data : "", NULL);
	}
	json_object_put(got);
	buf_free(&why);
}

static void eval_contains_json(const struct check *c,
    const struct check_outcome *o, struct check_result *r)
{
	struct buf why = { 0 };
	int fact = check_json_find(o->output, o->output_len, c->json, &why);

	decide(c, fact, r);
	if (fact)
		reason(r, c->json ? "check.contains_json.schema_yes" :
		    "check.contains_json.yes", NULL);
	else if (why.len > 0)
		reason(r, "check.contains_json.schema_no", "reason", why.data,
		    NULL);
	else
		reason(r, "check.contains_json.no", NULL);
	buf_free(&why);
}

static void eval_levenshtein(const struct check *c,
    const struct check_outcome *o, struct check_result *r)
{
	const char *ref;
	size_t rn;
	char d[24], m[24];
	int64_t dist;

	if (reference(c, o, &ref, &rn, r) != 0)
		return;
	dist = tm_levenshtein(o->output, o->output_len, ref, rn, c->max);
	if (dist < 0) {
		r->state = CHECK_ERROR;
		reason(r, "check.levenshtein.too_long", NULL);
		return;
	}
	snprintf(d, sizeof(d), "%lld", (long long)dist);
	snprintf(m, sizeof(m), "%lld", (long long)c->max);
	decide(c, dist <= c->max, r);
	if (dist <= c->max) {
		r->has_measure = 1;
		r->measure = (double)dist;
		reason(r, "check.levenshtein.yes", "distance", d, "max", m,
		    NULL);
	} else {
		reason(r, "check.levenshtein.no", "max", m, NULL);
	}
}

/* rouge-n, bleu. */
static void eval_score(const struct check *c, const struct check_outcome *o,
    struct check_result *r)
{
	const char *ref;
	size_t rn;
	char s[24], m[24], n[8];
	double score;
	int fact;

	if (reference(c, o, &ref, &rn, r) != 0)
		return;
	score = c->type == CHECK_BLEU ?
	    tm_bleu(o->output, o->output_len, ref, rn) :
	    tm_rouge_n(o->output, o->output_len, ref, rn, c->n);
	/* Compared at the precision shown, so "0.50 >= 0.50" passes. */
	fact = score >= c->min_score - 1e-9;
	r->has_measure = 1;
	r->measure = score;
	snprintf(s, sizeof(s), "%.3f", score);
	snprintf(m, sizeof(m), "%.3f", c->min_score);
	snprintf(n, sizeof(n), "%d", c->n);
	decide(c, fact, r);
	if (c->type == CHECK_BLEU)
		reason(r, fact ? "check.bleu.yes" : "check.bleu.no", "score", s,
		    "min", m, NULL);
	else
		reason(r, fact ? "check.rouge_n.yes" : "check.rouge_n.no", "n",
		    n, "score", s, "min", m, NULL);
}

static void eval_word_count(const struct check *c,
    const struct check_outcome *o, struct check_result *r)
{
	size_t words = tm_word_count(o->output, o->output_len);
	struct buf range = { 0 };
	char w[24], lo[24], hi[24];
	int fact = (!c->has_min || (int64_t)words >= c->min) &&
	    (!c->has_max || (int64_t)words <= c->max);

	snprintf(w, sizeof(w), "%zu", words);
	snprintf(lo, sizeof(lo), "%lld", (long long)c->min);
	snprintf(hi, sizeof(hi), "%lld", (long long)c->max);
	msg_fmt(&range, c->has_min && c->has_max ? "check.range.both" :
	    c->has_min ? "check.range.min" : "check.range.max", "min", lo,
	    "max", hi, NULL);
	r->has_measure = 1;
	r->measure = (double)words;
	decide(c, fact, r);
	reason(r, fact ? "check.word_count.yes" : "check.word_count.no",
	    "count", w, "range", range.data, NULL);
	buf_free(&range);
}

static void eval_limits(const struct check *c, const struct check_outcome *o,
    struct check_result *r)
{
	char v[MONEY_HUMAN_MAX], m[MONEY_HUMAN_MAX];
	int64_t got = c->type == CHECK_MAX_COST ? o->cost_micros :
	    o->latency_ms;
	int fact = got <= c->max;

	r->has_measure = 1;
	r->measure = (double)got;
	decide(c, fact, r);
	if (c->type == CHECK_MAX_COST) {
		money_micros(got, v, sizeof(v));
		money_micros(c->max, m, sizeof(m));
		reason(r, fact ? "check.max_cost.yes" : "check.max_cost.no",
		    "cost", v, "max", m, NULL);
	} else {
		snprintf(v, sizeof(v), "%lld", (long long)got);
		snprintf(m, sizeof(m), "%lld", (long long)c->max);
		reason(r, fact ? "check.max_latency.yes" :
		    "check.max_latency.no", "ms", v, "max", m, NULL);
	}
}

static void eval_finish(const struct check *c, const struct check_outcome *o,
    struct check_result *r)
{
	const char *got = o->finish_reason ? o->finish_reason : "";
	char q[SNIP_MAX + 8], g[SNIP_MAX + 8];
	int fact = strcmp(got, c->text) == 0;

	decide(c, fact, r);
	snip(c->text, c->text_len, q);
	if (fact)
		reason(r, "check.finish_reason.yes", "value", q, NULL);
	else if (*got == '\0')
		reason(r, "check.finish_reason.none", "value", q, NULL);
	else
		reason(r, "check.finish_reason.no", "value", q, "actual",
		    snip(got, strlen(got), g), NULL);
}

void check_eval(const struct check *c, const struct check_outcome *o,
    struct check_result *r)
{
	memset(r, 0, sizeof(*r));
	switch (c->type) {
	case CHECK_EQUALS:
		eval_equals(c, o, r);
		break;
	case CHECK_CONTAINS:
	case CHECK_ICONTAINS:
	case CHECK_STARTS_WITH:
		eval_text(c, o, r);
		break;
	case CHECK_CONTAINS_ANY:
	case CHECK_CONTAINS_ALL:
		eval_values(c, o, r);
		break;
	case CHECK_REGEX:
		eval_regex(c, o, r);
		break;
	case CHECK_IS_JSON:
	case CHECK_JSON_SCHEMA:
		eval_json(c, o, r);
		break;
	case CHECK_CONTAINS_JSON:
		eval_contains_json(c, o, r);
		break;
	case CHECK_LEVENSHTEIN:
		eval_levenshtein(c, o, r);
		break;
	case CHECK_ROUGE_N:
	case CHECK_BLEU:
		eval_score(c, o, r);
		break;
	case CHECK_WORD_COUNT:
		eval_word_count(c, o, r);
		break;
	case CHECK_MAX_COST:
	case CHECK_MAX_LATENCY:
		eval_limits(c, o, r);
		break;
	case CHECK_FINISH_REASON:
		eval_finish(c, o, r);
		break;
	case CHECK_RUBRIC:
		r->state = CHECK_NEEDS_JUDGE;
		break;
	default:
		r->state = CHECK_ERROR;
		reason(r, "check.unknown", NULL);
		break;
	}
}

void check_judged(const struct check *c, int pass, const char *why,
    struct check_result *r)
{
	memset(r, 0, sizeof(*r));
	decide(c, pass, r);
	reason(r, pass ? "check.rubric.yes" : "check.rubric.no", "reason",
	    why && *why ? why : msg_get("judge.no_reason"), NULL);
}

void check_errored(struct check_result *r, const char *key,
    const char *why)
{
	memset(r, 0, sizeof(*r));
	r->state = CHECK_ERROR;
	reason(r, key, "reason", why ? why : "", NULL);
}

void checks_score(const struct checks *cs, const struct check_result *rs,
    int has_threshold, double threshold, struct check_score *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < cs->n; i++) {
		double w = cs->v[i].weight;

		out->total_weight += w;
		switch (rs[i].state) {
		case CHECK_PASS:
			out->passed++;
			out->passed_weight += w;
			break;
		case CHECK_FAIL:
			out->failed++;
			break;
		case CHECK_ERROR:
			out->errors++;
			break;
		default:
			out->pending++;
			break;
		}
	}
	out->score = out->total_weight > 0 ?
	    out->passed_weight / out->total_weight : 1.0;
	if (out->errors > 0 || out->pending > 0)
		out->pass = 0;
	else if (has_threshold)
		out->pass = out->score >= threshold - 1e-9;
	else
		out->pass = out->passed == cs->n;
}
