/* api_docs.c - the OpenAPI 3.1 document of the API, GET /api/openapi.json,
 * made from the routes table itself: every /api route, its path
 * parameters by kind, its body from its table of fields, how it is
 * authenticated and the API key scope it needs, with the summary written
 * here. api_docs_check() refuses to start a process whose routes and
 * summaries differ, so the document always matches the routes. */
#include <stdio.h>
#include <string.h>

#include "answer.h"
#include "fields.h"
#include "handlers.h"
#include "http.h"
#include "jsonx.h"
#include "router.h"
#include "util.h"

extern const struct route routes[];
extern const size_t nroutes;

struct api_doc {
	enum http_method method;
	const char	*pattern;
	int		 status;	/* of success */
	const char	*summary;
};

static const struct api_doc docs[] = {
	{ M_GET, "/api/health", 200, "Whether the service and its database answer" },
	{ M_GET, "/api/openapi.json", 200, "This document" },
	{ M_GET, "/api/v1/me", 200, "The caller: the account, and the API key used" },
	{ M_GET, "/api/v1/models", 200,
	  "The models the caller's plan can run, in OpenAI's list shape, with prices" },
	{ M_GET, "/api/v1/prompts", 200, "The caller's prompts, a page at a time" },
	{ M_POST, "/api/v1/prompts", 201, "Create a prompt and its first version" },
	{ M_POST, "/api/v1/prompts/import", 201,
	  "Create a prompt from an export document" },
	{ M_GET, "/api/v1/prompts/{slug}", 200, "A prompt" },
	{ M_PATCH, "/api/v1/prompts/{slug}", 200,
	  "Change a prompt's name, slug, description or category" },
	{ M_DELETE, "/api/v1/prompts/{slug}", 204,
	  "Delete a prompt with its versions" },
	{ M_POST, "/api/v1/prompts/{slug}/render", 200,
	  "Render a version's messages with variables, without running it" },
	{ M_POST, "/api/v1/prompts/{slug}/execute", 200,
	  "Run the PRODUCTION version (or \"version\": n); \"stream\": true answers"
	  " Server-Sent Events" },
	{ M_GET, "/api/v1/prompts/{slug}/export", 200,
	  "A prompt and its versions as an export document" },
	{ M_GET, "/api/v1/prompts/{slug}/versions", 200, "A prompt's versions" },
	{ M_POST, "/api/v1/prompts/{slug}/versions", 201,
	  "Save a new version (409 when it changes nothing)" },
	{ M_GET, "/api/v1/prompts/{slug}/versions/{n}", 200, "A version" },
	{ M_POST, "/api/v1/prompts/{slug}/versions/{n}/promote", 200,
	  "Put a version in production (the one there is archived)" },
	{ M_POST, "/api/v1/prompts/{slug}/versions/{n}/archive", 200,
	  "Archive a version" },
	{ M_GET, "/api/v1/prompts/{slug}/samples", 200,
	  "A prompt's golden samples, a page at a time, in creation order" },
	{ M_POST, "/api/v1/prompts/{slug}/samples", 201,
	  "Create a golden sample (400 naming the check when a check is invalid)" },
	{ M_GET, "/api/v1/prompts/{slug}/samples/export", 200,
	  "A prompt's golden samples as an export document" },
	{ M_POST, "/api/v1/prompts/{slug}/samples/import", 201,
	  "Add the golden samples of an export document: all of them, or none" },
	{ M_GET, "/api/v1/prompts/{slug}/samples/{id}", 200, "A golden sample" },
	{ M_PATCH, "/api/v1/prompts/{slug}/samples/{id}", 200,
	  "Change a golden sample's fields (the whole sample is checked again)" },
	{ M_DELETE, "/api/v1/prompts/{slug}/samples/{id}", 204,
	  "Delete a golden sample" },
	{ M_GET, "/api/v1/prompts/{slug}/regressions", 200,
	  "A prompt's regression runs, newest first (\"before\": a run id)" },
	{ M_POST, "/api/v1/prompts/{slug}/regressions", 201,
	  "Run a version against every golden sample of its prompt, in the"
	  " background; \"wait\": true answers when the run ends (202 with the"
	  " run as it stands after run_wait_seconds)" },
	{ M_GET, "/api/v1/regressions/{id}", 200,
	  "A regression run: progress, every sample's result and checks, the"
	  " baseline" },
	{ M_POST, "/api/v1/regressions/{id}/stop", 200,
	  "Stop a regression run: the samples not yet run are skipped (409 when"
	  " it already ended)" },
	{ M_POST, "/api/v1/benchmarks/{id}/stop", 200,
	  "Stop a model benchmark: the samples not yet run are skipped" },
	{ M_GET, "/api/v1/prompts/{slug}/gate", 200,
	  "A prompt's promotion gate: whether a version must pass its golden"
	  " samples to be promoted, the minimum score, the maximum cost" },
	{ M_PATCH, "/api/v1/prompts/{slug}/gate", 200,
	  "Change a prompt's promotion gate (null removes a limit)" },
	{ M_GET, "/api/v1/prompts/{slug}/history", 200,
	  "Every creation, promotion, rollback and archiving of a prompt's"
	  " versions: who, when, from which version, the gating run" },
	{ M_GET, "/api/v1/prompts/{slug}/benchmarks", 200,
	  "A prompt's model benchmarks, newest first" },
	{ M_POST, "/api/v1/prompts/{slug}/benchmarks", 201,
	  "Run a version on several models at once, against every golden"
	  " sample or one set of variable values" },
	{ M_GET, "/api/v1/benchmarks/{id}", 200,
	  "A model benchmark: every result side by side and the models ranked" },
	{ M_GET, "/api/v1/categories", 200, "The caller's categories with counts" },
	{ M_POST, "/api/v1/categories", 201, "Create a category" },
	{ M_PATCH, "/api/v1/categories/{id}", 200, "Rename a category" },
	{ M_DELETE, "/api/v1/categories/{id}", 204,
	  "Delete a category (its prompts become uncategorised)" },
	{ M_GET, "/api/v1/executions", 200,
	  "The execution history, newest first, with filters and totals" },
	{ M_GET, "/api/v1/executions/{id}", 200,
	  "One execution with its input and output" },
	{ M_GET, "/api/v1/usage", 200,
	  "Every limit of the plan with what is used and when it resets, and the"
	  " API key's own spend and cap" },
	{ M_POST, "/api/v1/chat/completions", 200,
	  "OpenAI-compatible chat completions: a model of the catalog, or a"
	  " managed prompt as \"prompt:<slug>\" (\"prompt:<slug>@<n>\") with"
	  " \"variables\"; errors in OpenAI's shape" },
	{ M_GET, "/api/v1/billing/status", 200,
	  "The signed-in user's plan and subscription as billing last read"
	  " them from Stripe (the success page polls it; not with API keys)" },
	{ M_GET, "/api/v1/keys", 200, "The caller's API keys (never the keys)" },
	{ M_POST, "/api/v1/keys", 201,
	  "Create an API key: the key is in this answer only" },
	{ M_DELETE, "/api/v1/keys/{id}", 204, "Revoke an API key" },
};

