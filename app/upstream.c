/* upstream.c - the OpenRouter client: chat completions (JSON or SSE), GET
 * endpoints, exact decimal amounts. */
#include "upstream.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "jsonx.h"
#include "money.h"
#include "msg.h"
#include "sse.h"
#include "util.h"

static const char *const status_names[UP__MAX] = {
	[UP_OK] = "ok",
	[UP_TIMEOUT] = "timeout",
	[UP_CONNECT] = "connect",
	[UP_HTTP_ERROR] = "http_error",
	[UP_BAD_RESPONSE] = "bad_response",
	[UP_STREAM_ERROR] = "stream_error",
	[UP_DROPPED] = "dropped",
	[UP_CANCELLED] = "cancelled",
	[UP_INVALID] = "invalid",
};

const char *upstream_status_name(enum upstream_status st)
{
	if ((int)st < 0 || st >= UP__MAX)
		return "unknown";
	return status_names[st];
}

/* ------------------------------------------------------------------ */
/* Process-wide and per-thread state */

static int global_ready;
/* Each thread's multi handle: its connection cache. One inherited across
 * fork() (by the thread that forked) is abandoned: closing it would shut
 * the parent's TLS sessions. */
static __thread CURLM *multi;
static __thread pid_t multi_pid;
static __thread CURLM *inherited;

int upstream_global_init(void)
{
	if (global_ready)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	global_ready = 1;
	return 0;
}

void upstream_thread_cleanup(void)
{
	if (multi != NULL && multi_pid == getpid())
		curl_multi_cleanup(multi);
	multi = NULL;
}

void upstream_global_cleanup(void)
{
	upstream_thread_cleanup();
	if (global_ready) {
		curl_global_cleanup();
		global_ready = 0;
	}
}

/* This thread's multi handle, created on first use. */
static CURLM *get_multi(void)
{
	if (multi != NULL && multi_pid != getpid()) {
		inherited = multi;
		multi = NULL;
	}
	if (multi == NULL) {
		/* A program without threads may start libcurl here. */
		if (upstream_global_init() != 0)
			return NULL;
		multi = curl_multi_init();
		multi_pid = getpid();
	}
	return multi;
}

/* ------------------------------------------------------------------ */
/* Small helpers */

/* Parse exactly n bytes of JSON text into one value. Returns it (caller
 * frees) or NULL. */
static json_object *parse_json(const char *s, size_t n)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *o;
	size_t end;

	if (tok == NULL)
		return NULL;
	/* The terminating NUL (present in every buf) ends a bare number. */
	o = json_tokener_parse_ex(tok, s, (int)n + 1);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		json_tokener_free(tok);
		return NULL;
	}
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	for (; end < n; end++)
		if (s[end] != ' ' && s[end] != '\t' && s[end] != '\n' &&
		    s[end] != '\r') {
			json_object_put(o);
			return NULL;
		}
	return o;
}

/* Whether s can go into a header value: printable ASCII only. */
static int header_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* Copy text into out (size bytes) with control characters turned into
 * spaces, every occurrence of the secret (when it is 6 bytes or more)
 * replaced by "[redacted]", and a cut that never splits a UTF-8
 * sequence. */
