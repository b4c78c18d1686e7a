/* vault.c - AES-256-GCM sealing of stored secrets (see vault.h). */
#include "vault.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "crypto.h"
#include "log.h"
#include "util.h"

#define NONCE_LEN 12
#define TAG_LEN 16
#define AAD_LABEL "pm-vault-v1"

/* OpenSSL could not run AES-GCM (out of memory): nothing can go on. */
static void crypt_failed(const char *what) __attribute__((noreturn));
static void crypt_failed(const char *what)
{
	log_error("vault: %s", what);
	abort();
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int vault_key_parse(const char *text, struct vault_key *k, struct buf *err)
{
	static const char label[] = "pm-vault-key-id";
	unsigned char md[32], in[sizeof(label) - 1 + 32];
	char hex[SHA256_HEX_LEN + 1];
	size_t i, n;
	int hi, lo;

	while (isspace((unsigned char)*text))
		text++;
	n = strlen(text);
	while (n > 0 && isspace((unsigned char)text[n - 1]))
		n--;
	if (n != 64) {
		buf_printf(err, "a master key is 64 hex digits (openssl rand -hex 32),"
		    " this has %zu characters", n);
		return -1;
	}
	for (i = 0; i < 32; i++) {
		if ((hi = hexval((unsigned char)text[2 * i])) < 0 ||
		    (lo = hexval((unsigned char)text[2 * i + 1])) < 0) {
			explicit_bzero(k->k, sizeof(k->k));
			buf_puts(err, "a master key is 64 hex digits, this holds"
			    " another character");
			return -1;
		}
		k->k[i] = (unsigned char)(hi << 4 | lo);
	}
	memcpy(in, label, sizeof(label) - 1);
	memcpy(in + sizeof(label) - 1, k->k, 32);
	sha256(in, sizeof(in), md);
	explicit_bzero(in, sizeof(in));
	hex_encode(md, sizeof(md), hex);
	memcpy(k->id, hex, VAULT_KEY_ID_LEN);
	k->id[VAULT_KEY_ID_LEN] = '\0';
	return 0;
}

/* Read and parse the key file at path into k. */
static int load_key(const char *path, struct vault_key *k, struct buf *err)
{
	struct buf why = { 0 };
	char *text = config_read_secret(path, &why);
	int rc;

	if (text == NULL) {
		buf_printf(err, "master key file %s: %s", path, buf_cstr(&why));
		buf_free(&why);
		return -1;
	}
	rc = vault_key_parse(text, k, &why);
	explicit_bzero(text, strlen(text));
	free(text);
	if (rc != 0)
		buf_printf(err, "master key file %s: %s", path, buf_cstr(&why));
	buf_free(&why);
	return rc;
}

int vault_load(struct vault *v, const char *path, const char *old_path,
    struct buf *err)
{
	memset(v, 0, sizeof(*v));
	if (path == NULL || *path == '\0') {
		buf_puts(err, "no master key file is configured (vault_key_file)");
		return -1;
	}
	if (load_key(path, &v->cur, err) != 0)
		return -1;
	if (old_path != NULL && *old_path != '\0') {
		if (load_key(old_path, &v->old, err) != 0) {
			vault_wipe(v);
			return -1;
		}
		v->has_old = strcmp(v->old.id, v->cur.id) != 0;
	}
	return 0;
}

/* The associated data of user_id and provider into aad. */
static int aad_of(int64_t user_id, const char *provider, char *aad, size_t n)
{
	return snprintf(aad, n, AAD_LABEL "|user:%lld|provider:%s",
	    (long long)user_id, provider);
}

int vault_seal(const struct vault *v, int64_t user_id, const char *provider,
    const char *plain, size_t n, struct buf *out,
    char key_id[VAULT_KEY_ID_LEN + 1])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	unsigned char *raw = xmalloc(NONCE_LEN + n + TAG_LEN);
	char aad[256];
	int len, alen = aad_of(user_id, provider, aad, sizeof(aad));

	rand_bytes(raw, NONCE_LEN);
	if (c == NULL ||
	    EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(c, NULL, NULL, v->cur.k, raw) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &len, (const unsigned char *)aad,
	    alen) != 1 ||
	    EVP_EncryptUpdate(c, raw + NONCE_LEN, &len,
	    (const unsigned char *)plain, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(c, raw + NONCE_LEN + len, &len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
	    raw + NONCE_LEN + n) != 1)
		crypt_failed("AES-256-GCM encryption failed");
	EVP_CIPHER_CTX_free(c);
	b64url_encode(raw, NONCE_LEN + n + TAG_LEN, out);
	free(raw);
	memcpy(key_id, v->cur.id, VAULT_KEY_ID_LEN + 1);
	return 0;
}

int vault_open(const struct vault *v, const char *key_id, int64_t user_id,
    const char *provider, const char *sealed, struct buf *plain)
{
	const struct vault_key *k = NULL;
	struct buf raw = { 0 };
	EVP_CIPHER_CTX *c;
	unsigned char *out;
	char aad[256];
	int len, n, ok, alen = aad_of(user_id, provider, aad, sizeof(aad));

	if (key_id != NULL && strcmp(key_id, v->cur.id) == 0)
		k = &v->cur;
	else if (key_id != NULL && v->has_old && strcmp(key_id, v->old.id) == 0)
		k = &v->old;
	if (k == NULL)
		return VAULT_NOKEY;
	if (b64url_decode(sealed, &raw) < NONCE_LEN + TAG_LEN) {
		buf_free(&raw);
		return VAULT_BAD;
	}
	n = (int)(raw.len - NONCE_LEN - TAG_LEN);
	out = xmalloc((size_t)n + 1);
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		crypt_failed("out of memory");
	ok = EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1 &&
	    EVP_DecryptInit_ex(c, NULL, NULL, k->k,
	    (unsigned char *)raw.data) == 1 &&
	    EVP_DecryptUpdate(c, NULL, &len, (const unsigned char *)aad,
	    alen) == 1 &&
	    EVP_DecryptUpdate(c, out, &len,
	    (unsigned char *)raw.data + NONCE_LEN, n) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
	    raw.data + NONCE_LEN + n) == 1 &&
	    EVP_DecryptFinal_ex(c, out + len, &len) == 1;
	EVP_CIPHER_CTX_free(c);
	buf_free(&raw);
	if (ok) {
		buf_grow(plain, (size_t)n + 1);
		buf_append(plain, out, (size_t)n);
	}
	explicit_bzero(out, (size_t)n + 1);
	free(out);
	return ok ? VAULT_OK : VAULT_BAD;
}

int vault_stale(const struct vault *v, const char *key_id)
{
	return key_id == NULL || strcmp(key_id, v->cur.id) != 0;
}

void vault_wipe(struct vault *v)
{
	explicit_bzero(v, sizeof(*v));
}
