/* api_execute.c - POST /api/v1/prompts/:slug/execute: run a prompt from
 * the API, answered as JSON or, with "stream": true, as Server-Sent
 * Events. Same pipeline as the run page (execute_run). */
#include "answer.h"
#include "event_stream.h"
#include "execute.h"
#include "handlers.h"
#include "http.h"
#include "jsonx.h"

/* {"variables"?, "version"?, "model"?, "max_tokens"?, "stream"?}, of the
 * types routes.c declares. */
void h_api_execute(struct req *r)
{
	struct run_stream rs = { .r = r };
	struct exec_input in;
	struct pm_fail f = { 0 };
	json_object *v, *result = NULL;
	int64_t id = 0;
	int rc;

	run_input_of(r, &in, "API");
	in.slug = req_arg(r, "slug");
	in.version = (v = json_member(r->json, "version")) ?
	    json_object_get_int(v) : 0;
	in.model = json_str_member(r->json, "model", NULL);
	in.max_tokens = (v = json_member(r->json, "max_tokens")) ?
	    json_object_get_int64(v) : -1;
	in.stream = json_object_get_boolean(json_member(r->json, "stream"));
	in.variables = json_member(r->json, "variables");
	in.on_delta = in.stream ? stream_delta : NULL;
	in.should_cancel = stream_cancel;
	in.arg = &rs;
	in.rate_out = &rs.rate;
	rc = run_execute(r, &in, &result, &id, &f);
	if (in.stream && rs.started) {
		stream_end(&rs, rc, result, id, &f);
		return;
	}
	if (rc != 0)
		answer_fail(r, rc, &f);
	else {
		rate_headers(r, &rs.rate);
		resp_json(r, 200, result);
	}
}
