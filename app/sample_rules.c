/* sample_rules.c - what a golden sample may hold: checking the fields of a
 * sample (samples.h) and normalising them for storage. */
#include <math.h>
#include <string.h>

#include "jsonx.h"
#include "models.h"
#include "prompts.h"
#include "sample_rules.h"
#include "util.h"
#include "vars.h"

static const char *const editable[] = {
	"name", "variables", "expected_output", "threshold", "judge_model",
	"checks"
};
/* Members of a sample as the API shows it: accepted and ignored in an
 * import file, so a listing can be imported as it is. */
static const char *const shown[] = {
	"id", "created_at", "updated_at", "created_from_execution_id"
};

static int listed(const char *k, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(k, list[i]) == 0)
			return 1;
	return 0;
}

void sample_fields_free(struct sample_fields *sf)
{
	if (sf == NULL)
		return;
	free(sf->variables);
	free(sf->checks);
	memset(sf, 0, sizeof(*sf));
}

static int name_rule(json_object *v, struct sample_fields *sf,
    struct pm_fail *f)
{
	int rc;

	if (v != NULL && !json_object_is_type(v, json_type_string))
		return pm_refuse(f, PM_INVALID, "samples.name_type", "name");
	rc = text_field_check(v ? json_object_get_string(v) : NULL,
	    SAMPLE_NAME_MAX, 1, f, "name", "samples.name_required",
	    "samples.name_too_long");
	if (rc == 0)
		sf->name = json_object_get_string(v);
	return rc;
}

/* An object of valid variable names with string, number or boolean
 * values. */
static int variables_rule(json_object *v, struct sample_fields *sf,
    struct pm_fail *f)
{
	size_t len;
	const char *text;

	if (v == NULL) {
		sf->variables = xstrdup("{}");
		return 0;
	}
	if (!json_object_is_type(v, json_type_object))
		return pm_refuse(f, PM_INVALID, "samples.variables_type",
		    "variables");
	json_object_object_foreach(v, k, val) {
		if (!vars_name_valid(k, strlen(k))) {
			pm_refuse(f, PM_INVALID, "samples.variable_name",
			    "variables");
			pm_fail_arg(f, "name", "%.64s", k);
			return PM_INVALID;
		}
		if (!json_object_is_type(val, json_type_string) &&
		    !json_object_is_type(val, json_type_int) &&
		    !json_object_is_type(val, json_type_double) &&
		    !json_object_is_type(val, json_type_boolean)) {
			pm_refuse(f, PM_INVALID, "samples.variable_value",
			    "variables");
			pm_fail_arg(f, "name", "%s", k);
			return PM_INVALID;
		}
	}
	text = json_to_text(v, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (len > SAMPLE_VARIABLES_MAX)
		return pm_refuse(f, PM_TOOBIG, "samples.variables_too_big",
		    "variables");
	sf->variables = xstrdup(text);
	return 0;
}

static int expected_rule(json_object *v, struct sample_fields *sf,
    struct pm_fail *f)
{
	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return pm_refuse(f, PM_INVALID, "samples.expected_type",
		    "expected_output");
	if ((size_t)json_object_get_string_len(v) > SAMPLE_EXPECTED_MAX)
		return pm_refuse(f, PM_TOOBIG, "samples.expected_too_long",
		    "expected_output");
	sf->expected = json_object_get_string(v);
	sf->expected_len = (size_t)json_object_get_string_len(v);
	return 0;
}

static int threshold_rule(json_object *v, struct sample_fields *sf,
    struct pm_fail *f)
{
	double d;

	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		return pm_refuse(f, PM_INVALID, "samples.threshold",
		    "threshold");
	d = json_object_get_double(v);
	if (!isfinite(d) || d < 0 || d > 1)
		return pm_refuse(f, PM_INVALID, "samples.threshold",
		    "threshold");
	sf->has_threshold = 1;
	sf->threshold = d;
	return 0;
}

/* A judge model: an active model of the catalog. */
static int judge_rule(struct db *db, json_object *v, struct sample_fields *sf,
    struct pm_fail *f)
{
	json_object *in;
	const char *s;
	size_t n;
	int rc;

	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return pm_refuse(f, PM_INVALID, "samples.judge_type",
		    "judge_model");
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (n == 0)
		return 0;
	if (n > MODEL_ID_MAX || strcspn(s, " \t\r\n") != n) {
		pm_refuse(f, PM_INVALID, "models.not_in_catalog", "judge_model");
		pm_fail_arg(f, "model", "%.200s", s);
		return PM_INVALID;
	}
	in = json_object_new_object();
	json_object_object_add(in, "model", json_object_new_string(s));
	rc = db ? model_check_chosen(db, in, f) : 0;
	json_object_put(in);
	if (rc == PM_INVALID)
		f->field = "judge_model";
	if (rc == 0)
		sf->judge_model = s;
	return rc;
}

int sample_fields_check(struct db *db, json_object *in, int importing,
    struct sample_fields *sf, struct pm_fail *f)
{
	struct checks cs;
	json_object *norm;
	int rc;

	memset(sf, 0, sizeof(*sf));
	if (!json_object_is_type(in, json_type_object))
		return pm_refuse(f, PM_INVALID, "samples.body_object", NULL);
	json_object_object_foreach(in, key, val) {
		(void)val;
		if (!listed(key, editable, NELEM(editable)) &&
		    !(importing && listed(key, shown, NELEM(shown)))) {
			pm_refuse(f, PM_INVALID, "samples.field_unknown", key);
			pm_fail_arg(f, "field", "%.64s", key);
			return PM_INVALID;
		}
	}
	if ((rc = name_rule(json_member(in, "name"), sf, f)) != 0 ||
	    (rc = variables_rule(json_member(in, "variables"), sf, f)) != 0 ||
	    (rc = expected_rule(json_member(in, "expected_output"), sf, f)) != 0 ||
	    (rc = threshold_rule(json_member(in, "threshold"), sf, f)) != 0)
		goto fail;
	if (json_member(in, "checks") == NULL) {
		rc = pm_refuse(f, PM_INVALID, "checks.empty", "checks");
		goto fail;
	}
	if ((rc = checks_parse(json_member(in, "checks"), sf->expected, &cs,
	    f)) != 0)
		goto fail;
	norm = checks_to_json(&cs);
	sf->checks = xstrdup(json_to_text(norm, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, NULL));
	json_object_put(norm);
	sf->has_rubric = checks_have_rubric(&cs);
	checks_free(&cs);
	if ((rc = judge_rule(db, json_member(in, "judge_model"), sf, f)) != 0)
		goto fail;
	if (sf->has_rubric && sf->judge_model == NULL) {
		rc = pm_refuse(f, PM_INVALID, "samples.judge_required",
		    "judge_model");
		goto fail;
	}
	return 0;
fail:
	sample_fields_free(sf);
	return rc;
}
