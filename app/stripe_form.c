/* stripe_form.c - Stripe's form encoding with bracket notation. */
#include "stripe_form.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"

/* Append one pair, or recurse into an object or array, for the value v
 * whose encoded key so far is key (key->len bytes). */
static void encode_value(struct buf *out, struct buf *key, json_object *v)
{
	size_t mark = key->len, i, n;
	char idx[24];

	switch (json_object_get_type(v)) {
	case json_type_object: {
		json_object_object_foreach(v, k, sub) {
			buf_putc(key, '[');
			esc_url(key, k, strlen(k));
			buf_putc(key, ']');
			encode_value(out, key, sub);
			buf_truncate(key, mark);
		}
		return;
	}
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			snprintf(idx, sizeof(idx), "[%zu]", i);
			buf_puts(key, idx);
			encode_value(out, key, json_object_array_get_idx(v, i));
			buf_truncate(key, mark);
		}
		return;
	default:
		break;
	}
	if (out->len > 0)
		buf_putc(out, '&');
	buf_append(out, key->data, key->len);
	buf_putc(out, '=');
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		buf_puts(out, json_object_get_boolean(v) ? "true" : "false");
		break;
	case json_type_int:
		buf_printf(out, "%" PRId64, json_object_get_int64(v));
		break;
	case json_type_string:
		esc_url(out, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
		break;
	case json_type_double: {
		const char *s = json_object_to_json_string(v);

		esc_url(out, s, strlen(s));
		break;
	}
	default:		/* null: unset */
		break;
	}
}

void stripe_form_encode(json_object *params, struct buf *out)
{
	struct buf key = { 0 };

	if (!json_object_is_type(params, json_type_object))
		return;
	json_object_object_foreach(params, k, v) {
		buf_reset(&key);
		esc_url(&key, k, strlen(k));
		encode_value(out, &key, v);
	}
	buf_free(&key);
}
