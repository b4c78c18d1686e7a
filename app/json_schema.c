/* json_schema.c - the JSON Schema subset of json_schema.h: checking a
 * schema, validating a value, deep equality. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json_schema.h"
#include "jsonx.h"
#include "msg.h"
#include "util.h"

static const char *const ignored[] = {
	"$schema", "$id", "title", "description", "default", "examples",
	"$comment"
};
static const char *const types[] = {
	"object", "array", "string", "number", "integer", "boolean", "null"
};

/* The path text of a JSON pointer ("/" for the root). */
static const char *path_text(const struct buf *path)
{
	return path->len ? path->data : "/";
}

/* Append /name to the pointer, escaping ~ and / as JSON Pointer does. */
static void path_push(struct buf *path, const char *name)
{
	buf_putc(path, '/');
	for (; *name; name++) {
		if (*name == '~')
			buf_puts(path, "~0");
		else if (*name == '/')
			buf_puts(path, "~1");
		else
			buf_putc(path, *name);
	}
}

/* Append the sentence key with {path} (and one more pair when n2) to
 * why. Returns -1. */
static int problem(struct buf *why, const char *key, const struct buf *path,
    const char *n2, const char *v2)
{
	if (why != NULL)
		msg_fmt(why, key, "path", path_text(path), n2 ? n2 : "", v2 ?
		    v2 : "", NULL);
	return -1;
}

static int in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

static int is_number(json_object *o)
{
	return json_object_is_type(o, json_type_int) ||
	    json_object_is_type(o, json_type_double);
}

static int type_ok(json_object *t)
{
	size_t i, n;

	if (json_object_is_type(t, json_type_string))
		return in_list(json_object_get_string(t), types, NELEM(types));
	if (!json_object_is_type(t, json_type_array))
		return 0;
	n = json_object_array_length(t);
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(t, i);

		if (!json_object_is_type(e, json_type_string) ||
		    !in_list(json_object_get_string(e), types, NELEM(types)))
			return 0;
	}
	return 1;
}

static int required_ok(json_object *r)
{
	size_t i, j, n;

	if (!json_object_is_type(r, json_type_array))
		return 0;
	n = json_object_array_length(r);
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(r, i);

		if (!json_object_is_type(e, json_type_string))
			return 0;
		for (j = 0; j < i; j++)
			if (strcmp(json_object_get_string(e),
			    json_object_get_string(json_object_array_get_idx(
			    r, j))) == 0)
				return 0;
	}
	return 1;
}

static int length_ok(json_object *v)
{
	return json_object_is_type(v, json_type_int) ?
	    json_object_get_int64(v) >= 0 :
	    json_object_is_type(v, json_type_double) &&
	    json_object_get_double(v) >= 0 &&
	    json_object_get_double(v) <= 9e15 &&
	    floor(json_object_get_double(v)) == json_object_get_double(v);
}

static int check_at(json_object *s, struct buf *path, int depth,
    struct buf *why);

/* Check one keyword k with value v of the schema at path. */
static int check_keyword(const char *k, json_object *v, struct buf *path,
    int depth, struct buf *why)
{
	size_t mark = path->len;
	int rc = 0;

	if (in_list(k, ignored, NELEM(ignored)))
		return 0;
	if (strcmp(k, "type") == 0)
		return type_ok(v) ? 0 : problem(why, "schema.bad_type", path,
		    NULL, NULL);
	if (strcmp(k, "required") == 0)
		return required_ok(v) ? 0 : problem(why, "schema.bad_required",
		    path, NULL, NULL);
	if (strcmp(k, "enum") == 0)
		return json_object_is_type(v, json_type_array) &&
		    json_object_array_length(v) > 0 ? 0 :
		    problem(why, "schema.bad_enum", path, NULL, NULL);
	if (strcmp(k, "minimum") == 0 || strcmp(k, "maximum") == 0)
		return is_number(v) ? 0 : problem(why, "schema.bad_number",
		    path, "keyword", k);
	if (strcmp(k, "minLength") == 0 || strcmp(k, "maxLength") == 0)
		return length_ok(v) ? 0 : problem(why, "schema.bad_length",
		    path, "keyword", k);
	if (strcmp(k, "items") == 0) {
		path_push(path, "items");
		rc = check_at(v, path, depth + 1, why);
		buf_truncate(path, mark);
		return rc;
	}
	if (strcmp(k, "properties") == 0) {
		if (!json_object_is_type(v, json_type_object))
			return problem(why, "schema.bad_properties", path, NULL,
			    NULL);
		json_object_object_foreach(v, name, sub) {
			path_push(path, "properties");
			path_push(path, name);
			rc = check_at(sub, path, depth + 1, why);
			buf_truncate(path, mark);
			if (rc != 0)
				return rc;
		}
		return 0;
	}
	return problem(why, "schema.unknown_keyword", path, "keyword", k);
}

