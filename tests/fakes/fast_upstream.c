/* fast_upstream.c - a stand-in for the OpenRouter API for benchmarks: the
 * answers tests/fakes/openrouter.py gives to normal requests, from a few
 * epoll loops that can hold thousands of delayed answers at once.
 *
 * usage: fast-upstream [--host H] [--port P] [--port-file F] [--key K ...]
 *            [--key-file F ...] [--delay-ms N] [--token-ms M] [--threads T]
 *            [--quiet] [--fast]
 *
 * --port 0 (the default) picks a free port; the chosen port is written
 * atomically, as "<port>\n", to --port-file once the sockets listen. The
 * server runs until SIGTERM or SIGINT and then exits with status 0. Point
 * the application's openrouter_base_url at http://HOST:PORT/api/v1 .
 *
 * --key K       accepted API key (repeatable); --key-file F reads one from
 *               a file (kept out of ps). Without any, every non-empty
 *               Bearer key is accepted.
 * --delay-ms N  every chat completion waits N ms: a JSON answer is sent
 *               after N ms; a stream sends its headers and
 *               ": OPENROUTER PROCESSING" at once, that comment again every
 *               100 ms of the wait, and its first content chunk after N ms.
 * --token-ms M  stream: M ms before each content chunk after the first and
 *               before the finish chunk (default 0).
 * --threads T   T epoll loops, each with its own listening socket on the
 *               same port (SO_REUSEPORT) (default 1).
 * --quiet       no start-up line on stderr. --fast is accepted and ignored
 *               (the command line of openrouter.py). Nothing is printed per
 *               request.
 *
 * Endpoints, output, tokens and cost are those of openrouter.py (its
 * docstring is the reference): POST /api/v1/chat/completions (JSON or SSE
 * in chunked framing, X-Generation-Id), GET /api/v1/models (the same
 * default models), GET /api/v1/key (and /api/v1/auth/key), GET
 * /__fake/health. The content is "echo: " and the last user message; a
 * streamed answer has one content chunk per word, a finish chunk, a usage
 * chunk (with cost) and "data: [DONE]"; max_tokens cuts the answer with
 * finish_reason "length". Requests it refuses get the same 400 messages.
 *
 * Not here: fault directives ([[fake:...]] and X-Fake are ignored), the
 * request log (/__fake/requests), --models. /key reports as usage the cost
 * of every answer of this process, whatever the key.
 *
 * Design: each thread runs one epoll loop (level-triggered) over its
 * listening socket and its connections. A request that arrives whole is
 * read into the loop's buffer and answered from there with one send();
 * a connection keeps a buffer only while a request or an answer is
 * incomplete. Waits are a per-loop min-heap of deadlines that sets the
 * epoll_wait timeout, so a delayed answer costs a small struct and its
 * prepared bytes, not a thread. Out-of-memory aborts (a test tool). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define MAX_HEAD	(64 * 1024)		/* request line and headers */
#define MAX_BODY	(16 * 1024 * 1024)	/* request body */
#define READ_SIZE	(64 * 1024)		/* one recv() */
#define KEEPALIVE_MS	100	/* stream comments while the first token waits */
#define MAX_KEYS	16
#define MAX_THREADS	64
#define MAX_DEPTH	512	/* JSON nesting accepted in a request */
#define MAX_EVENTS	512
#define ACCEPT_BURST	256

static const char SERVER_NAME[] = "FastUpstream/1.0";
static const char KEEPALIVE_COMMENT[] = ": OPENROUTER PROCESSING\n\n";

/* ------------------------------------------------------------------ */
/* Configuration and process-wide state */

static struct {
	const char	*host;
	int		 port;
	const char	*port_file;
	char		*keys[MAX_KEYS];
	int		 nkeys;
	int		 delay_ms, token_ms, threads, quiet;
} cfg = { "127.0.0.1", 0, NULL, { NULL }, 0, 0, 0, 1, 0 };

static int stop_fd = -1;		/* eventfd: readable once we stop */
static _Atomic int64_t spent;		/* cost of every answer, 1e-12 USD */

/* ------------------------------------------------------------------ */
/* Buffers: length-carrying byte strings; allocation failure aborts. */

struct buf {
	char	*data;
	size_t	 len, cap;
};

static void *xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL) {
		fputs("fast-upstream: out of memory\n", stderr);
		abort();
	}
	return p;
}

/* Make room for extra more bytes (and a NUL after them). */
static void buf_grow(struct buf *b, size_t extra)
{
	size_t cap;

	if (b->len + extra < b->cap)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap <= b->len + extra)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

