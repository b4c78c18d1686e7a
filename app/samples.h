/* samples.h - golden samples of a prompt: the data layer.
 *
 * A sample belongs to one prompt of one owner. Every function takes the
 * owner's user id: another user's prompt or sample is "not found", like
 * one that does not exist. Same error convention as prompts.h: >= 0 on
 * success, a negative db_err, or a refusal (PM_INVALID, PM_NOTFOUND,
 * PM_CONFLICT, PM_TOOBIG) with the catalog key (templates/messages/en/
 * samples.txt) and field in the struct pm_fail.
 *
 * The fields of a sample, as the API and the import file give them:
 *   "name"             1..SAMPLE_NAME_MAX characters, unique per prompt in
 *                      any letter case (required on create)
 *   "variables"        object: variable name -> string, number or
 *                      boolean. Names must be valid variable names
 *                      (vars_name_valid); they need not be declared by
 *                      any version (a run reports a mismatch). Default {}.
 *   "expected_output"  string or null (none). At most SAMPLE_EXPECTED_MAX
 *                      bytes.
 *   "threshold"        number 0..1 or null (default: every check passes)
 *   "judge_model"      model id or null; required when a check is a
 *                      rubric (samples.judge_required)
 *   "checks"           array (checks.h), at least one check (required on
 *                      create)
 * On update (PATCH) any subset may be given; the whole sample is then
 * validated again (so removing the expected output a check needs is
 * refused) and nothing is stored unless all of it is valid.
 *
 * Stable order: every list is by id ascending (creation order), the
 * order of a regression run's results.
 */
#ifndef PM_SAMPLES_H
#define PM_SAMPLES_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "checks.h"
#include "error.h"

struct db;

#define SAMPLE_NAME_MAX		200	/* characters */
#define SAMPLE_EXPECTED_MAX	(256 * 1024)	/* bytes */
#define SAMPLE_VARIABLES_MAX	(60 * 1024)	/* bytes of the JSON */
#define SAMPLES_MAX		500	/* samples per prompt */
#define SAMPLES_IMPORT_MAX_BYTES (1024 * 1024)	/* the request body limit */
#define SAMPLES_EXPORT_FORMAT	"prompt-manager-samples/1"

/* One sample, loaded. Owns its strings, variables and checks. */
struct sample {
	int64_t		 id;
	int64_t		 prompt_id;
	char		*name;
	json_object	*variables;	/* object */
	char		*expected;	/* NULL: none */
	size_t		 expected_len;
	int		 has_threshold;
	double		 threshold;
	char		*judge_model;	/* NULL: none */
	struct checks	 checks;
	int64_t		 created_from_execution_id;	/* 0: none */
	int64_t		 created_at;
	int64_t		 updated_at;
};

/* Samples in order of id. {0} is empty. */
struct sample_list {
	struct sample	*v;
	size_t		 n;
};

/* Release what s holds and zero it. Accepts NULL. */
void sample_free(struct sample *s);
/* Release every sample of l and leave it empty. Accepts NULL. */
void sample_list_free(struct sample_list *l);

/* Every sample of the owner's prompt prompt_id (by id ascending) into out
 * (free with sample_list_free, also after an error). A stored checks array
 * that no longer parses (not expected: it was validated when saved) is
 * PM_INTERNAL. Returns the number loaded (0 when the prompt has none or
 * is not the owner's) or an error. For regression runs. */
int samples_load(struct db *db, int64_t uid, int64_t prompt_id,
    struct sample_list *out);
/* The owner's sample id of prompt prompt_id into out. Returns 0,
 * PM_NOTFOUND or a db_err. */
int sample_load(struct db *db, int64_t uid, int64_t prompt_id, int64_t id,
    struct sample *out);

/* The sample as the API shows it: {"id","name","variables",
 * "expected_output","threshold","judge_model","checks",
 * "created_from_execution_id","created_at","updated_at"}. New reference. */
json_object *sample_json(const struct sample *s);

/* One page of the samples of the owner's prompt slug, by id:
 * {"items":[sample_json...],"next_cursor":string|null,"total":n}; cursor
 * is a previous page's next_cursor (NULL or "": the first page), limit
 * 1..LIST_LIMIT_MAX (0: LIST_LIMIT_DEFAULT). Returns 0, PM_NOTFOUND (no
 * such prompt), PM_INVALID (prompts.bad_cursor, prompts.bad_limit) or a
 * db_err. */
int sample_page(struct db *db, int64_t uid, const char *slug,
    const char *cursor, int limit, json_object **out, struct pm_fail *f);
/* One sample of the owner's prompt slug as sample_json. Returns 0,
 * PM_NOTFOUND or a db_err. */
int sample_get(struct db *db, int64_t uid, const char *slug, int64_t id,
    json_object **out);
/* Create a sample of the owner's prompt slug from in (fields above;
 * "created_from_execution_id" optional: one of the owner's executions of
 * this prompt, else refused). Returns the new id, or PM_NOTFOUND (prompt),
 * PM_INVALID, PM_CONFLICT (samples.name_taken, samples.too_many) or a
 * db_err; nothing is stored on a refusal. */
int64_t sample_create(struct db *db, int64_t uid, const char *slug,
    json_object *in, int64_t now, struct pm_fail *f);
/* Change the fields given in in of sample id. Returns 0, PM_NOTFOUND,
 * PM_INVALID, PM_CONFLICT or a db_err; nothing is stored on a refusal. */
int sample_update(struct db *db, int64_t uid, const char *slug, int64_t id,
    json_object *in, int64_t now, struct pm_fail *f);
/* Delete sample id. Returns 0, PM_NOTFOUND or a db_err. */
int sample_delete(struct db *db, int64_t uid, const char *slug, int64_t id);

/* The export file of the prompt's samples: {"format":
 * SAMPLES_EXPORT_FORMAT,"prompt":slug,"exported_at":t,"samples":[{"name",
 * "variables","expected_output","threshold","judge_model","checks"}]}.
 * Returns 0, PM_NOTFOUND or a db_err. */
int samples_export(struct db *db, int64_t uid, const char *slug, int64_t now,
    json_object **out);
/* Import an export file (or a bare array of samples) into the owner's
 * prompt slug: every sample is validated first, then all are inserted in
 * one transaction, or none. A name already used by a sample of the prompt
 * or twice in the file is refused (samples.import_name_taken,
 * samples.import_name_twice with {name}); a bad sample is refused naming
 * it: samples.import_bad ({n}: its position, {reason}: the sentence).
 * Returns the number imported or an error. */
int samples_import(struct db *db, int64_t uid, const char *slug,
    json_object *file, int64_t now, struct pm_fail *f);

#endif
