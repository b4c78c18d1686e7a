/* fuzz_vars.c - libFuzzer harness for prompt variables: vars_scan() of
 * message texts, vars_normalize_decls() of declarations, vars_coerce() of
 * form values and vars_render(), on any bytes.
 *
 * Input: DECLS NUL FORM NUL MESSAGE [NUL MESSAGE]... (up to 6 messages);
 * DECLS and FORM are read with json_parse_strict() (anything else counts
 * as absent: no declarations, an empty form).
 *
 * Properties: scanning with and without a names array agrees; a function
 * fails exactly when it appended errors, never more than VARS_ERRORS_MAX;
 * normalised declarations (one per name) normalise to themselves; when
 * every message scans, the declarations normalise and the form coerces,
 * every message renders; a failed render leaves the output as it was. */
#include "fuzz.h"

#include "buf.h"
#include "jsonx.h"
#include "vars.h"

#define MAXPARTS 8

static const int flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;

/* The part as a JSON document, or NULL. */
static struct json_object *parse(const struct fuzz_part *p)
{
	struct json_error e;
	char *s = fuzz_strndup(p->s, p->n);
	struct json_object *o = json_parse_strict(s, p->n, &e);

	free(s);
	return o;
}

/* Whether a call that returned rc agrees with the errors it appended to
 * errs (which held before errors on entry). */
static int agrees(int rc, const struct vars_errors *errs, size_t before,
    int truncated_before)
{
	int appended = errs->n > before || errs->truncated;

	if (errs->n > VARS_ERRORS_MAX || (rc != 0 && rc != PM_INVALID))
		return 0;
	/* A full list takes no more errors: a failure may then add none. */
	return truncated_before || (rc == PM_INVALID) == appended;
}

static int same_json(struct json_object *a, struct json_object *b)
{
	return strcmp(json_object_to_json_string_ext(a, flags),
	    json_object_to_json_string_ext(b, flags)) == 0;
}

/* Render message i with decls and values; check the output contract. */
static int render(const struct fuzz_part *m, int i, struct json_object *decls,
    struct json_object *values, struct vars_errors *errs)
{
	struct buf out = { 0 };
	size_t before = errs->n;
	int rc;

	buf_puts(&out, "kept");
	rc = vars_render(m->s, m->n, decls, values, i, &out, errs);
	FUZZ_ASSERT(rc == 0 || rc == PM_INVALID);
	FUZZ_ASSERT(errs->n <= VARS_ERRORS_MAX);
	if (rc == 0)
		FUZZ_ASSERT(errs->n == before);
	else
		FUZZ_ASSERT(out.len == 4 && strcmp(out.data, "kept") == 0);
	FUZZ_ASSERT(out.len >= 4 && memcmp(out.data, "kept", 4) == 0);
	buf_free(&out);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part part[MAXPARTS];
	size_t n = fuzz_split(data, size, part, MAXPARTS), i, before;
	struct vars_errors errs = { 0 }, errs2 = { 0 };
	struct json_object *names, *decls_in, *form, *decls = NULL, *decls2;
	struct json_object *values = NULL, *ej;
	int rc, rc_bare, scanned = 1, tb;

	if (n < 3)
		return 0;
	names = json_object_new_array();
	for (i = 2; i < n; i++) {
		before = errs.n;
		tb = errs.truncated;
		rc = vars_scan(part[i].s, part[i].n, (int)i - 2, names, &errs);
		FUZZ_ASSERT(agrees(rc, &errs, before, tb));
		rc_bare = vars_scan(part[i].s, part[i].n, (int)i - 2, NULL,
		    &errs2);
		FUZZ_ASSERT(rc == rc_bare);
		if (rc != 0)
			scanned = 0;
	}
	for (i = 0; i < json_object_array_length(names); i++) {
		const char *s = json_object_get_string(
		    json_object_array_get_idx(names, i));

		FUZZ_ASSERT(vars_name_valid(s, strlen(s)));
	}

	decls_in = parse(&part[0]);
	form = parse(&part[1]);
	before = errs.n;
	tb = errs.truncated;
	rc = vars_normalize_decls(names, decls_in, &decls, &errs);
	FUZZ_ASSERT(agrees(rc, &errs, before, tb));
	FUZZ_ASSERT((rc == 0) == (decls != NULL));
	if (rc == 0) {
		FUZZ_ASSERT(json_object_array_length(decls) ==
		    json_object_array_length(names));
		vars_errors_free(&errs2);
		rc = vars_normalize_decls(names, decls, &decls2, &errs2);
		if (rc != 0)
			fprintf(stderr, "renormalising %s: %s\n",
			    json_object_to_json_string_ext(decls, flags),
			    json_object_to_json_string_ext(
			    vars_errors_json(&errs2), flags));
		FUZZ_ASSERT(rc == 0);
		FUZZ_ASSERT(same_json(decls, decls2));
		json_object_put(decls2);

		before = errs.n;
		tb = errs.truncated;
		rc = vars_coerce(decls, form, &values, &errs);
		FUZZ_ASSERT(agrees(rc, &errs, before, tb));
		FUZZ_ASSERT((rc == 0) == (values != NULL));
		for (i = 2; i < n; i++) {
			rc_bare = render(&part[i], (int)i - 2, decls,
			    values ? values : form, &errs);
			if (scanned && values != NULL)
				FUZZ_ASSERT(rc_bare == 0);
		}
	} else
		for (i = 2; i < n; i++)
			(void)render(&part[i], (int)i - 2, decls_in, form, &errs);

	ej = vars_errors_json(&errs);
	FUZZ_ASSERT(json_object_array_length(ej) == errs.n);
	json_object_put(ej);
	json_object_put(values);
	json_object_put(decls);
	json_object_put(form);
	json_object_put(decls_in);
	json_object_put(names);
	vars_errors_free(&errs2);
	vars_errors_free(&errs);
	return 0;
}
