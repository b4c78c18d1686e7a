/* jsonx.c - small json-c helpers. */
#include "jsonx.h"

#include <limits.h>
#include <string.h>

#include "clock.h"

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

/* The offset of the first NaN, Infinity or -Infinity in the JSON text s of
 * n bytes (json-c accepts them even in strict mode), or n when there is
 * none. Outside strings, JSON text holds no capital letter. */
static size_t nonfinite_literal(const char *s, size_t n)
{
	size_t i;
	int in_string = 0;

	for (i = 0; i < n; i++) {
		if (in_string) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_string = 0;
		} else if (s[i] == '"')
			in_string = 1;
		else if (s[i] == 'N' || s[i] == 'I')
			return i > 0 && s[i - 1] == '-' ? i - 1 : i;
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
	if ((i = nonfinite_literal(s, end)) < end) {
		json_object_put(o);
		e->detail = "unexpected NaN or Infinity";
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
