/* http.h - one request/response exchange: parsed input and buffered output.
 *
 * Untrusted input is parsed and checked here, before any handler runs:
 * percent-encoding, UTF-8 validity, NUL bytes, size limits and JSON syntax.
 * Handlers see only valid strings.
 *
 * Error convention of the HTTP layer: every failure a user sees goes through
 * resp_error(), which renders the one HTML error page or the one JSON error
 * body {"error":{"type":...,"message":...}} (for /api/ paths).
 *
 * Memory: everything a request allocates comes from its arena (req_alloc,
 * req_strdup) or is owned by struct req, and is released by req_end().
 */
#ifndef PM_HTTP_H
#define PM_HTTP_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "crypto.h"

struct db;
struct FCGX_Request;

enum http_method {
	M_GET,
	M_HEAD,
	M_POST,
	M_PUT,
	M_PATCH,
	M_DELETE,
	M_OPTIONS,
	M__MAX
};

extern const char *const http_method_names[M__MAX];

struct param {
	const char	*key;
	const char	*val;
	size_t		 len;
	int64_t		 num;	/* router :n and :id values */
};

struct params {
	struct param	*v;
	size_t		 n;
	size_t		 cap;
};

struct arena_chunk;

/* The signed-in user of a request (id 0 when anonymous). */
struct user {
	int64_t		 id;
	const char	*email;
	int		 is_admin;
	int64_t		 session_id;
	const char	*csrf;		/* the session's CSRF token */
	/* Read with the session, for plan_of(): the assigned plan (0: none),
	 * the assignment's enum plan_source, the catalog generation. */
	int64_t		 plan_id;
	int		 plan_source;
	int64_t		 catalog_gen;
	/* With an API key (key_auth.c) instead of a session: the key, its
	 * enum api_scope and its monthly spend cap (-1: none). */
	int64_t		 api_key_id;
	int		 api_scope;
	int64_t		 key_cap_micros;
};

struct req {
	struct FCGX_Request *fcgi;	/* NULL in unit tests */
	char		**envp;		/* CGI parameters */
	struct arena_chunk *arena;
	struct db	*db;

	enum http_method method;
	int		 head;		/* HEAD: answer as GET, send no body */
	int		 is_api;	/* path under /api/ */
	int		 openai_errors;	/* JSON errors in OpenAI's shape */
	int		 https;
	const char	*path;		/* percent-decoded, without the query */
	struct params	 query;
	struct params	 form;		/* urlencoded body */
	struct params	 cookies;
	struct params	 args;		/* :params matched by the router */
	const char	*body;
	size_t		 body_len;
	const char	*content_type;	/* without parameters, lower case */
	struct json_object *json;	/* parsed JSON body, owned */
	const char	*remote_addr;
	char		 rid[17];
	int64_t		 now;		/* clock_now() at the start */
	int64_t		 start_us;

	struct user	 user;
	char		 anon_csrf[TOKEN_LEN + 1];	/* pm_csrf cookie token */
	int		 set_anon_csrf;

	/* Response. */
	int		 status;
	struct buf	 headers;	/* extra "Name: value\r\n" lines */
	struct buf	 out;		/* body */
	int		 headers_sent;	/* streaming has begun */
	int		 done;		/* response complete */
	int		 client_gone;	/* writing to the client failed */
};

/* --- request.c --- */

