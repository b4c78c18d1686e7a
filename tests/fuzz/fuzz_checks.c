/* fuzz_checks.c - libFuzzer harness for golden-sample checks: parsing a
 * checks array, evaluating every check against an output, the score, and
 * reading a judge's answer, on any bytes.
 *
 * Input: CHECKS NUL EXPECTED NUL OUTPUT [NUL FINISH_REASON]; CHECKS is
 * read with json_parse_strict() (anything else is skipped); an empty
 * EXPECTED means none. A CHECKS that is an object is checked as a whole
 * sample instead (sample_rules.h, without a database).
 *
 * Properties: checks_parse succeeds or refuses with a sentence and leaves
 * nothing behind; the normalised JSON parses again to the same JSON; every
 * result is a known state with a NUL-terminated UTF-8 reason, and only a
 * rubric needs the judge; the score is within 0..1 and the pass agrees
 * with the states; the judge reader accepts exactly PASS/FAIL lines and
 * gives a valid UTF-8 reason; Levenshtein is symmetric; a sample's fields
 * are accepted with normalised checks that parse again, or refused with
 * a sentence and nothing kept. */
#include "fuzz.h"

#include "buf.h"
#include "checks.h"
#include "judge.h"
#include "jsonx.h"
#include "msg.h"
#include "sample_rules.h"
#include "text_metrics.h"
#include "util.h"

#ifndef FUZZ_TEMPLATES_DIR
#define FUZZ_TEMPLATES_DIR "templates"
#endif

static const int flags = JSON_C_TO_STRING_PLAIN |
    JSON_C_TO_STRING_NOSLASHESCAPE;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct buf err = { 0 };

	(void)argc;
	(void)argv;
	if (msg_load(FUZZ_TEMPLATES_DIR, "en", &err) != 0) {
		fprintf(stderr, "fuzz_checks: %s\n", buf_cstr(&err));
		exit(1);
	}
	buf_free(&err);
	return 0;
}

/* Evaluate every check of cs on o and check the results. */
static void evaluate(const struct checks *cs, const struct check_outcome *o)
{
	struct check_result *r = xcalloc(cs->n, sizeof(*r));
	struct check_score sc;
	size_t i;

	for (i = 0; i < cs->n; i++) {
		check_eval(&cs->v[i], o, &r[i]);
		FUZZ_ASSERT(r[i].state >= CHECK_PASS &&
		    r[i].state <= CHECK_NEEDS_JUDGE);
		FUZZ_ASSERT(memchr(r[i].reason, '\0', sizeof(r[i].reason)));
		FUZZ_ASSERT(utf8_valid(r[i].reason, strlen(r[i].reason)));
		FUZZ_ASSERT((r[i].state == CHECK_NEEDS_JUDGE) ==
		    (cs->v[i].type == CHECK_RUBRIC));
		if (r[i].state == CHECK_NEEDS_JUDGE)
			check_judged(&cs->v[i], (int)(i % 2), "reason", &r[i]);
		else
			FUZZ_ASSERT(r[i].reason[0] != '\0');
	}
	checks_score(cs, r, 0, 0, &sc);
	FUZZ_ASSERT(sc.score >= 0 && sc.score <= 1.0 + 1e-9);
	FUZZ_ASSERT(sc.passed + sc.failed + sc.errors + sc.pending == cs->n);
	FUZZ_ASSERT(sc.pass == (sc.passed == cs->n));
	checks_score(cs, r, 1, 0, &sc);
	FUZZ_ASSERT(sc.pass == (sc.errors == 0 && sc.pending == 0));
	free(r);
}

static void judge(const char *s, size_t n)
{
	struct judge_verdict v;
	struct buf why = { 0 };
	int rc = judge_parse(s, n, &v, &why);

	FUZZ_ASSERT(rc == 0 || rc == -1);
	if (rc == 0) {
		FUZZ_ASSERT(why.len == 0);
		FUZZ_ASSERT(v.pass == 0 || v.pass == 1);
		FUZZ_ASSERT(strlen(v.reason) <= JUDGE_REASON_MAX);
		FUZZ_ASSERT(utf8_valid(v.reason, strlen(v.reason)));
	} else {
		FUZZ_ASSERT(why.len > 0);
		FUZZ_ASSERT(utf8_valid(why.data, why.len));
	}
	buf_free(&why);
}

