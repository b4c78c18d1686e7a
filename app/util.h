/* util.h - memory policy and small helpers shared by every module.
 *
 * Memory policy: allocation failure is fatal. x*alloc() never return NULL;
 * they log and abort(). Every free-style function in this project accepts
 * NULL. Functions that return memory the caller must free say so in their
 * contract comment ("caller frees").
 */
#ifndef PM_UTIL_H
#define PM_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Allocate n bytes. Never returns NULL. Caller frees. */
void *xmalloc(size_t n);
/* Allocate nmemb * size zeroed bytes, checking overflow. Never returns NULL. */
void *xcalloc(size_t nmemb, size_t size);
/* Resize p to n bytes. Never returns NULL. */
void *xrealloc(void *p, size_t n);
/* Duplicate the NUL-terminated s. Caller frees. */
char *xstrdup(const char *s);
/* Duplicate the first n bytes of s and NUL-terminate. Caller frees. */
char *xstrndup(const char *s, size_t n);

/* Compare two byte strings in time independent of their content.
 * Returns 1 when equal (same length, same bytes), 0 otherwise. */
int ct_equal(const void *a, size_t alen, const void *b, size_t blen);

/* Parse a base-10 signed integer occupying the whole of s (no spaces, no
 * trailing bytes), within [min, max]. Returns 0 and stores *out on success,
 * -1 otherwise. */
int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/* The length (1-4) of the valid UTF-8 sequence at the start of the n bytes
 * at s, or 0 when it is not one (overlong, surrogate, out of range, cut). */
size_t utf8_seq(const char *s, size_t n);
/* Returns 1 when the n bytes at s are valid UTF-8 without NUL bytes,
 * overlong forms, surrogates or code points above U+10FFFF; 0 otherwise. */
int utf8_valid(const char *s, size_t n);
/* Whether the n bytes at s are text a user may send: valid UTF-8 (as
 * utf8_valid) without control characters other than tab, line feed and
 * carriage return, and without DEL. The one rule for every string that
 * comes in: form fields, query parameters, JSON strings and keys. */
int text_valid(const char *s, size_t n);

/* Number of Unicode code points in the valid UTF-8 string s of n bytes. */
size_t utf8_len(const char *s, size_t n);

#endif