static void clean_copy(char *out, size_t size, const char *text,
    const char *secret)
{
	size_t o = 0, slen = secret ? strlen(secret) : 0, cut;
	const char *p = text;

	while (*p && o + 1 < size) {
		if (slen >= 6 && strncmp(p, secret, slen) == 0) {
			const char *r = "[redacted]";

			while (*r && o + 1 < size)
				out[o++] = *r++;
			p += slen;
			continue;
		}
		out[o++] = (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p;
		p++;
	}
	out[o] = '\0';
	if (*p != '\0' && o > 0) {
		/* Truncated: drop a trailing partial UTF-8 sequence. */
		cut = o;
		while (cut > 0 && ((unsigned char)out[cut - 1] & 0xc0) == 0x80)
			cut--;
		if (cut > 0 && ((unsigned char)out[cut - 1] & 0x80)) {
			unsigned char lead = (unsigned char)out[cut - 1];
			size_t want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;

			if (o - (cut - 1) < want)
				out[cut - 1] = '\0';
		}
	}
}

/* The message of an error object ({"error":{"message":...}}) or of a
 * plain string; NULL when there is none. */
static const char *error_text(json_object *err)
{
	const char *m;

	if (json_object_is_type(err, json_type_string))
		return json_object_get_string(err);
	if ((m = json_str_member(err, "message", NULL)) != NULL)
		return m;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* One transfer */

struct xfer {
	const struct upstream_req *rq;	/* NULL for GET */
	struct upstream_res	*rs;
	const char		*key;	/* to redact from messages */
	int64_t			 t0;
	int			 mode_set, sse_mode;
	struct buf		 body;
	size_t			 max_body;
	struct sse_parser	 sse;
	char			 content_type[64];
	char			 gen_id[128];
	int			 cancelled, bad, done, stream_error, got_finish;
	const char		*bad_why;
};

static void set_message(struct xfer *x, const char *text)
{
	clean_copy(x->rs->error_message, sizeof(x->rs->error_message), text,
	    x->key);
}

/* When the header line p (n bytes, with its CRLF) is "name: value",
 * return the trimmed value and its length in *vlen; else NULL. */
static const char *header_value(const char *p, size_t n, const char *name,
    size_t *vlen)
{
	size_t nl = strlen(name);

	if (n <= nl || strncasecmp(p, name, nl) != 0 || p[nl] != ':')
		return NULL;
	p += nl + 1;
	n -= nl + 1;
	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n' ||
	    p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	*vlen = n;
	return p;
}

/* Retry-After: delay-seconds or an HTTP date. Returns seconds or -1. */
static int parse_retry_after(const char *v, size_t n)
{
	char tmp[128];
	int64_t secs;
	time_t when;

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	if (parse_i64(tmp, 0, 86400 * 365, &secs) == 0)
		return (int)secs;
	if ((when = curl_getdate(tmp, NULL)) == -1)
		return -1;
	return when > time(NULL) ? (int)(when - time(NULL)) : 0;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb, vlen, i;
	const char *v;

	if (n > 5 && strncasecmp(p, "HTTP/", 5) == 0) {
		/* A new response (also after "100 Continue"). */
		long code = 0;

		for (i = 5; i < n && p[i] != ' '; i++)
			;
		for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++)
			code = code * 10 + (p[i] - '0');
		x->rs->http_status = code;
		x->rs->retry_after = -1;
		x->content_type[0] = '\0';
	} else if ((v = header_value(p, n, "retry-after", &vlen)) != NULL) {
		x->rs->retry_after = parse_retry_after(v, vlen);
	} else if ((v = header_value(p, n, "content-type", &vlen)) != NULL) {
		if (vlen >= sizeof(x->content_type))
			vlen = sizeof(x->content_type) - 1;
		memcpy(x->content_type, v, vlen);
		x->content_type[vlen] = '\0';
	} else if ((v = header_value(p, n, "x-generation-id", &vlen)) != NULL) {
		if (vlen >= sizeof(x->gen_id))
			vlen = sizeof(x->gen_id) - 1;
		memcpy(x->gen_id, v, vlen);
		x->gen_id[vlen] = '\0';
	}
	return n;
}

static void take_usage(struct upstream_res *rs, json_object *u)
{
	json_object *v;
	int64_t micros;

	if (!json_object_is_type(u, json_type_object))
		return;
	if (json_object_is_type(v = json_member(u, "prompt_tokens"), json_type_int))
		rs->prompt_tokens = json_object_get_int64(v);
	if (json_object_is_type(v = json_member(u, "completion_tokens"), json_type_int))
		rs->completion_tokens = json_object_get_int64(v);
	if ((v = json_member(u, "cost")) != NULL && dec_json_units(v, 6, &micros) == 0) {
		rs->has_cost = 1;
		rs->cost_micros = micros;
	}
	if (json_object_is_type(v = json_member(u, "is_byok"), json_type_boolean))
		rs->is_byok = json_object_get_boolean(v);
	if ((v = json_member(json_member(u, "cost_details"),
	    "upstream_inference_cost")) != NULL &&
	    !json_object_is_type(v, json_type_null) &&
	    dec_json_units(v, 6, &micros) == 0) {
		rs->has_upstream_cost = 1;
		rs->upstream_cost_micros = micros;
	}
}

static void take_id(struct upstream_res *rs, json_object *o)
{
	const char *id = json_str_member(o, "id", NULL);

	if (id != NULL && rs->upstream_id[0] == '\0')
		clean_copy(rs->upstream_id, sizeof(rs->upstream_id), id, NULL);
}

/* Record the content piece text (n bytes) and pass it on. Returns 0, or 1
 * when the caller cancels. */
static int take_content(struct xfer *x, const char *text, size_t n)
{
	struct upstream_res *rs = x->rs;

	if (n == 0)
		return 0;
	if (rs->ttft_us < 0)
		rs->ttft_us = clock_mono_us() - x->t0;
	buf_append(&rs->output, text, n);
	if (x->rq->on_delta != NULL && x->rq->on_delta(x->rq->arg, text, n)) {
		x->cancelled = 1;
		return 1;
	}
	return 0;
}

/* The finish_reason of a choice, and the error it may carry. */
static void take_choice_end(struct xfer *x, json_object *choice)
{
	const char *fr = json_str_member(choice, "finish_reason", NULL);
	const char *msg;

	if (fr == NULL)
		return;
	x->got_finish = 1;
	clean_copy(x->rs->finish_reason, sizeof(x->rs->finish_reason), fr,
	    NULL);
	if (strcmp(fr, "error") == 0) {
		x->stream_error = 1;
		if ((msg = error_text(json_member(choice, "error"))) != NULL)
			set_message(x, msg);
		else if (x->rs->error_message[0] == '\0')
			set_message(x, msg_get("upstream.ended_with_error"));
	}
}

/* One chunk of a stream (or a whole chat.completion when message is 1).
 * Returns 0, or 1 to stop (cancelled). */
static int take_chunk(struct xfer *x, json_object *o, int message)
{
	json_object *err = json_member(o, "error"), *choices, *c0, *part, *content;
	const char *msg;

	take_id(x->rs, o);
	if (err != NULL && !json_object_is_type(err, json_type_null)) {
		x->stream_error = 1;
		msg = error_text(err);
		set_message(x, msg ? msg : msg_get("upstream.reported_error"));
	}
	take_usage(x->rs, json_member(o, "usage"));
	choices = json_member(o, "choices");
	if (!json_object_is_type(choices, json_type_array) ||
	    json_object_array_length(choices) == 0)
		return 0;
	c0 = json_object_array_get_idx(choices, 0);
	part = json_member(c0, message ? "message" : "delta");
	if (part == NULL && message)
		part = json_member(c0, "delta");
	content = json_member(part, "content");
	if (json_object_is_type(content, json_type_string) &&
	    take_content(x, json_object_get_string(content),
	    (size_t)json_object_get_string_len(content)))
		return 1;
	take_choice_end(x, c0);
	return 0;
}

static int on_sse(void *arg, enum sse_kind kind, const char *text, size_t n)
{
	struct xfer *x = arg;
	json_object *o;
	int stop;

	if (kind == SSE_COMMENT) {
		x->rs->keepalives++;
		return 0;
	}
	if (n == 6 && memcmp(text, "[DONE]", 6) == 0) {
		x->done = 1;
		return 0;
	}
	if (x->done)
		return 0;
	if ((o = parse_json(text, n)) == NULL ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		x->bad = 1;
		x->bad_why = msg_get("upstream.event_not_json");
		return 1;
	}
	if (x->rq->on_chunk != NULL && x->rq->on_chunk(x->rq->arg, o)) {
		x->cancelled = 1;
		json_object_put(o);
		return 1;
	}
	stop = take_chunk(x, o, 0);
	json_object_put(o);
	return stop;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;
	int rc;

	if (!x->mode_set) {
		x->mode_set = 1;
		/* A 2xx answer to a streaming request is an event stream
		 * unless it says otherwise (JSON: parsed whole; anything
		 * else, such as a proxy's HTML page: a bad response). */
		x->sse_mode = x->rq != NULL && x->rq->stream &&
		    x->rs->http_status >= 200 && x->rs->http_status < 300 &&
		    (x->content_type[0] == '\0' ||
		    strncasecmp(x->content_type, "text/event-stream", 17) == 0);
	}
	if (x->sse_mode) {
		rc = sse_feed(&x->sse, p, n);
		if (rc == SSE_TOOBIG) {
			x->bad = 1;
			x->bad_why = msg_get("upstream.event_too_large");
		}
		return rc == SSE_OK ? n : 0;
	}
	if (x->body.len + n > x->max_body) {
		x->bad = 1;
		x->bad_why = msg_get("upstream.response_too_large");
		return 0;
	}
	buf_append(&x->body, p, n);
	return n;
}

/* Run the transfer on this process's multi handle, polling
 * should_cancel every UPSTREAM_POLL_MS. Returns curl's result. */
static CURLcode perform(CURL *h, struct xfer *x)
{
	CURLM *m = get_multi();
	CURLMsg *msg;
	CURLcode cc = CURLE_FAILED_INIT;
	int running = 1, left, finished = 0;

	if (m == NULL || curl_multi_add_handle(m, h) != CURLM_OK)
		return CURLE_FAILED_INIT;
	for (;;) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		while ((msg = curl_multi_info_read(m, &left)) != NULL)
			if (msg->msg == CURLMSG_DONE && msg->easy_handle == h) {
				cc = msg->data.result;
				finished = 1;
			}
		if (finished || running == 0)
			break;
		if (x->rq != NULL && x->rq->should_cancel != NULL &&
		    x->rq->should_cancel(x->rq->arg)) {
			x->cancelled = 1;
			cc = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		if (curl_multi_poll(m, NULL, 0, UPSTREAM_POLL_MS, NULL) !=
		    CURLM_OK)
			break;
	}
	/* Removing an unfinished transfer closes its connection. */
	curl_multi_remove_handle(m, h);
	return cc;
}

static int connect_error(CURLcode cc)
{
	switch (cc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SEND_ERROR:
	case CURLE_FAILED_INIT:
	case CURLE_OUT_OF_MEMORY:
		return 1;
	default:
		return 0;
	}
}

/* Set the common options of h. */
static void setup(CURL *h, struct xfer *x, const char *url,
    struct curl_slist *headers, long connect_ms, long total_ms, char *errbuf)
{
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "prompt-manager/1");
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	if (connect_ms > 0)
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	if (total_ms > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total_ms);
	errbuf[0] = '\0';
}

