/* fuzz_stripe_sig.c - libFuzzer harness for Stripe-Signature headers and
 * the webhook secrets file: stripe_sig_verify() on any header (the part
 * before the first NUL) and body (the rest), stripe_sig_secrets() on the
 * header's bytes.
 *
 * Properties: the result is one of enum stripe_sig_result; a header is
 * accepted only with a v1 that is the HMAC of the body at its t under the
 * secret; the header this harness makes itself for (t, body) is accepted
 * at t, and refused for the body with one byte more and for another
 * secret; the secrets read from any text are non-empty lines of it with
 * no blank at either end and no comment. */
#include "fuzz.h"

#include "stripe_sig.h"

static const char *const secret[] = { "whsec_fuzz_secret" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part parts[2];
	size_t n = fuzz_split(data, size, parts, 2), i, k;
	char *hdr = fuzz_strndup(parts[0].s, parts[0].n);
	const char *body = n > 1 ? parts[1].s : "";
	size_t blen = n > 1 ? parts[1].n : 0;
	char *more = malloc(blen + 2), want[65], mine[128];
	const char *found[STRIPE_SIG_MAX_SECRETS];
	const char *const other[] = { "whsec_other" };
	int64_t t = -1;
	int rc;

	if (more == NULL)
		abort();
	rc = stripe_sig_verify(hdr, body, blen, secret, 1, 1700000000,
	    STRIPE_SIG_TOLERANCE, &t);
	FUZZ_ASSERT(rc >= 0 && rc < SIG__MAX);
	if (rc == SIG_OK) {
		FUZZ_ASSERT(t >= 0);
		FUZZ_ASSERT(stripe_sig_compute(secret[0], t, body, blen, want) == 0);
		FUZZ_ASSERT(strstr(hdr, want) != NULL);
	}
	/* A header made for this body at some t is accepted there only. */
	t = (int64_t)(blen * 7919) % 2000000000;
	FUZZ_ASSERT(stripe_sig_compute(secret[0], t, body, blen, want) == 0);
	snprintf(mine, sizeof(mine), "t=%lld,v1=%s", (long long)t, want);
	FUZZ_ASSERT(stripe_sig_verify(mine, body, blen, secret, 1, t,
	    STRIPE_SIG_TOLERANCE, NULL) == SIG_OK);
	FUZZ_ASSERT(stripe_sig_verify(mine, body, blen, other, 1, t,
	    STRIPE_SIG_TOLERANCE, NULL) == SIG_MISMATCH);
	memcpy(more, body, blen);
	more[blen] = 'x';
	FUZZ_ASSERT(stripe_sig_verify(mine, more, blen + 1, secret, 1, t,
	    STRIPE_SIG_TOLERANCE, NULL) == SIG_MISMATCH);
	FUZZ_ASSERT(stripe_sig_verify(mine, body, blen, secret, 1,
	    t + STRIPE_SIG_TOLERANCE + 1, STRIPE_SIG_TOLERANCE, NULL) == SIG_TOO_OLD);
	/* The secrets file. */
	k = stripe_sig_secrets(hdr, found, STRIPE_SIG_MAX_SECRETS);
	FUZZ_ASSERT(k <= STRIPE_SIG_MAX_SECRETS);
	for (i = 0; i < k; i++) {
		size_t l = strlen(found[i]);

		FUZZ_ASSERT(found[i] >= hdr && found[i] < hdr + parts[0].n);
		FUZZ_ASSERT(l > 0 && found[i][0] != '#');
		FUZZ_ASSERT(found[i][0] != ' ' && found[i][0] != '\t');
		FUZZ_ASSERT(found[i][l - 1] != ' ' && found[i][l - 1] != '\t' &&
		    found[i][l - 1] != '\r' && strchr(found[i], '\n') == NULL);
	}
	free(more);
	free(hdr);
	return 0;
}
