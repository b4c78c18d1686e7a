/* fuzz_path.c - libFuzzer harness for the request target and the rest of
 * what req_begin() reads from a FastCGI request: the percent-decoding of
 * the path (url_decode), the checks on the decoded path, the query string,
 * the Cookie header and a body of any content type.
 *
 * Input: URI [NUL COOKIE [NUL CONTENT_TYPE [NUL BODY]]]; the body (which
 * may hold NULs) makes the request a POST with an exact CONTENT_LENGTH.
 * req_begin() runs on a fake FCGX_Request whose output stream is kept,
 * with the real templates and messages loaded, so refusals render the
 * real error page (or the JSON error under /api/).
 *
 * Properties: url_decode() refuses exactly the malformed escapes, and its
 * output, percent-encoded again, decodes to itself; an accepted request
 * has a decoded path that starts with '/', is valid UTF-8 without control
 * characters, is_api as its prefix says, and nothing sent yet; a refused
 * one has been answered with one 400, 413 or 415 response. The decoded
 * path of an accepted request then goes through route_match() with
 * patterns of every shape the routes table uses. */
#include "fuzz.h"

#include <fcgiapp.h>
#include <stdlib.h>
#include <unistd.h>

#include "app.h"
#include "buf.h"
#include "config.h"
#include "crypto.h"
#include "escape.h"
#include "http.h"
#include "log.h"
#include "router.h"
#include "util.h"

#ifndef FUZZ_TEMPLATES_DIR
#define FUZZ_TEMPLATES_DIR "templates"
#endif

static struct config conf;

/* A file of 64 random hex digits, named by the environment variable var
 * (a configuration key's override). Returns 0 or -1. */
static int secret_file(const char *var)
{
	char path[] = "/tmp/pm-fuzz-secret-XXXXXX", hex[65];
	unsigned char k[32];
	int fd, ok;

	if ((fd = mkstemp(path)) < 0)
		return -1;
	rand_bytes(k, sizeof(k));
	hex_encode(k, sizeof(k), hex);
	ok = write(fd, hex, 64) == 64;
	close(fd);
	if (!ok)
		return -1;
	setenv(var, path, 1);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct buf err = { 0 };

	(void)argc;
	(void)argv;
	setenv("PM_TEMPLATES_DIR", FUZZ_TEMPLATES_DIR, 0);
	/* the process's secrets: throwaway ones */
	if (secret_file("PM_API_KEY_SECRET_FILE") != 0 ||
	    secret_file("PM_VAULT_KEY_FILE") != 0) {
		fprintf(stderr, "fuzz_path: cannot write a secret file\n");
		exit(1);
	}
	log_init("fuzz_path", LOG_ERROR);
	if (config_load(&conf, NULL, &err) != 0) {
		fprintf(stderr, "fuzz_path: configuration: %s\n", buf_cstr(&err));
		exit(1);
	}
	cfg = &conf;
	if (app_load(&err) != 0) {
		fprintf(stderr, "fuzz_path: %s (set PM_TEMPLATES_DIR)\n",
		    buf_cstr(&err));
		exit(1);
	}
	/* read once at start: the files can go */
	unlink(getenv("PM_API_KEY_SECRET_FILE"));
	unlink(getenv("PM_VAULT_KEY_FILE"));
	buf_free(&err);
	return 0;
}

/* ---- a FastCGI request in memory ----------------------------------- */

static unsigned char obuf[512];
static struct buf sent;		/* everything written to the output stream */

static void out_empty(FCGX_Stream *s, int doClose)
{
	(void)doClose;
	buf_append(&sent, obuf, (size_t)(s->wrNext - obuf));
	s->wrNext = obuf;
}

static void in_fill(FCGX_Stream *s)
{
	s->isClosed = 1;	/* the body is all in the buffer */
}

/* ---- url_decode ---------------------------------------------------- */

static int hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* Whether every '%' of the n bytes at s starts a two-digit escape. */
static int escapes_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '%') {
			if (i + 2 >= n || !hex((unsigned char)s[i + 1]) ||
			    !hex((unsigned char)s[i + 2]))
				return 0;
			i += 2;
		}
	return 1;
}

static void check_decode(const char *s, size_t n, int plus_space)
{
	struct buf out = { 0 }, enc = { 0 }, back = { 0 };
	int rc = url_decode(s, n, plus_space, &out);

	FUZZ_ASSERT((rc == 0) == escapes_ok(s, n));
	if (rc == 0) {
		FUZZ_ASSERT(out.data != NULL && out.data[out.len] == '\0');
		FUZZ_ASSERT(out.len <= n);
		esc_url(&enc, out.data, out.len);
		FUZZ_ASSERT(url_decode(enc.data ? enc.data : "", enc.len,
		    plus_space, &back) == 0);
		FUZZ_ASSERT(back.len == out.len &&
		    memcmp(back.data, out.data, out.len) == 0);
	}
	buf_free(&out);
	buf_free(&enc);
	buf_free(&back);
}

/* ---- route_match -------------------------------------------------- */

