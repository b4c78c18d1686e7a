/* checks.c - the check types, parsing and validating a checks array, its
 * normalised JSON, and freeing (checks.h). Evaluation is check_eval.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_json.h"
#include "checks.h"
#include "json_schema.h"
#include "jsonx.h"
#include "msg.h"
#include "util.h"

/* The fields a type takes. */
enum {
	F_VALUE = 1 << 0,	/* "value" text */
	F_VALUE_ANY = 1 << 1,	/* "value" any JSON (equals) */
	F_JSON = 1 << 2,	/* "json" boolean */
	F_VALUES = 1 << 3,	/* "values" texts */
	F_ICASE = 1 << 4,	/* "ignore_case" boolean */
	F_PATTERN = 1 << 5,	/* "pattern" */
	F_SCHEMA = 1 << 6,	/* "schema" */
	F_MIN_INT = 1 << 7,	/* "min" integer >= 0 */
	F_MAX_INT = 1 << 8,	/* "max" integer >= 0 */
	F_MIN_SCORE = 1 << 9,	/* "min" 0..1 */
	F_N = 1 << 10,		/* "n" 1..4 */
	F_RUBRIC = 1 << 11	/* "rubric" text */
};

/* Whether the type's text defaults to the sample's expected output. */
#define DEFAULTS_EXPECTED	1
#define REQUIRED		2

static const struct type_def {
	const char	*name;
	unsigned	 fields;
	unsigned	 required;	/* fields that must be given */
	int		 text_use;	/* DEFAULTS_EXPECTED, REQUIRED, 0 */
} defs[CHECK__MAX] = {
	[CHECK_EQUALS] = { "equals", F_VALUE_ANY | F_JSON, 0,
	    DEFAULTS_EXPECTED },
	[CHECK_CONTAINS] = { "contains", F_VALUE, 0, REQUIRED },
	[CHECK_ICONTAINS] = { "icontains", F_VALUE, 0, REQUIRED },
	[CHECK_CONTAINS_ANY] = { "contains-any", F_VALUES | F_ICASE,
	    F_VALUES, 0 },
	[CHECK_CONTAINS_ALL] = { "contains-all", F_VALUES | F_ICASE,
	    F_VALUES, 0 },
	[CHECK_STARTS_WITH] = { "starts-with", F_VALUE, 0, REQUIRED },
	[CHECK_REGEX] = { "regex", F_PATTERN | F_ICASE, F_PATTERN, 0 },
	[CHECK_IS_JSON] = { "is-json", F_SCHEMA, 0, 0 },
	[CHECK_CONTAINS_JSON] = { "contains-json", F_SCHEMA, 0, 0 },
	[CHECK_JSON_SCHEMA] = { "json-schema", F_SCHEMA, F_SCHEMA, 0 },
	[CHECK_LEVENSHTEIN] = { "levenshtein", F_VALUE | F_MAX_INT, F_MAX_INT,
	    DEFAULTS_EXPECTED },
	[CHECK_ROUGE_N] = { "rouge-n", F_VALUE | F_MIN_SCORE | F_N,
	    F_MIN_SCORE, DEFAULTS_EXPECTED },
	[CHECK_BLEU] = { "bleu", F_VALUE | F_MIN_SCORE, F_MIN_SCORE,
	    DEFAULTS_EXPECTED },
	[CHECK_WORD_COUNT] = { "word-count", F_MIN_INT | F_MAX_INT, 0, 0 },
	[CHECK_MAX_COST] = { "max-cost", F_MAX_INT, F_MAX_INT, 0 },
	[CHECK_MAX_LATENCY] = { "max-latency", F_MAX_INT, F_MAX_INT, 0 },
	[CHECK_FINISH_REASON] = { "finish-reason", F_VALUE, 0, REQUIRED },
	[CHECK_RUBRIC] = { "rubric", F_RUBRIC, F_RUBRIC, 0 },
};

/* The member name of each field bit. */
static const struct {
	unsigned	 bit;
	const char	*key;
} field_keys[] = {
	{ F_VALUE | F_VALUE_ANY, "value" }, { F_JSON, "json" },
	{ F_VALUES, "values" }, { F_ICASE, "ignore_case" },
	{ F_PATTERN, "pattern" }, { F_SCHEMA, "schema" },
	{ F_MIN_INT | F_MIN_SCORE, "min" }, { F_MAX_INT, "max" },
	{ F_N, "n" }, { F_RUBRIC, "rubric" },
};

