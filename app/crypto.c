/* crypto.c - randomness, hashing, encodings and argon2id password hashing. */
#include "crypto.h"

#include <argon2.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "util.h"

void rand_bytes(void *p, size_t n)
{
	if (RAND_bytes(p, (int)n) != 1) {
		log_error("RAND_bytes failed");
		abort();
	}
}

void sha256(const void *p, size_t n, unsigned char out[32])
{
	unsigned int len = 32;

	if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1)
		abort();
}

void hex_encode(const unsigned char *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void b64url_encode(const unsigned char *p, size_t n, struct buf *out)
{
	static const char tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		buf_putc(out, tbl[v >> 18 & 63]);
		buf_putc(out, tbl[v >> 12 & 63]);
		buf_putc(out, tbl[v >> 6 & 63]);
		buf_putc(out, tbl[v & 63]);
	}
	if (n - i == 1) {
		unsigned v = (unsigned)p[i] << 16;
		buf_putc(out, tbl[v >> 18 & 63]);
		buf_putc(out, tbl[v >> 12 & 63]);
	} else if (n - i == 2) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
		buf_putc(out, tbl[v >> 18 & 63]);
		buf_putc(out, tbl[v >> 12 & 63]);
		buf_putc(out, tbl[v >> 6 & 63]);
	}
}

/* The value of base64url digit c, or -1. */
static int b64url_digit(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '-' ? 62 : c == '_' ? 63 : -1;
}

long b64url_decode(const char *s, struct buf *out)
{
	size_t n = strlen(s), i, start = out->len;
	unsigned v = 0;
	int bits = 0, d;

	if (n % 4 == 1)
		return -1;
	buf_grow(out, n / 4 * 3 + 2);
	for (i = 0; i < n; i++) {
		if ((d = b64url_digit((unsigned char)s[i])) < 0) {
			buf_truncate(out, start);
			return -1;
		}
		v = (v << 6 | (unsigned)d) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_putc(out, (int)(v >> bits & 0xff));
		}
	}
	/* The bits left over must be zero (the canonical encoding). */
	if ((v & ((1u << bits) - 1)) != 0) {
		buf_truncate(out, start);
		return -1;
	}
	return (long)(out->len - start);
}

void token_new(char out[TOKEN_LEN + 1])
{
	unsigned char raw[32];
	struct buf b = { 0 };

	rand_bytes(raw, sizeof(raw));
	b64url_encode(raw, sizeof(raw), &b);
	memcpy(out, b.data, TOKEN_LEN);
	out[TOKEN_LEN] = '\0';
	buf_free(&b);
}

void token_hash(const char *token, char out[SHA256_HEX_LEN + 1])
{
	unsigned char h[32];

	sha256(token, strlen(token), h);
	hex_encode(h, sizeof(h), out);
}

static uint32_t argon_mem(void)
{
	return cfg ? (uint32_t)cfg_int(CFG_ARGON2_MEMORY_KIB) : 19456;
}

static uint32_t argon_iter(void)
{
	return cfg ? (uint32_t)cfg_int(CFG_ARGON2_ITERATIONS) : 2;
}

int password_hash(const char *pw, struct buf *out)
{
	unsigned char salt[16];
	char encoded[160];
	int rc;

	rand_bytes(salt, sizeof(salt));
	rc = argon2id_hash_encoded(argon_iter(), argon_mem(), 1, pw, strlen(pw),
	    salt, sizeof(salt), 32, encoded, sizeof(encoded));
	if (rc != ARGON2_OK) {
		log_error("argon2id_hash_encoded: %s", argon2_error_message(rc));
		return -1;
	}
	buf_puts(out, encoded);
	return 0;
}

int password_verify(const char *encoded, const char *pw)
{
	int rc = argon2id_verify(encoded, pw, strlen(pw));

	if (rc == ARGON2_OK)
		return 1;
	if (rc == ARGON2_VERIFY_MISMATCH)
		return 0;
	return -1;
}

void password_dummy_verify(const char *pw)
{
	static char dummy[160];

	if (dummy[0] == '\0') {
		struct buf b = { 0 };
		if (password_hash("dummy password for timing", &b) == 0)
			snprintf(dummy, sizeof(dummy), "%s", b.data);
		buf_free(&b);
	}
	if (dummy[0] != '\0')
		(void)password_verify(dummy, pw);
}

int token_valid(const char *t)
{
	return t != NULL && strlen(t) == TOKEN_LEN &&
	    strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") == TOKEN_LEN;
}
