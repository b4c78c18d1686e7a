/* event_stream.c - the run of a request: within the caps of the process
 * and the site, and answered as Server-Sent Events when streamed: "delta"
 * events as the model's output arrives, comments while it thinks, and a
 * final "done" or "error" event (the run page's script and the API). */
#include "event_stream.h"

#include <string.h>

#include "answer.h"
#include "buf.h"
#include "clock.h"
#include "http.h"
#include "server.h"


static int sse_send(struct run_stream *s, const char *event, json_object *data)
{
	struct buf b = { 0 };
	int rc;

	buf_printf(&b, "event: %s\ndata: %s\n\n", event,
	    json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	rc = resp_stream_write(s->r, b.data, b.len);
	buf_free(&b);
	s->last_write_us = clock_mono_us();
	return rc;
}

void run_input_of(struct req *r, struct exec_input *in, const char *channel)
{
	memset(in, 0, sizeof(*in));
	in->user_id = r->user.id;
	in->plan_id = r->user.plan_id;
	in->plan_source = r->user.plan_source;
	in->catalog_gen = r->user.catalog_gen;
	in->api_key_id = r->user.api_key_id;
	in->key_cap_micros = r->user.api_key_id ? r->user.key_cap_micros : -1;
	in->channel = channel;
	in->max_tokens = -1;
	in->now = r->now;
}

void rate_headers(struct req *r, const struct exec_rate *rt)
{
	if (rt->limit <= 0)
		return;
	resp_header(r, "X-RateLimit-Limit", "%lld", (long long)rt->limit);
	resp_header(r, "X-RateLimit-Remaining", "%lld", (long long)rt->remaining);
	resp_header(r, "X-RateLimit-Reset", "%lld", (long long)rt->reset);
}

int stream_begin(struct run_stream *s)
{
	if (s->started)
		return 0;
	s->started = 1;
	rate_headers(s->r, &s->rate);
	if (s->exec_id != NULL && *s->exec_id > 0)
		resp_header(s->r, "X-Execution-Id", "%lld", (long long)*s->exec_id);
	if (resp_stream_begin(s->r, 200, "text/event-stream; charset=utf-8"))
		return 1;
	s->last_write_us = clock_mono_us();
	return 0;
}

int stream_delta(void *arg, const char *text, size_t len)
{
	struct run_stream *s = arg;
	json_object *o;
	int rc;

	if (!s->started && stream_begin(s))
		return 1;
	if (text == NULL)
		return 0;
	o = json_object_new_object();
	json_object_object_add(o, "t", json_object_new_string_len(text, (int)len));
	rc = sse_send(s, "delta", o);
	json_object_put(o);
	return rc != 0;
}

/* While the model thinks, a comment every second: it keeps proxies from
 * timing out and tells us when the browser has gone (the write fails). */
int stream_cancel(void *arg)
{
	struct run_stream *s = arg;

	/* Before a stream begins, and for an answer in one piece, the client
	 * leaving shows as the web server closing the connection. */
	if (!s->started || s->r->client_gone)
		return req_client_gone(s->r);
	if (clock_mono_us() - s->last_write_us < 1000000)
		return 0;
	s->last_write_us = clock_mono_us();
	return resp_stream_write(s->r, ": keep-alive\n\n", 14) != 0;
}

/* End a started stream: a "done" event with the result, or an "error"
 * event with the message of the failure. Takes result and f->details. */
void stream_end(struct run_stream *s, int rc, json_object *result,
    int64_t id, struct pm_fail *f)
{
	struct buf m = { 0 };
	json_object *o;

	if (rc == 0)
		o = json_object_get(result);
	else {
		o = json_object_new_object();
		pm_fail_text(rc, f, &m);
		json_object_object_add(o, "id", json_object_new_int64(id));
		json_object_object_add(o, "message",
		    json_object_new_string(buf_cstr(&m)));
		json_object_put(f->details);
		f->details = NULL;
		buf_free(&m);
	}
	if (s->end_extra != NULL) {
		json_object_object_foreach(s->end_extra, k, v)
			json_object_object_add(o, k, json_object_get(v));
	}
	sse_send(s, rc == 0 ? "done" : "error", o);
	json_object_put(o);
	json_object_put(result);
	json_object_put(s->end_extra);
	s->end_extra = NULL;
	s->r->done = 1;
}


int run_execute(struct req *r, const struct exec_input *in,
    json_object **result, int64_t *exec_id, struct pm_fail *f)
{
	int rc;

	*result = NULL;
	*exec_id = 0;
	if (server_run_enter() != 0) {
		pm_refuse(f, PM_BUSY, "exec.busy", NULL);
		f->retry_after = 2;
		return PM_BUSY;
	}
	rc = execute_run(r->db, in, result, exec_id, f);
	server_run_leave();
	return rc;
}