const char *check_type_name(enum check_type t)
{
	return (int)t >= 0 && t < CHECK__MAX ? defs[t].name : "?";
}

int check_type_from_name(const char *s)
{
	int t;

	if (s == NULL)
		return -1;
	for (t = 0; t < CHECK__MAX; t++)
		if (strcmp(s, defs[t].name) == 0)
			return t;
	return -1;
}

/* The state of parsing one check: its position and type name, for the
 * sentences. */
struct pctx {
	struct pm_fail	*f;
	int		 n;
	const char	*type;
};

/* Refuse check p with key and an optional {reason}. Returns PM_INVALID. */
static int bad(const struct pctx *p, const char *key, const char *reason)
{
	pm_refuse(p->f, PM_INVALID, key, "checks");
	pm_fail_arg(p->f, "n", "%d", p->n);
	pm_fail_arg(p->f, "type", "%s", p->type);
	if (reason != NULL)
		pm_fail_arg(p->f, "reason", "%s", reason);
	return PM_INVALID;
}

static void check_clear(struct check *c)
{
	size_t i;

	free(c->text);
	for (i = 0; i < c->nvalues; i++)
		free(c->values[i]);
	free(c->values);
	json_object_put(c->json);
	json_object_put(c->raw_value);
	if (c->re != NULL) {
		regfree(c->re);
		free(c->re);
	}
	free(c->pattern);
	memset(c, 0, sizeof(*c));
}

void checks_free(struct checks *cs)
{
	size_t i;

	if (cs == NULL)
		return;
	for (i = 0; i < cs->n; i++)
		check_clear(&cs->v[i]);
	free(cs->v);
	cs->v = NULL;
	cs->n = 0;
}

/* A text field: a string of 1..max bytes of valid text. Returns 0 with a
 * copy in *out (caller frees) or PM_INVALID. */
static int text_of(const struct pctx *p, json_object *v, const char *key,
    size_t max, char **out, size_t *len)
{
	const char *s;
	size_t n;

	if (!json_object_is_type(v, json_type_string))
		return bad(p, "checks.field_type", key);
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (n == 0)
		return bad(p, "checks.text_required", key);
	if (n > max)
		return bad(p, "checks.text_too_long", key);
	if (!text_valid(s, n))
		return bad(p, "checks.field_type", key);
	*out = xstrndup(s, n);
	if (len != NULL)
		*len = n;
	return 0;
}

/* An integer >= 0 (a whole double too). */
static int count_of(const struct pctx *p, json_object *v, const char *key,
    int64_t *out)
{
	double d;

	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
	} else if (json_object_is_type(v, json_type_double)) {
		d = json_object_get_double(v);
		if (!isfinite(d) || floor(d) != d || d > 9e15 || d < 0)
			return bad(p, "checks.range", key);
		*out = (int64_t)d;
	} else {
		return bad(p, "checks.range", key);
	}
	return *out < 0 ? bad(p, "checks.range", key) : 0;
}

static int bool_of(const struct pctx *p, json_object *v, const char *key,
    int *out)
{
	if (!json_object_is_type(v, json_type_boolean))
		return bad(p, "checks.field_type", key);
	*out = json_object_get_boolean(v);
	return 0;
}

static int values_of(const struct pctx *p, json_object *v, struct check *c)
{
	size_t i, n;

	if (!json_object_is_type(v, json_type_array))
		return bad(p, "checks.values", NULL);
	n = json_object_array_length(v);
	if (n == 0 || n > CHECK_VALUES_MAX)
		return bad(p, "checks.values", NULL);
	c->values = xcalloc(n, sizeof(*c->values));
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);

		if (!json_object_is_type(e, json_type_string) ||
		    json_object_get_string_len(e) == 0 ||
		    json_object_get_string_len(e) > CHECK_TEXT_MAX ||
		    !text_valid(json_object_get_string(e),
		    (size_t)json_object_get_string_len(e)))
			return bad(p, "checks.values", NULL);
		c->values[i] = xstrdup(json_object_get_string(e));
		c->nvalues = i + 1;
	}
	return 0;
}

/* Whether the pattern is cheap enough to compile and run: no
 * back-reference (\\1..\\9, which glibc matches by backtracking), no
 * quantifier right after another ("a++", "a*{2}": glibc's compilation of
 * such stacks grows exponentially), and the product of the bounds of its
 * {m,n} repetitions at most CHECK_REPEAT_MAX (glibc copies a bounded
 * repetition's node that many times, nested ones multiply). Bracket
 * expressions are skipped. */