/* Append "Authorization: Bearer KEY" to list; the temporary copy is
 * wiped. Returns the list. */
static struct curl_slist *add_auth(struct curl_slist *list, const char *key)
{
	struct buf h = { 0 };

	buf_puts(&h, "Authorization: Bearer ");
	buf_puts(&h, key);
	list = curl_slist_append(list, h.data);
	explicit_bzero(h.data, h.len);
	buf_free(&h);
	return list;
}

/* Free a header list after wiping every header (one holds the key). */
static void free_headers(struct curl_slist *list)
{
	struct curl_slist *l;

	for (l = list; l != NULL; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

/* URL = base without trailing '/' + path. Caller frees. */
static char *join_url(const char *base, const char *path)
{
	struct buf u = { 0 };
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	buf_append(&u, base, n);
	buf_puts(&u, path);
	return buf_detach(&u);
}

/* Describe a failed transfer in rs->error_message. */
static void curl_message(struct xfer *x, CURLcode cc, const char *errbuf)
{
	set_message(x, errbuf[0] ? errbuf : curl_easy_strerror(cc));
}

/* The outcome of a finished chat transfer. */
static enum upstream_status classify(struct xfer *x, CURLcode cc,
    const char *errbuf)
{
	struct upstream_res *rs = x->rs;
	json_object *doc;
	const char *msg;
	char m[64];

	if (x->cancelled) {
		set_message(x, msg_get("upstream.cancelled"));
		return UP_CANCELLED;
	}
	if (rs->http_status >= 300) {
		doc = parse_json(buf_cstr(&x->body), x->body.len);
		if ((msg = error_text(json_member(doc, "error"))) != NULL) {
			set_message(x, msg);
		} else {
			struct buf b = { 0 };

			snprintf(m, sizeof(m), "%ld", rs->http_status);
			msg_fmt(&b, "upstream.http_status", "status", m, NULL);
			set_message(x, buf_cstr(&b));
			buf_free(&b);
		}
		json_object_put(doc);
		return UP_HTTP_ERROR;
	}
	if (x->bad) {
		set_message(x, x->bad_why);
		return UP_BAD_RESPONSE;
	}
	if (x->sse_mode) {
		if (x->stream_error)
			return UP_STREAM_ERROR;
		if (x->done)
			return UP_OK;
		if (cc == CURLE_OPERATION_TIMEDOUT) {
			curl_message(x, cc, errbuf);
			return UP_TIMEOUT;
		}
		if (cc == CURLE_OK && x->got_finish)
			return UP_OK;
		if (cc != CURLE_OK)
			curl_message(x, cc, errbuf);
		else
			set_message(x, msg_get("upstream.closed_early"));
		return UP_DROPPED;
	}
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		curl_message(x, cc, errbuf);
		return UP_TIMEOUT;
	}
	if (cc != CURLE_OK) {
		curl_message(x, cc, errbuf);
		if (rs->http_status == 0 && connect_error(cc))
			return UP_CONNECT;
		return UP_DROPPED;
	}
	if ((doc = parse_json(buf_cstr(&x->body), x->body.len)) == NULL ||
	    !json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		set_message(x, msg_get("upstream.not_json_object"));
		return UP_BAD_RESPONSE;
	}
	take_chunk(x, doc, 1);
	if (json_member(doc, "error") == NULL && !json_object_is_type(json_member(doc,
	    "choices"), json_type_array)) {
		json_object_put(doc);
		set_message(x, msg_get("upstream.no_choices"));
		return UP_BAD_RESPONSE;
	}
	if (x->rq->keep_doc)
		rs->doc = doc;
	else
		json_object_put(doc);
	if (x->cancelled) {
		set_message(x, msg_get("upstream.cancelled"));
		return UP_CANCELLED;
	}
	if (x->stream_error)
		return UP_STREAM_ERROR;
	return UP_OK;
}

static void res_reset(struct upstream_res *rs)
{
	buf_free(&rs->output);
	json_object_put(rs->doc);
	memset(rs, 0, sizeof(*rs));
	rs->retry_after = -1;
	rs->prompt_tokens = rs->completion_tokens = -1;
	rs->ttft_us = -1;
}

void upstream_res_free(struct upstream_res *rs)
{
	if (rs == NULL)
		return;
	res_reset(rs);
}

/* The request document. Caller frees. */
static json_object *build_body(const struct upstream_req *rq)
{
	static const char *const keys[] = { "temperature", "top_p",
	    "max_tokens", "stop" };
	json_object *b = json_object_new_object(), *v, *u;
	size_t i;

	json_object_object_add(b, "model", json_object_new_string(rq->model));
	json_object_object_add(b, "messages", json_object_get(rq->messages));
	json_object_object_add(b, "stream",
	    json_object_new_boolean(rq->stream != 0));
	for (i = 0; i < NELEM(keys); i++)
		if ((v = json_member(rq->params, keys[i])) != NULL &&
		    !json_object_is_type(v, json_type_null))
			json_object_object_add(b, keys[i], json_object_get(v));
	if (json_object_is_type(rq->extra, json_type_object)) {
		json_object_object_foreach(rq->extra, k, ev) {
			if (strcmp(k, "model") != 0 && strcmp(k, "messages") != 0 &&
			    strcmp(k, "stream") != 0 && strcmp(k, "usage") != 0)
				json_object_object_add(b, k, json_object_get(ev));
		}
	}
	if (rq->stream && rq->plain_openai) {
		u = json_object_new_object();
		json_object_object_add(u, "include_usage",
		    json_object_new_boolean(1));
		json_object_object_add(b, "stream_options", u);
	} else if (rq->stream) {
		u = json_object_new_object();
		json_object_object_add(u, "include", json_object_new_boolean(1));
		json_object_object_add(b, "usage", u);
	}
	return b;
}

/* Error types recorded with a failed execution, by status. */
static const char *const error_types[UP__MAX] = {
	[UP_OK] = NULL,
	[UP_TIMEOUT] = "upstream_timeout",
	[UP_CONNECT] = "upstream_unreachable",
	[UP_HTTP_ERROR] = "upstream_error",
	[UP_BAD_RESPONSE] = "upstream_bad_response",
	[UP_STREAM_ERROR] = "upstream_stream_error",
	[UP_DROPPED] = "upstream_dropped",
	[UP_CANCELLED] = "cancelled",
	[UP_INVALID] = "upstream_bad_response",
};

const char *upstream_error_type(const struct upstream_res *rs)
{
	if (rs->status == UP_HTTP_ERROR && rs->http_status == 429)
		return "upstream_rate_limited";
	if ((int)rs->status <= 0 || rs->status >= UP__MAX)
		return NULL;
	return error_types[rs->status];
}

int upstream_fail(const struct upstream_res *rs, long timeout_ms,
    struct pm_fail *f)
{
	switch (rs->status) {
	case UP_OK:
		return 0;
	case UP_TIMEOUT:
		pm_refuse(f, PM_TIMEOUT, "exec.upstream_timeout", NULL);
		pm_fail_arg(f, "seconds", "%ld", (timeout_ms + 999) / 1000);
		return PM_TIMEOUT;
	case UP_CANCELLED:
		return pm_refuse(f, PM_UPSTREAM, "exec.cancelled", NULL);
	case UP_HTTP_ERROR:
		if (rs->http_status == 429) {
			int wait = rs->retry_after > 0 ? rs->retry_after : 1;

			pm_refuse(f, PM_RATELIMIT, "exec.upstream_rate_limited", NULL);
			pm_fail_arg(f, "detail", "%s", rs->error_message);
			pm_fail_arg(f, "seconds", "%d", wait);
			if (f != NULL)
				f->retry_after = wait;
			return PM_RATELIMIT;
		}
		pm_refuse(f, PM_UPSTREAM, "exec.upstream_error", NULL);
		pm_fail_arg(f, "detail", "%s", rs->error_message);
		pm_fail_arg(f, "status", "%ld", rs->http_status);
		return PM_UPSTREAM;
	case UP_STREAM_ERROR:
		pm_refuse(f, PM_UPSTREAM, "exec.upstream_stream_error", NULL);
		pm_fail_arg(f, "detail", "%s", rs->error_message);
		return PM_UPSTREAM;
	case UP_DROPPED:
		return pm_refuse(f, PM_UPSTREAM, "exec.upstream_dropped", NULL);
	case UP_CONNECT:
		return pm_refuse(f, PM_UPSTREAM, "exec.upstream_unreachable", NULL);
	default:
		return pm_refuse(f, PM_UPSTREAM, "exec.upstream_bad", NULL);
	}
}

int upstream_chat(const struct upstream_req *rq, struct upstream_res *rs,
    struct pm_fail *f)
{
	struct xfer x;
	struct curl_slist *headers = NULL;
	struct buf hb = { 0 };
	json_object *body = NULL;
	const char *text, *title;
	char errbuf[CURL_ERROR_SIZE], *url = NULL;
	CURL *h = NULL;
	CURLcode cc;

	res_reset(rs);
	memset(&x, 0, sizeof(x));
	x.rq = rq;
	x.rs = rs;
	x.key = rq->api_key;
	x.max_body = UPSTREAM_MAX_BODY;
	x.t0 = clock_mono_us();
	sse_init(&x.sse, SSE_MAX_EVENT, on_sse, &x);

	if (rq->base_url == NULL || rq->model == NULL ||
	    !json_object_is_type(rq->messages, json_type_array)) {
		set_message(&x, msg_get("upstream.bad_request"));
		rs->status = UP_INVALID;
		goto out;
	}
	if (rq->api_key != NULL && !header_safe(rq->api_key)) {
		set_message(&x, msg_get("upstream.bad_key"));
		rs->status = UP_INVALID;
		goto out;
	}
	if ((h = curl_easy_init()) == NULL) {
		set_message(&x, msg_get("upstream.no_curl"));
		rs->status = UP_CONNECT;
		goto out;
	}
	body = build_body(rq);
	text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	url = join_url(rq->base_url, "/chat/completions");

	headers = curl_slist_append(headers, "Content-Type: application/json");
	headers = curl_slist_append(headers, rq->stream ?
	    "Accept: text/event-stream, application/json" :
	    "Accept: application/json");
	headers = curl_slist_append(headers, "Expect:");
	if (rq->api_key != NULL && rq->api_key[0] != '\0')
		headers = add_auth(headers, rq->api_key);
	title = rq->app_title ? rq->app_title : UPSTREAM_APP_TITLE;
	if (rq->app_referer != NULL && rq->app_referer[0] != '\0' &&
	    header_safe(rq->app_referer)) {
		buf_printf(&hb, "HTTP-Referer: %s", rq->app_referer);
		headers = curl_slist_append(headers, hb.data);
		buf_reset(&hb);
	}
	if (title[0] != '\0' && header_safe(title)) {
		buf_printf(&hb, "X-Title: %s", title);
		headers = curl_slist_append(headers, hb.data);
	}
	buf_free(&hb);

	setup(h, &x, url, headers, rq->connect_timeout_ms, rq->timeout_ms,
	    errbuf);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(text));
	cc = perform(h, &x);
	rs->status = classify(&x, cc, errbuf);
	if (rs->upstream_id[0] == '\0' && x.gen_id[0] != '\0')
		clean_copy(rs->upstream_id, sizeof(rs->upstream_id), x.gen_id,
		    NULL);
out:
	rs->latency_us = clock_mono_us() - x.t0;
	if (h != NULL)
		curl_easy_cleanup(h);
	free_headers(headers);
	json_object_put(body);
	free(url);
	buf_free(&x.body);
	sse_free(&x.sse);
	return upstream_fail(rs, rq->timeout_ms, f);
}

