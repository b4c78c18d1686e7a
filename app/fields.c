/* fields.c - checking a JSON body against its table of fields. */
#include "fields.h"

#include <string.h>

#include "buf.h"
#include "msg.h"
#include "util.h"

/* The catalog key naming what type t (and null when nullable) is. */
static const char *type_key(enum field_type t, int nullable)
{
	static const char *const keys[][2] = {
		[FT_STRING] = { "field.a_string", "field.a_string_or_null" },
		[FT_INT] = { "field.an_integer", "field.an_integer_or_null" },
		[FT_NUMBER] = { "field.a_number", "field.a_number_or_null" },
		[FT_BOOL] = { "field.a_boolean", "field.a_boolean_or_null" },
		[FT_OBJECT] = { "field.an_object", "field.an_object_or_null" },
		[FT_ARRAY] = { "field.an_array", "field.an_array_or_null" },
		[FT_ANY] = { "field.any", "field.any" },
	};

	return keys[t][nullable ? 1 : 0];
}

static int type_ok(enum field_type t, struct json_object *v)
{
	switch (t) {
	case FT_STRING:
		return json_object_is_type(v, json_type_string);
	case FT_INT:
		return json_object_is_type(v, json_type_int);
	case FT_NUMBER:
		return json_object_is_type(v, json_type_int) ||
		    json_object_is_type(v, json_type_double);
	case FT_BOOL:
		return json_object_is_type(v, json_type_boolean);
	case FT_OBJECT:
		return json_object_is_type(v, json_type_object);
	case FT_ARRAY:
		return json_object_is_type(v, json_type_array);
	case FT_ANY:
		return 1;
	}
	return 0;
}

/* Refuse field d with key and its {min} and {max}. */
static int out_of_range(struct pm_fail *f, const char *key,
    const struct field *d)
{
	pm_refuse(f, PM_INVALID, key, d->name);
	pm_fail_arg(f, "field", "%s", d->name);
	pm_fail_arg(f, "min", "%lld", (long long)d->min);
	pm_fail_arg(f, "max", "%lld", (long long)d->max);
	return PM_INVALID;
}

/* Check the limits of value v of field d. */
static int limits_ok(const struct field *d, struct json_object *v,
    struct pm_fail *f)
{
	if (d->max <= d->min)
		return 0;
	switch (d->type) {
	case FT_STRING: {
		size_t n = utf8_len(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));

		if ((int64_t)n < d->min || (int64_t)n > d->max)
			return out_of_range(f, "error.field_length", d);
		return 0;
	}
	case FT_INT: {
		int64_t n = json_object_get_int64(v);

		if (n < d->min || n > d->max)
			return out_of_range(f, "error.field_range", d);
		return 0;
	}
	case FT_NUMBER: {
		double x = json_object_get_double(v);

		if (x < (double)d->min || x > (double)d->max)
			return out_of_range(f, "error.field_range", d);
		return 0;
	}
	case FT_ARRAY: {
		int64_t n = (int64_t)json_object_array_length(v);

		if (n < d->min || n > d->max)
			return out_of_range(f, "error.field_items", d);
		return 0;
	}
	default:
		return 0;
	}
}

int fields_check(const struct field *fields, struct json_object *body,
    struct pm_fail *f)
{
	const struct field *d;
	struct json_object *v;
	struct buf names = { 0 };

	if (body != NULL && !json_object_is_type(body, json_type_object))
		return pm_refuse(f, PM_INVALID, "error.body_object", NULL);
	if (body != NULL) {
		json_object_object_foreach(body, key, val) {
			for (d = fields; d->name != NULL; d++)
				if (strcmp(d->name, key) == 0)
					break;
			if (d->name == NULL) {
				for (d = fields; d->name != NULL; d++)
					buf_printf(&names, "%s%s", names.len ? ", " : "",
					    d->name);
				/* a list too long to read names the reference */
				pm_refuse(f, PM_INVALID, names.len == 0 ?
				    "error.field_none" : names.len > 200 ?
				    "error.field_unknown_many" :
				    "error.field_unknown", key);
				pm_fail_arg(f, "field", "%.100s", key);
				pm_fail_arg(f, "allowed", "%s", buf_cstr(&names));
				buf_free(&names);
				return PM_INVALID;
			}
			if (val == NULL) {
				if (d->flags & FF_NULL)
					continue;
			} else if (type_ok(d->type, val)) {
				if (limits_ok(d, val, f) != 0)
					return PM_INVALID;
				continue;
			}
			pm_refuse(f, PM_INVALID, "error.field_type", d->name);
			pm_fail_arg(f, "field", "%s", d->name);
			pm_fail_arg(f, "expected", "%s", msg_get(type_key(d->type,
			    (d->flags & FF_NULL) != 0)));
			return PM_INVALID;
		}
	}
	for (d = fields; d->name != NULL; d++)
		if ((d->flags & FF_REQUIRED) && (body == NULL ||
		    !json_object_object_get_ex(body, d->name, &v))) {
			pm_refuse(f, PM_INVALID, "error.field_required", d->name);
			pm_fail_arg(f, "field", "%s", d->name);
			return PM_INVALID;
		}
	return 0;
}
