/* jsonx.c - small json-c helpers. */
#include "jsonx.h"

#include <limits.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "util.h"

void json_add_time(struct json_object *o, const char *key, int64_t t)
{
	char iso[32];

	json_object_object_add(o, key,
	    json_object_new_string(clock_iso(t, iso, sizeof(iso))));
}

struct json_object *json_member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

const char *json_str_member(struct json_object *o, const char *key, int *bad)
{
	struct json_object *v = json_member(o, key);

	if (v == NULL)
		return NULL;
	if (!json_object_is_type(v, json_type_string)) {
		if (bad != NULL)
			*bad = 1;
		return NULL;
	}
	return json_object_get_string(v);
}

/* The offset of the first \u0000 escape in the JSON text s (json-c
 * accepts it, and cuts keys at it), or n when there is none. Backslashes
 * only occur inside strings, each escaping the next character. */
static size_t nul_escape(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && i + 5 < n && memcmp(s + i + 2, "0000", 4) == 0)
			return i;
		i++;
	}
	return n;
}

struct json_object *json_parse_strict(const char *s, size_t n,
    struct json_error *e)
{
	struct json_tokener *tok = json_tokener_new_ex(64);
	enum json_tokener_error jerr = json_tokener_error_size;
	struct json_object *o = NULL;
	size_t end = 0, i;

	e->kind = JSON_ERR_SYNTAX;
	e->detail = "out of memory";
	e->offset = 0;
	if (tok == NULL)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	if (n <= INT_MAX) {
		o = json_tokener_parse_ex(tok, s, (int)n);
		jerr = json_tokener_get_error(tok);
		end = json_tokener_get_parse_end(tok);
		if (jerr == json_tokener_continue && n > 0) {
			/* A bare literal ("null", "12") ends only at the end
			 * of the data: say so with a final NUL. */
			o = json_tokener_parse_ex(tok, "", 1);
			jerr = json_tokener_get_error(tok);
			end = n;
		}
	}
	json_tokener_free(tok);
	if (o == NULL && jerr == json_tokener_success) {
		e->kind = JSON_ERR_NULL;	/* the literal null */
		e->detail = "the document is null";
		return NULL;
	}
	if (jerr != json_tokener_success) {
		json_object_put(o);
		e->detail = jerr == json_tokener_continue ?
		    "unexpected end of data" : json_tokener_error_desc(jerr);
		e->offset = end;
		return NULL;
	}
	/* json-c stops at a NUL byte: only blanks may follow the document. */
	for (i = end; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') {
			json_object_put(o);
			e->detail = "unexpected character";
			e->offset = i;
			return NULL;
		}
	if ((e->offset = nul_escape(s, end)) < end) {
		json_object_put(o);
		e->kind = JSON_ERR_NUL;
		return NULL;
	}
	return o;
}

/* Append the path of member key (or index i when key is NULL) to where. */
static void path_push(struct buf *where, const char *key, size_t i)
{
	if (key == NULL)
		buf_printf(where, "[%zu]", i);
	else
		buf_printf(where, "%s%s", where->len ? "." : "", key);
}

int json_texts_valid(struct json_object *o, struct buf *where)
{
	size_t i, n, mark = where->len;

	switch (json_object_get_type(o)) {
	case json_type_string:
		return text_valid(json_object_get_string(o),
		    (size_t)json_object_get_string_len(o)) ? 0 : -1;
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			path_push(where, NULL, i);
			if (json_texts_valid(json_object_array_get_idx(o, i),
			    where) != 0)
				return -1;
			buf_truncate(where, mark);
		}
		return 0;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			/* A bad key is named by the path to its object. */
			if (!text_valid(key, strlen(key)))
				return -1;
			path_push(where, key, 0);
			if (json_texts_valid(val, where) != 0)
				return -1;
			buf_truncate(where, mark);
		}
		return 0;
	}
	default:
		return 0;
	}
}
