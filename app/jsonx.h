/* jsonx.h - small json-c helpers shared by the data layers. */
#ifndef PM_JSONX_H
#define PM_JSONX_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Why json_parse_strict() refused a document. */
struct json_error {
	enum {
		JSON_ERR_SYNTAX,	/* detail: json-c's description (data
					 * after the document included) */
		JSON_ERR_NUL,		/* a string or key holds a NUL byte */
		JSON_ERR_NULL,		/* the document is the literal null */
		JSON_ERR_TEXT		/* a string or key is not text (see
					 * json_texts_valid): where names it */
	}		 kind;
	const char	*detail;	/* static text */
	size_t		 offset;	/* byte where the problem was seen */
	char		 where[128];	/* JSON_ERR_TEXT: its path, cut */
};

/* Parse exactly the n bytes at s as one JSON document: strict syntax (no
 * NaN or Infinity, which json-c accepts), at most 64 levels deep, only blanks after it, no NUL in any string or key,
 * not the bare literal null, and every string and key text
 * (json_texts_valid: strict UTF-8, no control characters but tab and line
 * breaks; an escaped surrogate that is not half of a pair, "\ud800", is
 * refused too, where json-c would make it U+FFFD). Returns the document
 * (caller puts) or NULL with e filled. */
struct json_object *json_parse_strict(const char *s, size_t n,
    struct json_error *e);

/* Check every string and key in o with text_valid() (strict UTF-8, no
 * control characters but tab and line breaks). Returns 0, or -1 with the
 * path of the offending value ("messages[0].content"; for a bad key, the
 * path of its object; "" for the document itself) appended to where. */
int json_texts_valid(struct json_object *o, struct buf *where);

/* The member key of o, or NULL when it has none or o is not an object. */
struct json_object *json_member(struct json_object *o, const char *key);

/* The string member key of o, or NULL when o or the member is absent or
 * null. A member of another type reads NULL and sets *bad (when bad is not
 * NULL). */
const char *json_str_member(struct json_object *o, const char *key, int *bad);

/* Add t (epoch seconds) to o under key as "YYYY-MM-DDTHH:MM:SSZ" (UTC). */
void json_add_time(struct json_object *o, const char *key, int64_t t);

/* Decimals. json-c writes a double it did not parse with "%.17g", so the
 * 0.7 of a form is written 0.69999999999999996. Every JSON this program
 * writes, and every number a page shows, goes through the shortest text
 * that reads back as the same double instead. */

/* Format d as the shortest of "%.15g", "%.16g" and "%.17g" that strtod()
 * reads back as d, with ".0" added when that looks like an integer (so
 * that it reads back as a number with a fraction): 0.7 -> "0.7", 1/3 ->
 * "0.3333333333333333", 2.0 -> "2.0", 1e-7 -> "1e-07", -0.5 -> "-0.5".
 * NaN and infinities, which JSON cannot hold, give "null". size must be
 * at least JSON_DOUBLE_MAX bytes. Returns out. */
#define JSON_DOUBLE_MAX	32
char *json_double_text(double d, char *out, size_t size);
/* A new double that json-c writes as json_double_text() does (caller
 * puts). Use it instead of json_object_new_double(). */
struct json_object *json_new_double(double d);
/* Make every double in o (recursively) write as json_double_text() does,
 * those parsed from text included (json-c writes those as their original
 * text, which may be a long form stored before). o may be NULL. */
void json_doubles_shortest(struct json_object *o);
/* The members of the object o as rows [{"name","value"}] for a page, in
 * o's order: a string's value as it is, any other as JSON text (numbers
 * in their shortest form). An empty array when o is not an object.
 * Returns a new array the caller puts. */
struct json_object *json_rows(struct json_object *o);
/* o as JSON text with json_to_string_ext's flags, after
 * json_doubles_shortest(o); *len (when not NULL) is its length. The text
 * is owned by o, valid until o changes or is put. Returns the text. */
const char *json_to_text(struct json_object *o, int flags, size_t *len);

#endif