#define CHECK_REPEAT_MAX	10000
static int pattern_cheap(const char *s)
{
	double product = 1;
	long bound;
	char *end;
	int after_quantifier = 0, q;

	for (; *s; s++) {
		q = 0;
		if (*s == '\\') {
			if (s[1] >= '1' && s[1] <= '9')
				return 0;
			if (s[1] != '\0')
				s++;
		} else if (*s == '[') {
			/* skip to the closing ], which may come first */
			s += s[1] == '^' ? 2 : 1;
			if (*s == ']')
				s++;
			while (*s && *s != ']')
				s++;
			if (*s == '\0')
				return 1;	/* regcomp refuses it */
		} else if (*s == '*' || *s == '+' || *s == '?') {
			q = 1;
		} else if (*s == '{') {
			q = 1;
			bound = strtol(s + 1, &end, 10);
			if (*end == ',')
				bound = end[1] == '}' ? bound :
				    strtol(end + 1, &end, 10);
			if (bound > 1)
				product *= (double)bound;
			if (product > CHECK_REPEAT_MAX)
				return 0;
			while (*s && *s != '}')
				s++;
			if (*s == '\0')
				return 1;
		}
		if (q && after_quantifier)
			return 0;
		after_quantifier = q;
	}
	return 1;
}

static int pattern_of(const struct pctx *p, json_object *v, struct check *c)
{
	char err[200];
	int rc;

	rc = text_of(p, v, "pattern", CHECK_PATTERN_MAX, &c->pattern, NULL);
	if (rc != 0)
		return rc;
	if (!pattern_cheap(c->pattern))
		return bad(p, "checks.regex_costly", NULL);
	c->re = xcalloc(1, sizeof(*c->re));
	rc = regcomp(c->re, c->pattern, REG_EXTENDED | REG_NOSUB |
	    (c->ignore_case ? REG_ICASE : 0));
	if (rc != 0) {
		regerror(rc, c->re, err, sizeof(err));
		free(c->re);
		c->re = NULL;
		return bad(p, "checks.bad_regex", err);
	}
	return 0;
}

static int schema_of(const struct pctx *p, json_object *v, struct check *c)
{
	struct buf why = { 0 };

	if (json_schema_check(v, &why) != 0) {
		bad(p, "checks.bad_schema", why.data);
		buf_free(&why);
		return PM_INVALID;
	}
	if (json_object_deep_copy(v, &c->json, NULL) != 0)
		return bad(p, "checks.bad_schema", NULL);
	return 0;
}

/* equals: text, or JSON when the value is not a string or "json" is
 * true. */
static int equals_value(const struct pctx *p, json_object *v, const char
    *expected, struct check *c)
{
	struct json_error e;
	const char *src;

	if (v != NULL && !json_object_is_type(v, json_type_string)) {
		c->json_mode = 1;
		if (json_object_deep_copy(v, &c->json, NULL) != 0)
			return bad(p, "checks.bad_json", NULL);
		json_object_deep_copy(v, &c->raw_value, NULL);
		return 0;
	}
	if (v != NULL) {
		if (json_object_get_string_len(v) > CHECK_TEXT_MAX)
			return bad(p, "checks.text_too_long", "value");
		if (!text_valid(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v)))
			return bad(p, "checks.field_type", "value");
		c->text = xstrdup(json_object_get_string(v));
		c->text_len = (size_t)json_object_get_string_len(v);
	} else if (expected == NULL) {
		return bad(p, "checks.needs_expected", NULL);
	}
	if (!c->json_mode)
		return 0;
	src = c->text ? c->text : expected;
	if (check_json_parse(src, strlen(src), &c->json, &e) != 0)
		return bad(p, c->text ? "checks.bad_json" :
		    "checks.expected_not_json", e.detail);
	if (c->text == NULL) {
		/* Parsed again from the expected output at evaluation. */
		json_object_put(c->json);
		c->json = NULL;
	} else {
		c->raw_value = json_object_new_string(c->text);
	}
	return 0;
}

static int weight_of(const struct pctx *p, json_object *v, double *w)
{
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		return bad(p, "checks.weight", NULL);
	*w = json_object_get_double(v);
	if (!isfinite(*w) || *w <= 0 || *w > CHECK_WEIGHT_MAX)
		return bad(p, "checks.weight", NULL);
	return 0;
}

