/* prompts.h - prompts, categories and immutable versions: the data layer.
 *
 * Every function takes the owner's user id and never touches another
 * user's rows: a prompt or category of someone else is "not found", exactly
 * like one that does not exist, so existence never leaks.
 *
 * Error convention of this layer: functions return >= 0 on success, a
 * negative enum db_err when the database failed, or a negative enum pm_err
 * for a refusal, with the catalog key (and the offending field) in a struct
 * pm_fail the caller passes. Results are json-c objects the caller owns;
 * they are shaped for the API and the templates alike.
 */
#ifndef PM_PROMPTS_H
#define PM_PROMPTS_H

#include <json-c/json.h>
#include <stdint.h>

#include "error.h"

struct db;

#define PROMPT_NAME_MAX		200
#define PROMPT_DESC_MAX		5000
#define SLUG_MAX		64
#define CATEGORY_NAME_MAX	100
#define MESSAGES_MAX_BYTES	(100 * 1024)
#define COMMIT_MAX		500
#define MODEL_ID_MAX		200
#define MESSAGES_MAX_COUNT	100
#define IMPORT_MAX_VERSIONS	500
#define LIST_LIMIT_DEFAULT	25
#define LIST_LIMIT_MAX		100

/* --- prompts.c: prompts and categories --- */

/* Check a text field: absent or blank is refused with key k_req when
 * required (else accepted), longer than max characters with k_long; both
 * name field. Returns 0 or PM_INVALID. */
int text_field_check(const char *s, size_t max, int required,
    struct pm_fail *f, const char *field, const char *k_req,
    const char *k_long);
/* Reserve word (a literal path segment beside :slug in the routes
 * table): a derived slug that equals it gets a suffix, a given one is
 * refused. Call before serving (not thread-safe); at most 16 words. */
void slug_reserve(const char *word);
/* Whether s is a reserved word. */
int slug_reserved(const char *s);
/* Whether s is a valid slug: 1-64 of [a-z0-9-], starting with a letter or
 * digit. */
int slug_valid(const char *s);
/* Write a slug made from name into out (SLUG_MAX + 1 bytes): ASCII letters
 * and digits lower-cased, everything else collapsed into '-'; "prompt" when
 * nothing is left. */
void slugify(const char *name, char *out);

/* Listing options; strings may be NULL or "". */
struct prompt_query {
	const char	*q;		/* search in name, description, text */
	int64_t		 category;	/* -1 all, 0 uncategorised, else id */
	const char	*status;	/* "", "production" or "draft" */
	const char	*sort;		/* "updated" (default), "name", "created" */
	const char	*cursor;	/* from a previous page's next_cursor */
	int		 limit;
};

/* One page of the owner's prompts: {"items":[prompt...], "next_cursor":
 * string|null}. Returns 0, PM_INVALID (bad cursor or option) or a db_err. */
int prompt_list(struct db *db, int64_t uid, const struct prompt_query *pq,
    struct json_object **out, struct pm_fail *f);
/* The owner's live prompt by slug as {"id","slug","name","description",
 * "category":{"id","name"}|null,"latest_version","production_version",
 * "created_at","updated_at"}. Returns 0, PM_NOTFOUND or a db_err. */
/* The id of the owner's live prompt slug. Returns it (> 0), PM_NOTFOUND or
 * a db_err. */
int64_t prompt_id_by_slug(struct db *db, int64_t uid, const char *slug);
int prompt_get(struct db *db, int64_t uid, const char *slug,
    struct json_object **out);
/* Create a prompt from {"name","slug"?,"description"?,"category_id"?} and,
 * when in holds version content (see version_create), its version 1 in the
 * same transaction. Without a slug one is derived from the name (made
 * unique with -2, -3...); a given slug that is taken is PM_CONFLICT.
 * Returns 0 with the new slug in slug_out (SLUG_MAX + 1), or an error. */
int prompt_create(struct db *db, int64_t uid, struct json_object *in,
    int64_t now, char *slug_out, struct pm_fail *f);
