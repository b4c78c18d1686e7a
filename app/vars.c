/* vars.c - prompt template variables: scanning, declarations, coercion and
 * strict rendering. */
#include "vars.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "util.h"

/* ---- error lists ---------------------------------------------------- */

/* A position in a message text, advanced monotonically (errors and
 * placeholders come in text order), so positions cost O(len) in total. */
struct cursor {
	const char	*text;
	int		 msg_index;
	size_t		 off;
	int		 line;
	int		 col;
};

static void cursor_init(struct cursor *c, const char *text, int msg_index)
{
	c->text = text;
	c->msg_index = msg_index;
	c->off = 0;
	c->line = 1;
	c->col = 1;
}

/* Move c forward to byte offset off (never backwards). */
static void cursor_to(struct cursor *c, size_t off)
{
	while (c->off < off) {
		unsigned char ch = (unsigned char)c->text[c->off++];

		if (ch == '\n') {
			c->line++;
			c->col = 1;
		} else if ((ch & 0xC0) != 0x80)
			c->col++;
	}
}

void vars_errors_free(struct vars_errors *errs)
{
	if (errs == NULL)
		return;
	free(errs->v);
	errs->v = NULL;
	errs->n = errs->cap = 0;
	errs->truncated = 0;
}

/* Copy the longest valid UTF-8 prefix of name (at most VARS_NAME_MAX
 * bytes) into dst. */
static void name_copy(char *dst, const char *name, size_t n)
{
	if (name == NULL)
		n = 0;
	if (n > VARS_NAME_MAX)
		n = VARS_NAME_MAX;
	while (n > 0 && !utf8_valid(name, n))
		n--;
	if (n)
		memcpy(dst, name, n);
	dst[n] = '\0';
}

/* Append an error; at (may be NULL) locates it in a message. */
static void err_add(struct vars_errors *errs, const char *code,
    const char *name, size_t nlen, const struct cursor *at)
{
	struct vars_error *e;

	if (errs->n >= VARS_ERRORS_MAX) {
		errs->truncated = 1;
		return;
	}
	if (errs->n == errs->cap) {
		errs->cap = errs->cap ? errs->cap * 2 : 8;
		errs->v = xrealloc(errs->v, errs->cap * sizeof(*errs->v));
	}
	e = &errs->v[errs->n++];
	memset(e, 0, sizeof(*e));
	e->code = code;
	name_copy(e->name, name, nlen);
	e->msg_index = -1;
	if (at != NULL) {
		e->msg_index = at->msg_index;
		e->line = at->line;
		e->col = at->col;
		e->offset = at->off;
	}
}

/* Append an error for the NUL-terminated name, unlocated. */
static void err_name(struct vars_errors *errs, const char *code,
    const char *name)
{
	err_add(errs, code, name, name ? strlen(name) : 0, NULL);
}

/* Whether errs holds an error of that code for that name. */
static int err_seen(const struct vars_errors *errs, const char *code,
    const char *name)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		if (strcmp(errs->v[i].code, code) == 0 &&
		    strcmp(errs->v[i].name, name) == 0)
			return 1;
	return 0;
}

/* err_name() unless the same code and name is already listed (or the list
 * is full, which also counts as reported). */
static void err_once(struct vars_errors *errs, const char *code,
    const char *name)
{
	if (!err_seen(errs, code, name))
		err_name(errs, code, name);
}

json_object *vars_errors_json(const struct vars_errors *errs)
{
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; errs != NULL && i < errs->n; i++) {
		const struct vars_error *e = &errs->v[i];
		json_object *o = json_object_new_object();
		int located = e->msg_index >= 0;

		json_object_object_add(o, "code",
		    json_object_new_string(e->code));
		if (e->name[0] != '\0')
			json_object_object_add(o, "variable",
			    json_object_new_string(e->name));
		json_object_object_add(o, "message_index",
		    located ? json_object_new_int(e->msg_index) : NULL);
		json_object_object_add(o, "line",
		    located ? json_object_new_int(e->line) : NULL);
		json_object_object_add(o, "column",
		    located ? json_object_new_int(e->col) : NULL);
		json_object_object_add(o, "offset",
		    located ? json_object_new_int64((int64_t)e->offset) : NULL);
		json_object_array_add(arr, o);
	}
	return arr;
}

