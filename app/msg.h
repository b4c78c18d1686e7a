/* msg.h - the message catalog: every user-visible sentence produced by C code
 * (form errors, API error messages, flash notices) lives in
 * templates/messages/<lang>/NAME.txt (one file per feature) as "key = text", so
 * the interface can be translated without touching C. Text may hold {name}
 * placeholders.
 */
#ifndef PM_MSG_H
#define PM_MSG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Load every templates_dir/messages/<lang>/NAME.txt, replacing any loaded
 * catalog.
 * Returns 0, or -1 with a message in err (duplicate key, bad line). */
int msg_load(const char *templates_dir, const char *lang, struct buf *err);
/* Release the catalog. */
void msg_free(void);
/* The text for key, or key itself when missing (logged as a warning).
 * Returns a string owned by the catalog. */
const char *msg_get(const char *key);
/* Append the text for key to out with each {name} replaced by its value.
 * The variadic arguments are name, value pairs ending with NULL; values are
 * inserted as-is (escaping happens where the text is finally rendered).
 * {name:KEY} puts an integer value in words with the plural form of KEY
 * (msg_count): "Try again in {minutes:count.minutes}." with minutes "1"
 * gives "Try again in 1 minute." (a value that is not an integer is
 * inserted as it is). */
void msg_fmt(struct buf *out, const char *key, ...) __attribute__((sentinel));
void msg_vfmt(struct buf *out, const char *key, va_list ap);
/* The same with npairs names and values in two arrays. */
void msg_fmt_pairs(struct buf *out, const char *key, const char *const *names,
    const char *const *values, size_t npairs);

/* Whether the catalog holds key (no warning when it does not). */
int msg_has(const char *key);

/* Append the plural form of key for the count n: the text of "key.zero"
 * when n is 0 and the catalog has that key, of "key.one" when n is 1, of
 * "key.other" otherwise, with {count} replaced by n. */
void msg_count(struct buf *out, const char *key, int64_t n);
/* The same with more {name} arguments: name, value pairs ending with
 * NULL. */
void msg_countf(struct buf *out, const char *key, int64_t n, ...)
    __attribute__((sentinel));

#endif