static void buf_add(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void buf_ch(struct buf *b, char c)
{
	buf_grow(b, 1);
	b->data[b->len++] = c;
}

static void buf_fmt(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void buf_fmt(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	buf_grow(b, 64);
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	if ((size_t)n >= b->cap - b->len) {
		buf_grow(b, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/* Release the memory; the buffer is empty and reusable afterwards. */
static void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* ------------------------------------------------------------------ */
/* JSON output */

/* Append s (n bytes of UTF-8) as a JSON string, escaped as Python's
 * json.dumps(ensure_ascii=False) does. */
static void json_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;
	unsigned char c;

	buf_grow(b, n + 2);
	b->data[b->len++] = '"';
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_add(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': buf_str(b, "\\\""); break;
		case '\\': buf_str(b, "\\\\"); break;
		case '\n': buf_str(b, "\\n"); break;
		case '\r': buf_str(b, "\\r"); break;
		case '\t': buf_str(b, "\\t"); break;
		case '\b': buf_str(b, "\\b"); break;
		case '\f': buf_str(b, "\\f"); break;
		default:
			buf_str(b, "\\u00");
			buf_ch(b, hex[c >> 4]);
			buf_ch(b, hex[c & 15]);
		}
	}
	buf_add(b, s + run, n - run);
	buf_ch(b, '"');
}

static void json_cstr(struct buf *b, const char *s)
{
	json_str(b, s, strlen(s));
}

/* Append the number 0.D * 10^pos, D being the k significant digits d
 * (no trailing zero), the way JavaScript's JSON.stringify writes it. */
static void js_digits(struct buf *b, const char *d, int k, int pos)
{
	int i, e;

	if (k <= pos && pos <= 21) {
		buf_add(b, d, (size_t)k);
		for (i = k; i < pos; i++)
			buf_ch(b, '0');
	} else if (0 < pos && pos <= 21) {
		buf_add(b, d, (size_t)pos);
		buf_ch(b, '.');
		buf_add(b, d + pos, (size_t)(k - pos));
	} else if (-6 < pos && pos <= 0) {
		buf_str(b, "0.");
		for (i = pos; i < 0; i++)
			buf_ch(b, '0');
		buf_add(b, d, (size_t)k);
	} else {
		e = pos - 1;
		buf_ch(b, d[0]);
		if (k > 1) {
			buf_ch(b, '.');
			buf_add(b, d + 1, (size_t)(k - 1));
		}
		buf_fmt(b, "e%c%d", e < 0 ? '-' : '+', e < 0 ? -e : e);
	}
}

/* Append an amount of pico-dollars (1e-12 USD) as the JSON number
 * openrouter.py writes: float(Decimal) in JavaScript's shortest form.
 * With 15 significant digits or fewer the decimal itself is the shortest
 * form of the nearest double; beyond that the double is rounded. */
static void json_usd(struct buf *b, int64_t pico)
{
	char d[32], s[40];
	int k, pos, p, i;
	double x;

	if (pico <= 0) {
		buf_ch(b, '0');
		return;
	}
	k = snprintf(d, sizeof(d), "%lld", (long long)pico);
	pos = k - 12;
	while (k > 1 && d[k - 1] == '0')
		k--;
	if (k > 15) {
		snprintf(s, sizeof(s), "%llde-12", (long long)pico);
		x = strtod(s, NULL);
		for (p = 1; p <= 17; p++) {
			snprintf(s, sizeof(s), "%.*e", p - 1, x);
			if (strtod(s, NULL) == x)
				break;
		}
		/* s is "D.DDDe±XX" (or "De±XX"). */
		for (i = 0, k = 0; s[i] != 'e'; i++)
			if (s[i] != '.')
				d[k++] = s[i];
		pos = atoi(s + i + 1) + 1;
		while (k > 1 && d[k - 1] == '0')
			k--;
	}
	js_digits(b, d, k, pos);
}

/* ------------------------------------------------------------------ */
/* The models: the default list of openrouter.py */

struct model {
	const char	*id, *name, *provider;
	const char	*prompt, *completion;	/* USD per token, decimal */
	long		 context;
	const char	*tokenizer, *description;
	int		 moderated;
	long		 max_completion;	/* 0: null */
};

static const struct model models[] = {
	{ "openai/gpt-4o-mini", "OpenAI: GPT-4o-mini", "OpenAI",
	  "0.00000015", "0.0000006", 128000, "GPT",
	  "Fake stand-in for OpenAI's small GPT-4o model.", 1, 16384 },
	{ "openai/gpt-4o", "OpenAI: GPT-4o", "OpenAI",
	  "0.0000025", "0.00001", 128000, "GPT",
	  "Fake stand-in for OpenAI's GPT-4o model.", 1, 16384 },
	{ "anthropic/claude-3-opus", "Anthropic: Claude 3 Opus", "Anthropic",
	  "0.000015", "0.000075", 200000, "Claude",
	  "Fake stand-in for Claude 3 Opus.", 1, 4096 },
	{ "meta-llama/llama-3.1-8b-instruct:free",
	  "Meta: Llama 3.1 8B Instruct (free)", "Meta", "0", "0", 131072,
	  "Llama3", "Fake stand-in for the free Llama 3.1 8B Instruct variant.",
	  0, 0 },
	{ "mistralai/mistral-7b-instruct:free",
	  "Mistral: Mistral 7B Instruct (free)", "Mistral", "0", "0", 32768,
	  "Mistral", "Fake stand-in for the free Mistral 7B Instruct variant.",
	  0, 0 },
	{ "fake/fast", "Fake: Fast", "Fake", "0.0000001", "0.0000002", 8192,
	  "Other", "Cheap fake model for tests and benchmarks.", 0, 0 },
};

#define MODEL_CREATED	1720000000

static int64_t price_prompt[NELEM(models)], price_completion[NELEM(models)];
static struct buf models_doc;	/* the body of GET /models */

/* A price ("0.00000015") in pico-dollars. Exits on a malformed one. */
static int64_t parse_pico(const char *s)
{
	int64_t v = 0;
	int frac = -1;

	for (; *s; s++) {
		if (*s == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || frac >= 12 || v > INT64_MAX / 10) {
			fprintf(stderr, "fast-upstream: bad price\n");
			exit(1);
		}
		v = v * 10 + (*s - '0');
		if (frac >= 0)
			frac++;
	}
	for (frac = frac < 0 ? 0 : frac; frac < 12; frac++)
		v *= 10;
	return v;
}

/* Parse the prices and render the model list once, in the key order of
 * openrouter.py's _model(). */
static void models_init(void)
{
	const struct model *m;
	size_t i;

	buf_str(&models_doc, "{\"data\":[");
	for (i = 0; i < NELEM(models); i++) {
		m = &models[i];
		price_prompt[i] = parse_pico(m->prompt);
		price_completion[i] = parse_pico(m->completion);
		if (i > 0)
			buf_ch(&models_doc, ',');
		buf_str(&models_doc, "{\"id\":");
		json_cstr(&models_doc, m->id);
		buf_str(&models_doc, ",\"canonical_slug\":");
		json_str(&models_doc, m->id, strcspn(m->id, ":"));
		buf_str(&models_doc, ",\"hugging_face_id\":\"\",\"name\":");
		json_cstr(&models_doc, m->name);
		buf_fmt(&models_doc, ",\"created\":%d,\"description\":",
		    MODEL_CREATED);
		json_cstr(&models_doc, m->description);
		buf_fmt(&models_doc, ",\"context_length\":%ld,\"architecture\":"
		    "{\"modality\":\"text->text\",\"input_modalities\":[\"text\"],"
		    "\"output_modalities\":[\"text\"],\"tokenizer\":", m->context);
		json_cstr(&models_doc, m->tokenizer);
		buf_str(&models_doc, ",\"instruct_type\":null},\"pricing\":"
		    "{\"prompt\":");
		json_cstr(&models_doc, m->prompt);
		buf_str(&models_doc, ",\"completion\":");
		json_cstr(&models_doc, m->completion);
		buf_fmt(&models_doc, ",\"request\":\"0\",\"image\":\"0\","
		    "\"web_search\":\"0\",\"internal_reasoning\":\"0\"},"
		    "\"top_provider\":{\"context_length\":%ld,"
		    "\"max_completion_tokens\":", m->context);
		if (m->max_completion > 0)
			buf_fmt(&models_doc, "%ld", m->max_completion);
		else
			buf_str(&models_doc, "null");
		buf_fmt(&models_doc, ",\"is_moderated\":%s},"
		    "\"per_request_limits\":null,\"supported_parameters\":"
		    "[\"max_tokens\",\"temperature\",\"top_p\",\"stop\",\"seed\","
		    "\"response_format\"]}", m->moderated ? "true" : "false");
	}
	buf_str(&models_doc, "]}");
}

/* The index of the model id (n bytes), or -1. */
static int model_find(const char *id, size_t n)
{
	size_t i;

	for (i = 0; i < NELEM(models); i++)
		if (strlen(models[i].id) == n && memcmp(models[i].id, id, n) == 0)
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* UTF-8 and words */

/* Decode the code point at s[i] of valid UTF-8 text (n bytes); its length
 * goes to *w. */
static uint32_t utf8_at(const unsigned char *s, size_t n, size_t i, size_t *w)
{
	unsigned char c = s[i];
	size_t k, len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	uint32_t v;

	if (len == 1 || i + len > n) {
		*w = 1;
		return c;
	}
	*w = len;
	v = c & (0x7f >> len);
	for (k = 1; k < len; k++)
		v = v << 6 | (s[i + k] & 0x3f);
	return v;
}

/* Whitespace as Python's str.split() and re's \s see it. */
static int is_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) ||
	    c == 0x85 || c == 0xa0 || c == 0x1680 ||
	    (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
	    c == 0x202f || c == 0x205f || c == 0x3000;
}

/* Whether the code point at t[i] is whitespace; its length in *w. */
static int space_at(const char *t, size_t n, size_t i, size_t *w)
{
	return is_space(utf8_at((const unsigned char *)t, n, i, w));
}

/* The number of whitespace-separated words of t (n bytes). */
static int64_t count_words(const char *t, size_t n)
{
	size_t i = 0, w;
	int64_t words = 0;
	int in_word = 0;

	while (i < n) {
		if (space_at(t, n, i, &w)) {
			in_word = 0;
		} else if (!in_word) {
			in_word = 1;
			words++;
		}
		i += w;
	}
	return words;
}

/* The end of the word piece of t that starts at pos: the word with the
 * whitespace after it (and before it, for the first piece). */
static size_t piece_end(const char *t, size_t n, size_t pos)
{
	size_t w;

	while (pos < n && space_at(t, n, pos, &w))
		pos += w;
	while (pos < n && !space_at(t, n, pos, &w))
		pos += w;
	while (pos < n && space_at(t, n, pos, &w))
		pos += w;
	return pos;
}

/* ------------------------------------------------------------------ */
/* JSON input: a strict reader (RFC 8259, as Python's json.loads) that
 * extracts what a chat request needs and skips the rest. */

enum jkind { J_ABSENT, J_BAD, J_OBJ, J_ARR, J_STR, J_NUM, J_TRUE, J_FALSE,
	J_NULL };

struct jr {
	const unsigned char	*p, *end;
	int			 depth;
};

static void j_ws(struct jr *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' ||
	    *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

/* The kind of the value at r (after whitespace), without consuming it. */
static enum jkind j_peek(struct jr *r)
{
	j_ws(r);
	if (r->p >= r->end)
		return J_BAD;
	switch (*r->p) {
	case '{': return J_OBJ;
	case '[': return J_ARR;
	case '"': return J_STR;
	case 't': return J_TRUE;
	case 'f': return J_FALSE;
	case 'n': return J_NULL;
	default:
		return *r->p == '-' || (*r->p >= '0' && *r->p <= '9') ? J_NUM :
		    J_BAD;
	}
}

static int j_lit(struct jr *r, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, lit, n) != 0)
		return -1;
	r->p += n;
	return 0;
}

static int hex4(const unsigned char *p, uint32_t *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		*v <<= 4;
		if (p[i] >= '0' && p[i] <= '9')
			*v |= p[i] - '0';
		else if ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'f')
			*v |= (p[i] | 0x20) - 'a' + 10;
		else
			return -1;
	}
	return 0;
}

static void put_utf8(struct buf *b, uint32_t c)
{
	if (c < 0x80) {
		buf_ch(b, (char)c);
	} else if (c < 0x800) {
		buf_ch(b, (char)(0xc0 | c >> 6));
		buf_ch(b, (char)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		buf_ch(b, (char)(0xe0 | c >> 12));
		buf_ch(b, (char)(0x80 | (c >> 6 & 0x3f)));
		buf_ch(b, (char)(0x80 | (c & 0x3f)));
	} else {
		buf_ch(b, (char)(0xf0 | c >> 18));
		buf_ch(b, (char)(0x80 | (c >> 12 & 0x3f)));
		buf_ch(b, (char)(0x80 | (c >> 6 & 0x3f)));
		buf_ch(b, (char)(0x80 | (c & 0x3f)));
	}
}

/* The length of the valid UTF-8 sequence at p (before end), or 0. */
static size_t utf8_valid(const unsigned char *p, const unsigned char *end)
{
	size_t n, i;
	uint32_t c;

	if (*p < 0xc2 || *p > 0xf4)
		return 0;
	n = *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
	if ((size_t)(end - p) < n)
		return 0;
	c = *p & (0xff >> (n + 1));
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return n;
}

/* Read the string at r (at its '"') and append its text, as UTF-8, to out
 * when out is not NULL. A lone surrogate escape becomes U+FFFD. Returns 0,
 * or -1 when it is not valid JSON. */
static int j_string(struct jr *r, struct buf *out)
{
	const unsigned char *p = r->p + 1, *end = r->end, *run;
	uint32_t c, lo;
	size_t n;

	for (;;) {
		run = p;
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' &&
		    *p != '\\')
			p++;
		if (out != NULL && p > run)
			buf_add(out, run, (size_t)(p - run));
		if (p >= end || *p < 0x20)
			return -1;
		if (*p == '"') {
			r->p = p + 1;
			return 0;
		}
		if (*p >= 0x80) {
			if ((n = utf8_valid(p, end)) == 0)
				return -1;
			if (out != NULL)
				buf_add(out, p, n);
			p += n;
			continue;
		}
		if (++p >= end)		/* a backslash */
			return -1;
		switch (*p++) {
		case '"': c = '"'; break;
		case '\\': c = '\\'; break;
		case '/': c = '/'; break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u':
			if (end - p < 4 || hex4(p, &c) != 0)
				return -1;
			p += 4;
			if (c >= 0xd800 && c <= 0xdbff && end - p >= 6 &&
			    p[0] == '\\' && p[1] == 'u' && hex4(p + 2, &lo) == 0 &&
			    lo >= 0xdc00 && lo <= 0xdfff) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			} else if (c >= 0xd800 && c <= 0xdfff) {
				c = 0xfffd;
			}
			break;
		default:
			return -1;
		}
		if (out != NULL)
			put_utf8(out, c);
	}
}

