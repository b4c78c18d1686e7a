/* prompt_io.c - a prompt with all its versions as one portable JSON
 * document: export, and all-or-nothing import. */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "db.h"
#include "msg.h"
#include "prompts.h"
#include "util.h"

#define DOC_FORMAT "prompt-manager/prompt"
#define DOC_VERSION 1

int prompt_export(struct db *db, int64_t uid, const char *slug,
    struct json_object **out)
{
	struct json_object *p, *doc, *meta, *versions, *cat;
	size_t i, n;
	char iso[32];
	int rc;

	if ((rc = prompt_get(db, uid, slug, &p)) != 0)
		return rc;
	/* oldest first, so an import replays history in order */
	if ((rc = version_all(db, uid, slug, &versions)) != 0) {
		json_object_put(p);
		return rc;
	}
	for (i = 0, n = json_object_array_length(versions); i < n; i++)
		json_object_object_del(json_object_array_get_idx(versions, i),
		    "author");
	doc = json_object_new_object();
	json_object_object_add(doc, "format", json_object_new_string(DOC_FORMAT));
	json_object_object_add(doc, "format_version", json_object_new_int(DOC_VERSION));
	json_object_object_add(doc, "exported_at",
	    json_object_new_string(clock_iso(clock_now(), iso, sizeof(iso))));
	meta = json_object_new_object();
	json_object_object_add(meta, "name",
	    json_object_get(json_object_object_get(p, "name")));
	json_object_object_add(meta, "slug",
	    json_object_get(json_object_object_get(p, "slug")));
	json_object_object_add(meta, "description",
	    json_object_get(json_object_object_get(p, "description")));
	cat = json_object_object_get(p, "category");
	json_object_object_add(meta, "category", cat ?
	    json_object_get(json_object_object_get(cat, "name")) : NULL);
	json_object_object_add(doc, "prompt", meta);
	json_object_object_add(doc, "versions", versions);
	json_object_put(p);
	*out = doc;
	return 0;
}

struct import_tx {
	int64_t			 uid, now;
	struct json_object	*meta;		/* prompt fields, checked */
	struct json_object	*contents;	/* checked version contents */
	struct json_object	*statuses;
	const char		*category;
	char			 slug[SLUG_MAX + 1];
	struct pm_fail		*f;
};

static int import_fn(struct db *db, void *arg)
{
	struct import_tx *t = arg;
	struct json_object *in = json_object_get(t->meta);
	char slug[SLUG_MAX + 1];
	int64_t cid, pid, r;
	size_t i, n = json_object_array_length(t->contents);
	int rc;

	if (t->category != NULL) {
		if ((cid = category_ensure(db, t->uid, t->category, t->now, t->f)) < 0) {
			json_object_put(in);
			return (int)cid;
		}
		json_object_object_add(in, "category_id", json_object_new_int64(cid));
	}
	rc = prompt_insert(db, t->uid, in, NULL, t->slug, 0, t->now, slug, &pid,
	    t->f);
	json_object_put(in);
	if (rc != 0)
		return rc;
	for (i = 0; i < n; i++) {
		r = version_insert(db, pid, (int)i + 1,
		    json_object_get_string(json_object_array_get_idx(t->statuses, i)),
		    json_object_array_get_idx(t->contents, i), t->uid, t->now);
		if (r < 0)
			return (int)r;
	}
	return n == 0 ? 0 : version_set_latest(db, pid, (int)n,
	    json_object_array_get_idx(t->contents, n - 1), t->now);
}

/* Refuse with the catalog sentence naming the problem: key's text fills
 * {what} of "import.invalid". */
static int bad_doc(struct pm_fail *f, const char *what_key)
{
	pm_refuse(f, PM_INVALID, "import.invalid", NULL);
	pm_fail_arg(f, "what", "%s", msg_get(what_key));
	return PM_INVALID;
}

