/* key_auth.c - API-key authentication of /api requests (see key_auth.h). */
#include "key_auth.h"

#include <string.h>
#include <strings.h>

#include "answer.h"
#include "keys.h"
#include "error.h"
#include "plans.h"

int key_auth_present(const struct req *r)
{
	return req_env(r, "HTTP_AUTHORIZATION") != NULL;
}

int key_auth_in_query(const struct req *r)
{
	size_t i;

	for (i = 0; i < r->query.n; i++)
		if ((r->query.v[i].val != NULL &&
		    strstr(r->query.v[i].val, API_KEY_TAG) != NULL) ||
		    strstr(r->query.v[i].key, API_KEY_TAG) != NULL)
			return 1;
	return 0;
}

/* The scope route rt needs of a key. */
static enum api_scope needed(const struct req *r, const struct route *rt)
{
	if (rt->flags & RF_EXECUTE)
		return SCOPE_EXECUTE;
	return r->method == M_GET || r->method == M_HEAD ||
	    (rt->flags & RF_READS) ? SCOPE_READ : SCOPE_WRITE;
}

/* The key's owner must be on a plan with the public API. Returns 0 or
 * answers. */
static int plan_allows(struct req *r)
{
	struct plan_ref ref = { r->user.id, r->user.plan_id, r->user.plan_source,
	    r->user.catalog_gen };
	struct plan p;
	int rc, ok;

	if ((rc = plan_of(r->db, &ref, &p)) != 0) {
		answer_fail(r, rc, NULL);
		return -1;
	}
	ok = p.api_access;
	if (!ok)
		answer_error(r, PM_FORBIDDEN, "keys.api_requires_plan", "plan",
		    p.name, NULL);
	plan_free(&p);
	return ok ? 0 : -1;
}

int key_auth(struct req *r, const struct route *rt)
{
	const char *h = req_env(r, "HTTP_AUTHORIZATION");
	struct api_key_auth k;
	int rc;

	if (rt->flags & RF_SESSION_ONLY) {
		answer_error(r, PM_PERMISSION, "keys.session_only", NULL);
		return -1;
	}
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 ||
	    (rc = api_key_lookup(r->db, h + 7, r->now, &k)) == 0) {
		resp_header(r, "WWW-Authenticate", "Bearer");
		answer_error(r, PM_UNAUTHENTICATED, "keys.invalid", NULL);
		return -1;
	}
	if (rc < 0) {
		answer_fail(r, rc, NULL);
		return -1;
	}
	r->user.id = k.user_id;
	r->user.email = req_strdup(r, k.email);
	r->user.is_admin = k.is_admin;
	r->user.plan_id = k.plan_id;
	r->user.plan_source = k.plan_source;
	r->user.catalog_gen = k.catalog_gen;
	r->user.api_key_id = k.key_id;
	r->user.api_scope = (int)k.scope;
	r->user.key_cap_micros = k.monthly_cap_micros;
	if ((int)k.scope < (int)needed(r, rt)) {
		answer_error(r, PM_PERMISSION, "keys.scope_needed", "scope",
		    api_scope_name(k.scope), "needed",
		    api_scope_name(needed(r, rt)), NULL);
		return -1;
	}
	return plan_allows(r);
}
