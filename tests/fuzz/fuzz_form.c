/* fuzz_form.c - libFuzzer harness for application/x-www-form-urlencoded
 * bodies and query strings: parse_urlencoded() on any bytes.
 *
 * Properties: a parse that succeeds gives keys and values that are valid
 * UTF-8 without NUL, each value's length is its recorded len, and the
 * pairs, percent-encoded again, parse back to the same pairs. Everything
 * the parse allocates is released by req_end() (the leak check sees the
 * rest). */
#include "fuzz.h"

#include "buf.h"
#include "escape.h"
#include "http.h"
#include "util.h"

/* Whether a and b hold the same pairs in the same order. */
static int same_params(const struct params *a, const struct params *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].key, b->v[i].key) != 0 ||
		    a->v[i].len != b->v[i].len ||
		    memcmp(a->v[i].val, b->v[i].val, a->v[i].len) != 0)
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct params p = { 0 }, again = { 0 };
	struct buf enc = { 0 };
	struct req r;
	size_t i;

	memset(&r, 0, sizeof(r));
	if (parse_urlencoded(&r, (const char *)data, size, &p) == 0) {
		for (i = 0; i < p.n; i++) {
			const struct param *q = &p.v[i];
			size_t klen = strlen(q->key);

			FUZZ_ASSERT(utf8_valid(q->key, klen));
			FUZZ_ASSERT(strlen(q->val) == q->len);
			FUZZ_ASSERT(utf8_valid(q->val, q->len));
			FUZZ_ASSERT(params_get(&p, q->key) != NULL);
			if (i > 0)
				buf_putc(&enc, '&');
			esc_url(&enc, q->key, klen);
			buf_putc(&enc, '=');
			esc_url(&enc, q->val, q->len);
		}
		FUZZ_ASSERT(parse_urlencoded(&r, enc.data ? enc.data : "",
		    enc.len, &again) == 0);
		FUZZ_ASSERT(same_params(&p, &again));
	}
	buf_free(&enc);
	r.done = 1;
	req_end(&r);
	return 0;
}
