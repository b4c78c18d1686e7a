/* jsonx.c - small json-c helpers. */
#include "jsonx.h"

#include <json-c/printbuf.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

char *json_double_text(double d, char *out, size_t size)
{
	int digits;

	if (!isfinite(d)) {
		snprintf(out, size, "null");
		return out;
	}
	for (digits = 15; digits <= 17; digits++) {
		snprintf(out, size, "%.*g", digits, d);
		if (strtod(out, NULL) == d)
			break;
	}
	/* "2" would read back as an integer: "2.0". */
	if (strspn(out, "-0123456789") == strlen(out) &&
	    strlen(out) + 3 <= size)
		strcat(out, ".0");
	return out;
}

/* json-c's serializer for a double: json_double_text(). */
static int double_serializer(struct json_object *o, struct printbuf *pb,
    int level, int flags)
{
	char s[JSON_DOUBLE_MAX];

	(void)level;
	(void)flags;
	json_double_text(json_object_get_double(o), s, sizeof(s));
	return printbuf_memappend(pb, s, (int)strlen(s));
}

struct json_object *json_new_double(double d)
{
	struct json_object *o = json_object_new_double(d);

	json_object_set_serializer(o, double_serializer, NULL, NULL);
	return o;
}

void json_doubles_shortest(struct json_object *o)
{
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_double:
		/* Frees the original text json-c kept, if any. */
		json_object_set_serializer(o, double_serializer, NULL, NULL);
		break;
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			json_doubles_shortest(json_object_array_get_idx(o, i));
		break;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			(void)key;
			json_doubles_shortest(val);
		}
		break;
	}
	default:
		break;
	}
}

struct json_object *json_rows(struct json_object *o)
{
	struct json_object *rows = json_object_new_array();

	if (!json_object_is_type(o, json_type_object))
		return rows;
	json_object_object_foreach(o, k, v) {
		struct json_object *row = json_object_new_object();

		json_object_object_add(row, "name", json_object_new_string(k));
		json_object_object_add(row, "value", json_object_new_string(
		    json_object_is_type(v, json_type_string) ?
		    json_object_get_string(v) : json_to_text(v,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, NULL)));
		json_object_array_add(rows, row);
	}
	return rows;
}

const char *json_to_text(struct json_object *o, int flags, size_t *len)
{
	size_t n;
	const char *s;

	json_doubles_shortest(o);
	s = json_object_to_json_string_length(o, flags, &n);
	if (len != NULL)
		*len = n;
	return s;
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

static struct json_object *json_parse_exact(const char *s, size_t n,
    struct json_error *e);

/* The value of the 4 hex digits at s, or -1. */
static long hex4(const char *s)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		int c = (unsigned char)s[i], d = c >= '0' && c <= '9' ? c - '0' :
		    c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* json-c reads an escaped surrogate that is not half of a pair ("\ud800")
 * as U+FFFD, silently changing what was sent. Rewrite each in place (same
 * length) as "\u0001", a control character text_valid() refuses, so that
 * the string holding it is named like any other bad text. Returns a copy
 * the caller frees when there was one, else NULL. */
static char *mark_lone_surrogates(const char *s, size_t n)
{
	char *copy = NULL;
	size_t i;
	int in_string = 0;

	for (i = 0; i < n; i++) {
		long v, w;

		if (s[i] == '"')
			in_string = !in_string;
		if (!in_string || s[i] != '\\' || i + 1 >= n)
			continue;
		if (s[i + 1] != 'u' || i + 6 > n || (v = hex4(s + i + 2)) < 0) {
			i++;	/* any other escape, \" included */
			continue;
		}
		if (v >= 0xD800 && v <= 0xDBFF && i + 12 <= n &&
		    s[i + 6] == '\\' && s[i + 7] == 'u' &&
		    (w = hex4(s + i + 8)) >= 0xDC00 && w <= 0xDFFF) {
			i += 11;	/* a pair */
			continue;
		}
		if (v >= 0xD800 && v <= 0xDFFF) {
			if (copy == NULL) {
				copy = xmalloc(n + 1);
				memcpy(copy, s, n);
				copy[n] = '\0';
			}
			memcpy(copy + i + 2, "0001", 4);
		}
		i += 5;
	}
	return copy;
}

struct json_object *json_parse_strict(const char *s, size_t n,
    struct json_error *e)
{
	char *marked = mark_lone_surrogates(s, n);
	struct json_object *o = json_parse_exact(marked ? marked : s, n, e);

	free(marked);
	return o;
}

/* json_parse_strict() without the surrogate rewrite. */
static struct json_object *json_parse_exact(const char *s, size_t n,
    struct json_error *e)
{
	struct json_tokener *tok = json_tokener_new_ex(64);
	enum json_tokener_error jerr = json_tokener_error_size;
	struct json_object *o = NULL;
	struct buf where = { 0 };
	size_t end = 0, i;

	e->kind = JSON_ERR_SYNTAX;
	e->where[0] = '\0';
	e->detail = "out of memory";
	e->offset = 0;
	if (tok == NULL)
		return NULL;
	/* Text is checked after parsing, by json_texts_valid(), so that the
	 * string at fault can be named. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
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
	e->offset = 0;
	if (json_texts_valid(o, &where) != 0) {
		json_object_put(o);
		e->kind = JSON_ERR_TEXT;
		e->detail = "a string is not valid text";
		snprintf(e->where, sizeof(e->where), "%s", buf_cstr(&where));
		buf_free(&where);
		return NULL;
	}
	buf_free(&where);
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