/* Check the prompt fields of in ("name" required when creating). Returns
 * 0, PM_INVALID or a db_err. */
int prompt_fields(struct db *db, int64_t uid, struct json_object *in,
    int creating, struct pm_fail *f);
/* Insert a prompt whose fields were checked (prompt_fields) and, when
 * content is not NULL, its DRAFT version 1; for use inside a transaction.
 * auto_slug: on a clash, try slug-2, slug-3... */
int prompt_insert(struct db *db, int64_t uid, struct json_object *in,
    struct json_object *content, const char *slug, int auto_slug,
    int64_t now, char *slug_out, int64_t *pid_out, struct pm_fail *f);
/* Change any of "name", "slug", "description", "category_id" (null or 0:
 * uncategorised). Returns 0 with the (possibly new) slug in slug_out. */
int prompt_update(struct db *db, int64_t uid, const char *slug,
    struct json_object *in, int64_t now, char *slug_out, struct pm_fail *f);
/* Archive a prompt (soft delete: executions keep referring to it, its slug
 * becomes free). Returns 0, PM_NOTFOUND or a db_err. */
int prompt_delete(struct db *db, int64_t uid, const char *slug, int64_t now);

/* --- categories.c --- */

/* The owner's categories with prompt counts, by name:
 * [{"id","name","prompts"}], plus the uncategorised count in *uncat. */
int category_list(struct db *db, int64_t uid, struct json_object **out,
    int64_t *uncat);
/* The owner's categories by name without counts (cheap, for pickers):
 * [{"id","name"}]. */
int category_names(struct db *db, int64_t uid, struct json_object **out);
/* One of the owner's categories as {"id","name","prompts"}. Returns 0,
 * PM_NOTFOUND or a db_err. */
int category_get(struct db *db, int64_t uid, int64_t id,
    struct json_object **out);
/* Create a category; returns its id, PM_INVALID, PM_CONFLICT (same name in
 * any letter case) or a db_err. */
int64_t category_create(struct db *db, int64_t uid, const char *name,
    int64_t now, struct pm_fail *f);
/* Rename; returns 0, PM_NOTFOUND, PM_INVALID, PM_CONFLICT or a db_err. */
int category_rename(struct db *db, int64_t uid, int64_t id, const char *name,
    int64_t now, struct pm_fail *f);
/* Delete; its prompts become uncategorised. Returns 0, PM_NOTFOUND or a
 * db_err. */
int category_delete(struct db *db, int64_t uid, int64_t id);
/* Whether id is one of the owner's categories: 1, 0, or a db_err. */
int category_owned(struct db *db, int64_t uid, int64_t id);
/* Find the owner's category by name (any case), creating it when absent.
 * Returns its id or an error. */
int64_t category_ensure(struct db *db, int64_t uid, const char *name,
    int64_t now, struct pm_fail *f);

/* --- version_rules.c: what a version may hold --- */

/* Check and normalise version content from in: "messages" (an array of
 * {"role":"system"|"user"|"assistant","content"}) or "system" +
 * "user_template"; "model"; "params" {temperature, top_p, max_tokens,
 * stop}; "variables" (declarations, see vars.h); "commit_message". Builds
 * {"messages","model","params","variables","commit_message"} in *out.
 * base, when not NULL, supplies fields in leaves out (editing = a new
 * version from the previous one). Returns 0, PM_INVALID or PM_TOOBIG. */
int version_content(struct json_object *in, struct json_object *base,
    struct json_object **out, struct pm_fail *f);
/* --- versions.c: immutable versions and their status history --- */

/* Create the next version (DRAFT) of the owner's prompt from in. Returns
 * the new version number or an error: PM_CONFLICT "versions.unchanged"
 * (argument {version}: the latest) when in leaves the latest version's
 * messages, model, parameters and variables as they are (numbers by
 * value, CRLF and LF line ends alike), and nothing is written (a new
 * commit message alone is no change). */
