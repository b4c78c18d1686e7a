/* check_json.c - an execution's output read as JSON (check_json.h). */
#include <limits.h>
#include <string.h>

#include "check_json.h"
#include "json_schema.h"
#include "text_metrics.h"

/* Remove one enclosing ``` fence (its first line, any info string
 * included, and a closing ```). */
static void unfence(const char **s, size_t *n)
{
	const char *nl;

	if (*n < 6 || memcmp(*s, "```", 3) != 0 ||
	    memcmp(*s + *n - 3, "```", 3) != 0)
		return;
	nl = memchr(*s, '\n', *n - 3);
	if (nl == NULL)
		return;
	*n -= (size_t)(nl + 1 - *s) + 3;
	*s = nl + 1;
	tm_trim(s, n);
}

int check_json_parse(const char *s, size_t n, json_object **out,
    struct json_error *e)
{
	tm_trim(&s, &n);
	unfence(&s, &n);
	*out = json_parse_strict(s, n, e);
	if (*out != NULL)
		return 0;
	return e->kind == JSON_ERR_NULL ? 0 : -1;
}

/* Parse the first n bytes at s with a fresh strict tokener. Returns the
 * value or NULL; *end is where the tokener stopped. */
static json_object *parse_prefix(const char *s, size_t n, size_t *end,
    int *ok)
{
	struct json_tokener *tok = json_tokener_new_ex(64);
	json_object *o;

	*ok = 0;
	*end = 0;
	if (tok == NULL)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, s, n > INT_MAX ? INT_MAX : (int)n);
	*ok = json_tokener_get_error(tok) == json_tokener_success && o != NULL;
	*end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!*ok) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/* The JSON value starting at s (n bytes, starting with { or [), text
 * after it allowed, or NULL; *ok says whether one was parsed. The strict
 * tokener refuses what follows a value, so a failure is parsed again up
 * to where it stopped: a complete value there is the one. */
static json_object *value_at(const char *s, size_t n, int *ok)
{
	json_object *o;
	size_t end, end2;

	o = parse_prefix(s, n, &end, ok);
	if (*ok || end == 0 || end >= n)
		return o;
	return parse_prefix(s, end, &end2, ok);
}

int check_json_find(const char *s, size_t n, json_object *schema,
    struct buf *why)
{
	struct buf last = { 0 };
	size_t i, tries = 0;
	json_object *o;
	int ok, found = 0;

	for (i = 0; i < n && tries < CHECK_JSON_TRIES_MAX && !found; i++) {
		if (s[i] != '{' && s[i] != '[')
			continue;
		tries++;
		o = value_at(s + i, n - i, &ok);
		if (!ok)
			continue;
		buf_reset(&last);
		found = schema == NULL || json_schema_valid(schema, o, &last);
		json_object_put(o);
	}
	if (!found && why != NULL && last.len > 0)
		buf_append(why, last.data, last.len);
	buf_free(&last);
	return found;
}