int prompt_import(struct db *db, int64_t uid, struct json_object *doc,
    const char *slug, int64_t now, char *slug_out, struct pm_fail *f)
{
	struct import_tx t = { 0 };
	struct json_object *v, *meta, *versions, *m;
	size_t i, n;
	int rc, production = 0;
	const char *s;

	if (doc == NULL || !json_object_is_type(doc, json_type_object))
		return bad_doc(f, "import.not_object");
	if (!json_object_object_get_ex(doc, "format", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), DOC_FORMAT) != 0)
		return bad_doc(f, "import.bad_format");
	if (!json_object_object_get_ex(doc, "format_version", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int(v) != DOC_VERSION)
		return bad_doc(f, "import.bad_format_version");
	if (!json_object_object_get_ex(doc, "prompt", &meta) ||
	    !json_object_is_type(meta, json_type_object))
		return bad_doc(f, "import.prompt_not_object");
	if (!json_object_object_get_ex(doc, "versions", &versions) ||
	    !json_object_is_type(versions, json_type_array) ||
	    (n = json_object_array_length(versions)) == 0)
		return bad_doc(f, "import.no_versions");
	if (n > IMPORT_MAX_VERSIONS)
		return pm_refuse(f, PM_TOOBIG, "import.too_many_versions", "versions");
	m = json_object_new_object();
	json_object_object_foreach(meta, key, val) {
		if (strcmp(key, "name") == 0 || strcmp(key, "description") == 0)
			json_object_object_add(m, key, json_object_get(val));
		else if (strcmp(key, "slug") == 0 && slug == NULL)
			json_object_object_add(m, key, json_object_get(val));
		else if (strcmp(key, "category") == 0 && val != NULL) {
			if (!json_object_is_type(val, json_type_string)) {
				json_object_put(m);
				return bad_doc(f, "import.bad_category");
			}
			t.category = json_object_get_string(val);
		} else if (strcmp(key, "slug") != 0 && strcmp(key, "category") != 0) {
			json_object_put(m);
			return bad_doc(f, "import.prompt_unknown_field");
		}
	}
	if (slug != NULL)
		json_object_object_add(m, "slug", json_object_new_string(slug));
	s = json_object_get_string(json_object_object_get(m, "slug"));
	if (s == NULL || !json_object_is_type(json_object_object_get(m, "slug"),
	    json_type_string) || !slug_valid(s)) {
		json_object_put(m);
		return pm_refuse(f, PM_INVALID, "prompts.slug_invalid", "slug");
	}
	snprintf(t.slug, sizeof(t.slug), "%s", s);
	json_object_object_del(m, "slug");
	if ((rc = prompt_fields(db, uid, m, 1, f)) != 0) {
		json_object_put(m);
		return rc;
	}
	t.contents = json_object_new_array();
	t.statuses = json_object_new_array();
	rc = 0;
	for (i = 0; i < n && rc == 0; i++) {
		struct json_object *e = json_object_array_get_idx(versions, i), *c;
		const char *st;

		if (!json_object_is_type(e, json_type_object)) {
			rc = bad_doc(f, "import.version_not_object");
			break;
		}
		if (!json_object_object_get_ex(e, "number", &v) ||
		    !json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) != (int64_t)i + 1) {
			rc = bad_doc(f, "import.version_numbers");
			break;
		}
		if (!json_object_object_get_ex(e, "status", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    (strcmp(st = json_object_get_string(v), "DRAFT") &&
		    strcmp(st, "PRODUCTION") && strcmp(st, "ARCHIVED"))) {
			rc = bad_doc(f, "import.version_status");
			break;
		}
		if (strcmp(st, "PRODUCTION") == 0 && production++) {
			rc = bad_doc(f, "import.two_production");
			break;
		}
		if ((rc = version_content(e, NULL, &c, f)) != 0)
			break;
		json_object_array_add(t.contents, c);
		json_object_array_add(t.statuses, json_object_new_string(st));
	}
	if (rc == 0) {
		t.uid = uid;
		t.now = now;
		t.meta = m;
		t.f = f;
		rc = db_tx(db, import_fn, &t);
	}
	json_object_put(t.contents);
	json_object_put(t.statuses);
	json_object_put(m);
	if (rc == 0)
		memcpy(slug_out, t.slug, SLUG_MAX + 1);
	return rc;
}
