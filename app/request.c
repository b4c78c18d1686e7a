/* request.c - reading and validating one FastCGI request (the edge). */
#include "answer.h"
#include "http.h"
#include "router.h"
#include "jsonx.h"

#include <ctype.h>
#include <fcgiapp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "util.h"

const char *const http_method_names[M__MAX] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"
};

struct arena_chunk {
	struct arena_chunk *next;
	size_t		 used;
	size_t		 cap;
	max_align_t	 data[];
};

#define ARENA_CHUNK 8192

void *req_alloc(struct req *r, size_t n)
{
	struct arena_chunk *c = r->arena;
	size_t need = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	char *p;

	if (c == NULL || c->cap - c->used < need) {
		size_t cap = need > ARENA_CHUNK ? need : ARENA_CHUNK;
		c = xmalloc(sizeof(*c) + cap);
		c->cap = cap;
		c->used = 0;
		if (need > ARENA_CHUNK && r->arena != NULL) {
			/* Big block: keep the current chunk in front for
			 * small allocations. */
			c->next = r->arena->next;
			r->arena->next = c;
		} else {
			c->next = r->arena;
			r->arena = c;
		}
	}
	p = (char *)c->data + c->used;
	c->used += need;
	return p;
}

char *req_strndup(struct req *r, const char *s, size_t n)
{
	char *p = req_alloc(r, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *req_strdup(struct req *r, const char *s)
{
	return req_strndup(r, s, strlen(s));
}

char *req_printf(struct req *r, const char *fmt, ...)
{
	struct buf b = { 0 };
	va_list ap;
	char *p;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	p = req_strndup(r, buf_cstr(&b), b.len);
	buf_free(&b);
	return p;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int url_decode(const char *s, size_t n, int plus_space, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi, lo;
			if (i + 2 >= n)
				return -1;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			buf_putc(out, hi << 4 | lo);
			i += 2;
		} else if (s[i] == '+' && plus_space)
			buf_putc(out, ' ');
		else
			buf_putc(out, s[i]);
	}
	if (out->data == NULL) {
		buf_grow(out, 0);
		out->data[0] = '\0';
	}
	return 0;
}

void params_add(struct req *r, struct params *p, const char *key,
    const char *val, size_t len)
{
	if (p->n == p->cap) {
		struct param *v;
		size_t cap = p->cap ? p->cap * 2 : 8;

		v = req_alloc(r, cap * sizeof(*v));
		if (p->n)
			memcpy(v, p->v, p->n * sizeof(*v));
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n].key = key;
	p->v[p->n].val = val;
	p->v[p->n].len = len;
	p->v[p->n].num = 0;
	p->n++;
}

const char *params_get(const struct params *p, const char *key)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].key, key) == 0)
			return p->v[i].val;
	return NULL;
}

/* Decode one key or value into the arena; reject NUL and bad UTF-8. */
static const char *decode_part(struct req *r, const char *s, size_t n,
    size_t *outlen, struct buf *tmp)
{
	buf_reset(tmp);
	if (url_decode(s, n, 1, tmp) != 0)
		return NULL;
	if (!text_valid(tmp->data, tmp->len))
		return NULL;
	*outlen = tmp->len;
	return req_strndup(r, tmp->data, tmp->len);
}

int parse_urlencoded(struct req *r, const char *s, size_t n, struct params *p)
{
	return parse_urlencoded_at(r, s, n, p, NULL);
}

int parse_urlencoded_at(struct req *r, const char *s, size_t n,
    struct params *p, const char **bad_key)
{
	struct buf tmp = { 0 };
	size_t i = 0;
	int rc = 0;

	while (i < n) {
		size_t end = i, eq, klen, vlen = 0;
		const char *k, *v;

		while (end < n && s[end] != '&')
			end++;
		if (end == i) {
			i++;
			continue;
		}
		eq = i;
		while (eq < end && s[eq] != '=')
			eq++;
		k = decode_part(r, s + i, eq - i, &klen, &tmp);
		v = eq < end ? decode_part(r, s + eq + 1, end - eq - 1, &vlen, &tmp)
		    : req_strdup(r, "");
		if (k == NULL || v == NULL) {
			if (bad_key != NULL)
				*bad_key = k;
			rc = -1;
			break;
		}
		params_add(r, p, k, v, vlen);
		i = end + 1;
	}
	buf_free(&tmp);
	return rc;
}

/* Whether n bytes at p hold a control character (NUL included). */
static int has_ctl(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return 1;
	return 0;
}