/* Read the number at r. *is_int says whether it has neither fraction nor
 * exponent; *val is then its value (saturated). Returns 0 or -1. */
static int j_number(struct jr *r, int *is_int, long long *val)
{
	const unsigned char *p = r->p, *end = r->end;
	int neg = 0;
	long long v = 0;

	*is_int = 1;
	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	if (p >= end || *p < '0' || *p > '9')
		return -1;
	if (*p == '0') {
		p++;
	} else {
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			v = v > (LLONG_MAX - 9) / 10 ? LLONG_MAX : v * 10 + (*p - '0');
	}
	if (p < end && *p == '.') {
		*is_int = 0;
		if (++p >= end || *p < '0' || *p > '9')
			return -1;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		*is_int = 0;
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return -1;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	*val = neg ? -v : v;
	r->p = p;
	return 0;
}

static int j_skip(struct jr *r);

/* Step to the next member of an object: its name goes to key (unless it
 * is NULL) and r is
 * left at its value. *first is 1 right after the '{' (consumed by the
 * caller). Returns 1 for a member, 0 at the end of the object (consumed),
 * -1 on bad JSON. */
static int j_member(struct jr *r, int *first, struct buf *key)
{
	j_ws(r);
	if (r->p >= r->end)
		return -1;
	if (*r->p == '}' && *first) {
		r->p++;
		return 0;
	}
	if (!*first) {
		if (*r->p == '}') {
			r->p++;
			return 0;
		}
		if (*r->p != ',')
			return -1;
		r->p++;
		j_ws(r);
	}
	*first = 0;
	if (r->p >= r->end || *r->p != '"')
		return -1;
	if (key != NULL)
		key->len = 0;
	if (j_string(r, key) != 0)
		return -1;
	j_ws(r);
	if (r->p >= r->end || *r->p != ':')
		return -1;
	r->p++;
	j_ws(r);
	return 1;
}

/* Step to the next element of an array (after its '['): 1, 0 at the end
 * (consumed) or -1. */
static int j_element(struct jr *r, int *first)
{
	j_ws(r);
	if (r->p >= r->end)
		return -1;
	if (*r->p == ']' && *first) {
		r->p++;
		return 0;
	}
	if (!*first) {
		if (*r->p == ']') {
			r->p++;
			return 0;
		}
		if (*r->p != ',')
			return -1;
		r->p++;
	}
	*first = 0;
	j_ws(r);
	return 1;
}

/* Enter the object or array at r. Returns 0, or -1 when too deep. */
static int j_enter(struct jr *r)
{
	if (++r->depth > MAX_DEPTH)
		return -1;
	r->p++;
	return 0;
}

/* Check and pass over the value at r. Returns 0 or -1. */
static int j_skip(struct jr *r)
{
	int first = 1, rc, is_int;
	long long v;

	switch (j_peek(r)) {
	case J_OBJ:
		if (j_enter(r) != 0)
			return -1;
		while ((rc = j_member(r, &first, NULL)) == 1)
			if (j_skip(r) != 0)
				return -1;
		r->depth--;
		return rc;
	case J_ARR:
		if (j_enter(r) != 0)
			return -1;
		while ((rc = j_element(r, &first)) == 1)
			if (j_skip(r) != 0)
				return -1;
		r->depth--;
		return rc;
	case J_STR: return j_string(r, NULL);
	case J_NUM: return j_number(r, &is_int, &v);
	case J_TRUE: return j_lit(r, "true");
	case J_FALSE: return j_lit(r, "false");
	case J_NULL: return j_lit(r, "null");
	default: return -1;
	}
}

static int key_is(const struct buf *key, const char *name)
{
	return key->len == strlen(name) && memcmp(key->data, name, key->len) == 0;
}

/* ------------------------------------------------------------------ */
/* Chat requests */

static const char *const roles[] = { "system", "developer", "user",
	"assistant", "tool" };
#define ROLE_USER	2

enum msg_fault { MSG_OK, MSG_NOT_OBJECT, MSG_ROLE, MSG_CONTENT };

/* What a chat request says, as far as the answer depends on it. Member
 * kinds are J_ABSENT when the member is missing; a repeated member counts
 * as its last occurrence (as json.loads). */
struct chat_in {
	enum jkind	 stream, model, messages, max_tokens, max_completion;
	long long	 max_tokens_v, max_completion_v;
	int		 max_tokens_int, max_completion_int;
	struct buf	 model_id;
	int64_t		 nmsgs, words;	/* messages; words of every content */
	int64_t		 bad_msg;	/* first faulty message, or -1 */
	enum msg_fault	 fault;
	struct buf	 last_user;	/* content of the last user message */
	struct buf	 key, content, part, role;	/* scratch */
};

static void chat_in_reset(struct chat_in *ci)
{
	ci->stream = ci->model = ci->messages = J_ABSENT;
	ci->max_tokens = ci->max_completion = J_ABSENT;
	ci->model_id.len = ci->last_user.len = 0;
	ci->nmsgs = ci->words = 0;
	ci->bad_msg = -1;
}

/* The text of a content array: the "text" strings of its object parts,
 * joined by spaces, appended to out. r is at the '['. */
static int parse_parts(struct jr *r, struct chat_in *ci, struct buf *out)
{
	int first = 1, mfirst, rc, m, texts = 0, has_text;

	if (j_enter(r) != 0)
		return -1;
	while ((rc = j_element(r, &first)) == 1) {
		if (j_peek(r) != J_OBJ) {
			if (j_skip(r) != 0)
				return -1;
			continue;
		}
		if (j_enter(r) != 0)
			return -1;
		has_text = 0;
		mfirst = 1;
		while ((m = j_member(r, &mfirst, &ci->key)) == 1) {
			if (key_is(&ci->key, "text")) {
				has_text = j_peek(r) == J_STR;
				ci->part.len = 0;
				if ((has_text ? j_string(r, &ci->part) :
				    j_skip(r)) != 0)
					return -1;
			} else if (j_skip(r) != 0) {
				return -1;
			}
		}
		if (m < 0)
			return -1;
		r->depth--;
		if (has_text) {
			if (texts++ > 0)
				buf_ch(out, ' ');
			buf_add(out, ci->part.data, ci->part.len);
		}
	}
	r->depth--;
	return rc;
}

/* One element of "messages" (r at its value). */
static int parse_message(struct jr *r, struct chat_in *ci)
{
	enum jkind content = J_ABSENT;
	int first = 1, m, role = -1;	/* -1: missing, -2: not a role */
	size_t i;

	if (j_peek(r) != J_OBJ) {
		if (ci->bad_msg < 0) {
			ci->bad_msg = ci->nmsgs;
			ci->fault = MSG_NOT_OBJECT;
		}
		return j_skip(r);
	}
	if (j_enter(r) != 0)
		return -1;
	ci->content.len = 0;
	while ((m = j_member(r, &first, &ci->key)) == 1) {
		if (key_is(&ci->key, "role")) {
			role = -2;
			if (j_peek(r) != J_STR) {
				if (j_skip(r) != 0)
					return -1;
				continue;
			}
			ci->role.len = 0;
			if (j_string(r, &ci->role) != 0)
				return -1;
			for (i = 0; i < NELEM(roles); i++)
				if (key_is(&ci->role, roles[i]))
					role = (int)i;
		} else if (key_is(&ci->key, "content")) {
			content = j_peek(r);
			ci->content.len = 0;
			if ((content == J_STR ? j_string(r, &ci->content) :
			    content == J_ARR ? parse_parts(r, ci, &ci->content) :
			    j_skip(r)) != 0)
				return -1;
		} else if (j_skip(r) != 0) {
			return -1;
		}
	}
	if (m < 0)
		return -1;
	r->depth--;
	if (ci->bad_msg < 0 && (role < 0 || (content != J_STR &&
	    content != J_ARR && content != J_NULL))) {
		ci->bad_msg = ci->nmsgs;
		ci->fault = role < 0 ? MSG_ROLE : MSG_CONTENT;
	}
	if (content != J_STR && content != J_ARR)
		ci->content.len = 0;
	ci->words += count_words(ci->content.data, ci->content.len);
	if (role == ROLE_USER) {
		ci->last_user.len = 0;
		buf_add(&ci->last_user, ci->content.data, ci->content.len);
	}
	return 0;
}

/* Parse a chat request body into ci. Returns 0, -1 when it is not JSON,
 * -2 when it is JSON but not an object. */
static int parse_chat(const char *body, size_t n, struct chat_in *ci)
{
	struct jr r = { (const unsigned char *)body,
	    (const unsigned char *)body + n, 0 };
	int first = 1, m, afirst, is_int;
	long long v;
	enum jkind k;

	chat_in_reset(ci);
	if ((k = j_peek(&r)) != J_OBJ) {
		if (j_skip(&r) != 0)
			return -1;
		j_ws(&r);
		return r.p == r.end ? -2 : -1;
	}
	j_enter(&r);
	while ((m = j_member(&r, &first, &ci->key)) == 1) {
		k = j_peek(&r);
		if (key_is(&ci->key, "stream")) {
			ci->stream = k;
		} else if (key_is(&ci->key, "model")) {
			ci->model = k;
			ci->model_id.len = 0;
			if (k == J_STR) {
				if (j_string(&r, &ci->model_id) != 0)
					return -1;
				continue;
			}
		} else if (key_is(&ci->key, "max_tokens") ||
		    key_is(&ci->key, "max_completion_tokens")) {
			int mt = key_is(&ci->key, "max_tokens");

			if (k == J_NUM) {
				if (j_number(&r, &is_int, &v) != 0)
					return -1;
				*(mt ? &ci->max_tokens_int : &ci->max_completion_int) =
				    is_int;
				*(mt ? &ci->max_tokens_v : &ci->max_completion_v) = v;
			}
			*(mt ? &ci->max_tokens : &ci->max_completion) = k;
			if (k == J_NUM)
				continue;
		} else if (key_is(&ci->key, "messages")) {
			ci->messages = k;
			ci->nmsgs = ci->words = 0;
			ci->bad_msg = -1;
			ci->last_user.len = 0;
			if (k == J_ARR) {
				afirst = 1;
				if (j_enter(&r) != 0)
					return -1;
				while ((m = j_element(&r, &afirst)) == 1) {
					if (parse_message(&r, ci) != 0)
						return -1;
					ci->nmsgs++;
				}
				if (m < 0)
					return -1;
				r.depth--;
				continue;
			}
		}
		if (j_skip(&r) != 0)
			return -1;
	}
	if (m < 0)
		return -1;
	j_ws(&r);
	return r.p == r.end ? 0 : -1;
}

/* A chat answer: what its bytes are made of. */
struct answer {
	int		 model, stream;
	char		 id[48];
	long long	 created;
	char		*text;		/* the content, UTF-8, len bytes */
	size_t		 len, pos;	/* pos: next piece to stream */
	int64_t		 prompt_tokens, completion_tokens, cost;
	const char	*finish;
	int		 phase;		/* streams: enum phase */
	int64_t		 first_due;	/* streams: when the first token goes (us) */
	struct buf	 ready;		/* JSON answers: the whole response */
};

enum phase { PH_FIRST, PH_TOKENS, PH_FINISH };

/* Check ci as openrouter.py's _chat does; on success fill a (text
 * pointing into ci->content) and return 0, else put the 400 message in
 * msg and return -1. */
static int chat_answer(struct chat_in *ci, struct answer *a, struct buf *msg)
{
	long long limit = 0;
	int has_limit = 0, is_int = 0;
	enum jkind mk;
	int64_t pieces = 0;
	size_t pos, end;

	if (ci->stream != J_ABSENT && ci->stream != J_TRUE &&
	    ci->stream != J_FALSE && ci->stream != J_NULL) {
		buf_str(msg, "stream: expected a boolean");
		return -1;
	}
	if (ci->model != J_STR || ci->model_id.len == 0) {
		buf_str(msg, "model: expected a non-empty string");
		return -1;
	}
	if (ci->messages != J_ARR || ci->nmsgs == 0) {
		buf_str(msg, "messages: expected a non-empty array");
		return -1;
	}
	if (ci->bad_msg >= 0) {
		buf_fmt(msg, "messages[%lld]", (long long)ci->bad_msg);
		if (ci->fault == MSG_NOT_OBJECT)
			buf_str(msg, ": expected an object");
		else if (ci->fault == MSG_ROLE)
			buf_str(msg, ".role: expected one of system, developer,"
			    " user, assistant, tool");
		else
			buf_str(msg, ".content: expected a string or an array");
		return -1;
	}
	/* max_tokens wins when present, even as null. */
	mk = ci->max_tokens != J_ABSENT ? ci->max_tokens : ci->max_completion;
	if (mk != J_ABSENT && mk != J_NULL) {
		limit = ci->max_tokens != J_ABSENT ? ci->max_tokens_v :
		    ci->max_completion_v;
		is_int = ci->max_tokens != J_ABSENT ? ci->max_tokens_int :
		    ci->max_completion_int;
		if (mk != J_NUM || !is_int || limit < 1) {
			buf_str(msg, "max_tokens: expected a positive integer");
			return -1;
		}
		has_limit = 1;
	}
	if ((a->model = model_find(ci->model_id.data, ci->model_id.len)) < 0) {
		buf_add(msg, ci->model_id.data, ci->model_id.len);
		buf_str(msg, " is not a valid model ID");
		return -1;
	}
	a->stream = ci->stream == J_TRUE;
	/* "echo: " + the last user message, or "echo:" */
	ci->content.len = 0;
	buf_str(&ci->content, ci->last_user.len ? "echo: " : "echo:");
	buf_add(&ci->content, ci->last_user.data, ci->last_user.len);
	a->text = ci->content.data;
	a->len = ci->content.len;
	a->finish = "stop";
	for (pos = 0; pos < a->len; pos = end) {
		end = piece_end(a->text, a->len, pos);
		if (has_limit && pieces == limit) {
			/* Cut after limit pieces, the last one stripped. */
			size_t w, i = 0, last = 0;

			while (i < pos) {
				if (!space_at(a->text, pos, i, &w))
					last = i + w;
				i += w;
			}
			a->len = last;
			a->finish = "length";
			break;
		}
		pieces++;
	}
	a->prompt_tokens = ci->words + 4 * ci->nmsgs;
	a->completion_tokens = pieces > 1 ? pieces : 1;
	a->cost = a->prompt_tokens * price_prompt[a->model] +
	    a->completion_tokens * price_completion[a->model];
	a->pos = 0;
	a->phase = PH_FIRST;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Answers as JSON */

static void put_usage(struct buf *b, const struct answer *a)
{
	buf_fmt(b, "{\"prompt_tokens\":%lld,\"completion_tokens\":%lld,"
	    "\"total_tokens\":%lld,\"cost\":", (long long)a->prompt_tokens,
	    (long long)a->completion_tokens,
	    (long long)(a->prompt_tokens + a->completion_tokens));
	json_usd(b, a->cost);
	buf_str(b, ",\"is_byok\":false,\"prompt_tokens_details\":"
	    "{\"cached_tokens\":0},\"completion_tokens_details\":"
	    "{\"reasoning_tokens\":0},\"cost_details\":"
	    "{\"upstream_inference_cost\":null}}");
}

/* The members every document of an answer starts with. */
static void put_head(struct buf *b, const struct answer *a, const char *object)
{
	buf_str(b, "{\"id\":\"");
	buf_str(b, a->id);
	buf_str(b, "\",\"provider\":");
	json_cstr(b, models[a->model].provider);
	buf_str(b, ",\"model\":");
	json_cstr(b, models[a->model].id);
	buf_fmt(b, ",\"object\":\"%s\",\"created\":%lld,", object, a->created);
}

static void put_completion(struct buf *b, const struct answer *a)
{
	put_head(b, a, "chat.completion");
	buf_fmt(b, "\"choices\":[{\"logprobs\":null,\"finish_reason\":\"%s\","
	    "\"native_finish_reason\":\"%s\",\"index\":0,\"message\":"
	    "{\"role\":\"assistant\",\"content\":", a->finish, a->finish);
	json_str(b, a->text, a->len);
	buf_str(b, ",\"refusal\":null,\"reasoning\":null}}],\"usage\":");
	put_usage(b, a);
	buf_ch(b, '}');
}

/* ------------------------------------------------------------------ */
/* Connections, loops and timers */

enum state { ST_READ, ST_ANSWER };

struct conn {
	int		 fd;
	uint32_t	 ev;		/* events asked of epoll */
	enum state	 state;
	int		 closing;	/* close once the output is written */
	int		 continued;	/* "100 Continue" sent for this request */
	int		 http10;	/* the request is HTTP/1.0 */
	struct buf	 in;		/* an incomplete request */
	struct buf	 out;		/* output the socket did not take yet */
	size_t		 out_off;
	struct answer	*ans;		/* a delayed or paced answer */
	size_t		 heap_idx;	/* place in the timer heap, or NO_TIMER */
	int64_t		 due;		/* monotonic us */
	struct conn	*prev, *next;
};

#define NO_TIMER	SIZE_MAX

struct loop {
	int		 ep, lfd, reserve_fd;
	pthread_t	 thread;
	struct conn	**heap;
	size_t		 nheap, heap_cap;
	struct conn	*conns;
	int64_t		 now;		/* monotonic us */
	time_t		 date_sec;
	char		 date[40];	/* Date header value of date_sec */
	uint64_t	 rng;
	char		*rbuf;		/* READ_SIZE bytes */
	struct buf	 out, body, ev, msg;
	struct buf	 dec;		/* the decoded body of a chunked request */
	struct chat_in	 ci;
};

static char listen_mark, stop_mark;	/* epoll data of the two fds */

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void loop_clock(struct loop *l)
{
	struct timespec ts;
	struct tm tm;

	l->now = mono_us();
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	if (ts.tv_sec != l->date_sec) {
		l->date_sec = ts.tv_sec;
		gmtime_r(&ts.tv_sec, &tm);
		strftime(l->date, sizeof(l->date), "%a, %d %b %Y %H:%M:%S GMT",
		    &tm);
	}
}

static void heap_swap(struct loop *l, size_t i, size_t j)
{
	struct conn *t = l->heap[i];

	l->heap[i] = l->heap[j];
	l->heap[j] = t;
	l->heap[i]->heap_idx = i;
	l->heap[j]->heap_idx = j;
}

static void heap_up(struct loop *l, size_t i)
{
	while (i > 0 && l->heap[(i - 1) / 2]->due > l->heap[i]->due) {
		heap_swap(l, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct loop *l, size_t i)
{
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= l->nheap)
			return;
		if (c + 1 < l->nheap && l->heap[c + 1]->due < l->heap[c]->due)
			c++;
		if (l->heap[i]->due <= l->heap[c]->due)
			return;
		heap_swap(l, i, c);
		i = c;
	}
}

static void timer_clear(struct loop *l, struct conn *c)
{
	size_t i = c->heap_idx;

	if (i == NO_TIMER)
		return;
	c->heap_idx = NO_TIMER;
	if (i == --l->nheap)
		return;
	l->heap[i] = l->heap[l->nheap];
	l->heap[i]->heap_idx = i;
	heap_up(l, i);
	heap_down(l, l->heap[i]->heap_idx);
}

/* Wake c at the monotonic time due (us). */
static void timer_set(struct loop *l, struct conn *c, int64_t due)
{
	timer_clear(l, c);
	if (l->nheap == l->heap_cap) {
		l->heap_cap = l->heap_cap ? 2 * l->heap_cap : 64;
		l->heap = xrealloc(l->heap, l->heap_cap * sizeof(*l->heap));
	}
	c->due = due;
	c->heap_idx = l->nheap;
	l->heap[l->nheap++] = c;
	heap_up(l, c->heap_idx);
}

/* The epoll_wait timeout until the next timer, in ms rounded up (a timer
 * never fires early), or -1 for none. */
static int timer_timeout(const struct loop *l)
{
	int64_t d;

	if (l->nheap == 0)
		return -1;
	d = (l->heap[0]->due - l->now + 999) / 1000;
	return d <= 0 ? 0 : d > INT_MAX ? INT_MAX : (int)d;
}

static void answer_free(struct answer *a)
{
	if (a == NULL)
		return;
	free(a->text);
	buf_free(&a->ready);
	free(a);
}

static void conn_close(struct loop *l, struct conn *c)
{
	timer_clear(l, c);
	close(c->fd);
	buf_free(&c->in);
	buf_free(&c->out);
	answer_free(c->ans);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	free(c);
}

static int out_pending(const struct conn *c)
{
	return c->out.len > c->out_off;
}

/* Ask epoll for what c waits for: output room while output is pending,
 * else a request while reading; the peer's hang-up always. */
static void conn_arm(struct loop *l, struct conn *c)
{
	uint32_t want = EPOLLRDHUP;
	struct epoll_event e;

	if (out_pending(c))
		want |= EPOLLOUT;
	else if (c->state == ST_READ && !c->closing)
		want |= EPOLLIN;
	if (want == c->ev)
		return;
	memset(&e, 0, sizeof(e));
	e.events = want;
	e.data.ptr = c;
	epoll_ctl(l->ep, EPOLL_CTL_MOD, c->fd, &e);
	c->ev = want;
}

/* Send p (n bytes) to c: written at once as far as the socket takes it,
 * the rest kept for EPOLLOUT. Returns 0, or -1 when the connection is
 * broken. */
static int conn_send(struct conn *c, const char *p, size_t n)
{
	ssize_t w;

	if (!out_pending(c)) {
		c->out.len = c->out_off = 0;
		while (n > 0) {
			w = send(c->fd, p, n, MSG_NOSIGNAL);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					break;
				return -1;
			}
			p += w;
			n -= (size_t)w;
		}
		if (n == 0)
			return 0;
	}
	buf_add(&c->out, p, n);
	return 0;
}

/* Write pending output. Returns 0 or -1 (broken). */
static int conn_flush(struct conn *c)
{
	ssize_t w;

	while (out_pending(c)) {
		w = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off,
		    MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		c->out_off += (size_t)w;
	}
	buf_free(&c->out);
	c->out_off = 0;
	return 0;
}

/* ------------------------------------------------------------------ */
/* HTTP */

struct request {
	const char	*method, *path, *auth;
	size_t		 method_len, path_len, auth_len;
	int		 http10, keep_alive, expect_continue, chunked;
	size_t		 head_len, content_length;
	const char	*body;
	size_t		 body_len;
	size_t		 total;		/* bytes of the whole request */
};

enum { REQ_MORE = 0, REQ_DONE = 1, REQ_BAD = -1, REQ_TOO_BIG = -2 };

/* The header section's length (through its blank line), or 0 when it is
 * not all there yet. Lines may end in CRLF or LF. */
static size_t head_end(const char *p, size_t n)
{
	const char *q = p, *end = p + n, *nl;

	while ((nl = memchr(q, '\n', (size_t)(end - q))) != NULL) {
		if (nl == q || (nl == q + 1 && *q == '\r'))
			return (size_t)(nl + 1 - p);
		q = nl + 1;
	}
	return 0;
}

static int token_has(const char *v, size_t n, const char *tok)
{
	size_t tl = strlen(tok), i;

	for (i = 0; i + tl <= n; i++)
		if (strncasecmp(v + i, tok, tl) == 0 &&
		    (i == 0 || v[i - 1] == ',' || v[i - 1] == ' ') &&
		    (i + tl == n || v[i + tl] == ',' || v[i + tl] == ' ' ||
		    v[i + tl] == '\t'))
			return 1;
	return 0;
}

/* Decode a chunked body at p (n bytes) into out. Returns REQ_DONE with
 * *used set, REQ_MORE, REQ_BAD or REQ_TOO_BIG. */
static int dechunk(const char *p, size_t n, struct buf *out, size_t *used)
{
	size_t i = 0, size, hl;
	const char *nl;

	out->len = 0;
	for (;;) {
		if ((nl = memchr(p + i, '\n', n - i)) == NULL)
			return n - i > 1024 ? REQ_BAD : REQ_MORE;
		size = 0;
		for (hl = 0; p[i + hl] != ';' && p[i + hl] != '\r' &&
		    p[i + hl] != '\n' && p[i + hl] != ' '; hl++) {
			char h = p[i + hl];
			int d = h >= '0' && h <= '9' ? h - '0' :
			    (h | 0x20) >= 'a' && (h | 0x20) <= 'f' ?
			    (h | 0x20) - 'a' + 10 : -1;

			if (d < 0)
				return REQ_BAD;
			size = size * 16 + (size_t)d;
			if (size > MAX_BODY)
				return REQ_TOO_BIG;
		}
		if (hl == 0)
			return REQ_BAD;
		i = (size_t)(nl + 1 - p);
		if (size == 0) {
			/* Trailers, up to a blank line. */
			size_t t = head_end(p + i, n - i);

			if (t == 0)
				return n - i > MAX_HEAD ? REQ_BAD : REQ_MORE;
			*used = i + t;
			return REQ_DONE;
		}
		if (out->len + size > MAX_BODY)
			return REQ_TOO_BIG;
		if (n - i < size + 2)
			return REQ_MORE;
		buf_add(out, p + i, size);
		i += size;
		if (p[i] == '\r')
			i++;
		if (i >= n)
			return REQ_MORE;
		if (p[i] != '\n')
			return REQ_BAD;
		i++;
	}
}

/* Parse the request at the start of p (n bytes) into rq; body bytes of a
 * chunked request are decoded into dec. */
static int parse_request(const char *p, size_t n, struct request *rq,
    struct buf *dec)
{
	const char *line, *end, *nl, *sp, *colon, *v, *ve;
	size_t hl, used;
	int rc;

	memset(rq, 0, sizeof(*rq));
	if ((hl = head_end(p, n)) == 0)
		return n > MAX_HEAD ? REQ_BAD : REQ_MORE;
	if (hl > MAX_HEAD)
		return REQ_BAD;
	end = p + hl;
	/* Request line: METHOD SP TARGET SP HTTP/1.x */
	nl = memchr(p, '\n', hl);
	if ((sp = memchr(p, ' ', (size_t)(nl - p))) == NULL || sp == p)
		return REQ_BAD;
	rq->method = p;
	rq->method_len = (size_t)(sp - p);
	rq->path = sp + 1;
	if ((sp = memchr(rq->path, ' ', (size_t)(nl - rq->path))) == NULL)
		return REQ_BAD;
	rq->path_len = (size_t)(sp - rq->path);
	if (nl - sp < 9 || memcmp(sp + 1, "HTTP/1.", 7) != 0)
		return REQ_BAD;
	rq->http10 = sp[8] == '0';
	rq->keep_alive = !rq->http10;
	for (line = nl + 1; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if ((colon = memchr(line, ':', (size_t)(nl - line))) == NULL)
			continue;	/* the blank line, or junk */
		for (v = colon + 1; v < nl && (*v == ' ' || *v == '\t'); v++)
			;
		for (ve = nl; ve > v && (ve[-1] == '\r' || ve[-1] == ' ' ||
		    ve[-1] == '\t'); ve--)
			;
		hl = (size_t)(colon - line);
#define IS(name)	(hl == sizeof(name) - 1 && \
			 strncasecmp(line, name, sizeof(name) - 1) == 0)
		if (IS("content-length")) {
			rq->content_length = 0;
			if (v == ve)
				return REQ_BAD;
			for (; v < ve; v++) {
				if (*v < '0' || *v > '9')
					return REQ_BAD;
				rq->content_length = rq->content_length * 10 +
				    (size_t)(*v - '0');
				if (rq->content_length > MAX_BODY)
					return REQ_TOO_BIG;
			}
		} else if (IS("transfer-encoding")) {
			rq->chunked = token_has(v, (size_t)(ve - v), "chunked");
		} else if (IS("connection")) {
			if (token_has(v, (size_t)(ve - v), "close"))
				rq->keep_alive = 0;
			else if (token_has(v, (size_t)(ve - v), "keep-alive"))
				rq->keep_alive = 1;
		} else if (IS("authorization")) {
			rq->auth = v;
			rq->auth_len = (size_t)(ve - v);
		} else if (IS("expect")) {
			rq->expect_continue = token_has(v, (size_t)(ve - v),
			    "100-continue");
		}
#undef IS
	}
	rq->head_len = (size_t)(end - p);
	if (rq->chunked) {
		rc = dechunk(end, n - rq->head_len, dec, &used);
		if (rc != REQ_DONE)
			return rc;
		rq->body = dec->data ? dec->data : "";
		rq->body_len = dec->len;
		rq->total = rq->head_len + used;
		return REQ_DONE;
	}
	if (n - rq->head_len < rq->content_length)
		return REQ_MORE;
	rq->body = end;
	rq->body_len = rq->content_length;
	rq->total = rq->head_len + rq->content_length;
	return REQ_DONE;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Request Entity Too Large";
	default: return "Error";
	}
}

