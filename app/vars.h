/* vars.h - prompt template variables: {{name}} placeholders in prompt
 * messages, their declarations, form coercion and strict rendering.
 *
 * Syntax of a message text:
 *   {{name}}      a placeholder; name is [A-Za-z_][A-Za-z0-9_]{0,63} and may
 *                 be surrounded by spaces or tabs: {{ name }}
 *   {{{{          a literal "{{" in the rendered output (not a placeholder)
 *   }}            outside a placeholder, literal text
 * A placeholder must close on the line it opens on: "{{" followed by a
 * newline, another "{{" or the end of the text before any "}}" is
 * unclosed. "{{{x}}}" is a placeholder named "{x" (a bad name).
 *
 * Declarations (one JSON object per variable, stored with the version):
 *   {"name": "topic", "type": "string"|"number"|"boolean"|"enum",
 *    "required": true|false, "default": value, "description": "...",
 *    "choices": ["a", "b"]}
 * "default", "description" and "choices" (enum only) are optional;
 * required=false needs a default, so rendering never empties a placeholder
 * silently.
 *
 * Error convention of this layer (error.h): every function that checks
 * something appends one struct vars_error per problem to a caller-owned
 * struct vars_errors and returns 0 when it appended none, PM_INVALID
 * otherwise; vars_fail() turns the list into the refusal's details. Errors are
 * data for the user, never logged here. A code is a static string and is
 * also the key of the user-facing sentence in the message catalog
 * (templates/messages/<lang>/prompts.txt), which may use {variable},
 * {message}, {line} and {column}:
 *
 *   vars.unclosed          "{{" without "}}" on the same line
 *   vars.bad_name          invalid variable name (in a message: the
 *                          trimmed text between the braces; in a
 *                          declaration: its "name")
 *   vars.decl_invalid      a declaration is not an object, the list is not
 *                          an array, an unknown key, or "required" is not
 *                          a boolean
 *   vars.decl_unknown      declared but not used in any message
 *   vars.decl_duplicate    declared twice
 *   vars.decl_type         type is not string, number, boolean or enum
 *   vars.decl_default      default not of the type / not among the choices,
 *                          or required=false without a default
 *   vars.decl_choices      enum without 1-VARS_CHOICES_MAX distinct
 *                          non-empty choices of at most VARS_CHOICE_MAX
 *                          characters, or choices on another type
 *   vars.decl_description  description too long or not valid UTF-8 text
 *   vars.missing           no value for a required variable (or for a
 *                          placeholder that is not declared at all)
 *   vars.unknown           a value for a variable that is not declared
 *   vars.type_string       not a string of valid UTF-8
 *   vars.type_number       not a number
 *   vars.type_boolean      not a boolean
 *   vars.not_in_choices    not one of the enum's choices
 *
 * json-c ownership: arguments are borrowed; *_out objects are new
 * references the caller releases with json_object_put().
 */
#ifndef PM_VARS_H
#define PM_VARS_H

#include <json-c/json.h>
#include <stddef.h>

#include "buf.h"
#include "error.h"

#define VARS_NAME_MAX	64	/* bytes in a variable name */
#define VARS_DESC_MAX	500	/* characters in a description */
#define VARS_CHOICES_MAX 50	/* choices of an enum */
#define VARS_CHOICE_MAX	200	/* characters in one choice */
#define VARS_ERRORS_MAX	100	/* errors kept per list; more set truncated */

#define VARS_E_UNCLOSED		"vars.unclosed"
#define VARS_E_BAD_NAME		"vars.bad_name"
#define VARS_E_DECL_INVALID	"vars.decl_invalid"
#define VARS_E_DECL_UNKNOWN	"vars.decl_unknown"
#define VARS_E_DECL_DUPLICATE	"vars.decl_duplicate"
#define VARS_E_DECL_TYPE	"vars.decl_type"
#define VARS_E_DECL_DEFAULT	"vars.decl_default"
#define VARS_E_DECL_CHOICES	"vars.decl_choices"
#define VARS_E_DECL_DESCRIPTION	"vars.decl_description"
#define VARS_E_MISSING		"vars.missing"
#define VARS_E_UNKNOWN		"vars.unknown"
#define VARS_E_TYPE_STRING	"vars.type_string"
#define VARS_E_TYPE_NUMBER	"vars.type_number"
#define VARS_E_TYPE_BOOLEAN	"vars.type_boolean"
#define VARS_E_NOT_IN_CHOICES	"vars.not_in_choices"

