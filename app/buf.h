/* buf.h - growable byte strings that carry their length.
 *
 * A struct buf is zero-initialisable ({0} is an empty buffer). data is always
 * NUL-terminated after any append, so buf.data can be used as a C string when
 * the content has no embedded NUL. buf_free() accepts a zeroed buffer.
 */
#ifndef PM_BUF_H
#define PM_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

/* Release the storage and leave b empty and reusable. */
void buf_free(struct buf *b);
/* Empty b, keeping its storage for reuse. */
void buf_reset(struct buf *b);
/* Make room for at least extra more bytes (plus the NUL). */
void buf_grow(struct buf *b, size_t extra);
/* Shorten b to its first len bytes (no-op when it is not longer). */
void buf_truncate(struct buf *b, size_t len);
/* Append n bytes from p. */
void buf_append(struct buf *b, const void *p, size_t n);
/* Append the NUL-terminated s. */
void buf_puts(struct buf *b, const char *s);
/* Append one byte. */
void buf_putc(struct buf *b, int c);
/* Append printf-formatted text. */
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Return the content as a NUL-terminated string ("" when empty); b still
 * owns it. */
const char *buf_cstr(struct buf *b);
/* Hand the content to the caller (caller frees) and leave b empty. Never
 * returns NULL. */
char *buf_detach(struct buf *b);
/* Append the whole file at path to b, refusing one of more than max bytes
 * (0: no limit). Returns 0, or -1 with errno set (EFBIG when too large);
 * b may then hold part of the file. */
int buf_read_file(struct buf *b, const char *path, size_t max);

#endif