/* Append the status line and the headers every response has. */
static void put_status(struct loop *l, struct conn *c, int status)
{
	buf_fmt(&l->out, "HTTP/1.1 %d %s\r\nServer: %s\r\nDate: %s\r\n", status,
	    reason(status), SERVER_NAME, l->date);
	if (c->closing)
		buf_str(&l->out, "Connection: close\r\n");
	else if (c->http10)
		buf_str(&l->out, "Connection: keep-alive\r\n");
}

/* Append a whole JSON response with body b (n bytes) to l->out. */
static void put_json_response(struct loop *l, struct conn *c, int status,
    const char *b, size_t n, const char *gen_id)
{
	put_status(l, c, status);
	buf_fmt(&l->out, "Content-Type: application/json\r\n"
	    "Content-Length: %zu\r\n", n);
	if (gen_id != NULL)
		buf_fmt(&l->out, "X-Generation-Id: %s\r\n", gen_id);
	buf_str(&l->out, "\r\n");
	buf_add(&l->out, b, n);
}

/* Send OpenRouter's error document {"error":{"code","message"}}. */
static int send_error(struct loop *l, struct conn *c, int status,
    const char *message, size_t n)
{
	l->body.len = 0;
	buf_fmt(&l->body, "{\"error\":{\"code\":%d,\"message\":", status);
	json_str(&l->body, message, n);
	buf_str(&l->body, "}}");
	l->out.len = 0;
	put_json_response(l, c, status, l->body.data, l->body.len, NULL);
	return conn_send(c, l->out.data, l->out.len);
}