/* One problem. Errors found in a message text carry its index and the
 * position of the placeholder's opening "{{" (line and column 1-based,
 * column counted in code points, offset in bytes); the others have
 * msg_index -1 and zero line, col and offset. */
struct vars_error {
	const char	*code;			/* a VARS_E_* string */
	char		 name[VARS_NAME_MAX + 1]; /* "" when none */
	int		 msg_index;
	int		 line;
	int		 col;
	size_t		 offset;
};

/* A list of errors; {0} is an empty list. At most VARS_ERRORS_MAX are kept;
 * further ones only set truncated. */
struct vars_errors {
	struct vars_error *v;
	size_t		 n;
	size_t		 cap;
	int		 truncated;
};

/* Release the list's storage and leave it empty and reusable. NULL is
 * allowed. */
void vars_errors_free(struct vars_errors *errs);

/* The errors as a new JSON array of {"code", "variable" (only when there is
 * a name), "message_index", "line", "column", "offset"}; the last four are
 * null for errors not located in a message. Caller puts. */
json_object *vars_errors_json(const struct vars_errors *errs);

/* Returns 1 when the n bytes at s are a valid variable name, 0 otherwise. */
int vars_name_valid(const char *s, size_t n);

/* Scan message number msg_index (len bytes of text; any bytes allowed) for
 * placeholders. Each name not yet in the JSON array names (when not NULL)
 * is appended to it as a string, so scanning every message of a version
 * into one array gives the distinct names in order of first appearance.
 * Every syntax error is appended to errs (vars.unclosed, vars.bad_name).
 * Returns 0, or PM_INVALID when errors were appended. */
int vars_scan(const char *text, size_t len, int msg_index, json_object *names,
    struct vars_errors *errs);

/* Build the declaration list of a new version: one declaration per name of
 * the array names (the vars_scan result, in that order), taken from the
 * array decls_in (NULL: none given) after validation, or
 * {"name", "type": "string", "required": true} for a name not declared
 * there. A given declaration may omit "type" (string) and "required"
 * (true); a default for a number or boolean may be a form string parsed as
 * vars_coerce does, and "" as default of a non-string type means none.
 * Every problem is appended to errs (vars.decl_*, vars.bad_name). Returns 0
 * with *decls_out a new array of normalised declarations (keys name, type,
 * required, then default, description, choices when present), or
 * PM_INVALID with
 * *decls_out NULL. */
int vars_normalize_decls(json_object *names, json_object *decls_in,
    json_object **decls_out, struct vars_errors *errs);

/* Turn the HTML form fields of object form (variable name -> string; NULL
 * is an empty form) into typed values for the normalised declarations
 * decls: number "-1.5", "3", "1e3" (strict decimal, finite) -> int or
 * double; boolean "true", "on", "1" / "false", "0"; enum one of the
 * choices; string as is (valid UTF-8). An empty or absent field of an
 * optional variable is left out so rendering uses the default; of a
 * required variable it is vars.missing. Non-string fields must already
 * have the declared JSON type. Unknown fields are vars.unknown. Note that
 * an unchecked checkbox sends nothing: forms should offer booleans as a
 * select or radio buttons. Returns 0 with *values_out a new object, or
 * PM_INVALID with the errors appended and *values_out NULL. */
int vars_coerce(json_object *decls, json_object *form,
    json_object **values_out, struct vars_errors *errs);

/* Render message number msg_index (len bytes of text) with the typed
 * values (object, NULL is empty) of the normalised declarations decls,
 * appending to out. Values are inserted verbatim (no escaping): strings as
 * they are, integers in decimal, doubles without trailing zeros ("3",
 * "1.5"), booleans as true/false; an absent optional variable gets its
 * default; "{{{{" gives "{{". Strict: every key of values must be declared
 * (vars.unknown) and of the declared type (vars.type_*,
 * vars.not_in_choices); a placeholder without a value or default is
 * vars.missing at its first occurrence; syntax errors are reported as by
 * vars_scan. Render every message of a version with the same errs: an
 * offending variable already in errs (same code and name) is not reported
 * again, so each appears once. Returns 0, or PM_INVALID with the errors
 * appended and out back at its length on entry. */
int vars_render(const char *text, size_t len, json_object *decls,
    json_object *values, int msg_index, struct buf *out,
    struct vars_errors *errs);

/* The refusal of the errors in errs (at least one): PM_INVALID with the
 * first error's code as key, field, and every error as f->details (see
 * vars_errors_json); errs is emptied. Returns PM_INVALID. */
int vars_fail(struct vars_errors *errs, struct pm_fail *f, const char *field);

#endif
