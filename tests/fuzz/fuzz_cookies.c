/* fuzz_cookies.c - libFuzzer harness for Cookie headers: parse_cookies()
 * on any bytes (up to the first NUL, as a CGI parameter ends there).
 *
 * Properties: a header that is accepted is valid UTF-8 without control
 * characters; every cookie has a non-empty name without '=', ';' or
 * surrounding spaces, a value without ';' (its spaces trimmed unless it
 * was quoted), and the first cookie of each name is the one req_cookie-style lookups
 * find. A refused header is one with invalid UTF-8 or a control byte. */
#include "fuzz.h"

#include "http.h"
#include "util.h"

static int has_ctl(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *hdr = fuzz_strndup((const char *)data, size);
	size_t n = strlen(hdr), i, j;
	struct params p = { 0 };
	struct req r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = parse_cookies(&r, hdr, &p);
	FUZZ_ASSERT((rc == 0) == (utf8_valid(hdr, n) && !has_ctl(hdr, n)));
	if (rc == 0)
		for (i = 0; i < p.n; i++) {
			const char *k = p.v[i].key, *v = p.v[i].val;
			size_t kl = strlen(k), vl = p.v[i].len;

			FUZZ_ASSERT(kl > 0 && strcspn(k, "=;") == kl);
			FUZZ_ASSERT(k[0] != ' ' && k[kl - 1] != ' ');
			FUZZ_ASSERT(strlen(v) == vl && strchr(v, ';') == NULL);
			FUZZ_ASSERT(utf8_valid(k, kl) && utf8_valid(v, vl));
			for (j = 0; j < i && strcmp(p.v[j].key, k) != 0; j++)
				;
			FUZZ_ASSERT(params_get(&p, k) == p.v[j].val);
		}
	r.done = 1;
	req_end(&r);
	free(hdr);
	return 0;
}
