/* tmpl.h - a small logic-less template engine (a mustache subset).
 *
 * Syntax, parsed once when a set is loaded:
 *   {{name}}          the value, HTML-escaped (dotted names: {{user.email}})
 *   {{name|url}}      the value, percent-encoded for a URL component
 *   {{name|json}}     the value as a JSON literal, safe inside <script>
 *   {{n|count:KEY}}   the plural form of catalog KEY for the integer n
 *                     (msg_count: KEY.one, KEY.other, KEY.zero if any):
 *                     {{versions|count:prompts.versions}} -> "2 versions"
 *   {{code|msg:PFX}}  the catalog text of PFX.<value>, HTML-escaped:
 *                     {{channel|msg:exec.channel}} -> "Run from the site"
 *   {{t|time}}        a time (ISO text or epoch seconds) in words, "2 min
 *                     ago" or "1 Dec 06:05 UTC", in a <time datetime
 *                     title> element that holds the exact time;
 *                     {{t|time:date}} always the date (timefmt.h)
 *   {{m|money}}       micro-dollars as a person reads them ("$0.0031",
 *                     money_human) in a <span title> holding the exact
 *                     amount (money.exact)
 *   {{{name}}}        the value unescaped (only for HTML the app built)
 *   {{#name}}…{{/name}}  a section: once per element of an array, once
 *                     with the object pushed when an object, once when any
 *                     other truthy value; skipped when falsy
 *   {{^name}}…{{/name}}  rendered only when name is falsy
 *   {{>path/name}}    a partial: another template of the set, same context
 *   {{.}}             the current context value
 *   {{! comment }}
 * A value that is not of a filter's kind is shown as it is. Numbers show
 * as JSON writes them: doubles in their shortest form (json_double_text).
 * Falsy: missing, null, false, 0, "", an empty array.
 * Names resolve from the innermost context outwards, like mustache.
 */
#ifndef PM_TMPL_H
#define PM_TMPL_H

#include <json-c/json.h>
#include <stddef.h>

#include "buf.h"

struct tmpl_set;

/* An empty set. Never NULL. */
struct tmpl_set *tmpl_set_new(void);
/* Parse src as the template name and add it (replacing one of that name).
 * Returns 0, or -1 with "NAME:LINE: message" appended to err. */
int tmpl_add(struct tmpl_set *set, const char *name, const char *src,
    size_t len, struct buf *err);
/* Load every *.html under dir (recursively) as a template named by its
 * path relative to dir without ".html" ("prompts/list"), then check that
 * every partial reference names a template of the set. Returns the set, or
 * NULL with the reason in err. */
struct tmpl_set *tmpl_load_dir(const char *dir, struct buf *err);
/* Whether the set holds a template of that name. */
int tmpl_exists(const struct tmpl_set *set, const char *name);
/* Render name with data (any json-c value, NULL allowed) appending to out.
 * Returns 0, or -1 when the template is missing or partials nest deeper
 * than 32 (out then holds partial output). */
int tmpl_render(const struct tmpl_set *set, const char *name,
    struct json_object *data, struct buf *out);
/* Release the set; NULL is allowed. */
void tmpl_set_free(struct tmpl_set *set);

#endif
