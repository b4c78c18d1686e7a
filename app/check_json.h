/* check_json.h - reading an execution's output as JSON for the checks:
 * one JSON value (is-json, json-schema, equals in JSON mode) or JSON
 * somewhere in the text (contains-json). */
#ifndef PM_CHECK_JSON_H
#define PM_CHECK_JSON_H

#include <json-c/json.h>
#include <stddef.h>

#include "buf.h"
#include "jsonx.h"

#define CHECK_JSON_TRIES_MAX	1000	/* start positions contains-json tries */

/* Parse the n bytes at s as one JSON value after trimming white space and
 * one enclosing Markdown code fence (a first line starting with ``` and a
 * last line of ```), strictly (json_parse_strict), the literal null
 * included. Returns 0 with *out the value (NULL for null; caller puts),
 * or -1 with e filled. */
int check_json_parse(const char *s, size_t n, json_object **out,
    struct json_error *e);
/* Whether some {...} or [...] in the n bytes at s parses as JSON (strict
 * syntax) and, when schema is not NULL, is valid against it; at most
 * CHECK_JSON_TRIES_MAX start positions are tried. Returns 1, or 0 with
 * the reason of the last candidate that failed the schema appended to why
 * (may be NULL; nothing appended when no JSON was found). */
int check_json_find(const char *s, size_t n, json_object *schema,
    struct buf *why);

#endif