int parse_cookies(struct req *r, const char *s, struct params *p)
{
	size_t n = strlen(s), i = 0;

	if (!utf8_valid(s, n) || has_ctl(s, n))
		return -1;
	while (i < n) {
		size_t end = i, eq, ks, ke, vs, ve;

		while (end < n && s[end] != ';')
			end++;
		ks = i;
		while (ks < end && s[ks] == ' ')
			ks++;
		eq = ks;
		while (eq < end && s[eq] != '=')
			eq++;
		if (eq < end) {
			ke = eq;
			while (ke > ks && s[ke - 1] == ' ')
				ke--;
			vs = eq + 1;
			ve = end;
			while (vs < ve && s[vs] == ' ')
				vs++;
			while (ve > vs && s[ve - 1] == ' ')
				ve--;
			if (ve - vs >= 2 && s[vs] == '"' && s[ve - 1] == '"') {
				vs++;
				ve--;
			}
			if (ke > ks)
				params_add(r, p, req_strndup(r, s + ks, ke - ks),
				    req_strndup(r, s + vs, ve - vs), ve - vs);
		}
		i = end + 1;
	}
	return 0;
}

const char *req_env(const struct req *r, const char *name)
{
	return r->envp ? FCGX_GetParam(name, r->envp) : NULL;
}

const char *req_query(const struct req *r, const char *key)
{
	return params_get(&r->query, key);
}

const char *req_form(const struct req *r, const char *key)
{
	return params_get(&r->form, key);
}

const char *req_arg(const struct req *r, const char *key)
{
	return params_get(&r->args, key);
}

int64_t req_num(const struct req *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->args.n; i++)
		if (strcmp(r->args.v[i].key, key) == 0)
			return r->args.v[i].num;
	return 0;
}

const char *req_cookie(const struct req *r, const char *key)
{
	return params_get(&r->cookies, key);
}

/* Whether the n-byte path p is a machine endpoint, which always answers
 * JSON: /api, /api/..., /webhooks/.... */
static int is_api_path(const char *p, size_t n)
{
	return (n == 4 && memcmp(p, "/api", 4) == 0) ||
	    (n >= 5 && memcmp(p, "/api/", 5) == 0) ||
	    (n >= 10 && memcmp(p, "/webhooks/", 10) == 0);
}

static enum http_method parse_method(const char *m)
{
	int i;

	for (i = 0; i < M__MAX; i++)
		if (strcmp(m, http_method_names[i]) == 0)
			return (enum http_method)i;
	return M__MAX;
}

static int parse_json_body(struct req *r)
{
	struct json_error e;
	char off[32];

	r->json = json_parse_strict(r->body, r->body_len, &e);
	if (r->json != NULL)
		return 0;
	if (e.kind == JSON_ERR_TEXT) {
		struct pm_fail f = { 0 };

		pm_refuse(&f, PM_INVALID, "error.json_text", e.where[0] ?
		    req_strdup(r, e.where) : NULL);
		pm_fail_arg(&f, "field", "%s", e.where[0] ? e.where : "(body)");
		answer_fail(r, PM_INVALID, &f);
		return -1;
	}
	snprintf(off, sizeof(off), "%zu", e.offset);
	if (e.kind == JSON_ERR_NUL)
		answer_error(r, PM_INVALID, "error.json_nul",
		    NULL);
	else
		answer_error(r, PM_INVALID, "error.bad_json",
		    "detail", e.detail, "offset", off, NULL);
	return -1;
}

/* Refuse a form or query that does not decode: naming the field when its
 * name could be read (key_named), else with key. */
static void bad_param(struct req *r, const char *key, const char *key_named,
    const char *field)
{
	struct pm_fail f = { 0 };

	if (field == NULL) {
		answer_error(r, PM_INVALID, key, NULL);
		return;
	}
	pm_refuse(&f, PM_INVALID, key_named, field);
	pm_fail_arg(&f, "field", "%.100s", field);
	answer_fail(r, PM_INVALID, &f);
}

