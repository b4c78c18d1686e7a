/* fuzz_tmpl.c - libFuzzer harness for the template engine: tmpl_add()
 * parsing any bytes, and tmpl_render() of what parses, with a small data
 * object like the pages' (HTML-significant text, nested objects, arrays,
 * every falsy value).
 *
 * Input: MAIN [NUL NAME LF SOURCE]...: the template "main", then up to 7
 * partials, each named by its first line. Templates are trusted files, so
 * the engine need not bound its own work; the harness keeps each input's
 * work small instead: a partial may only include partials after it (no
 * recursion), and at most 12 tags may multiply the output (sections on the
 * data's one array, and partial includes).
 *
 * Properties: a refusal appends "NAME:LINE: message\n" to err; an accepted
 * template is in the set, a refused one is not; a template without "{{"
 * renders as itself. Rendering runs with the data and without any. */
#include "fuzz.h"

#include "buf.h"
#include "msg.h"
#include "tmpl.h"

#define MAXPARTS	8
#define MAX_MULTIPLY	12

static const char data_json[] =
	"{\"title\": \"Prompts & <b>friends</b>\", \"csrf\": \"q1w2e3\","
	" \"user\": {\"email\": \"ann@example.com\", \"is_admin\": true,"
	"  \"name\": \"Ann \\\"O'Brien\\\" <ann>\"},"
	" \"items\": [{\"slug\": \"a b/c?d=e&f\", \"name\": \"<script>x</script>\","
	"   \"n\": 1, \"on\": true, \"price\": 1.5},"
	"  {\"slug\": \"\\u00e9t\\u00e9\", \"name\": \"\", \"n\": 0, \"on\": false,"
	"   \"price\": null}],"
	" \"empty\": [], \"zero\": 0, \"no\": false, \"nil\": null, \"blank\": \"\","
	" \"text\": \"line 1\\nline 2 </script><!--\", \"html\": \"<em>ok</em>\","
	" \"nested\": {\"a\": {\"b\": {\"c\": \"deep\"}}}, \"count\": 42,"
	" \"when\": \"2024-12-01T06:05:33Z\", \"epoch\": 1733033133,"
	" \"micros\": 3100, \"ratio\": 0.69999999999999996, \"code\": \"UI\"}";

static struct json_object *data;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct buf err = { 0 };

	data = json_tokener_parse(data_json);
	if (data == NULL)
		abort();
	/* The filters' words (|count, |msg, |time, |money), when run from
	 * the checkout root as make fuzz does; keys only otherwise. */
	(void)msg_load("templates", "en", &err);
	buf_free(&err);
	return 0;
}

/* One tag found by scan(): its sigil and trimmed name. */
struct tag {
	char		 sigil;
	const char	*name;
	size_t		 n;
};

/* Find the next tag of the n bytes at s from *pos as the parser does
 * ("{{", optional spaces, a sigil, the name up to "}}"), or return 0. */
static int next_tag(const char *s, size_t n, size_t *pos, struct tag *t)
{
	const char *open, *close;
	size_t i, e;

	while (*pos < n && (open = memmem(s + *pos, n - *pos, "{{", 2)) != NULL) {
		i = (size_t)(open - s) + 2;
		*pos = i;
		if (i < n && s[i] == '{')
			continue;	/* {{{raw}}}: no sigil */
		while (i < n && s[i] == ' ')
			i++;
		if (i >= n || strchr("#>", s[i]) == NULL)
			continue;
		t->sigil = s[i++];
		if ((close = memmem(s + i, n - i, "}}", 2)) == NULL)
			return 0;
		e = (size_t)(close - s);
		while (i < e && s[i] == ' ')
			i++;
		while (e > i && s[e - 1] == ' ')
			e--;
		t->name = s + i;
		t->n = e - i;
		return 1;
	}
	return 0;
}

static int name_is(const struct tag *t, const char *name)
{
	return t->n == strlen(name) && memcmp(t->name, name, t->n) == 0;
}

/* Whether the parts' work is small: see the file comment. */
static int bounded(const struct fuzz_part *src, char names[][64], size_t n)
{
	size_t i, j, pos, mult = 0;
	struct tag t;

	for (i = 0; i < n; i++)
		for (pos = 0; next_tag(src[i].s, src[i].n, &pos, &t); ) {
			if (t.sigil == '#') {
				if (name_is(&t, "items") || (t.n > 6 &&
				    memcmp(t.name + t.n - 6, ".items", 6) == 0))
					mult++;
				continue;
			}
			mult++;
			for (j = 0; j <= i; j++)
				if (name_is(&t, names[j]))
					return 0;	/* recursion */
		}
	return mult <= MAX_MULTIPLY;
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
	struct fuzz_part part[MAXPARTS], src[MAXPARTS];
	char names[MAXPARTS][64];
	size_t n = fuzz_split(bytes, size, part, MAXPARTS), i, j;
	struct buf err = { 0 }, out = { 0 }, bare = { 0 };
	struct tmpl_set *set;
	int rc, rc_bare, ok[MAXPARTS];

	src[0] = part[0];
	snprintf(names[0], sizeof(names[0]), "main");
	for (i = 1; i < n; i++) {
		const char *lf = memchr(part[i].s, '\n', part[i].n);
		size_t nl = lf ? (size_t)(lf - part[i].s) : part[i].n;

		src[i].s = lf ? lf + 1 : part[i].s + part[i].n;
		src[i].n = part[i].n - nl - (lf != NULL);
		if (nl == 0 || nl >= sizeof(names[i]) ||
		    memchr(part[i].s, '\0', nl) != NULL)
			snprintf(names[i], sizeof(names[i]), "p%zu", i);
		else
			snprintf(names[i], sizeof(names[i]), "%.*s", (int)nl,
			    part[i].s);
		for (j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				snprintf(names[i], sizeof(names[i]), "p%zu", i);
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				return 0;	/* "p2" named twice */
	if (!bounded(src, names, n))
		return 0;

	set = tmpl_set_new();
	for (i = 0; i < n; i++) {
		size_t before = err.len;

		ok[i] = tmpl_add(set, names[i], src[i].s, src[i].n, &err) == 0;
		if (ok[i]) {
			FUZZ_ASSERT(err.len == before);
			FUZZ_ASSERT(tmpl_exists(set, names[i]));
		} else {
			FUZZ_ASSERT(err.len > before &&
			    err.data[err.len - 1] == '\n');
			FUZZ_ASSERT(strncmp(err.data + before, names[i],
			    strlen(names[i])) == 0);
			FUZZ_ASSERT(!tmpl_exists(set, names[i]));
		}
	}
	if (ok[0]) {
		rc = tmpl_render(set, "main", data, &out);
		rc_bare = tmpl_render(set, "main", NULL, &bare);
		if (memmem(src[0].s, src[0].n, "{{", 2) == NULL) {
			FUZZ_ASSERT(rc == 0 && rc_bare == 0);
			FUZZ_ASSERT(out.len == src[0].n && (out.len == 0 ||
			    memcmp(out.data, src[0].s, out.len) == 0));
		}
	} else
		FUZZ_ASSERT(tmpl_render(set, "main", data, &out) == -1);
	tmpl_set_free(set);
	buf_free(&bare);
	buf_free(&out);
	buf_free(&err);
	return 0;
}
