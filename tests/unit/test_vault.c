/* test_vault.c - AES-256-GCM sealing of stored secrets: round trips, the
 * owner and provider bound, tampering and wrong keys refused, rotation,
 * master key files; base64url decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "crypto.h"
#include "vault.h"

#define KEY_A "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define KEY_B "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

static void key(const char *hex, struct vault *v)
{
	struct buf err = { 0 };

	memset(v, 0, sizeof(*v));
	assert_int_equal(vault_key_parse(hex, &v->cur, &err), 0);
	buf_free(&err);
}

static void test_b64url_decode(void **state)
{
	struct buf in = { 0 }, out = { 0 };
	unsigned char bytes[256];
	size_t n, i;

	(void)state;
	for (i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(i * 7 + 3);
	for (n = 0; n < 40; n++) {
		buf_reset(&in);
		buf_reset(&out);
		b64url_encode(bytes, n, &in);
		assert_int_equal(b64url_decode(buf_cstr(&in), &out), (long)n);
		assert_memory_equal(out.data ? out.data : "", bytes, n);
	}
	buf_reset(&out);
	assert_int_equal(b64url_decode("ab=c", &out), -1);	/* not the alphabet */
	assert_int_equal(b64url_decode("abcde", &out), -1);	/* 1 mod 4 */
	assert_int_equal(b64url_decode("AB", &out), -1);	/* stray bits */
	assert_int_equal(out.len, 0);
	buf_free(&in);
	buf_free(&out);
}

static void test_round_trip_and_binding(void **state)
{
	struct vault v;
	struct buf sealed = { 0 }, sealed2 = { 0 }, plain = { 0 };
	char id[VAULT_KEY_ID_LEN + 1], id2[VAULT_KEY_ID_LEN + 1];
	const char *secret = "sk-or-v1-0123456789abcdef";

	(void)state;
	key(KEY_A, &v);
	assert_int_equal(strlen(v.cur.id), VAULT_KEY_ID_LEN);
	assert_int_equal(vault_seal(&v, 42, "openrouter", secret, strlen(secret),
	    &sealed, id), 0);
	assert_string_equal(id, v.cur.id);
	assert_null(strstr(buf_cstr(&sealed), "sk-or"));
	assert_int_equal(vault_open(&v, id, 42, "openrouter", buf_cstr(&sealed),
	    &plain), VAULT_OK);
	assert_string_equal(buf_cstr(&plain), secret);
	/* a fresh nonce each time */
	assert_int_equal(vault_seal(&v, 42, "openrouter", secret, strlen(secret),
	    &sealed2, id2), 0);
	assert_string_not_equal(buf_cstr(&sealed), buf_cstr(&sealed2));
	/* another owner or provider: refused, nothing written */
	buf_reset(&plain);
	assert_int_equal(vault_open(&v, id, 43, "openrouter", buf_cstr(&sealed),
	    &plain), VAULT_BAD);
	assert_int_equal(vault_open(&v, id, 42, "openai", buf_cstr(&sealed),
	    &plain), VAULT_BAD);
	assert_int_equal(plain.len, 0);
	buf_free(&sealed);
	buf_free(&sealed2);
	buf_free(&plain);
	vault_wipe(&v);
}

static void test_tampering(void **state)
{
	struct vault v;
	struct buf sealed = { 0 }, plain = { 0 };
	char id[VAULT_KEY_ID_LEN + 1];
	size_t i;

	(void)state;
	key(KEY_A, &v);
	vault_seal(&v, 1, "openrouter", "secret", 6, &sealed, id);
	for (i = 0; i < sealed.len; i++) {
		char *t = strdup(buf_cstr(&sealed));

		t[i] = t[i] == 'A' ? 'B' : 'A';
		assert_int_equal(vault_open(&v, id, 1, "openrouter", t, &plain),
		    VAULT_BAD);
		free(t);
	}
	assert_int_equal(vault_open(&v, id, 1, "openrouter", "", &plain), VAULT_BAD);
	assert_int_equal(vault_open(&v, id, 1, "openrouter", "!!!!", &plain),
	    VAULT_BAD);
	assert_int_equal(vault_open(&v, "0000000000000000", 1, "openrouter",
	    buf_cstr(&sealed), &plain), VAULT_NOKEY);
	assert_int_equal(vault_open(&v, NULL, 1, "openrouter", buf_cstr(&sealed),
	    &plain), VAULT_NOKEY);
	assert_int_equal(plain.len, 0);
	buf_free(&sealed);
	buf_free(&plain);
}

static void test_keys_and_rotation(void **state)
{
	char dir[] = "/tmp/pm-vault-XXXXXX", a[64], b[64], bad[64];
	struct vault v, w;
	struct buf err = { 0 }, sealed = { 0 }, plain = { 0 };
	char id[VAULT_KEY_ID_LEN + 1];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	snprintf(bad, sizeof(bad), "%s/bad", dir);
	f = fopen(a, "w"); fputs(KEY_A "\n", f); fclose(f);
	f = fopen(b, "w"); fputs(KEY_B "\n", f); fclose(f);
	f = fopen(bad, "w"); fputs("0011\n", f); fclose(f);
	/* the ids differ and say nothing of the key */
	assert_int_equal(vault_load(&v, a, NULL, &err), 0);
	assert_int_equal(vault_load(&w, b, a, &err), 0);
	assert_string_not_equal(v.cur.id, w.cur.id);
	assert_null(strstr(KEY_A, v.cur.id));
	/* sealed with A, opened during the rotation to B, then stale */
	vault_seal(&v, 7, "openrouter", "k", 1, &sealed, id);
	assert_int_equal(vault_open(&w, id, 7, "openrouter", buf_cstr(&sealed),
	    &plain), VAULT_OK);
	assert_string_equal(buf_cstr(&plain), "k");
	assert_true(vault_stale(&w, id));
	assert_false(vault_stale(&v, id));
	vault_wipe(&w);
	assert_int_equal(vault_load(&w, b, NULL, &err), 0);
	assert_int_equal(vault_open(&w, id, 7, "openrouter", buf_cstr(&sealed),
	    &plain), VAULT_NOKEY);
	/* refusals name the file, never the key */
	buf_reset(&err);
	assert_int_equal(vault_load(&w, bad, NULL, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), bad));
	assert_non_null(strstr(buf_cstr(&err), "64 hex digits"));
	buf_reset(&err);
	assert_int_equal(vault_load(&w, "/nonexistent/key", NULL, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "/nonexistent/key"));
	buf_reset(&err);
	assert_int_equal(vault_load(&w, "", NULL, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "vault_key_file"));
	buf_reset(&err);
	assert_int_equal(vault_load(&w, a, bad, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), bad));
	unlink(a); unlink(b); unlink(bad); rmdir(dir);
	buf_free(&err);
	buf_free(&sealed);
	buf_free(&plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64url_decode),
		cmocka_unit_test(test_round_trip_and_binding),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_keys_and_rotation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