static int send_error_s(struct loop *l, struct conn *c, int status,
    const char *message)
{
	return send_error(l, c, status, message, strlen(message));
}

/* The Bearer key of rq when it is accepted, with its length in *n. */
static const char *authorized(const struct request *rq, size_t *n)
{
	const char *k = rq->auth;
	size_t kl = rq->auth_len;
	int i;

	if (k == NULL || kl < 7 || strncasecmp(k, "bearer ", 7) != 0)
		return NULL;
	for (k += 7, kl -= 7; kl > 0 && (*k == ' ' || *k == '\t'); k++, kl--)
		;
	if (kl == 0)
		return NULL;
	*n = kl;
	if (cfg.nkeys == 0)
		return k;
	for (i = 0; i < cfg.nkeys; i++)
		if (strlen(cfg.keys[i]) == kl && memcmp(cfg.keys[i], k, kl) == 0)
			return k;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Streams */

/* Append one SSE event (payload of n bytes) in its own HTTP chunk. */
static void put_event(struct buf *out, const char *payload, size_t n)
{
	buf_fmt(out, "%zx\r\ndata: ", n + 8);
	buf_add(out, payload, n);
	buf_str(out, "\n\n\r\n");
}

static void put_comment(struct buf *out)
{
	buf_fmt(out, "%zx\r\n%s\r\n", sizeof(KEEPALIVE_COMMENT) - 1,
	    KEEPALIVE_COMMENT);
}

/* Append the content chunk of the next piece of a. */
static void put_piece(struct loop *l, struct answer *a)
{
	size_t end = piece_end(a->text, a->len, a->pos);

	l->ev.len = 0;
	put_head(&l->ev, a, "chat.completion.chunk");
	buf_str(&l->ev, "\"choices\":[{\"index\":0,\"delta\":{");
	if (a->pos == 0)
		buf_str(&l->ev, "\"role\":\"assistant\",");
	buf_str(&l->ev, "\"content\":");
	json_str(&l->ev, a->text + a->pos, end - a->pos);
	buf_str(&l->ev, "},\"finish_reason\":null,\"native_finish_reason\":null,"
	    "\"logprobs\":null}]}");
	put_event(&l->out, l->ev.data, l->ev.len);
	a->pos = end;
}

/* Append the finish chunk, the usage chunk, [DONE] and the last chunk of
 * the body; the answer is complete. */
static void put_finish(struct loop *l, struct answer *a)
{
	l->ev.len = 0;
	put_head(&l->ev, a, "chat.completion.chunk");
	buf_fmt(&l->ev, "\"choices\":[{\"index\":0,\"delta\":{},"
	    "\"finish_reason\":\"%s\",\"native_finish_reason\":\"%s\","
	    "\"logprobs\":null}]}", a->finish, a->finish);
	put_event(&l->out, l->ev.data, l->ev.len);
	l->ev.len = 0;
	put_head(&l->ev, a, "chat.completion.chunk");
	buf_str(&l->ev, "\"choices\":[],\"usage\":");
	put_usage(&l->ev, a);
	buf_ch(&l->ev, '}');
	put_event(&l->out, l->ev.data, l->ev.len);
	put_event(&l->out, "[DONE]", 6);
	buf_str(&l->out, "0\r\n\r\n");
	atomic_fetch_add(&spent, a->cost);
}

/* Append what a stream sends at this moment and say when it goes on:
 * returns the next due time (us), or 0 once the answer is complete. */
static int64_t stream_step(struct loop *l, struct answer *a)
{
	switch (a->phase) {
	case PH_FIRST:
		if (l->now < a->first_due) {
			put_comment(&l->out);
			return l->now + KEEPALIVE_MS * 1000 < a->first_due ?
			    l->now + KEEPALIVE_MS * 1000 : a->first_due;
		}
		if (cfg.delay_ms > 0)
			put_comment(&l->out);
		put_piece(l, a);
		break;
	case PH_TOKENS:
		put_piece(l, a);
		break;
	default:
		put_finish(l, a);
		return 0;
	}
	if (cfg.token_ms == 0) {
		while (a->pos < a->len)
			put_piece(l, a);
		put_finish(l, a);
		return 0;
	}
	a->phase = a->pos < a->len ? PH_TOKENS : PH_FINISH;
	return l->now + (int64_t)cfg.token_ms * 1000;
}

/* ------------------------------------------------------------------ */
/* Endpoints */

static void gen_id(struct loop *l, char *out, size_t size)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	int n = snprintf(out, size, "gen-%lld-", (long long)l->date_sec), i;

	for (i = 0; i < 20 && (size_t)(n + i) + 1 < size; i++) {
		l->rng ^= l->rng << 13;
		l->rng ^= l->rng >> 7;
		l->rng ^= l->rng << 17;
		out[n + i] = alnum[(l->rng >> 32) % (sizeof(alnum) - 1)];
	}
	out[n + i] = '\0';
}