/* Check the object o as a whole sample. */
static void sample(json_object *o, int importing)
{
	struct sample_fields sf;
	struct pm_fail f = { 0 };
	struct checks cs;
	struct json_error e;
	struct buf text = { 0 };
	json_object *arr;
	int rc = sample_fields_check(NULL, o, importing, &sf, &f);

	FUZZ_ASSERT(rc == 0 || rc == PM_INVALID || rc == PM_TOOBIG);
	if (rc != 0) {
		FUZZ_ASSERT(sf.checks == NULL && sf.variables == NULL);
		pm_fail_text(rc, &f, &text);
		FUZZ_ASSERT(text.len > 0);
		pm_fail_clear(&f);
		buf_free(&text);
		return;
	}
	FUZZ_ASSERT(sf.name != NULL && sf.variables != NULL);
	arr = json_parse_strict(sf.checks, strlen(sf.checks), &e);
	FUZZ_ASSERT(arr != NULL);
	FUZZ_ASSERT(checks_parse(arr, sf.expected, &cs, &f) == 0);
	FUZZ_ASSERT(checks_have_rubric(&cs) == sf.has_rubric);
	FUZZ_ASSERT(!sf.has_rubric || sf.judge_model != NULL);
	checks_free(&cs);
	json_object_put(arr);
	sample_fields_free(&sf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part part[4];
	size_t n = fuzz_split(data, size, part, 4);
	struct checks cs, cs2;
	struct pm_fail f = { 0 };
	struct json_error e;
	struct check_outcome o = { 0 };
	struct buf text = { 0 };
	char *src, *expected = NULL, *finish = NULL;
	json_object *arr, *norm, *norm2;
	int rc;

	if (n < 3)
		return 0;
	judge(part[2].s, part[2].n);
	if (part[2].n < 200 && part[1].n < 200)
		FUZZ_ASSERT(tm_levenshtein(part[1].s, part[1].n, part[2].s,
		    part[2].n, 50) == tm_levenshtein(part[2].s, part[2].n,
		    part[1].s, part[1].n, 50));
	src = fuzz_strndup(part[0].s, part[0].n);
	arr = json_parse_strict(src, part[0].n, &e);
	free(src);
	if (arr == NULL)
		return 0;
	if (json_object_is_type(arr, json_type_object)) {
		sample(arr, part[1].n % 2);
		json_object_put(arr);
		return 0;
	}
	if (part[1].n > 0)
		expected = fuzz_strndup(part[1].s, part[1].n);
	rc = checks_parse(arr, expected, &cs, &f);
	FUZZ_ASSERT(rc == 0 || rc == PM_INVALID);
	if (rc != 0) {
		FUZZ_ASSERT(cs.v == NULL && cs.n == 0 && f.key != NULL);
		pm_fail_text(rc, &f, &text);
		FUZZ_ASSERT(text.len > 0);
		goto out;
	}
	FUZZ_ASSERT(cs.n >= 1 && cs.n <= CHECKS_MAX);
	norm = checks_to_json(&cs);
	FUZZ_ASSERT(checks_parse(norm, expected, &cs2, &f) == 0);
	norm2 = checks_to_json(&cs2);
	FUZZ_ASSERT(strcmp(json_to_text(norm, flags, NULL),
	    json_to_text(norm2, flags, NULL)) == 0);
	json_object_put(norm);
	json_object_put(norm2);
	checks_free(&cs2);
	if (n > 3)
		finish = fuzz_strndup(part[3].s, part[3].n);
	o.output = part[2].s;
	o.output_len = part[2].n;
	o.expected = expected;
	o.expected_len = expected ? part[1].n : 0;
	o.finish_reason = finish;
	o.cost_micros = (int64_t)part[2].n * 10;
	o.latency_ms = (int64_t)part[1].n;
	evaluate(&cs, &o);
	checks_free(&cs);
out:
	pm_fail_clear(&f);
	buf_free(&text);
	json_object_put(arr);
	free(expected);
	free(finish);
	return 0;
}