/* ---- the tokenizer -------------------------------------------------- */

enum tok_kind { TOK_END, TOK_TEXT, TOK_VAR, TOK_ERROR };

/* One token. TEXT: the bytes [start, end) are output verbatim. VAR: a
 * placeholder starting at start, name/nlen its name. ERROR: a placeholder
 * at start that is wrong (code); name/nlen the trimmed content for
 * vars.bad_name. */
struct tok {
	enum tok_kind	 kind;
	size_t		 start;
	size_t		 end;
	const char	*code;
	const char	*name;
	size_t		 nlen;
};

static int is_pair(const char *s, size_t len, size_t i, char c)
{
	return i + 1 < len && s[i] == c && s[i + 1] == c;
}

int vars_name_valid(const char *s, size_t n)
{
	size_t i;

	if (s == NULL || n == 0 || n > VARS_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    c == '_' || (i > 0 && c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

/* Classify the content between "{{" and "}}" (bytes [b, e) of s). */
static void tok_name(const char *s, size_t b, size_t e, struct tok *t)
{
	while (b < e && (s[b] == ' ' || s[b] == '\t'))
		b++;
	while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	t->name = s + b;
	t->nlen = e - b;
	if (vars_name_valid(t->name, t->nlen)) {
		t->kind = TOK_VAR;
	} else {
		t->kind = TOK_ERROR;
		t->code = VARS_E_BAD_NAME;
	}
}

/* Read the token at *pos and advance *pos past it. */
static void tok_next(const char *s, size_t len, size_t *pos, struct tok *t)
{
	size_t i = *pos, j;

	memset(t, 0, sizeof(*t));
	t->start = i;
	if (i >= len) {
		t->kind = TOK_END;
		return;
	}
	if (!is_pair(s, len, i, '{')) {
		for (j = i + 1; j < len && !is_pair(s, len, j, '{'); j++)
			;
		t->kind = TOK_TEXT;
		t->end = *pos = j;
		return;
	}
	if (i + 3 < len && is_pair(s, len, i + 2, '{')) {
		t->kind = TOK_TEXT;	/* "{{{{": the first two braces */
		t->end = i + 2;
		*pos = i + 4;
		return;
	}
	for (j = i + 2; j < len; j++) {
		if (s[j] == '\n' || is_pair(s, len, j, '{'))
			break;
		if (is_pair(s, len, j, '}')) {
			tok_name(s, i + 2, j, t);
			t->end = *pos = j + 2;
			return;
		}
	}
	t->kind = TOK_ERROR;
	t->code = VARS_E_UNCLOSED;
	t->end = *pos = j;
}

/* ---- scanning ------------------------------------------------------- */

int vars_scan(const char *text, size_t len, int msg_index, json_object *names,
    struct vars_errors *errs)
{
	json_object *seen = json_object_new_object();
	struct cursor cur;
	struct tok t;
	size_t pos = 0, i;
	int failed = 0;
	char name[VARS_NAME_MAX + 1];

	if (names != NULL)
		for (i = 0; i < json_object_array_length(names); i++) {
			const char *s = json_object_get_string(
			    json_object_array_get_idx(names, i));

			if (s != NULL)
				json_object_object_add(seen, s, NULL);
		}
	cursor_init(&cur, text, msg_index);
	for (tok_next(text, len, &pos, &t); t.kind != TOK_END;
	    tok_next(text, len, &pos, &t)) {
		if (t.kind == TOK_ERROR) {
			cursor_to(&cur, t.start);
			err_add(errs, t.code, t.name, t.nlen, &cur);
			failed = 1;
		} else if (t.kind == TOK_VAR && names != NULL) {
			memcpy(name, t.name, t.nlen);
			name[t.nlen] = '\0';
			if (json_object_object_get_ex(seen, name, NULL))
				continue;
			json_object_object_add(seen, name, NULL);
			json_object_array_add(names,
			    json_object_new_string(name));
		}
	}
	json_object_put(seen);
	return failed ? PM_INVALID : 0;
}

/* ---- values --------------------------------------------------------- */

enum vtype { VT_STRING, VT_NUMBER, VT_BOOLEAN, VT_ENUM, VT_BAD };

static const char *const vtype_names[] = {
	[VT_STRING] = "string",
	[VT_NUMBER] = "number",
	[VT_BOOLEAN] = "boolean",
	[VT_ENUM] = "enum",
};

/* The type named by the JSON value t (NULL: string), or VT_BAD. */
static enum vtype vtype_parse(json_object *t)
{
	size_t i;

	if (t == NULL)
		return VT_STRING;
	if (!json_object_is_type(t, json_type_string))
		return VT_BAD;
	for (i = 0; i < NELEM(vtype_names); i++)
		if (strcmp(json_object_get_string(t), vtype_names[i]) == 0)
			return (enum vtype)i;
	return VT_BAD;
}

static enum vtype decl_type(json_object *decl)
{
	return vtype_parse(json_member(decl, "type"));
}

static int decl_required(json_object *decl)
{
	json_object *r = json_member(decl, "required");

	return r == NULL || !json_object_is_type(r, json_type_boolean) ||
	    json_object_get_boolean(r);
}

/* Whether v is a JSON string of valid UTF-8 text. */
static int is_text(json_object *v)
{
	return json_object_is_type(v, json_type_string) &&
	    utf8_valid(json_object_get_string(v),
	    (size_t)json_object_get_string_len(v));
}

/* Whether the string v is one of the array choices. */
static int in_choices(json_object *choices, json_object *v)
{
	const char *s = json_object_get_string(v);
	size_t i, n = (size_t)json_object_get_string_len(v);

	if (!json_object_is_type(choices, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(choices); i++) {
		json_object *c = json_object_array_get_idx(choices, i);

		if (json_object_is_type(c, json_type_string) &&
		    (size_t)json_object_get_string_len(c) == n &&
		    memcmp(json_object_get_string(c), s, n) == 0)
			return 1;
	}
	return 0;
}

/* Check the JSON value v against type (and choices for an enum). Returns
 * NULL when valid, or the error code. */
static const char *value_check(enum vtype type, json_object *choices,
    json_object *v)
{
	switch (type) {
	case VT_NUMBER:
		if (json_object_is_type(v, json_type_int) ||
		    (json_object_is_type(v, json_type_double) &&
		    isfinite(json_object_get_double(v))))
			return NULL;
		return VARS_E_TYPE_NUMBER;
	case VT_BOOLEAN:
		return json_object_is_type(v, json_type_boolean) ? NULL :
		    VARS_E_TYPE_BOOLEAN;
	case VT_ENUM:
		return is_text(v) && in_choices(choices, v) ? NULL :
		    VARS_E_NOT_IN_CHOICES;
	case VT_STRING:
	case VT_BAD:
		break;
	}
	return is_text(v) ? NULL : VARS_E_TYPE_STRING;
}

/* Whether the n bytes at s are a strict decimal number:
 * -?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?. *integral is set when there is
 * neither fraction nor exponent. */
static int number_syntax(const char *s, size_t n, int *integral)
{
	size_t i = 0, d;

	*integral = 1;
	if (i < n && s[i] == '-')
		i++;
	for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == d)
		return 0;
	if (i < n && s[i] == '.') {
		*integral = 0;
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		*integral = 0;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == n;
}

/* Parse the form string s (NUL-terminated, n bytes) as a number. Returns a
 * new int or double, or NULL. */
static json_object *number_parse(const char *s, size_t n)
{
	int64_t i;
	double d;
	char *end;
	int integral;

	if (!number_syntax(s, n, &integral))
		return NULL;
	if (integral && parse_i64(s, INT64_MIN, INT64_MAX, &i) == 0)
		return json_object_new_int64(i);
	d = strtod(s, &end);
	if (end != s + n || !isfinite(d))
		return NULL;
	return json_new_double(d);
}

/* Parse the form string s as a boolean. Returns a new boolean or NULL. */
static json_object *boolean_parse(const char *s)
{
	if (strcmp(s, "true") == 0 || strcmp(s, "on") == 0 ||
	    strcmp(s, "1") == 0)
		return json_object_new_boolean(1);
	if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
		return json_object_new_boolean(0);
	return NULL;
}

/* A new copy of the valid value v (checked by value_check). */
static json_object *value_copy(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		return json_object_new_boolean(json_object_get_boolean(v));
	case json_type_double:
		return json_new_double(json_object_get_double(v));
	case json_type_string:
		return json_object_new_string_len(json_object_get_string(v),
		    json_object_get_string_len(v));
	case json_type_int:
		if (json_object_get_int64(v) == INT64_MAX &&
		    json_object_get_uint64(v) > INT64_MAX)
			return json_object_new_uint64(
			    json_object_get_uint64(v));
		return json_object_new_int64(json_object_get_int64(v));
	default:
		break;
	}
	return NULL;
}

/* Turn v into a valid value of type: a typed value is copied, a form
 * string is parsed. Returns a new value, or NULL with *code set. */
static json_object *value_from(enum vtype type, json_object *choices,
    json_object *v, const char **code)
{
	const char *s;
	json_object *r;
	size_t n;

	*code = value_check(type, choices, v);
	if (*code == NULL)
		return value_copy(v);
	if (!json_object_is_type(v, json_type_string) ||
	    (type != VT_NUMBER && type != VT_BOOLEAN))
		return NULL;
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (strlen(s) != n)
		return NULL;
	r = type == VT_NUMBER ? number_parse(s, n) : boolean_parse(s);
	if (r != NULL)
		*code = NULL;
	return r;
}

/* Append a double without trailing zeros: 3, 1.5, 1e+20. (No libm: the
 * build does not link it.) */
static void double_append(struct buf *out, double d)
{
	char tmp[40];

	if (d == 0)
		d = 0;	/* no "-0" */
	if (d > -1e15 && d < 1e15 && d == (double)(int64_t)d) {
		buf_printf(out, "%" PRId64, (int64_t)d);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%.15g", d);
	if (strtod(tmp, NULL) != d)
		snprintf(tmp, sizeof(tmp), "%.17g", d);
	buf_puts(out, tmp);
}

/* Append the valid value v as rendered text. */
static void value_append(struct buf *out, json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_string:
		buf_append(out, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
		break;
	case json_type_int:
		buf_puts(out, json_object_to_json_string_ext(v,
		    JSON_C_TO_STRING_PLAIN));
		break;
	case json_type_double:
		double_append(out, json_object_get_double(v));
		break;
	case json_type_boolean:
		buf_puts(out, json_object_get_boolean(v) ? "true" : "false");
		break;
	default:
		break;
	}
}

/* A new object mapping each declared name of the array decls to its
 * declaration (first one wins). */
static json_object *decl_index(json_object *decls)
{
	json_object *idx = json_object_new_object();
	size_t i;

	if (!json_object_is_type(decls, json_type_array))
		return idx;
	for (i = 0; i < json_object_array_length(decls); i++) {
		json_object *d = json_object_array_get_idx(decls, i);
		json_object *n = json_member(d, "name");

		if (!json_object_is_type(n, json_type_string) ||
		    json_object_object_get_ex(idx, json_object_get_string(n),
		    NULL))
			continue;
		json_object_object_add(idx, json_object_get_string(n),
		    json_object_get(d));
	}
	return idx;
}

/* ---- declarations --------------------------------------------------- */

static const char *const decl_keys[] = {
	"name", "type", "required", "default", "description", "choices",
};

/* Whether every key of the object d is a declaration key. */
static int decl_keys_known(json_object *d)
{
	size_t i;

	json_object_object_foreach(d, key, val) {
		(void)val;
		for (i = 0; i < NELEM(decl_keys); i++)
			if (strcmp(key, decl_keys[i]) == 0)
				break;
		if (i == NELEM(decl_keys))
			return 0;
	}
	return 1;
}

/* Whether v is text of at most max characters. */
static int text_within(json_object *v, size_t max)
{
	return is_text(v) && utf8_len(json_object_get_string(v),
	    (size_t)json_object_get_string_len(v)) <= max;
}

/* Whether choices is a valid list of enum choices. */
static int choices_valid(json_object *choices)
{
	size_t i, j, n;

	if (!json_object_is_type(choices, json_type_array))
		return 0;
	n = json_object_array_length(choices);
	if (n < 1 || n > VARS_CHOICES_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(choices, i);

		if (!text_within(c, VARS_CHOICE_MAX) ||
		    json_object_get_string_len(c) == 0)
			return 0;
		for (j = 0; j < i; j++)
			if (strcmp(json_object_get_string(c),
			    json_object_get_string(
			    json_object_array_get_idx(choices, j))) == 0)
				return 0;
	}
	return 1;
}

/* Whether the optional member v is absent: missing or null. */
static int absent(json_object *v)
{
	return v == NULL || json_object_is_type(v, json_type_null);
}

/* Whether the choices member suits a declaration of type: valid choices
 * for an enum; absent or an empty array for the other types. */
static int choices_fit(enum vtype type, json_object *choices)
{
	if (type == VT_ENUM)
		return choices_valid(choices);
	return absent(choices) || (json_object_is_type(choices,
	    json_type_array) && json_object_array_length(choices) == 0);
}

/* Validate the default of a declaration of type (choices already valid
 * for an enum). Returns 0 with *out the normalised default (NULL: none),
 * or -1. */
static int default_check(enum vtype type, json_object *choices,
    json_object *def, json_object **out)
{
	const char *code;

	*out = NULL;
	if (absent(def))
		return 0;
	if (type != VT_STRING && json_object_is_type(def, json_type_string) &&
	    json_object_get_string_len(def) == 0)
		return 0;
	*out = value_from(type, choices, def, &code);
	return *out != NULL ? 0 : -1;
}

/* Validate the members of the declaration d of the used variable name
 * (type, required, description, choices, default). Returns a new
 * normalised declaration, or NULL with the errors appended. */
static json_object *decl_build(json_object *d, const char *name,
    struct vars_errors *errs)
{
	json_object *req = json_member(d, "required"), *desc = json_member(d,
	    "description"), *choices = json_member(d, "choices"), *def = NULL;
	enum vtype type = decl_type(d);
	json_object *o;
	int failed = 0, required = 1;

	if (type == VT_BAD) {
		err_name(errs, VARS_E_DECL_TYPE, name);
		failed = 1;
	}
	if (req != NULL && !json_object_is_type(req, json_type_boolean)) {
		err_name(errs, VARS_E_DECL_INVALID, name);
		failed = 1;
	} else if (req != NULL)
		required = json_object_get_boolean(req);
	if (!absent(desc) && !text_within(desc, VARS_DESC_MAX)) {
		err_name(errs, VARS_E_DECL_DESCRIPTION, name);
		failed = 1;
	}
	if (type != VT_BAD && !choices_fit(type, choices)) {
		err_name(errs, VARS_E_DECL_CHOICES, name);
		failed = 1;
	} else if (type != VT_BAD && (default_check(type, choices,
	    json_member(d, "default"), &def) != 0 || (!required && def == NULL))) {
		err_name(errs, VARS_E_DECL_DEFAULT, name);
		failed = 1;
	}
	if (failed) {
		json_object_put(def);
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "type",
	    json_object_new_string(vtype_names[type]));
	json_object_object_add(o, "required",
	    json_object_new_boolean(required));
	if (def != NULL)
		json_object_object_add(o, "default", def);
	if (!absent(desc) && json_object_get_string_len(desc) > 0)
		json_object_object_add(o, "description", value_copy(desc));
	if (type == VT_ENUM) {
		json_object *copy = NULL;

		json_object_deep_copy(choices, &copy, NULL);
		json_object_object_add(o, "choices", copy);
	}
	return o;
}

/* Validate the given declaration d against the set of used names and the
 * declarations accepted so far (object name -> declaration, which gets d's
 * normalised form on success). Returns 0 or -1 with errors appended. */
static int decl_one(json_object *d, json_object *used, json_object *given,
    struct vars_errors *errs)
{
	json_object *n = json_member(d, "name"), *o;
	const char *name;

	if (!json_object_is_type(d, json_type_object)) {
		err_name(errs, VARS_E_DECL_INVALID, NULL);
		return -1;
	}
	if (!json_object_is_type(n, json_type_string) ||
	    !vars_name_valid(json_object_get_string(n),
	    (size_t)json_object_get_string_len(n))) {
		err_add(errs, VARS_E_BAD_NAME, json_object_get_string(n),
		    json_object_is_type(n, json_type_string) ?
		    (size_t)json_object_get_string_len(n) : 0, NULL);
		return -1;
	}
	name = json_object_get_string(n);
	if (!decl_keys_known(d)) {
		err_name(errs, VARS_E_DECL_INVALID, name);
		return -1;
	}
	if (json_object_object_get_ex(given, name, NULL)) {
		err_name(errs, VARS_E_DECL_DUPLICATE, name);
		return -1;
	}
	if (!json_object_object_get_ex(used, name, NULL)) {
		err_name(errs, VARS_E_DECL_UNKNOWN, name);
		json_object_object_add(given, name, NULL);
		return -1;
	}
	o = decl_build(d, name, errs);
	json_object_object_add(given, name, o);	/* NULL marks "seen" */
	return o != NULL ? 0 : -1;
}

/* The default declaration of an undeclared variable. */
static json_object *decl_default(const char *name)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "type", json_object_new_string("string"));
	json_object_object_add(o, "required", json_object_new_boolean(1));
	return o;
}

int vars_normalize_decls(json_object *names, json_object *decls_in,
    json_object **decls_out, struct vars_errors *errs)
{
	json_object *used = json_object_new_object();
	json_object *given = json_object_new_object();
	json_object *out, *d;
	size_t i, n = json_object_is_type(names, json_type_array) ?
	    json_object_array_length(names) : 0;
	int failed = 0;

	*decls_out = NULL;
	for (i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(names, i);

		if (json_object_is_type(s, json_type_string))
			json_object_object_add(used, json_object_get_string(s),
			    NULL);
	}
	if (decls_in != NULL && !json_object_is_type(decls_in,
	    json_type_array)) {
		err_name(errs, VARS_E_DECL_INVALID, NULL);
		failed = 1;
	} else if (decls_in != NULL) {
		for (i = 0; i < json_object_array_length(decls_in); i++)
			if (decl_one(json_object_array_get_idx(decls_in, i),
			    used, given, errs) != 0)
				failed = 1;
	}
	if (!failed) {
		out = json_object_new_array();
		json_object_object_foreach(used, name, val) {
			(void)val;
			if (json_object_object_get_ex(given, name, &d))
				json_object_array_add(out, json_object_get(d));
			else
				json_object_array_add(out, decl_default(name));
		}
		*decls_out = out;
	}
	json_object_put(used);
	json_object_put(given);
	return failed ? PM_INVALID : 0;
}

/* ---- coercion ------------------------------------------------------- */

/* Coerce the form field v of the declaration decl into values. Returns 0 or
 * -1 with the error appended. */
static int coerce_one(json_object *decl, const char *name, json_object *v,
    json_object *values, struct vars_errors *errs)
{
	enum vtype type = decl_type(decl);
	json_object *r;
	const char *code;

	if (absent(v) || (json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) == 0)) {
		if (!decl_required(decl))
			return 0;
		err_name(errs, VARS_E_MISSING, name);
		return -1;
	}
	r = value_from(type, json_member(decl, "choices"), v, &code);
	if (r == NULL) {
		err_name(errs, code, name);
		return -1;
	}
	json_object_object_add(values, name, r);
	return 0;
}

int vars_coerce(json_object *decls, json_object *form,
    json_object **values_out, struct vars_errors *errs)
{
	json_object *idx = decl_index(decls);
	json_object *values = json_object_new_object();
	json_object *v;
	int failed = 0;

	*values_out = NULL;
	if (!json_object_is_type(form, json_type_object))
		form = NULL;
	json_object_object_foreach(idx, name, decl) {
		v = NULL;
		if (form != NULL)
			json_object_object_get_ex(form, name, &v);
		if (coerce_one(decl, name, v, values, errs) != 0)
			failed = 1;
	}
	if (form != NULL) {
		json_object_object_foreach(form, key, val) {
			(void)val;
			if (!json_object_object_get_ex(idx, key, NULL)) {
				err_name(errs, VARS_E_UNKNOWN, key);
				failed = 1;
			}
		}
	}
	json_object_put(idx);
	if (failed) {
		json_object_put(values);
		return PM_INVALID;
	}
	*values_out = values;
	return 0;
}

/* ---- rendering ------------------------------------------------------ */

/* Check every key of values against the declarations idx, reporting each
 * offender once. Returns 0 or -1. */
static int values_check(json_object *idx, json_object *values,
    struct vars_errors *errs)
{
	json_object *decl;
	const char *code;
	int failed = 0;

	json_object_object_foreach(values, key, val) {
		if (!json_object_object_get_ex(idx, key, &decl)) {
			err_once(errs, VARS_E_UNKNOWN, key);
			failed = 1;
			continue;
		}
		code = value_check(decl_type(decl), json_member(decl, "choices"),
		    val);
		if (code != NULL) {
			err_once(errs, code, key);
			failed = 1;
		}
	}
	return failed ? PM_INVALID : 0;
}

/* Render the placeholder name at cur. Returns 0, or -1
 * when it has no valid value (reported here unless reported already). */
static int render_var(const char *name, json_object *idx, json_object *values,
    struct cursor *cur, struct buf *out, struct vars_errors *errs)
{
	json_object *decl = NULL, *v = NULL;

	json_object_object_get_ex(idx, name, &decl);
	if (values != NULL && json_object_object_get_ex(values, name, &v)) {
		if (decl == NULL || value_check(decl_type(decl),
		    json_member(decl, "choices"), v) != NULL)
			return -1;	/* reported by values_check */
		value_append(out, v);
		return 0;
	}
	v = json_member(decl, "default");
	if (decl != NULL && !decl_required(decl) && !absent(v) &&
	    value_check(decl_type(decl), json_member(decl, "choices"), v) == NULL) {
		value_append(out, v);
		return 0;
	}
	if (!err_seen(errs, VARS_E_MISSING, name))
		err_add(errs, VARS_E_MISSING, name, strlen(name), cur);
	return -1;
}

int vars_render(const char *text, size_t len, json_object *decls,
    json_object *values, int msg_index, struct buf *out,
    struct vars_errors *errs)
{
	json_object *idx = decl_index(decls);
	size_t start = out->len, pos = 0;
	struct cursor cur;
	struct tok t;
	int failed = 0;
	char name[VARS_NAME_MAX + 1];

	if (!json_object_is_type(values, json_type_object))
		values = NULL;
	if (values != NULL && values_check(idx, values, errs) != 0)
		failed = 1;
	cursor_init(&cur, text, msg_index);
	buf_grow(out, len);
	for (tok_next(text, len, &pos, &t); t.kind != TOK_END;
	    tok_next(text, len, &pos, &t)) {
		switch (t.kind) {
		case TOK_TEXT:
			buf_append(out, text + t.start, t.end - t.start);
			break;
		case TOK_VAR:
			memcpy(name, t.name, t.nlen);
			name[t.nlen] = '\0';
			cursor_to(&cur, t.start);
			if (render_var(name, idx, values, &cur, out, errs) != 0)
				failed = 1;
			break;
		case TOK_ERROR:
			cursor_to(&cur, t.start);
			err_add(errs, t.code, t.name, t.nlen, &cur);
			failed = 1;
			break;
		case TOK_END:
			break;
		}
	}
	json_object_put(idx);
	if (failed) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
		return PM_INVALID;
	}
	return 0;
}

int vars_fail(struct vars_errors *errs, struct pm_fail *f, const char *field)
{
	pm_refuse(f, PM_INVALID, errs->n > 0 ? errs->v[0].code : "error.invalid",
	    field);
	if (f != NULL) {
		json_object_put(f->details);
		f->details = vars_errors_json(errs);
	}
	vars_errors_free(errs);
	return PM_INVALID;
}