/* POST /api/v1/chat/completions. The answer goes at once, or waits in
 * c->ans for the timer. */
static int do_chat(struct loop *l, struct conn *c, const struct request *rq)
{
	struct answer a, *pa;
	size_t kl;
	int rc;
	int64_t next;

	if (authorized(rq, &kl) == NULL)
		return send_error_s(l, c, 401, "No auth credentials found");
	if ((rc = parse_chat(rq->body, rq->body_len, &l->ci)) != 0)
		return send_error_s(l, c, 400, rc == -1 ?
		    "Invalid JSON in request body" :
		    "Request body must be a JSON object");
	memset(&a, 0, sizeof(a));
	l->msg.len = 0;
	if (chat_answer(&l->ci, &a, &l->msg) != 0)
		return send_error(l, c, 400, l->msg.data, l->msg.len);
	gen_id(l, a.id, sizeof(a.id));
	a.created = (long long)l->date_sec;
	l->out.len = 0;
	if (!a.stream) {
		l->body.len = 0;
		put_completion(&l->body, &a);
		put_json_response(l, c, 200, l->body.data, l->body.len, a.id);
		atomic_fetch_add(&spent, a.cost);
		if (cfg.delay_ms == 0)
			return conn_send(c, l->out.data, l->out.len);
		pa = xrealloc(NULL, sizeof(*pa));
		memset(pa, 0, sizeof(*pa));
		buf_add(&pa->ready, l->out.data, l->out.len);
		c->ans = pa;
		c->state = ST_ANSWER;
		timer_set(l, c, l->now + (int64_t)cfg.delay_ms * 1000);
		return 0;
	}
	put_status(l, c, 200);
	buf_fmt(&l->out, "Content-Type: text/event-stream\r\n"
	    "Cache-Control: no-cache\r\nX-Generation-Id: %s\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", a.id);
	put_comment(&l->out);
	a.first_due = l->now + (int64_t)cfg.delay_ms * 1000;
	if (cfg.delay_ms == 0) {
		next = stream_step(l, &a);
		if (next == 0)
			return conn_send(c, l->out.data, l->out.len);
	} else {
		next = l->now + (int64_t)(cfg.delay_ms < KEEPALIVE_MS ?
		    cfg.delay_ms : KEEPALIVE_MS) * 1000;
	}
	pa = xrealloc(NULL, sizeof(*pa));
	*pa = a;
	pa->text = xrealloc(NULL, a.len + 1);
	memcpy(pa->text, a.text, a.len);
	c->ans = pa;
	c->state = ST_ANSWER;
	timer_set(l, c, next);
	return conn_send(c, l->out.data, l->out.len);
}