/* Refuse a GET with the sentence key, {path} and {detail}. */
static int get_fail(struct pm_fail *f, const char *key, const char *path,
    const char *detail, long status)
{
	pm_refuse(f, PM_UPSTREAM, key, NULL);
	pm_fail_arg(f, "path", "%s", path);
	pm_fail_arg(f, "detail", "%s", detail);
	pm_fail_arg(f, "status", "%ld", status);
	return PM_UPSTREAM;
}

int upstream_get_json(const char *base_url, const char *path,
    const char *api_key, long timeout_ms, json_object **out, struct pm_fail *f)
{
	struct upstream_res rs = { 0 };
	struct xfer x;
	struct curl_slist *headers = NULL;
	json_object *doc = NULL;
	const char *msg;
	char errbuf[CURL_ERROR_SIZE], *url = NULL;
	CURL *h;
	CURLcode cc;
	int rc = 0;

	*out = NULL;
	if (base_url == NULL || path == NULL)
		return get_fail(f, "upstream.get_failed", path ? path : "",
		    msg_get("upstream.bad_request"), 0);
	res_reset(&rs);
	memset(&x, 0, sizeof(x));
	x.rs = &rs;
	x.key = api_key;
	x.max_body = UPSTREAM_MAX_BODY;
	if (api_key != NULL && !header_safe(api_key))
		return get_fail(f, "upstream.get_failed", path,
		    msg_get("upstream.bad_key"), 0);
	if ((h = curl_easy_init()) == NULL)
		return get_fail(f, "upstream.get_failed", path,
		    msg_get("upstream.no_curl"), 0);
	url = join_url(base_url, path);
	headers = curl_slist_append(headers, "Accept: application/json");
	if (api_key != NULL && api_key[0] != '\0')
		headers = add_auth(headers, api_key);
	setup(h, &x, url, headers, timeout_ms, timeout_ms, errbuf);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	cc = perform(h, &x);
	if (x.bad) {
		rc = get_fail(f, "upstream.get_failed", path, x.bad_why, 0);
	} else if (cc != CURLE_OK) {
		curl_message(&x, cc, errbuf);
		rc = get_fail(f, "upstream.get_failed", path, rs.error_message, 0);
		if (cc == CURLE_OPERATION_TIMEDOUT && f != NULL)
			rc = PM_TIMEOUT;
	} else if ((doc = parse_json(buf_cstr(&x.body), x.body.len)) == NULL) {
		rc = get_fail(f, "upstream.get_not_json", path, "", rs.http_status);
	} else if (rs.http_status < 200 || rs.http_status >= 300) {
		if ((msg = error_text(json_member(doc, "error"))) != NULL)
			set_message(&x, msg);
		rc = get_fail(f, msg ? "upstream.get_http" :
		    "upstream.get_http_bare", path, msg ? rs.error_message : "",
		    rs.http_status);
	} else {
		*out = doc;
		doc = NULL;
	}
	json_object_put(doc);
	curl_easy_cleanup(h);
	free_headers(headers);
	free(url);
	buf_free(&x.body);
	upstream_res_free(&rs);
	return rc;
}
