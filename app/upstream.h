/* upstream.h - the OpenRouter client: chat completions (JSON or streamed
 * as Server-Sent Events) and GET endpoints (/models, /key).
 *
 * Process model: call upstream_global_init() once at program start, before
 * forking workers or starting threads. Each thread then keeps its own
 * connection cache, created on first use (so after the fork), released by
 * upstream_thread_cleanup() when the thread ends; upstream_global_cleanup()
 * releases the calling thread's and libcurl at exit.
 *
 * Error convention (error.h): upstream_chat() returns 0 or the failure's
 * enum pm_err with its sentence in a struct pm_fail; the detailed outcome
 * (enum upstream_status, recorded with the execution) and everything
 * received, even partial output, token counts and cost seen before a
 * failure, are in a struct upstream_res that the caller frees with
 * upstream_res_free(), whatever the outcome. The API key is never logged, never copied into a result
 * or a message, and its copies in request headers are wiped after use.
 */
#ifndef PM_UPSTREAM_H
#define PM_UPSTREAM_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

/* X-Title sent when the request names none (OpenRouter app attribution). */
#define UPSTREAM_APP_TITLE	"Prompt Manager"
/* Largest response body read whole (JSON completion, error, GET). */
#define UPSTREAM_MAX_BODY	(32 * 1024 * 1024)
/* How often should_cancel is polled while waiting for the upstream. */
#define UPSTREAM_POLL_MS	100

enum upstream_status {
	UP_OK = 0,		/* complete answer */
	UP_TIMEOUT,		/* connect or total timeout */
	UP_CONNECT,		/* could not connect (DNS, refused, TLS) */
	UP_HTTP_ERROR,		/* HTTP status >= 300: see http_status */
	UP_BAD_RESPONSE,	/* unparsable or oversized response */
	UP_STREAM_ERROR,	/* HTTP 200 carrying an error (chunk, body or
				 * finish_reason "error") */
	UP_DROPPED,		/* connection closed before the end */
	UP_CANCELLED,		/* on_delta or should_cancel asked to stop */
	UP_INVALID,		/* bad arguments: nothing was sent */
	UP__MAX
};

struct upstream_req {
	const char	*base_url;	/* e.g. "https://openrouter.ai/api/v1" */
	const char	*api_key;	/* NULL or "": no Authorization header */
	const char	*model;		/* "openai/gpt-4o-mini" */
	json_object	*messages;	/* array of {role, content}; borrowed */
	json_object	*params;	/* NULL or {temperature, top_p,
					 * max_tokens, stop}; borrowed */
	int		 stream;	/* 1: ask for SSE */
	long		 connect_timeout_ms;	/* <= 0: no separate limit */
	long		 timeout_ms;		/* whole call; <= 0: none */
	const char	*app_referer;	/* HTTP-Referer; NULL: not sent */
	const char	*app_title;	/* X-Title; NULL: UPSTREAM_APP_TITLE */
	/* Each piece of content as it arrives (streaming), or the whole
	 * content once (non-streaming); may be NULL. Return non-zero to
	 * cancel (the browser went away): the transfer is aborted at once. */
	int		(*on_delta)(void *arg, const char *text, size_t len);
	/* Polled at least every UPSTREAM_POLL_MS while the call runs; may
	 * be NULL. Return non-zero to cancel. */
	int		(*should_cancel)(void *arg);
	void		*arg;
	/* The public API's pass-through (may all be NULL/0): more members of
	 * the request body, copied as they are (not model, messages, stream
	 * or usage); every chunk of a stream as it arrives (borrowed; return
	 * non-zero to cancel); keep the whole answer of a call that does not
	 * stream in rs->doc. */
	json_object	*extra;
	int		(*on_chunk)(void *arg, json_object *chunk);
	int		 keep_doc;
	/* The provider is OpenAI-compatible but not OpenRouter (a BYOK key
	 * of OpenAI, Groq...): a stream asks for its usage with OpenAI's
	 * "stream_options": {"include_usage": true}, not OpenRouter's
	 * "usage": {"include": true}, which such providers refuse. */
	int		 plain_openai;
};