/* GET /api/v1/key */
static int do_key(struct loop *l, struct conn *c, const struct request *rq)
{
	const char *k;
	size_t kl;
	int64_t used = atomic_load(&spent);

	if ((k = authorized(rq, &kl)) == NULL)
		return send_error_s(l, c, 401, "No auth credentials found");
	l->body.len = 0;
	buf_str(&l->body, "{\"data\":{\"label\":");
	l->msg.len = 0;
	buf_str(&l->msg, "sk-or-v1-...");
	buf_add(&l->msg, kl > 4 ? k + kl - 4 : k, kl > 4 ? 4 : kl);
	json_str(&l->body, l->msg.data, l->msg.len);
	buf_str(&l->body, ",\"limit\":null,\"limit_reset\":null,"
	    "\"limit_remaining\":null,\"include_byok_in_limit\":false");
	buf_str(&l->body, ",\"usage\":");
	json_usd(&l->body, used);
	buf_str(&l->body, ",\"usage_daily\":");
	json_usd(&l->body, used);
	buf_str(&l->body, ",\"usage_weekly\":");
	json_usd(&l->body, used);
	buf_str(&l->body, ",\"usage_monthly\":");
	json_usd(&l->body, used);
	buf_str(&l->body, ",\"byok_usage\":0,\"byok_usage_daily\":0,"
	    "\"byok_usage_weekly\":0,\"byok_usage_monthly\":0,"
	    "\"is_free_tier\":false,\"is_provisioning_key\":false,"
	    "\"rate_limit\":{\"requests\":200,\"interval\":\"10s\"}}}");
	l->out.len = 0;
	put_json_response(l, c, 200, l->body.data, l->body.len, NULL);
	return conn_send(c, l->out.data, l->out.len);
}

static int send_doc(struct loop *l, struct conn *c, const char *b, size_t n)
{
	l->out.len = 0;
	put_json_response(l, c, 200, b, n, NULL);
	return conn_send(c, l->out.data, l->out.len);
}

static int path_is(const char *p, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(p, s, n) == 0;
}

/* Answer one whole request. Returns 0, or -1 when c must close. */
static int dispatch(struct loop *l, struct conn *c, const struct request *rq)
{
	const char *q;
	size_t pl = rq->path_len;
	int get = rq->method_len == 3 && memcmp(rq->method, "GET", 3) == 0;
	int post = rq->method_len == 4 && memcmp(rq->method, "POST", 4) == 0;

	c->http10 = rq->http10;
	if (!rq->keep_alive)
		c->closing = 1;
	if ((q = memchr(rq->path, '?', pl)) != NULL)
		pl = (size_t)(q - rq->path);
	if (path_is(rq->path, pl, "/api/v1/chat/completions"))
		return post ? do_chat(l, c, rq) :
		    send_error_s(l, c, 405, "Method Not Allowed");
	if (path_is(rq->path, pl, "/api/v1/models"))
		return get ? send_doc(l, c, models_doc.data, models_doc.len) :
		    send_error_s(l, c, 405, "Method Not Allowed");
	if (path_is(rq->path, pl, "/api/v1/key") ||
	    path_is(rq->path, pl, "/api/v1/auth/key"))
		return get ? do_key(l, c, rq) :
		    send_error_s(l, c, 405, "Method Not Allowed");
	if (path_is(rq->path, pl, "/__fake/health"))
		return send_doc(l, c, "{\"ok\":true}", 11);
	return send_error_s(l, c, 404, "Not Found");
}

/* Answer the requests in p (n bytes) while c is free to: returns the
 * bytes used, or -1 when c must close. */
static ssize_t handle_bytes(struct loop *l, struct conn *c, const char *p,
    size_t n)
{
	struct request rq;
	size_t used = 0;
	int rc;

	while (used < n && c->state == ST_READ && !out_pending(c) &&
	    !c->closing) {
		rc = parse_request(p + used, n - used, &rq, &l->dec);
		if (rc == REQ_MORE) {
			if (rq.expect_continue && !c->continued) {
				c->continued = 1;
				if (conn_send(c, "HTTP/1.1 100 Continue\r\n\r\n",
				    25) != 0)
					return -1;
			}
			break;
		}
		if (rc != REQ_DONE) {
			c->closing = 1;
			if ((rc == REQ_TOO_BIG ? send_error_s(l, c, 413,
			    "Request Entity Too Large") : send_error_s(l, c, 400,
			    "Bad Request")) != 0)
				return -1;
			return (ssize_t)n;
		}
		used += rq.total;
		c->continued = 0;
		if (dispatch(l, c, &rq) != 0)
			return -1;
	}
	return (ssize_t)used;
}

/* Handle what c->in holds. Returns 0 or -1 (close). */
static int conn_consume(struct loop *l, struct conn *c)
{
	ssize_t used = handle_bytes(l, c, c->in.data, c->in.len);

	if (used < 0)
		return -1;
	c->in.len -= (size_t)used;
	if (c->in.len == 0)
		buf_free(&c->in);	/* idle connections hold no buffer */
	else if (used > 0)
		memmove(c->in.data, c->in.data + used, c->in.len);
	return 0;
}

/* Read from c and answer. Returns 0 or -1 (close). */
static int conn_read(struct loop *l, struct conn *c)
{
	ssize_t n, used;

	if (c->in.len == 0) {
		n = recv(c->fd, l->rbuf, READ_SIZE, 0);
		if (n <= 0)
			return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
		if ((used = handle_bytes(l, c, l->rbuf, (size_t)n)) < 0)
			return -1;
		if (used < n)
			buf_add(&c->in, l->rbuf + used, (size_t)(n - used));
		return 0;
	}
	buf_grow(&c->in, READ_SIZE);
	n = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len - 1, 0);
	if (n <= 0)
		return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	c->in.len += (size_t)n;
	return conn_consume(l, c);
}

/* The answer of c is written (or queued): back to reading requests. */
static int conn_idle(struct loop *l, struct conn *c)
{
	if (out_pending(c) || c->state != ST_READ)
		return 0;
	if (c->closing)
		return -1;
	if (c->in.len > 0)
		return conn_consume(l, c);
	return 0;
}

static void conn_event(struct loop *l, struct conn *c, uint32_t ev)
{
	int rc = 0;

	if (ev & EPOLLERR) {
		rc = -1;
	} else if (out_pending(c)) {
		if (ev & (EPOLLHUP | EPOLLRDHUP))
			rc = -1;
		else if ((ev & EPOLLOUT) && (rc = conn_flush(c)) == 0)
			rc = conn_idle(l, c);
	} else if (c->state == ST_READ && !c->closing) {
		if ((rc = conn_read(l, c)) == 0)
			rc = conn_idle(l, c);
	} else if (ev & (EPOLLHUP | EPOLLRDHUP)) {
		rc = -1;	/* the client left before its answer */
	}
	if (rc != 0)
		conn_close(l, c);
	else
		conn_arm(l, c);
}