/* Allocate n bytes that live until req_end(). */
void *req_alloc(struct req *r, size_t n);
/* Copy n bytes of s into the request arena, NUL-terminated. */
char *req_strndup(struct req *r, const char *s, size_t n);
char *req_strdup(struct req *r, const char *s);
/* printf into the request arena. */
char *req_printf(struct req *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Percent-decode n bytes of s into out; with plus_space, '+' becomes ' '.
 * Returns 0, or -1 on a malformed escape. */
int url_decode(const char *s, size_t n, int plus_space, struct buf *out);
/* Parse an application/x-www-form-urlencoded string (query or body) into
 * p, keys and values decoded into the arena. Returns 0, or -1 when an
 * escape is malformed or a key or value is not text (text_valid: invalid
 * UTF-8 or a control character). */
int parse_urlencoded(struct req *r, const char *s, size_t n, struct params *p);
/* The same, pointing *bad_key (when not NULL) at the decoded name of the
 * field that could not be decoded, or NULL when its name could not be
 * either. */
int parse_urlencoded_at(struct req *r, const char *s, size_t n,
    struct params *p, const char **bad_key);
/* Parse a Cookie header into p. Returns 0, or -1 on NUL, control bytes or
 * invalid UTF-8. */
int parse_cookies(struct req *r, const char *s, struct params *p);
/* Append a key/value pair to p (strings not copied). */
void params_add(struct req *r, struct params *p, const char *key,
    const char *val, size_t len);
/* The first value of key in p, or NULL. */
const char *params_get(const struct params *p, const char *key);

/* Read the CGI environment and body of a FastCGI request into r and parse
 * them. On bad input, answers the error itself (400, 413, 415) and returns
 * -1; returns 0 when the request may be dispatched. */
int req_begin(struct req *r, struct FCGX_Request *fcgi, struct db *db);
/* Finish the response (when not already done) and free everything the
 * request owns. */
void req_end(struct req *r);
/* A CGI parameter (e.g. "HTTP_X_CSRF_TOKEN"), or NULL. Valid until
 * req_end(). */
const char *req_env(const struct req *r, const char *name);
/* Query or form value by name, or NULL. */
const char *req_query(const struct req *r, const char *key);
const char *req_form(const struct req *r, const char *key);
/* A router :param by name, or NULL. */
const char *req_arg(const struct req *r, const char *key);
/* A numeric router :param (:n, :id) by name, or 0 when there is none. */
int64_t req_num(const struct req *r, const char *key);
/* A cookie by name, or NULL. */
const char *req_cookie(const struct req *r, const char *key);

/* --- response.c --- */

/* Add a response header line. The value must not hold CR or LF. */
void resp_header(struct req *r, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Set a cookie: Path=/, HttpOnly, SameSite=Lax, Secure over HTTPS;
 * max_age < 0 omits Max-Age (session cookie), 0 deletes the cookie. */
void resp_cookie(struct req *r, const char *name, const char *value,
    int64_t max_age);
/* Send a complete response with the given status, content type and body
 * bytes. */
void resp_send(struct req *r, int status, const char *ctype,
    const char *body, size_t len);
/* Send obj as the JSON body (takes ownership of obj). */
void resp_json(struct req *r, int status, struct json_object *obj);
/* Render template name inside the layout with data (takes ownership of
 * data) and send it as HTML. */
void resp_page(struct req *r, int status, const char *name,
    struct json_object *data);
/* Whether p is a path on this site that is safe to redirect to: starts
 * with one "/", holds no control character and no backslash. */
int local_path(const char *p);
/* Redirect with 303 See Other to a local path (anything else: "/"). */
void resp_redirect(struct req *r, const char *location);
/* Begin a streamed response: send the status and headers now. Returns 0,
 * or -1 when the client is gone. */
int resp_stream_begin(struct req *r, int status, const char *ctype);
/* Whether the client has gone: the web server closed the FastCGI
 * connection (it does when its client leaves), or a write failed. Cheap
 * (one poll); sets r->client_gone. */
int req_client_gone(struct req *r);
/* Write and flush bytes of a streamed response. Returns 0, or -1 when the
 * client is gone (r->client_gone is then set). */
int resp_stream_write(struct req *r, const char *p, size_t n);
/* Common template data for a page: the user, CSRF token, flash notice,
 * current section. Returns a new object the caller fills and hands to
 * resp_page(). */
struct json_object *page_data(struct req *r, const char *section);
/* Queue a one-time notice (a catalog key under "flash.") for the next
 * page. */
void flash_set(struct req *r, const char *key);
/* Add a message to a form page's error summary (data keys error_list and
 * has_errors). */
void form_error_text(struct json_object *d, const char *text);
/* Add a field error: the catalog text for key under errors.<field>, and in
 * the summary. */
void form_error(struct json_object *d, const char *field, const char *key);
/* The CSRF token forms of this request must carry. */
const char *csrf_token(struct req *r);

/* The reason phrase of an HTTP status. */
const char *http_reason(int status);

#endif
