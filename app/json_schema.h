/* json_schema.h - a documented subset of JSON Schema: checking a schema
 * and validating a JSON value against it.
 *
 * Keywords (anything else is refused when the schema is checked, so a
 * keyword that would be silently ignored is never trusted; "$schema",
 * "$id", "title", "description", "default", "examples" and "$comment"
 * are accepted and ignored):
 *   type        "object", "array", "string", "number", "integer",
 *               "boolean", "null", or an array of them (any of)
 *   properties  object: member name -> schema, applied to the members
 *               present
 *   required    array of distinct strings: members that must be present
 *   items       schema applied to every element of an array
 *   enum        non-empty array: the value must be deep-equal to one
 *   minimum, maximum   numbers: inclusive bounds of a number
 *   minLength, maxLength   integers >= 0: bounds of a string's length in
 *               code points
 * "integer" is a number with no fractional part (2.0 is one). A keyword
 * that does not apply to the value's type is ignored (minimum of a
 * string), as JSON Schema does.
 *
 * Problems are sentences of the catalog (samples.txt "schema.*") with
 * {path}, a JSON pointer ("" is the root, written "/" in the text).
 */
#ifndef PM_JSON_SCHEMA_H
#define PM_JSON_SCHEMA_H

#include <json-c/json.h>

#include "buf.h"

#define JSON_SCHEMA_DEPTH_MAX	32

/* Check that schema is a schema of the subset. Returns 0, or -1 with the
 * first problem appended to why (may be NULL). */
int json_schema_check(json_object *schema, struct buf *why);
/* Validate value (NULL is JSON null) against a checked schema. Returns 1
 * when valid, 0 with the first problem appended to why (may be NULL). */
int json_schema_valid(json_object *schema, json_object *value,
    struct buf *why);
/* Whether a and b are deep-equal JSON values (NULL is null): objects with
 * the same members in any order, arrays element by element, numbers by
 * value (1 == 1.0), strings byte for byte. */
int json_deep_equal(json_object *a, json_object *b);

#endif