/* Patterns of each shape the routes table uses. */
static const char *const patterns[] = {
	"/", "/prompts", "/prompts/:slug", "/prompts/:slug/versions/:n",
	"/api/v1/prompts/:slug/versions/:n/promote", "/categories/:id/rename",
	"/:a/:b",
};

/* Match the decoded path against each pattern: a match captures one
 * non-empty segment without '/' per :param, and putting the captures
 * back into the pattern gives the path; a miss captures nothing. */
static void check_routes(struct req *r, const char *path)
{
	struct buf back = { 0 };
	struct params args = { 0 };
	size_t i, k;

	for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		const char *p = patterns[i];

		args.n = 0;
		if (!route_match(r, p, path, &args)) {
			FUZZ_ASSERT(args.n == 0);
			continue;
		}
		buf_reset(&back);
		for (k = 0; *p != '\0'; ) {
			if (p[0] == '/' && p[1] == ':') {
				FUZZ_ASSERT(k < args.n);
				FUZZ_ASSERT(args.v[k].len > 0 &&
				    strchr(args.v[k].val, '/') == NULL);
				buf_putc(&back, '/');
				buf_append(&back, args.v[k].val, args.v[k].len);
				k++;
				p = strchr(p + 1, '/');
				if (p == NULL)
					break;
			} else
				buf_putc(&back, *p++);
		}
		FUZZ_ASSERT(k == args.n);
		FUZZ_ASSERT(strcmp(buf_cstr(&back), path) == 0);
	}
	buf_free(&back);
}

/* ---- req_begin ----------------------------------------------------- */

static int is_api(const char *p)
{
	return strcmp(p, "/api") == 0 || strncmp(p, "/api/", 5) == 0 ||
	    strncmp(p, "/webhooks/", 10) == 0;
}

/* A CGI parameter "name=value" of the n bytes at value. Caller frees. */
static char *env_var(const char *name, const char *value, size_t n)
{
	size_t k = strlen(name);
	char *e = malloc(k + 1 + n + 1);

	if (e == NULL)
		abort();
	memcpy(e, name, k);
	e[k] = '=';
	memcpy(e + k + 1, value, n);
	e[k + 1 + n] = '\0';
	return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part part[4] = { { 0 } };
	size_t nparts = fuzz_split(data, size, part, 4), i;
	char *env[8], *body = NULL;
	FCGX_Stream in, out;
	FCGX_Request fcgi;
	struct req r;
	int n = 0, rc;

	check_decode(part[0].s, part[0].n, 0);
	check_decode(part[0].s, part[0].n, 1);

	env[n++] = env_var("REQUEST_URI", part[0].s, part[0].n);
	if (nparts > 1)
		env[n++] = env_var("HTTP_COOKIE", part[1].s, part[1].n);
	if (nparts > 2)
		env[n++] = env_var("CONTENT_TYPE", part[2].s, part[2].n);
	if (nparts > 3) {
		char cl[32];

		snprintf(cl, sizeof(cl), "%zu", part[3].n);
		env[n++] = env_var("CONTENT_LENGTH", cl, strlen(cl));
		body = fuzz_strndup(part[3].s, part[3].n);
	}
	env[n++] = env_var("REQUEST_METHOD", nparts > 3 ? "POST" : "GET",
	    nparts > 3 ? 4 : 3);
	env[n++] = env_var("REMOTE_ADDR", "127.0.0.1", 9);
	env[n] = NULL;

	memset(&in, 0, sizeof(in));
	in.isReader = 1;
	in.rdNext = in.stopUnget = (unsigned char *)body;
	in.stop = body ? (unsigned char *)body + part[3].n : NULL;
	in.fillBuffProc = in_fill;
	memset(&out, 0, sizeof(out));
	out.wrNext = obuf;
	out.stop = obuf + sizeof(obuf);
	out.emptyBuffProc = out_empty;
	memset(&fcgi, 0, sizeof(fcgi));
	fcgi.in = &in;
	fcgi.out = &out;
	fcgi.envp = env;
	buf_reset(&sent);

	rc = req_begin(&r, &fcgi, NULL);
	if (rc == 0) {
		size_t pl = strlen(r.path);

		FUZZ_ASSERT(r.path[0] == '/');
		FUZZ_ASSERT(utf8_valid(r.path, pl));
		for (i = 0; i < pl; i++)
			FUZZ_ASSERT((unsigned char)r.path[i] >= 0x20 &&
			    r.path[i] != 0x7f);
		FUZZ_ASSERT(r.is_api == is_api(r.path));
		FUZZ_ASSERT(!r.done && !r.headers_sent);
		check_routes(&r, r.path);
		resp_send(&r, 204, NULL, "", 0);
	} else {
		FUZZ_ASSERT(r.done);
		FUZZ_ASSERT(r.status == 400 || r.status == 413 ||
		    r.status == 415);
	}
	req_end(&r);
	out_empty(&out, 0);
	FUZZ_ASSERT(sent.len > 12 && memcmp(sent.data, "Status: ", 8) == 0);
	FUZZ_ASSERT(memmem(sent.data, sent.len, "\r\n\r\n", 4) != NULL);

	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(body);
	return 0;
}
