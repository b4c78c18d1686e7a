/* escape.h - output escaping for HTML, URLs and JSON string literals.
 *
 * Every function appends to a struct buf; none fails (memory exhaustion
 * aborts, see util.h). Input is treated as bytes: invalid UTF-8 is passed
 * through unchanged by esc_html and esc_url (percent-encoded), and replaced
 * by U+FFFD by esc_json_str so its output is always valid JSON.
 */
#ifndef PM_ESCAPE_H
#define PM_ESCAPE_H

#include <stddef.h>

#include "buf.h"

/* & < > " ' become character references: safe in text and quoted
 * attributes. */
void esc_html(struct buf *out, const char *s, size_t n);
/* Percent-encode every byte except the RFC 3986 unreserved set, for use as
 * one query parameter value or path segment. */
void esc_url(struct buf *out, const char *s, size_t n);
/* Append "key=value" to a query string being built in out, preceded by
 * "&" when out is not empty, value percent-encoded; nothing when value is
 * NULL or "". */
void url_param(struct buf *out, const char *key, const char *value);
/* A double-quoted JSON string; < > & ' are written as \u00XX so the result
 * is also safe inside an HTML <script> block or attribute. */
void esc_json_str(struct buf *out, const char *s, size_t n);

#endif