static int score_of(const struct pctx *p, json_object *v, double *out)
{
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		return bad(p, "checks.range", "min");
	*out = json_object_get_double(v);
	if (!isfinite(*out) || *out < 0 || *out > 1)
		return bad(p, "checks.range", "min");
	return 0;
}

/* Whether key is a field of def (given its bits). */
static unsigned field_bit(const struct type_def *def, const char *key)
{
	size_t i;

	for (i = 0; i < NELEM(field_keys); i++)
		if (strcmp(key, field_keys[i].key) == 0)
			return def->fields & field_keys[i].bit;
	return 0;
}

/* The fields of c from the object o, once the type is known. */
static int fields_of(const struct pctx *p, json_object *o,
    const char *expected, struct check *c)
{
	const struct type_def *def = &defs[c->type];
	json_object *v;
	int rc = 0;

	json_object_object_foreach(o, key, val) {
		if (strcmp(key, "type") == 0)
			continue;
		if (strcmp(key, "not") == 0)
			rc = bool_of(p, val, key, &c->negate);
		else if (strcmp(key, "weight") == 0)
			rc = weight_of(p, val, &c->weight);
		else if (!field_bit(def, key))
			rc = bad(p, "checks.field_unknown", key);
		if (rc != 0)
			return rc;
	}
	/* Order matters: ignore_case before the pattern, json before the
	 * value. */
	if ((v = json_member(o, "ignore_case")) != NULL &&
	    (rc = bool_of(p, v, "ignore_case", &c->ignore_case)) != 0)
		return rc;
	if ((v = json_member(o, "json")) != NULL &&
	    (rc = bool_of(p, v, "json", &c->json_mode)) != 0)
		return rc;
	v = json_member(o, "value");
	if (def->fields & F_VALUE_ANY) {
		rc = equals_value(p, v, expected, c);
	} else if (v != NULL) {
		rc = text_of(p, v, "value", CHECK_TEXT_MAX, &c->text,
		    &c->text_len);
	} else if (def->text_use == REQUIRED) {
		rc = bad(p, "checks.text_required", "value");
	} else if (def->text_use == DEFAULTS_EXPECTED && expected == NULL) {
		rc = bad(p, "checks.needs_expected", NULL);
	}
	if (rc != 0)
		return rc;
	if ((v = json_member(o, "values")) != NULL) {
		if ((rc = values_of(p, v, c)) != 0)
			return rc;
	} else if (def->required & F_VALUES) {
		return bad(p, "checks.values", NULL);
	}
	if ((v = json_member(o, "pattern")) != NULL) {
		if ((rc = pattern_of(p, v, c)) != 0)
			return rc;
	} else if (def->required & F_PATTERN) {
		return bad(p, "checks.text_required", "pattern");
	}
	if ((v = json_member(o, "schema")) != NULL) {
		if ((rc = schema_of(p, v, c)) != 0)
			return rc;
	} else if (def->required & F_SCHEMA) {
		return bad(p, "checks.text_required", "schema");
	}
	if ((v = json_member(o, "rubric")) != NULL) {
		if ((rc = text_of(p, v, "rubric", CHECK_TEXT_MAX, &c->text,
		    &c->text_len)) != 0)
			return rc;
	} else if (def->required & F_RUBRIC) {
		return bad(p, "checks.text_required", "rubric");
	}
	if ((v = json_member(o, "min")) != NULL) {
		if (def->fields & F_MIN_SCORE)
			rc = score_of(p, v, &c->min_score);
		else
			rc = count_of(p, v, "min", &c->min);
		if (rc != 0)
			return rc;
		c->has_min = 1;
	} else if (def->required & F_MIN_SCORE) {
		return bad(p, "checks.range", "min");
	}
	if ((v = json_member(o, "max")) != NULL) {
		if ((rc = count_of(p, v, "max", &c->max)) != 0)
			return rc;
		c->has_max = 1;
	} else if (def->required & F_MAX_INT) {
		return bad(p, "checks.range", "max");
	}
	if (c->type == CHECK_WORD_COUNT && ((!c->has_min && !c->has_max) ||
	    (c->has_min && c->has_max && c->min > c->max)))
		return bad(p, "checks.range", "min");
	c->n = 1;
	if ((v = json_member(o, "n")) != NULL) {
		if (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < 1 || json_object_get_int64(v) > 4)
			return bad(p, "checks.n", NULL);
		c->n = (int)json_object_get_int64(v);
	}
	return 0;
}