static int check_at(json_object *s, struct buf *path, int depth,
    struct buf *why)
{
	json_object *lo, *hi;

	if (depth > JSON_SCHEMA_DEPTH_MAX)
		return problem(why, "schema.too_deep", path, NULL, NULL);
	if (!json_object_is_type(s, json_type_object))
		return problem(why, "schema.not_object", path, NULL, NULL);
	json_object_object_foreach(s, k, v) {
		if (check_keyword(k, v, path, depth, why) != 0)
			return -1;
	}
	lo = json_member(s, "minimum");
	hi = json_member(s, "maximum");
	if (lo && hi && json_object_get_double(lo) > json_object_get_double(hi))
		return problem(why, "schema.bad_range", path, "keyword",
		    "minimum");
	lo = json_member(s, "minLength");
	hi = json_member(s, "maxLength");
	if (lo && hi && json_object_get_double(lo) > json_object_get_double(hi))
		return problem(why, "schema.bad_range", path, "keyword",
		    "minLength");
	return 0;
}

int json_schema_check(json_object *schema, struct buf *why)
{
	struct buf path = { 0 };
	int rc = check_at(schema, &path, 0, why);

	buf_free(&path);
	return rc;
}

int json_deep_equal(json_object *a, json_object *b)
{
	enum json_type ta = json_object_get_type(a), tb = json_object_get_type(b);
	size_t i, n;

	if (is_number(a) && is_number(b)) {
		if (ta == json_type_int && tb == json_type_int)
			return json_object_get_int64(a) == json_object_get_int64(b);
		return json_object_get_double(a) == json_object_get_double(b);
	}
	if (ta != tb)
		return 0;
	switch (ta) {
	case json_type_null:
		return 1;
	case json_type_boolean:
		return !json_object_get_boolean(a) == !json_object_get_boolean(b);
	case json_type_string:
		return json_object_get_string_len(a) ==
		    json_object_get_string_len(b) &&
		    memcmp(json_object_get_string(a), json_object_get_string(b),
		    (size_t)json_object_get_string_len(a)) == 0;
	case json_type_array:
		n = json_object_array_length(a);
		if (n != json_object_array_length(b))
			return 0;
		for (i = 0; i < n; i++)
			if (!json_deep_equal(json_object_array_get_idx(a, i),
			    json_object_array_get_idx(b, i)))
				return 0;
		return 1;
	case json_type_object:
		if (json_object_object_length(a) != json_object_object_length(b))
			return 0;
		json_object_object_foreach(a, k, v) {
			json_object *w;

			if (!json_object_object_get_ex(b, k, &w) ||
			    !json_deep_equal(v, w))
				return 0;
		}
		return 1;
	default:
		return 0;
	}
}

/* The name of v's type as the schema says it. */
static const char *type_of(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "boolean";
	case json_type_int:
		return "integer";
	case json_type_double:
		return "number";
	case json_type_string:
		return "string";
	case json_type_array:
		return "array";
	default:
		return "object";
	}
}

/* Whether v is of the schema type name t. */
static int is_type(json_object *v, const char *t)
{
	const char *have = type_of(v);
	double d;

	if (strcmp(t, have) == 0)
		return 1;
	if (strcmp(t, "number") == 0)
		return strcmp(have, "integer") == 0;
	if (strcmp(t, "integer") == 0 && strcmp(have, "number") == 0) {
		d = json_object_get_double(v);
		return isfinite(d) && floor(d) == d;
	}
	return 0;
}

static int type_matches(json_object *t, json_object *v)
{
	size_t i, n;

	if (json_object_is_type(t, json_type_string))
		return is_type(v, json_object_get_string(t));
	n = json_object_array_length(t);
	for (i = 0; i < n; i++)
		if (is_type(v, json_object_get_string(
		    json_object_array_get_idx(t, i))))
			return 1;
	return 0;
}

/* The expected type(s) as text: "string" or "string or null". */
static void type_text(json_object *t, struct buf *out)
{
	size_t i, n;

	if (json_object_is_type(t, json_type_string)) {
		buf_puts(out, json_object_get_string(t));
		return;
	}
	n = json_object_array_length(t);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_puts(out, " | ");
		buf_puts(out, json_object_get_string(
		    json_object_array_get_idx(t, i)));
	}
}

/* A number as short text. */
static void num_text(json_object *o, char *out, size_t size)
{
	if (json_object_is_type(o, json_type_int))
		snprintf(out, size, "%lld", (long long)json_object_get_int64(o));
	else
		json_double_text(json_object_get_double(o), out, size);
}

static int valid_at(json_object *s, json_object *v, struct buf *path,
    struct buf *why);

