/* stripe_sig.c - verifying Stripe-Signature: HMAC-SHA256 over "<t>.<raw
 * body>", every v1 tried against every secret, in constant time. */
#include "stripe_sig.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "util.h"

int stripe_sig_compute(const char *secret, int64_t t, const char *body,
    size_t len, char out[65])
{
	OSSL_PARAM params[2];
	unsigned char md[32];
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *mac;
	char ts[24];
	size_t mdlen = 0;
	int rc = -1;

	snprintf(ts, sizeof(ts), "%lld.", (long long)t);
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_MAC_CTX_new(mac)) != NULL &&
	    EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret),
	    params) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)ts, strlen(ts)) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)body, len) == 1 &&
	    EVP_MAC_final(ctx, md, &mdlen, sizeof(md)) == 1 &&
	    mdlen == sizeof(md)) {
		hex_encode(md, sizeof(md), out);
		rc = 0;
	}
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

/* The most v1 values one header may carry that are looked at. */
#define MAX_V1	16

int stripe_sig_verify(const char *header, const char *body, size_t len,
    const char *const *secrets, size_t nsecrets, int64_t now,
    int64_t tolerance, int64_t *t_out)
{
	const char *v1[MAX_V1], *p, *end;
	size_t nv1 = 0, i, j, n;
	char want[65], num[24];
	int64_t t = -1;
	int match = 0;

	if (header == NULL || *header == '\0')
		return SIG_MISSING;
	/* Items "k=v" separated by commas; blanks around them allowed. */
	for (p = header; *p; p = *end ? end + 1 : end) {
		while (*p == ' ' || *p == '\t')
			p++;
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		n = (size_t)(end - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n > 2 && p[0] == 't' && p[1] == '=') {
			if (n - 2 >= sizeof(num))
				return SIG_MALFORMED;
			memcpy(num, p + 2, n - 2);
			num[n - 2] = '\0';
			if (strspn(num, "0123456789") != n - 2 ||
			    parse_i64(num, 0, INT64_MAX / 2, &t) != 0)
				return SIG_MALFORMED;
		} else if (n == 3 + 64 && strncmp(p, "v1=", 3) == 0 &&
		    nv1 < MAX_V1)
			v1[nv1++] = p + 3;
		/* v0=, unknown schemes and v1 values of the wrong length
		 * are ignored. */
	}
	if (t < 0 || nv1 == 0)
		return SIG_MALFORMED;
	if (t_out != NULL)
		*t_out = t;
	if (nsecrets == 0)
		return SIG_NO_SECRET;
	for (i = 0; i < nsecrets; i++) {
		if (stripe_sig_compute(secrets[i], t, body, len, want) != 0)
			continue;
		for (j = 0; j < nv1; j++)
			match |= ct_equal(want, 64, v1[j], 64);
	}
	explicit_bzero(want, sizeof(want));
	if (!match)
		return SIG_MISMATCH;
	if (now - t > tolerance)
		return SIG_TOO_OLD;
	if (t - now > tolerance)
		return SIG_TOO_NEW;
	return SIG_OK;
}

size_t stripe_sig_secrets(char *text, const char **out, size_t max)
{
	char *line = text, *nl, *e;
	size_t n = 0;

	while (line != NULL && *line != '\0' && n < max) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		e = line + strlen(line);
		while (e > line && (e[-1] == ' ' || e[-1] == '\t' ||
		    e[-1] == '\r'))
			*--e = '\0';
		if (*line != '\0' && *line != '#')
			out[n++] = line;
		line = nl ? nl + 1 : NULL;
	}
	return n;
}

const char *stripe_sig_key(int result)
{
	static const char *const keys[SIG__MAX] = {
		[SIG_OK] = "webhook.sig_ok",
		[SIG_MISSING] = "webhook.sig_missing",
		[SIG_MALFORMED] = "webhook.sig_malformed",
		[SIG_MISMATCH] = "webhook.sig_mismatch",
		[SIG_TOO_OLD] = "webhook.sig_too_old",
		[SIG_TOO_NEW] = "webhook.sig_too_new",
		[SIG_NO_SECRET] = "webhook.sig_no_secret",
	};

	if (result < 0 || result >= SIG__MAX)
		return "webhook.sig_mismatch";
	return keys[result];
}