int version_create(struct db *db, int64_t uid, const char *slug,
    struct json_object *in, int64_t now, struct pm_fail *f);
/* Insert version content (from version_content) as version number of
 * prompt_id with a status, recording its creation in the history. For use
 * inside a transaction. Returns the version id or a db_err. */
int64_t version_insert(struct db *db, int64_t prompt_id, int number,
    const char *status, struct json_object *content, int64_t uid,
    int64_t now);
/* Make version number (with content) the latest of prompt_id: its number,
 * the list's search text, the update time. For use inside a transaction.
 * Returns 0 or a db_err. */
int version_set_latest(struct db *db, int64_t prompt_id, int number,
    struct json_object *content, int64_t now);
/* The versions of a prompt, newest first, without their content:
 * [{"number","status","model","commit_message","author","created_at"}]. */
int version_list(struct db *db, int64_t uid, const char *slug,
    struct json_object **out);
/* Every version of the owner's prompt with its content, oldest first
 * (version_get() objects without history; [] when the prompt has none or
 * is not the owner's). Returns 0 or a db_err. */
int version_all(struct db *db, int64_t uid, const char *slug,
    struct json_object **out);
/* One version with its content and history ("history":[{"from","to",
 * "by","at"}]). number 0 means the PRODUCTION version, else the latest.
 * Returns 0, PM_NOTFOUND or a db_err. */
int version_get(struct db *db, int64_t uid, const char *slug, int number,
    struct json_object **out);
/* version_get() without the history (one query less), for pages that
 * only show or use the content. */
int version_get_content(struct db *db, int64_t uid, const char *slug,
    int number, struct json_object **out);
/* Make version number the PRODUCTION one, archiving the previous one, in
 * one transaction. Returns 0, PM_NOTFOUND, PM_CONFLICT (already in
 * production) or a db_err. */
int version_promote(struct db *db, int64_t uid, const char *slug, int number,
    int64_t now, struct pm_fail *f);
/* Archive a DRAFT version. PM_CONFLICT for PRODUCTION (promote another
 * version instead) or ARCHIVED ones. */
int version_archive(struct db *db, int64_t uid, const char *slug, int number,
    int64_t now, struct pm_fail *f);
/* Render a version's messages with values (an object): {"prompt",
 * "version","model","params","messages":[{"role","content"}]}. PM_INVALID
 * with the variable errors in f->details. */
int version_render(struct db *db, int64_t uid, const char *slug, int number,
    struct json_object *values, struct json_object **out, struct pm_fail *f);

/* version_render() that also gives the ids of the prompt and of the
 * rendered version (for the execution record); either may be NULL. */
int version_render_ids(struct db *db, int64_t uid, const char *slug,
    int number, struct json_object *values, struct json_object **out,
    int64_t *pid, int64_t *vid, struct pm_fail *f);
/* version_render_ids() of draft, unsaved content of the owner's prompt
 * slug ({messages, model, params, variables}, as version_content gives
 * it; borrowed) instead of a stored version: "version" is null. Returns
 * the same; *pid (may be NULL) gets the prompt's id. */
int version_render_draft(struct db *db, int64_t uid, const char *slug,
    struct json_object *draft, struct json_object *values,
    struct json_object **out, int64_t *pid, struct pm_fail *f);

/* --- prompt_io.c: export and import as one JSON document --- */

/* The prompt with all its versions as a portable document. */
int prompt_export(struct db *db, int64_t uid, const char *slug,
    struct json_object **out);
/* Create a prompt from a document made by prompt_export, all or nothing.
 * slug, when not NULL, replaces the document's slug. Returns 0 with the
 * slug in slug_out, PM_INVALID (naming the problem), PM_TOOBIG,
 * PM_CONFLICT (slug taken) or a db_err. */
int prompt_import(struct db *db, int64_t uid, struct json_object *doc,
    const char *slug, int64_t now, char *slug_out, struct pm_fail *f);

#endif
