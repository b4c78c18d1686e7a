/* fields.h - JSON bodies checked against a declared table of their
 * fields, before any handler runs (the spirit of kcgi's keys[]): each
 * field has a name, a type, whether it is required or may be null, and
 * its limits. The routes table names the table of each JSON route.
 *
 * Error convention: error.h. A refusal is PM_INVALID naming the field
 * (f->field) in one of these sentences: error.body_object (not an
 * object), error.field_unknown (with the allowed names), error.field_type
 * (with the expected type), error.field_required, error.field_range,
 * error.field_length, error.field_items.
 */
#ifndef PM_FIELDS_H
#define PM_FIELDS_H

#include <json-c/json.h>
#include <stdint.h>

#include "error.h"

enum field_type {
	FT_STRING = 1,	/* limits: characters (code points) */
	FT_INT,		/* limits: the value */
	FT_NUMBER,	/* an integer or a decimal; limits: the value */
	FT_BOOL,
	FT_OBJECT,	/* any object; its members are checked by the domain */
	FT_ARRAY,	/* limits: the number of items */
	FT_ANY		/* any JSON value */
};

#define FF_REQUIRED	0x1u	/* must be present */
#define FF_NULL		0x2u	/* may be null */

/* One field. min and max apply when max > min (both 0: no limit). */
struct field {
	const char	*name;
	enum field_type	 type;
	unsigned	 flags;
	int64_t		 min, max;
};

/* A table ends with an entry whose name is NULL. */

/* Check the body against the table fields: an object (NULL, an absent
 * body, counts as {}) holding only fields of the table, each of its type
 * and within its limits, with every required one present. Returns 0, or
 * PM_INVALID with the sentence and the field in f. */
int fields_check(const struct field *fields, struct json_object *body,
    struct pm_fail *f);

#endif
