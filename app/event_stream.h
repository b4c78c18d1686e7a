/* event_stream.h - the run of a request (see event_stream.c): within the
 * caps, and answered as Server-Sent Events: the callbacks execute_run()
 * calls, and the end. */
#ifndef PM_EVENT_STREAM_H
#define PM_EVENT_STREAM_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "execute.h"

struct req;

/* execute_run() for request r, counted against the runs the process and
 * the site may hold at once (max_runs_per_process, max_runs): beyond
 * them, PM_BUSY (503, Retry-After 2 s) at once, before anything else.
 * Same returns as execute_run(). */
int run_execute(struct req *r, const struct exec_input *in,
    json_object **result, int64_t *exec_id, struct pm_fail *f);

/* Streaming state of one run; start it as { .r = r }. */
struct run_stream {
	struct req	*r;
	int		 started;
	int64_t		 last_write_us;
	/* When set: the execution's id, known once the run is admitted, is
	 * sent as the X-Execution-Id header of the stream. */
	const int64_t	*exec_id;
	/* When set, its members are added to the end event (taken). */
	json_object	*end_extra;
	/* The run's rate limit (point exec_input.rate_out here): sent as
	 * X-RateLimit-* headers when the stream begins. */
	struct exec_rate rate;
};

/* The X-RateLimit-Limit, -Remaining and -Reset headers of a run that
 * counted against a limit (rt->limit > 0); nothing otherwise. */
void rate_headers(struct req *r, const struct exec_rate *rt);


/* Fill in the caller of request r: the user, what the session or the API
 * key read of the plan, the key and its cap, the channel ("UI" or "API")
 * and the time; the rest of in is zeroed. */
void run_input_of(struct req *r, struct exec_input *in, const char *channel);
/* Begin the 200 text/event-stream response of s once (with X-Execution-Id
 * when s->exec_id is set). Returns non-zero when the client is gone. */
int stream_begin(struct run_stream *s);
/* execute_run()'s on_delta: the first call (text NULL, the run admitted)
 * begins the 200 text/event-stream response (with X-Execution-Id when
 * s->exec_id is set); each piece of output is a
 * "delta" event {"t": text}. Returns non-zero when the client is gone. */
int stream_delta(void *arg, const char *text, size_t len);
/* execute_run()'s should_cancel, for every run: before the stream begins
 * (or when the answer comes in one piece), whether the web server closed
 * the connection (req_client_gone); once it has begun, a comment line at
 * most every second while the model thinks (keeps proxies from timing
 * out, and tells when the client has gone). Returns non-zero when the
 * client is gone. */
int stream_cancel(void *arg);
/* End a started stream: a "done" event with the result, or an "error"
 * event {"id", "message"} with the sentence of the failure rc, each with
 * the members of s->end_extra. Takes result, s->end_extra and
 * f->details. */
void stream_end(struct run_stream *s, int rc, json_object *result,
    int64_t id, struct pm_fail *f);

#endif