/* The OpenAPI form of pattern: ":slug" as "{slug}", into out. */
static void oa_path(const char *pattern, struct buf *out)
{
	const char *p;

	for (p = pattern; *p; p++) {
		if (*p == ':' && p > pattern && p[-1] == '/') {
			size_t n = strcspn(p + 1, "/");

			buf_putc(out, '{');
			buf_append(out, p + 1, n);
			buf_putc(out, '}');
			p += n;
		} else
			buf_putc(out, *p);
	}
}

static const struct api_doc *doc_of(const struct route *rt)
{
	struct buf b = { 0 };
	const struct api_doc *d = NULL;
	size_t i;

	oa_path(rt->pattern, &b);
	for (i = 0; i < NELEM(docs) && d == NULL; i++)
		if (docs[i].method == rt->method &&
		    strcmp(docs[i].pattern, buf_cstr(&b)) == 0)
			d = &docs[i];
	buf_free(&b);
	return d;
}

int api_docs_check(struct buf *err)
{
	size_t i, j, n = 0;

	for (i = 0; i < nroutes; i++) {
		if (strncmp(routes[i].pattern, "/api/", 5) != 0)
			continue;
		if (doc_of(&routes[i]) == NULL) {
			buf_printf(err, "route %s %s: no summary in api_docs.c",
			    http_method_names[routes[i].method], routes[i].pattern);
			return -1;
		}
		n++;
	}
	for (j = 0; j < NELEM(docs); j++) {
		for (i = 0; i < nroutes; i++)
			if (doc_of(&routes[i]) == &docs[j])
				break;
		if (i == nroutes) {
			buf_printf(err, "api_docs.c documents %s %s, which is no route",
			    http_method_names[docs[j].method], docs[j].pattern);
			return -1;
		}
	}
	if (n != NELEM(docs)) {
		buf_puts(err, "api_docs.c documents a route twice");
		return -1;
	}
	return 0;
}

/* {"type": t} or {"type": [t, "null"]}. */
static json_object *typed(const char *t, int nullable)
{
	json_object *o = json_object_new_object(), *a;

	if (!nullable) {
		json_object_object_add(o, "type", json_object_new_string(t));
		return o;
	}
	a = json_object_new_array();
	json_object_array_add(a, json_object_new_string(t));
	json_object_array_add(a, json_object_new_string("null"));
	json_object_object_add(o, "type", a);
	return o;
}