/* Parse the check o at position n (1-based) into c. */
static int parse_one(json_object *o, int n, const char *expected,
    struct check *c, struct pm_fail *f)
{
	struct pctx p = { f, n, "?" };
	json_object *t;
	int type;

	memset(c, 0, sizeof(*c));
	c->weight = 1;
	if (!json_object_is_type(o, json_type_object))
		return bad(&p, "checks.not_object", NULL);
	t = json_member(o, "type");
	if (t == NULL || !json_object_is_type(t, json_type_string))
		return bad(&p, "checks.type_missing", NULL);
	type = check_type_from_name(json_object_get_string(t));
	if (type < 0)
		return bad(&p, "checks.type_unknown", json_object_get_string(t));
	c->type = (enum check_type)type;
	p.type = defs[type].name;
	return fields_of(&p, o, expected, c);
}

int checks_parse(json_object *arr, const char *expected, struct checks *out,
    struct pm_fail *f)
{
	size_t i, n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!json_object_is_type(arr, json_type_array))
		return pm_refuse(f, PM_INVALID, "checks.not_array", "checks");
	n = json_object_array_length(arr);
	if (n == 0)
		return pm_refuse(f, PM_INVALID, "checks.empty", "checks");
	if (n > CHECKS_MAX)
		return pm_refuse(f, PM_INVALID, "checks.too_many", "checks");
	out->v = xcalloc(n, sizeof(*out->v));
	for (i = 0; i < n; i++) {
		rc = parse_one(json_object_array_get_idx(arr, i), (int)i + 1,
		    expected, &out->v[i], f);
		out->n = i + 1;
		if (rc != 0) {
			checks_free(out);
			return rc;
		}
	}
	return 0;
}

int checks_have_rubric(const struct checks *cs)
{
	size_t i;

	for (i = 0; i < cs->n; i++)
		if (cs->v[i].type == CHECK_RUBRIC)
			return 1;
	return 0;
}

/* A number written as an integer when it is one. */
static json_object *number(double d)
{
	if (floor(d) == d && fabs(d) < 9e15)
		return json_object_new_int64((int64_t)d);
	return json_new_double(d);
}

static json_object *strings(char *const *v, size_t n)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

/* The fields of c as members of o. */
static void fields_json(const struct check *c, json_object *o)
{
	json_object *copy = NULL;

	if (c->type == CHECK_RUBRIC)
		json_object_object_add(o, "rubric",
		    json_object_new_string_len(c->text, (int)c->text_len));
	else if (c->type == CHECK_EQUALS && c->raw_value != NULL &&
	    json_object_deep_copy(c->raw_value, &copy, NULL) == 0)
		json_object_object_add(o, "value", copy);
	else if (c->text != NULL)
		json_object_object_add(o, "value",
		    json_object_new_string_len(c->text, (int)c->text_len));
	if (c->type == CHECK_EQUALS && c->json_mode)
		json_object_object_add(o, "json", json_object_new_boolean(1));
	if (c->nvalues > 0)
		json_object_object_add(o, "values", strings(c->values,
		    c->nvalues));
	if (c->pattern != NULL)
		json_object_object_add(o, "pattern",
		    json_object_new_string(c->pattern));
	if (c->ignore_case)
		json_object_object_add(o, "ignore_case",
		    json_object_new_boolean(1));
	copy = NULL;
	if (c->type != CHECK_EQUALS && c->json != NULL &&
	    json_object_deep_copy(c->json, &copy, NULL) == 0)
		json_object_object_add(o, "schema", copy);
	if (c->type == CHECK_ROUGE_N || c->type == CHECK_BLEU)
		json_object_object_add(o, "min", number(c->min_score));
	else if (c->has_min)
		json_object_object_add(o, "min", json_object_new_int64(c->min));
	if (c->has_max)
		json_object_object_add(o, "max", json_object_new_int64(c->max));
	if (c->type == CHECK_ROUGE_N)
		json_object_object_add(o, "n", json_object_new_int(c->n));
}

json_object *checks_to_json(const struct checks *cs)
{
	json_object *a = json_object_new_array(), *o;
	size_t i;

	for (i = 0; i < cs->n; i++) {
		const struct check *c = &cs->v[i];

		o = json_object_new_object();
		json_object_object_add(o, "type",
		    json_object_new_string(defs[c->type].name));
		json_object_object_add(o, "not",
		    json_object_new_boolean(c->negate));
		json_object_object_add(o, "weight", number(c->weight));
		fields_json(c, o);
		json_object_array_add(a, o);
	}
	return a;
}
