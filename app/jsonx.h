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

#endif
