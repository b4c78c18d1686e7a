/* sample_rules.h - checking the fields of a golden sample (the rules of
 * samples.h) into what is stored. Used by samples.c for create, update
 * and import. */
#ifndef PM_SAMPLE_RULES_H
#define PM_SAMPLE_RULES_H

#include <json-c/json.h>
#include <stddef.h>

#include "error.h"
#include "samples.h"

struct db;

/* A sample's fields, checked. name, expected and judge_model are borrowed
 * from the object checked (valid while it lives); variables and checks are
 * owned JSON texts (normalised). */
struct sample_fields {
	const char	*name;
	char		*variables;
	const char	*expected;	/* NULL: none */
	size_t		 expected_len;
	int		 has_threshold;
	double		 threshold;
	const char	*judge_model;	/* NULL: none */
	char		*checks;
	int		 has_rubric;
};

/* Check every field of the whole sample in (an object with the editable
 * members of samples.h; with importing, the members the API shows beside
 * them, "id", "created_at", "updated_at", "created_from_execution_id",
 * are accepted and ignored). db (may be NULL: not checked) is asked
 * whether the judge model is an active catalog model. Returns 0 with sf
 * filled (release with sample_fields_free), or a refusal (PM_INVALID,
 * PM_TOOBIG) naming the field, sf empty. Keys: samples.body_object,
 * samples.field_unknown ({field}), samples.name_type,
 * samples.name_required, samples.name_too_long, samples.variables_type,
 * samples.variable_name ({name}), samples.variable_value ({name}),
 * samples.variables_too_big, samples.expected_type,
 * samples.expected_too_long, samples.threshold, samples.judge_type,
 * models.not_in_catalog ({model}), samples.judge_required, and the
 * checks.* keys of checks_parse. */
int sample_fields_check(struct db *db, json_object *in, int importing,
    struct sample_fields *sf, struct pm_fail *f);
/* Release what sf owns and zero it. Accepts NULL. */
void sample_fields_free(struct sample_fields *sf);

#endif
