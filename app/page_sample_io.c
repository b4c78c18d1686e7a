/* page_sample_io.c - a prompt's golden samples as a file: the export
 * download (GET /prompts/:slug/samples/export) and the import form, whose
 * file chooser fills the document field (static/js/app.js data-fill): all
 * the file's samples are added, or none. */
#include <stdio.h>
#include <string.h>

#include "answer.h"
#include "handlers.h"
#include "http.h"
#include "jsonx.h"
#include "pages.h"
#include "prompts.h"
#include "samples.h"

void h_samples_export(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	json_object *doc;
	const char *s;
	size_t len;
	int rc;

	if ((rc = samples_export(r->db, r->user.id, slug, r->now, &doc)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	s = json_to_text(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	resp_header(r, "Content-Disposition",
	    "attachment; filename=\"%s.samples.json\"", slug);
	resp_send(r, 200, "application/json", s, len);
	json_object_put(doc);
}

/* The import page's data with the owner's prompt, or NULL after
 * answering. */
static json_object *import_data(struct req *r)
{
	json_object *p, *d;
	int rc = prompt_get(r->db, r->user.id, req_arg(r, "slug"), &p);

	if (rc != 0) {
		answer_fail(r, rc, NULL);
		return NULL;
	}
	d = page_with_title(r, "prompts", "samples_import");
	json_object_object_add(d, "prompt", p);
	return d;
}

void h_samples_import_page(struct req *r)
{
	json_object *d = import_data(r);

	if (d != NULL)
		resp_page(r, 200, "samples/import", d);
}

void h_samples_import(struct req *r)
{
	const char *slug = req_arg(r, "slug"), *doc = req_form(r, "document");
	struct pm_fail f = { 0 };
	struct json_error e;
	json_object *d, *o = NULL;
	char path[SLUG_MAX + 32];
	int rc;

	if ((d = import_data(r)) == NULL)
		return;
	json_object_object_add(d, "document", json_object_new_string(doc ?
	    doc : ""));
	if (doc == NULL || strspn(doc, " \t\r\n") == strlen(doc)) {
		rc = pm_refuse(&f, PM_INVALID, "samples.import_missing",
		    "document");
	} else if (strlen(doc) > SAMPLES_IMPORT_MAX_BYTES) {
		rc = pm_refuse(&f, PM_TOOBIG, "samples.import_too_big",
		    "document");
	} else if ((o = json_parse_strict(doc, strlen(doc), &e)) == NULL) {
		rc = pm_refuse(&f, PM_INVALID, "samples.import_not_json",
		    "document");
		pm_fail_arg(&f, "reason", "%s", e.detail);
	} else {
		rc = samples_import(r->db, r->user.id, slug, o, r->now, &f);
		if (rc > 0)
			rc = 0;
		else if (f.field != NULL)
			f.field = "document";
	}
	json_object_put(o);
	if (err_is_db(rc) || rc == PM_NOTFOUND) {
		json_object_put(d);
		answer_fail(r, rc, &f);
		return;
	}
	if (rc != 0) {
		resp_page(r, form_fail(d, rc, &f), "samples/import", d);
		return;
	}
	json_object_put(d);
	snprintf(path, sizeof(path), "/prompts/%s/samples", slug);
	redirect_flash(r, path, "samples_imported");
}