struct upstream_res {
	enum upstream_status status;
	long		 http_status;	/* 0 when no response arrived */
	int		 retry_after;	/* seconds from Retry-After, or -1 */
	/* The provider's error.message when it sent one, else a short
	 * description of the failure; "" on success. Control characters are
	 * replaced by spaces and the API key never appears. */
	char		 error_message[512];
	struct buf	 output;	/* the content received, even partial */
	int64_t		 prompt_tokens;		/* -1 when unknown */
	int64_t		 completion_tokens;	/* -1 when unknown */
	int		 has_cost;	/* usage.cost was present */
	int64_t		 cost_micros;	/* usage.cost in USD * 1e6, rounded up */
	char		 finish_reason[32];	/* "" when none was received */
	char		 upstream_id[128];	/* response id (or X-Generation-Id) */
	int64_t		 ttft_us;	/* to the first content byte, -1: none */
	int64_t		 latency_us;	/* the whole call */
	int		 keepalives;	/* SSE comment lines received */
	json_object	*doc;		/* with keep_doc: the chat.completion */
	int		 is_byok;	/* usage.is_byok was true */
	/* usage.cost_details.upstream_inference_cost: what the provider
	 * charged a BYOK call (usage.cost is then only OpenRouter's fee) */
	int		 has_upstream_cost;
	int64_t		 upstream_cost_micros;
};

/* Initialise libcurl for the whole program. Call once at program start,
 * before any thread or fork (pm-fcgi: in the master, before forking
 * workers; pm-admin: in main). Returns 0, or -1 when libcurl cannot
 * start. Later calls do nothing. */
int upstream_global_init(void);
/* Close the calling thread's cached connections and release libcurl. */
void upstream_global_cleanup(void);
/* Close the calling thread's cached connections (at the end of a thread
 * that called upstream_chat). */
void upstream_thread_cleanup(void);

/* POST {base_url}/chat/completions with {model, messages, stream, params
 * (temperature, top_p, max_tokens, stop), and when streaming "usage":
 * {"include": true}}, parse the answer (a chat.completion document, or
 * its SSE stream of chunks ending in "data: [DONE]") and fill rs, which
 * the function first resets (pass a zeroed or freed struct).
 *
 * Outcomes: HTTP >= 300 is UP_HTTP_ERROR (message, Retry-After). With
 * HTTP 2xx: an "error" object or finish_reason "error" is
 * UP_STREAM_ERROR; an event or body that is not a JSON object (or an
 * answer that is neither JSON nor an event stream) is UP_BAD_RESPONSE; a
 * stream is complete at "data: [DONE]", or at a clean end of the
 * connection after a finish_reason, and UP_DROPPED otherwise. A call
 * past timeout_ms is UP_TIMEOUT (with what arrived so far).
 *
 * Blocking; the callbacks run inside the call and must not call
 * upstream_chat() themselves. Returns 0, or the refusal of
 * upstream_fail() with f (may be NULL) filled. */
int upstream_chat(const struct upstream_req *rq, struct upstream_res *rs,
    struct pm_fail *f);
/* The refusal for the outcome in rs: 0 for UP_OK; PM_TIMEOUT (naming the
 * timeout_ms limit in seconds), PM_RATELIMIT for the provider's 429 (with
 * its Retry-After, at least 1 s), PM_UPSTREAM for the others, each with
 * its catalog key (exec.upstream_*, exec.cancelled) and details in f. */
int upstream_fail(const struct upstream_res *rs, long timeout_ms,
    struct pm_fail *f);
/* The error type recorded with an execution that failed with rs
 * ("upstream_timeout", "upstream_rate_limited", "cancelled" ...), or NULL
 * for a success. */
const char *upstream_error_type(const struct upstream_res *rs);
/* Release what rs holds; it may be reused afterwards. */
void upstream_res_free(struct upstream_res *rs);
/* The name of a status ("ok", "timeout", "connect", "http_error",
 * "bad_response", "stream_error", "dropped", "cancelled", "invalid"). */
const char *upstream_status_name(enum upstream_status st);

/* GET {base_url}{path} (e.g. "/models", "/key") with the key as bearer
 * token when api_key is neither NULL nor "", and parse the JSON answer.
 * Returns 0 with the document in *out (caller frees with json_object_put),
 * or PM_UPSTREAM (PM_TIMEOUT for a timeout) with the sentence in f
 * (upstream.get_*: the path, the HTTP status and the provider's
 * error.message when given, never the key). */
int upstream_get_json(const char *base_url, const char *path,
    const char *api_key, long timeout_ms, json_object **out,
    struct pm_fail *f);

#endif