/* The JSON Schema of a field. */
static json_object *field_schema(const struct field *f)
{
	static const char *const names[] = { [FT_STRING] = "string",
	    [FT_INT] = "integer", [FT_NUMBER] = "number", [FT_BOOL] = "boolean",
	    [FT_OBJECT] = "object", [FT_ARRAY] = "array" };
	int nullable = (f->flags & FF_NULL) != 0, ranged = f->max > f->min;
	json_object *s;

	if (f->type == FT_ANY)
		return json_object_new_object();
	s = typed(names[f->type], nullable);
	if (ranged && f->type == FT_STRING)
		json_object_object_add(s, "maxLength", json_object_new_int64(f->max));
	else if (ranged && f->type == FT_ARRAY)
		json_object_object_add(s, "maxItems", json_object_new_int64(f->max));
	else if (ranged && (f->type == FT_INT || f->type == FT_NUMBER)) {
		json_object_object_add(s, "minimum", json_object_new_int64(f->min));
		json_object_object_add(s, "maximum", json_object_new_int64(f->max));
	}
	return s;
}

/* The request body of a route with a table of fields. */
static json_object *body_of(const struct field *fields)
{
	json_object *rb = json_object_new_object(), *c, *m, *s, *props, *req;
	const struct field *f;

	s = json_object_new_object();
	json_object_object_add(s, "type", json_object_new_string("object"));
	props = json_object_new_object();
	req = json_object_new_array();
	for (f = fields; f->name != NULL; f++) {
		json_object_object_add(props, f->name, field_schema(f));
		if (f->flags & FF_REQUIRED)
			json_object_array_add(req, json_object_new_string(f->name));
	}
	json_object_object_add(s, "properties", props);
	json_object_object_add(s, "additionalProperties",
	    json_object_new_boolean(0));
	if (json_object_array_length(req) > 0)
		json_object_object_add(s, "required", req);
	else
		json_object_put(req);
	m = json_object_new_object();
	json_object_object_add(m, "schema", s);
	c = json_object_new_object();
	json_object_object_add(c, "application/json", m);
	json_object_object_add(rb, "content", c);
	return rb;
}

/* The path parameters of pattern. */
static json_object *params_of(const char *pattern)
{
	json_object *a = json_object_new_array(), *p, *s;
	const char *q;

	for (q = strstr(pattern, "/:"); q != NULL; q = strstr(q + 1, "/:")) {
		size_t n = strcspn(q + 2, "/");
		int num = n != 4 || strncmp(q + 2, "slug", 4) != 0;

		p = json_object_new_object();
		json_object_object_add(p, "name",
		    json_object_new_string_len(q + 2, (int)n));
		json_object_object_add(p, "in", json_object_new_string("path"));
		json_object_object_add(p, "required", json_object_new_boolean(1));
		s = typed(num ? "integer" : "string", 0);
		if (num)
			json_object_object_add(s, "minimum", json_object_new_int(1));
		else
			json_object_object_add(s, "pattern",
			    json_object_new_string("^[a-z0-9]+(-[a-z0-9]+)*$"));
		json_object_object_add(p, "schema", s);
		json_object_array_add(a, p);
	}
	return a;
}

static json_object *ref(const char *to)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "$ref", json_object_new_string(to));
	return o;
}

/* One operation of the document. */
static json_object *operation(const struct route *rt, const struct api_doc *d)
{
	static const char *const scopes[] = { "read", "execute", "write" };
	json_object *op = json_object_new_object(), *resp, *ok, *err, *sec, *s;
	json_object *c, *m;
	char code[8];
	int scope = rt->flags & RF_EXECUTE ? 1 : rt->method == M_GET ||
	    (rt->flags & RF_READS) ? 0 : 2;

	json_object_object_add(op, "summary", json_object_new_string(d->summary));
	if (strchr(rt->pattern, ':') != NULL)
		json_object_object_add(op, "parameters", params_of(rt->pattern));
	if (rt->body != NULL && rt->body->name != NULL)
		json_object_object_add(op, "requestBody", body_of(rt->body));
	sec = json_object_new_array();
	if (rt->auth != AUTH_NONE) {
		if (!(rt->flags & RF_SESSION_ONLY)) {
			s = json_object_new_object();
			json_object_object_add(s, "apiKey", json_object_new_array());
			json_object_array_add(sec, s);
		}
		s = json_object_new_object();
		json_object_object_add(s, "session", json_object_new_array());
		json_object_array_add(sec, s);
		if (!(rt->flags & RF_SESSION_ONLY))
			json_object_object_add(op, "x-api-key-scope",
			    json_object_new_string(scopes[scope]));
	}
	json_object_object_add(op, "security", sec);
	resp = json_object_new_object();
	ok = json_object_new_object();
	json_object_object_add(ok, "description", json_object_new_string(
	    d->status == 204 ? "Done; no content" : "Success"));
	snprintf(code, sizeof(code), "%d", d->status);
	json_object_object_add(resp, code, ok);
	err = json_object_new_object();
	json_object_object_add(err, "description", json_object_new_string(
	    "A refusal or failure: 400 bad input (naming the field), 401 no valid"
	    " credentials, 403 scope or plan, 404, 409, 429 a limit"
	    " (Retry-After), 5xx"));
	m = json_object_new_object();
	json_object_object_add(m, "schema", ref(rt->flags & RF_OPENAI ?
	    "#/components/schemas/OpenAIError" : "#/components/schemas/Error"));
	c = json_object_new_object();
	json_object_object_add(c, "application/json", m);
	json_object_object_add(err, "content", c);
	json_object_object_add(resp, "default", err);
	json_object_object_add(op, "responses", resp);
	return op;
}