static int read_body(struct req *r)
{
	const char *cl = req_env(r, "CONTENT_LENGTH");
	const char *ct = req_env(r, "CONTENT_TYPE");
	int64_t len = 0, max = cfg_int(CFG_MAX_BODY_BYTES);
	const char *bad = NULL;
	char *body, limit[32];
	int got;

	if (ct != NULL && *ct != '\0') {
		size_t n = strcspn(ct, ";"), i;
		char *lc = req_strndup(r, ct, n);
		for (i = 0; i < n; i++)
			lc[i] = (char)tolower((unsigned char)lc[i]);
		while (n > 0 && lc[n - 1] == ' ')
			lc[--n] = '\0';
		r->content_type = lc;
	}
	if (cl != NULL && *cl != '\0' &&
	    parse_i64(cl, 0, INT64_MAX, &len) != 0) {
		answer_error(r, PM_INVALID, "error.bad_length", NULL);
		return -1;
	}
	if (len > max) {
		snprintf(limit, sizeof(limit), "%lld", (long long)max);
		answer_error(r, PM_TOOBIG, "error.too_large",
		    "limit", limit, NULL);
		return -1;
	}
	if (len == 0)
		return 0;
	body = req_alloc(r, (size_t)len + 1);
	got = r->fcgi ? FCGX_GetStr(body, (int)len, r->fcgi->in) : 0;
	if (got != (int)len) {
		answer_error(r, PM_INVALID, "error.short_body", NULL);
		return -1;
	}
	body[len] = '\0';
	r->body = body;
	r->body_len = (size_t)len;

	if (r->content_type == NULL)
		goto unsupported;
	if (strcmp(r->content_type, "application/x-www-form-urlencoded") == 0) {
		if (parse_urlencoded_at(r, body, (size_t)len, &r->form,
		    &bad) != 0) {
			bad_param(r, "error.bad_form", "error.bad_form_field", bad);
			return -1;
		}
		return 0;
	}
	if (strcmp(r->content_type, "application/json") == 0)
		return parse_json_body(r);
unsupported:
	answer_error(r, PM_UNSUPPORTED, "error.unsupported_type",
	    NULL);
	return -1;
}

int req_begin(struct req *r, struct FCGX_Request *fcgi, struct db *db)
{
	const char *uri, *q, *m, *cookie, *https, *bad = NULL;
	unsigned char rnd[8];
	struct buf path = { 0 };

	memset(r, 0, sizeof(*r));
	r->fcgi = fcgi;
	r->envp = fcgi ? fcgi->envp : NULL;
	r->db = db;
	r->now = clock_now();
	r->start_us = clock_mono_us();
	rand_bytes(rnd, sizeof(rnd));
	hex_encode(rnd, sizeof(rnd), r->rid);
	log_set_rid(r->rid);

	m = req_env(r, "REQUEST_METHOD");
	r->method = parse_method(m ? m : "");
	r->head = r->method == M_HEAD;
	https = req_env(r, "HTTPS");
	r->https = https != NULL && strcasecmp(https, "on") == 0;
	r->remote_addr = req_env(r, "REMOTE_ADDR");
	if (r->remote_addr == NULL)
		r->remote_addr = "";

	uri = req_env(r, "REQUEST_URI");
	if (uri == NULL || *uri == '\0')
		uri = "/";
	q = strchr(uri, '?');
	if (url_decode(uri, q ? (size_t)(q - uri) : strlen(uri), 0, &path) != 0 ||
	    has_ctl(path.data, path.len) ||
	    !utf8_valid(path.data, path.len) || path.data[0] != '/') {
		buf_free(&path);
		r->path = "/";
		r->is_api = is_api_path(uri, q ? (size_t)(q - uri) :
		    strlen(uri));	/* as far as the raw path tells */
		answer_error(r, PM_INVALID, "error.bad_path", NULL);
		return -1;
	}
	r->path = req_strndup(r, path.data, path.len);
	r->is_api = is_api_path(path.data, path.len);
	/* the OpenAI-compatible routes answer even a bad body in OpenAI's
	 * shape */
	r->openai_errors = router_openai_path(r->path);
	buf_free(&path);

	if (q != NULL && parse_urlencoded_at(r, q + 1, strlen(q + 1), &r->query,
	    &bad) != 0) {
		bad_param(r, "error.bad_query", "error.bad_query_field", bad);
		return -1;
	}
	cookie = req_env(r, "HTTP_COOKIE");
	if (cookie != NULL && parse_cookies(r, cookie, &r->cookies) != 0) {
		answer_error(r, PM_INVALID, "error.bad_cookie", NULL);
		return -1;
	}
	return read_body(r);
}

void req_end(struct req *r)
{
	struct arena_chunk *c, *next;

	if (!r->done && !r->headers_sent) {
		log_error("handler sent no response for %s", r->path);
		answer_error(r, PM_INTERNAL, "error.internal", NULL);
	}
	json_object_put(r->json);
	buf_free(&r->headers);
	buf_free(&r->out);
	for (c = r->arena; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	r->arena = NULL;
	log_set_rid(NULL);
}