/* The timer of c is due: the next step of its answer. */
static void conn_timer(struct loop *l, struct conn *c)
{
	struct answer *a = c->ans;
	int64_t next;
	int rc;

	l->out.len = 0;
	if (!a->stream) {
		rc = conn_send(c, a->ready.data, a->ready.len);
		next = 0;
	} else {
		next = stream_step(l, a);
		rc = conn_send(c, l->out.data, l->out.len);
	}
	if (rc == 0 && next != 0) {
		timer_set(l, c, next);
	} else if (rc == 0) {
		answer_free(a);
		c->ans = NULL;
		c->state = ST_READ;
		rc = conn_idle(l, c);
	}
	if (rc != 0)
		conn_close(l, c);
	else
		conn_arm(l, c);
}

static void on_accept(struct loop *l)
{
	struct epoll_event e;
	struct conn *c;
	int fd, i, one = 1;

	for (i = 0; i < ACCEPT_BURST; i++) {
		fd = accept4(l->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if ((errno == EMFILE || errno == ENFILE) &&
			    l->reserve_fd >= 0) {
				/* Out of descriptors: refuse one connection
				 * rather than spin on the listening socket. */
				close(l->reserve_fd);
				if ((fd = accept(l->lfd, NULL, NULL)) >= 0)
					close(fd);
				l->reserve_fd = open("/dev/null",
				    O_RDONLY | O_CLOEXEC);
			}
			return;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = xrealloc(NULL, sizeof(*c));
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->state = ST_READ;
		c->heap_idx = NO_TIMER;
		c->ev = EPOLLIN | EPOLLRDHUP;
		memset(&e, 0, sizeof(e));
		e.events = c->ev;
		e.data.ptr = c;
		if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &e) != 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = l->conns;
		if (l->conns != NULL)
			l->conns->prev = c;
		l->conns = c;
	}
}

static void *loop_run(void *arg)
{
	struct loop *l = arg;
	struct epoll_event evs[MAX_EVENTS];
	int n, i;

	for (;;) {
		loop_clock(l);
		n = epoll_wait(l->ep, evs, MAX_EVENTS, timer_timeout(l));
		if (n < 0 && errno != EINTR) {
			perror("fast-upstream: epoll_wait");
			exit(1);
		}
		loop_clock(l);
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == &stop_mark)
				goto out;
			if (evs[i].data.ptr == &listen_mark)
				on_accept(l);
			else
				conn_event(l, evs[i].data.ptr, evs[i].events);
		}
		while (l->nheap > 0 && l->heap[0]->due <= l->now) {
			struct conn *c = l->heap[0];

			timer_clear(l, c);
			conn_timer(l, c);
		}
	}
out:
	while (l->conns != NULL)
		conn_close(l, l->conns);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Start-up */

static void die(const char *what)
{
	fprintf(stderr, "fast-upstream: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fputs("usage: fast-upstream [--host H] [--port P] [--port-file F]"
	    " [--key K ...]\n"
	    "           [--key-file F ...] [--delay-ms N] [--token-ms M]"
	    " [--threads T]\n"
	    "           [--quiet] [--fast]\n", stderr);
	exit(2);
}

/* A whole decimal number in [lo, hi], or usage(). */
static int parse_int(const char *s, int lo, int hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "fast-upstream: not a number in [%d, %d]: %s\n",
		    lo, hi, s);
		usage();
	}
	return (int)v;
}

static void add_key(char *k)
{
	if (cfg.nkeys == MAX_KEYS) {
		fprintf(stderr, "fast-upstream: at most %d keys\n", MAX_KEYS);
		exit(2);
	}
	cfg.keys[cfg.nkeys++] = k;
}

/* The key in file path, without surrounding whitespace. */
static char *read_key(const char *path)
{
	struct buf b = { 0 };
	char tmp[4096];
	size_t n, s = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		die(path);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(&b, tmp, n);
	fclose(f);
	buf_ch(&b, '\0');
	while (b.len > 1 && strchr(" \t\r\n", b.data[b.len - 2]) != NULL)
		b.data[--b.len - 1] = '\0';
	while (b.data[s] != '\0' && strchr(" \t\r\n", b.data[s]) != NULL)
		s++;
	return b.data + s;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'h' },
		{ "port", required_argument, NULL, 'p' },
		{ "port-file", required_argument, NULL, 'f' },
		{ "key", required_argument, NULL, 'k' },
		{ "key-file", required_argument, NULL, 'K' },
		{ "delay-ms", required_argument, NULL, 'd' },
		{ "token-ms", required_argument, NULL, 't' },
		{ "threads", required_argument, NULL, 'T' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "fast", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h': cfg.host = optarg; break;
		case 'p': cfg.port = parse_int(optarg, 0, 65535); break;
		case 'f': cfg.port_file = optarg; break;
		case 'k': add_key(optarg); break;
		case 'K': add_key(read_key(optarg)); break;
		case 'd': cfg.delay_ms = parse_int(optarg, 0, 86400000); break;
		case 't': cfg.token_ms = parse_int(optarg, 0, 86400000); break;
		case 'T': cfg.threads = parse_int(optarg, 1, MAX_THREADS); break;
		case 'q': cfg.quiet = 1; break;
		case 'F': break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
}

/* A listening socket on addr with SO_REUSEPORT. */
static int listen_on(const struct sockaddr *addr, socklen_t len)
{
	int fd, one = 1;

	fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
		die("SO_REUSEPORT");
	if (bind(fd, addr, len) != 0)
		die("bind");
	if (listen(fd, SOMAXCONN) != 0)
		die("listen");
	return fd;
}

static void write_port_file(const char *path, int port)
{
	struct buf tmp = { 0 };
	FILE *f;

	buf_fmt(&tmp, "%s.tmp%d", path, (int)getpid());
	buf_ch(&tmp, '\0');
	if ((f = fopen(tmp.data, "w")) == NULL)
		die(tmp.data);
	fprintf(f, "%d\n", port);
	if (fclose(f) != 0 || rename(tmp.data, path) != 0)
		die(path);
	buf_free(&tmp);
}

/* Let the process hold as many connections as its hard limit allows. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	static struct loop loops[MAX_THREADS];
	struct addrinfo hints, *ai;
	struct sockaddr_storage ss;
	struct epoll_event e;
	socklen_t sl = sizeof(ss);
	sigset_t sigs;
	char port[8];
	int i, sig, rc, bound;
	uint64_t one = 1;

	options(argc, argv);
	models_init();
	raise_fd_limit();

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", cfg.port);
	if ((rc = getaddrinfo(cfg.host, port, &hints, &ai)) != 0) {
		fprintf(stderr, "fast-upstream: %s: %s\n", cfg.host,
		    gai_strerror(rc));
		return 1;
	}
	memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
	sl = ai->ai_addrlen;
	freeaddrinfo(ai);

	/* Signals go to sigwait() in this thread only. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	if ((stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		die("eventfd");

	for (i = 0; i < cfg.threads; i++) {
		struct loop *l = &loops[i];

		/* The first socket picks the port; the others share it. */
		l->lfd = listen_on((struct sockaddr *)&ss, sl);
		if (i == 0) {
			socklen_t ll = sl;

			if (getsockname(l->lfd, (struct sockaddr *)&ss, &ll) != 0)
				die("getsockname");
		}
		if ((l->ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
			die("epoll_create1");
		memset(&e, 0, sizeof(e));
		e.events = EPOLLIN;
		e.data.ptr = &listen_mark;
		if (epoll_ctl(l->ep, EPOLL_CTL_ADD, l->lfd, &e) != 0)
			die("epoll_ctl");
		e.data.ptr = &stop_mark;
		if (epoll_ctl(l->ep, EPOLL_CTL_ADD, stop_fd, &e) != 0)
			die("epoll_ctl");
		l->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		l->rbuf = xrealloc(NULL, READ_SIZE);
		l->rng = ((uint64_t)getpid() << 32) ^ (uint64_t)mono_us() ^
		    ((uint64_t)(i + 1) * 0x9e3779b97f4a7c15ULL);
		if (l->rng == 0)
			l->rng = 1;
	}
	bound = ss.ss_family == AF_INET6 ?
	    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) :
	    ntohs(((struct sockaddr_in *)&ss)->sin_port);
	for (i = 0; i < cfg.threads; i++)
		if ((rc = pthread_create(&loops[i].thread, NULL, loop_run,
		    &loops[i])) != 0) {
			errno = rc;
			die("pthread_create");
		}
	if (cfg.port_file != NULL)
		write_port_file(cfg.port_file, bound);
	if (!cfg.quiet)
		fprintf(stderr, "fast upstream listening on http://%s:%d/api/v1"
		    " (%d thread%s, delay %d ms, token %d ms)\n", cfg.host, bound,
		    cfg.threads, cfg.threads == 1 ? "" : "s", cfg.delay_ms,
		    cfg.token_ms);

	do
		rc = sigwait(&sigs, &sig);
	while (rc == EINTR);
	if (write(stop_fd, &one, sizeof(one)) != sizeof(one))
		die("eventfd write");
	for (i = 0; i < cfg.threads; i++)
		pthread_join(loops[i].thread, NULL);
	return 0;
}