/* Bounds of numbers and strings. */
static int bounds_ok(json_object *s, json_object *v, struct buf *path,
    struct buf *why)
{
	json_object *lo = json_member(s, "minimum"), *hi = json_member(s,
	    "maximum");
	char a[JSON_DOUBLE_MAX], b[JSON_DOUBLE_MAX];
	double d;
	size_t len;

	if (is_number(v)) {
		d = json_object_get_double(v);
		num_text(v, a, sizeof(a));
		if (lo && d < json_object_get_double(lo)) {
			num_text(lo, b, sizeof(b));
			if (why)
				msg_fmt(why, "schema.v_minimum", "path",
				    path_text(path), "value", a, "limit", b,
				    NULL);
			return 0;
		}
		if (hi && d > json_object_get_double(hi)) {
			num_text(hi, b, sizeof(b));
			if (why)
				msg_fmt(why, "schema.v_maximum", "path",
				    path_text(path), "value", a, "limit", b,
				    NULL);
			return 0;
		}
	}
	if (json_object_is_type(v, json_type_string)) {
		len = utf8_len(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
		lo = json_member(s, "minLength");
		hi = json_member(s, "maxLength");
		if (lo && (double)len < json_object_get_double(lo)) {
			num_text(lo, b, sizeof(b));
			if (why)
				msg_fmt(why, "schema.v_min_length", "path",
				    path_text(path), "limit", b, NULL);
			return 0;
		}
		if (hi && (double)len > json_object_get_double(hi)) {
			num_text(hi, b, sizeof(b));
			if (why)
				msg_fmt(why, "schema.v_max_length", "path",
				    path_text(path), "limit", b, NULL);
			return 0;
		}
	}
	return 1;
}

/* Validate v, the member or element name of the value at path. */
static int valid_below(json_object *s, json_object *v, const char *name,
    struct buf *path, struct buf *why)
{
	size_t mark = path->len;
	int ok;

	path_push(path, name);
	ok = valid_at(s, v, path, why);
	buf_truncate(path, mark);
	return ok;
}

/* Members: required ones present, present ones valid. */
static int object_ok(json_object *s, json_object *v, struct buf *path,
    struct buf *why)
{
	json_object *req = json_member(s, "required");
	json_object *props = json_member(s, "properties"), *m;
	size_t i, n;

	n = req ? json_object_array_length(req) : 0;
	for (i = 0; i < n; i++) {
		const char *name = json_object_get_string(
		    json_object_array_get_idx(req, i));

		if (!json_object_object_get_ex(v, name, NULL)) {
			if (why)
				msg_fmt(why, "schema.v_required", "path",
				    path_text(path), "name", name, NULL);
			return 0;
		}
	}
	if (props == NULL)
		return 1;
	json_object_object_foreach(props, name, sub) {
		if (json_object_object_get_ex(v, name, &m) &&
		    !valid_below(sub, m, name, path, why))
			return 0;
	}
	return 1;
}

static int array_ok(json_object *s, json_object *v, struct buf *path,
    struct buf *why)
{
	json_object *items = json_member(s, "items");
	size_t i, n = json_object_array_length(v);
	char idx[24];

	if (items == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		snprintf(idx, sizeof(idx), "%zu", i);
		if (!valid_below(items, json_object_array_get_idx(v, i), idx,
		    path, why))
			return 0;
	}
	return 1;
}

static int valid_at(json_object *s, json_object *v, struct buf *path,
    struct buf *why)
{
	json_object *t = json_member(s, "type"), *e = json_member(s, "enum");
	struct buf want = { 0 };
	size_t i, n;
	int found = 0;

	if (t && !type_matches(t, v)) {
		if (why) {
			type_text(t, &want);
			msg_fmt(why, "schema.v_type", "path", path_text(path),
			    "expected", want.data, "actual", type_of(v), NULL);
			buf_free(&want);
		}
		return 0;
	}
	if (e) {
		n = json_object_array_length(e);
		for (i = 0; i < n && !found; i++)
			found = json_deep_equal(json_object_array_get_idx(e, i), v);
		if (!found) {
			if (why)
				msg_fmt(why, "schema.v_enum", "path",
				    path_text(path), NULL);
			return 0;
		}
	}
	if (!bounds_ok(s, v, path, why))
		return 0;
	if (json_object_is_type(v, json_type_object))
		return object_ok(s, v, path, why);
	if (json_object_is_type(v, json_type_array))
		return array_ok(s, v, path, why);
	return 1;
}

int json_schema_valid(json_object *schema, json_object *value,
    struct buf *why)
{
	struct buf path = { 0 };
	int ok = valid_at(schema, value, &path, why);

	buf_free(&path);
	return ok;
}
