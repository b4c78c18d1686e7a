/* escape.c - HTML, URL and JSON string escaping. */
#include "escape.h"

#include <stdint.h>
#include <string.h>

#include "util.h"

void esc_html(struct buf *out, const char *s, size_t n)
{
	size_t i, run = 0;

	buf_grow(out, n);
	for (i = 0; i < n; i++) {
		const char *rep;

		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		buf_append(out, s + run, i - run);
		buf_puts(out, rep);
		run = i + 1;
	}
	buf_append(out, s + run, n - run);
}

void esc_url(struct buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			buf_putc(out, c);
		} else {
			buf_putc(out, '%');
			buf_putc(out, hex[c >> 4]);
			buf_putc(out, hex[c & 15]);
		}
	}
}

void url_param(struct buf *out, const char *key, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	buf_printf(out, "%s%s=", out->len ? "&" : "", key);
	esc_url(out, value, strlen(value));
}

void esc_json_str(struct buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	buf_putc(out, '"');
	while (i < n) {
		unsigned char c = p[i];
		size_t len;

		switch (c) {
		case '"': buf_puts(out, "\\\""); i++; continue;
		case '\\': buf_puts(out, "\\\\"); i++; continue;
		case '\n': buf_puts(out, "\\n"); i++; continue;
		case '\r': buf_puts(out, "\\r"); i++; continue;
		case '\t': buf_puts(out, "\\t"); i++; continue;
		default: break;
		}
		if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\'') {
			buf_puts(out, "\\u00");
			buf_putc(out, hex[c >> 4]);
			buf_putc(out, hex[c & 15]);
			i++;
			continue;
		}
		if ((len = utf8_seq(s + i, n - i)) == 0) {
			buf_puts(out, "\\ufffd");
			i++;
			continue;
		}
		buf_append(out, p + i, len);
		i += len;
	}
	buf_putc(out, '"');
}
