/* page_gate.c - a prompt's promotion gate (the settings: require that a
 * version pass its golden samples, a minimum score, a maximum cost per
 * run) and its history of promotions, rollbacks and archiving. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "gate.h"
#include "handlers.h"
#include "history.h"
#include "http.h"
#include "jsonx.h"
#include "money.h"
#include "page_runs.h"
#include "pages.h"
#include "prompts.h"

/* The gate page with values g (the saved gate or what was typed). */
static void gate_form(struct req *r, int status, json_object *d,
    const struct gate *g, json_object *p)
{
	char t[40];

	json_object_object_add(d, "slug", json_object_get(
	    json_object_object_get(p, "slug")));
	json_object_object_add(d, "prompt", p);
	json_object_object_add(d, "gate", gate_json(g));
	if (g->max_cost_micros >= 0) {
		money_micros(g->max_cost_micros, t, sizeof(t));
		json_object_object_add(d, "max_cost_text",
		    json_object_new_string(t + 1));	/* without "$" */
	}
	resp_page(r, status, "prompts/gate", d);
}

void h_gate_page(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	struct gate g;
	json_object *p;
	int rc;

	if ((rc = prompt_get(r->db, r->user.id, slug, &p)) != 0 ||
	    (rc = gate_get(r->db, r->user.id, slug, &g)) != 0) {
		if (rc == 0)
			json_object_put(p);
		answer_fail(r, rc, NULL);
		return;
	}
	gate_form(r, 200, page_with_title(r, "prompts", "gate"), &g, p);
}

void h_gate_save(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	const char *ms = req_form(r, "min_score"), *mc = req_form(r, "max_cost");
	struct pm_fail f = { 0 };
	struct gate g = { 0 };
	char path[SLUG_MAX + 16], *end;
	json_object *p, *d;
	int64_t micros;
	int rc;

	g.required = req_form(r, "required") != NULL;
	g.max_cost_micros = -1;
	if (ms != NULL && *ms != '\0') {
		g.has_min_score = 1;
		g.min_score = strtod(ms, &end);
		if (*end != '\0')
			g.min_score = -1;	/* refused below */
	}
	rc = 0;
	if (mc != NULL && *mc != '\0') {
		if (dec_parse_units(mc, strlen(mc), 6, &micros) != 0 || micros < 0)
			rc = pm_refuse(&f, PM_INVALID, "gate.max_cost", "max_cost");
		else
			g.max_cost_micros = micros;
	}
	if (rc == 0 && (rc = gate_set(r->db, r->user.id, slug, &g, r->now,
	    &f)) == 0) {
		snprintf(path, sizeof(path), "/prompts/%s/gate", slug);
		redirect_flash(r, path, "gate_saved");
		return;
	}
	if (rc != PM_INVALID || prompt_get(r->db, r->user.id, slug, &p) != 0) {
		answer_fail(r, rc, &f);
		return;
	}
	d = page_with_title(r, "prompts", "gate");
	json_object_object_add(d, "slug", json_object_new_string(slug));
	rc = form_fail(d, rc, &f);
	gate_form(r, rc, d, &g, p);
}

void h_history_page(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	json_object *p, *h, *d;
	size_t i;
	int rc;

	if ((rc = prompt_get(r->db, r->user.id, slug, &p)) != 0 ||
	    (rc = prompt_history(r->db, r->user.id, slug, &h)) != 0) {
		if (rc == 0)
			json_object_put(p);
		answer_fail(r, rc, NULL);
		return;
	}
	for (i = 0; i < json_object_array_length(h); i++) {
		json_object *e = json_object_array_get_idx(h, i);
		char name[40];

		snprintf(name, sizeof(name), "is_%s", run_text(e, "action"));
		json_object_object_add(e, name, json_object_new_boolean(1));
	}
	d = page_with_title(r, "prompts", "history");
	json_object_object_add(d, "slug", json_object_new_string(slug));
	json_object_object_add(d, "prompt", p);
	json_object_object_add(d, "history", h);
	json_object_object_add(d, "has_history", json_object_new_boolean(
	    json_object_array_length(h) > 0));
	resp_page(r, 200, "prompts/history", d);
}
