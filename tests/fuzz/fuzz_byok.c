/* fuzz_byok.c - libFuzzer harness for what users type on Settings > BYOK:
 * a key checked against every provider's shape (byok_key_check), a custom
 * base URL (byok_url_check, without resolving names: allow_private), and
 * a provider's message masked of a key (byok_scrub). Input: KEY NUL TEXT.
 *
 * Properties: an accepted key has its provider's tag and only printable
 * ASCII without spaces; a refusal names the field "key" and its sentence
 * never quotes the key (its arguments are the provider's label and hint); an accepted URL starts with http:// or https://
 * (any case) and holds no space; after byok_scrub the text keeps its
 * length and holds no 6 characters of the key in a row (for a key without
 * '*', the mask). */
#include "fuzz.h"

#include "buf.h"
#include "byok.h"
#include "error.h"
#include "msg.h"
#include "util.h"

#include <strings.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct buf err = { 0 };

	(void)argc;
	(void)argv;
	if (msg_load("templates", "en", &err) != 0) {
		fprintf(stderr, "%s (run from the repository root)\n", buf_cstr(&err));
		abort();
	}
	buf_free(&err);
	return 0;
}

static void check_key(const char *key)
{
	size_t i, j, n = strlen(key);
	struct buf text = { 0 };

	for (i = 0; i < byok_nproviders; i++) {
		const struct byok_provider *p = &byok_providers[i];
		struct pm_fail f = { 0 };
		int rc = byok_key_check(p, key, &f);

		if (rc == 0) {
			FUZZ_ASSERT(strncmp(key, p->tag, strlen(p->tag)) == 0);
			for (j = 0; j < n; j++)
				FUZZ_ASSERT(key[j] > ' ' && key[j] < 0x7f);
			continue;
		}
		FUZZ_ASSERT(rc == PM_INVALID && strcmp(f.field, "key") == 0);
		/* the sentence's arguments are the table's words only */
		for (j = 0; j < (size_t)f.nargs; j++)
			FUZZ_ASSERT(strcmp(f.arg[j].val, p->label) == 0 ||
			    strcmp(f.arg[j].val, p->hint) == 0);
		buf_reset(&text);
		pm_fail_text(rc, &f, &text);
		FUZZ_ASSERT(text.len > 0);
	}
	buf_free(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part parts[2];
	size_t np = fuzz_split(data, size, parts, 2), n, i;
	char *key = fuzz_strndup(parts[0].s, parts[0].n);
	char *text = fuzz_strndup(np > 1 ? parts[1].s : "", np > 1 ? parts[1].n : 0);
	struct pm_fail f = { 0 };

	check_key(key);
	if (byok_url_check(key, 1, &f) == 0) {
		FUZZ_ASSERT(strncasecmp(key, "http://", 7) == 0 ||
		    strncasecmp(key, "https://", 8) == 0);
		FUZZ_ASSERT(strchr(key, ' ') == NULL && strlen(key) <= BYOK_URL_MAX);
	}
	n = strlen(text);
	byok_scrub(text, key);
	FUZZ_ASSERT(strlen(text) == n);
	if (strchr(key, '*') == NULL)
		for (i = 0; i + 6 <= strlen(key); i++)
			FUZZ_ASSERT(memmem(text, n, key + i, 6) == NULL);
	free(key);
	free(text);
	return 0;
}