/* components: the security schemes and the two error shapes. */
static json_object *components(void)
{
	static const char err_shape[] = "{\"type\":\"object\",\"required\":"
	    "[\"error\"],\"properties\":{\"error\":{\"type\":\"object\","
	    "\"required\":[\"type\",\"message\"],\"properties\":{\"type\":"
	    "{\"type\":\"string\"},\"message\":{\"type\":\"string\"},\"field\":"
	    "{\"type\":\"string\"},\"details\":{\"type\":\"array\"}}}}}";
	static const char oa_shape[] = "{\"type\":\"object\",\"required\":"
	    "[\"error\"],\"properties\":{\"error\":{\"type\":\"object\","
	    "\"required\":[\"message\",\"type\",\"param\",\"code\"],"
	    "\"properties\":{\"message\":{\"type\":\"string\"},\"type\":"
	    "{\"type\":\"string\"},\"param\":{\"type\":[\"string\",\"null\"]},"
	    "\"code\":{\"type\":[\"string\",\"null\"]}}}}}";
	static const char schemes[] = "{\"apiKey\":{\"type\":\"http\","
	    "\"scheme\":\"bearer\",\"description\":\"An API key (pm_live_...):"
	    " Authorization: Bearer KEY. Never in the address.\"},\"session\":"
	    "{\"type\":\"apiKey\",\"in\":\"cookie\",\"name\":\"pm_session\","
	    "\"description\":\"A signed-in browser session; a request that"
	    " changes anything also sends X-CSRF-Token.\"}}";
	json_object *c = json_object_new_object(), *s = json_object_new_object();

	json_object_object_add(s, "Error", json_tokener_parse(err_shape));
	json_object_object_add(s, "OpenAIError", json_tokener_parse(oa_shape));
	json_object_object_add(c, "schemas", s);
	json_object_object_add(c, "securitySchemes", json_tokener_parse(schemes));
	return c;
}

void h_api_openapi(struct req *r)
{
	json_object *o = json_object_new_object(), *info, *paths, *item;
	struct buf p = { 0 };
	char method[16];
	size_t i, k;

	json_object_object_add(o, "openapi", json_object_new_string("3.1.0"));
	info = json_object_new_object();
	json_object_object_add(info, "title",
	    json_object_new_string("Prompt Manager API"));
	json_object_object_add(info, "version", json_object_new_string("1"));
	json_object_object_add(info, "description", json_object_new_string(
	    "Versioned prompts run against many models. Authenticate with an API"
	    " key (Authorization: Bearer pm_live_...) of the scope each operation"
	    " names (x-api-key-scope). Answers that count against a limit carry"
	    " X-RateLimit-Limit, -Remaining and -Reset; a 429 carries"
	    " Retry-After."));
	json_object_object_add(o, "info", info);
	paths = json_object_new_object();
	for (i = 0; i < nroutes; i++) {
		const struct api_doc *d;

		if (strncmp(routes[i].pattern, "/api/", 5) != 0 ||
		    (d = doc_of(&routes[i])) == NULL)
			continue;
		buf_reset(&p);
		oa_path(routes[i].pattern, &p);
		if ((item = json_object_object_get(paths, buf_cstr(&p))) == NULL) {
			item = json_object_new_object();
			json_object_object_add(paths, buf_cstr(&p), item);
		}
		for (k = 0; http_method_names[routes[i].method][k] && k < 15; k++)
			method[k] = (char)(http_method_names[routes[i].method][k] |
			    0x20);
		method[k] = '\0';
		json_object_object_add(item, method, operation(&routes[i], d));
	}
	buf_free(&p);
	json_object_object_add(o, "paths", paths);
	json_object_object_add(o, "components", components());
	resp_json(r, 200, o);
}
