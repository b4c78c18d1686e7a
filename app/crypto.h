/* crypto.h - randomness, hashing, encodings and password hashing.
 *
 * Randomness comes from OpenSSL's RAND_bytes; failure to obtain it is fatal.
 * Passwords are hashed with argon2id (libargon2), cost from the config.
 */
#ifndef PM_CRYPTO_H
#define PM_CRYPTO_H

#include <stddef.h>

#include "buf.h"

#define TOKEN_LEN 43		/* 32 random bytes, base64url, no padding */
#define SHA256_HEX_LEN 64

/* Fill p with n cryptographically secure random bytes (aborts on failure). */
void rand_bytes(void *p, size_t n);
/* SHA-256 of n bytes at p into out (32 bytes). */
void sha256(const void *p, size_t n, unsigned char out[32]);
/* Lower-case hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
void hex_encode(const unsigned char *p, size_t n, char *out);
/* Base64url without padding of n bytes, appended to out. */
void b64url_encode(const unsigned char *p, size_t n, struct buf *out);
/* Decode base64url without padding (the form b64url_encode writes) of the
 * NUL-terminated s, appending the bytes to out. Returns the number of
 * bytes, or -1 when s is not such text (out unchanged). */
long b64url_decode(const char *s, struct buf *out);
/* A new random token: 256 bits as base64url in out (TOKEN_LEN + 1 bytes). */
void token_new(char out[TOKEN_LEN + 1]);
/* Whether t has the shape token_new() gives (not whether it is known). */
int token_valid(const char *t);
/* Hex SHA-256 of the NUL-terminated token into out (65 bytes): the only form
 * in which tokens are stored. */
void token_hash(const char *token, char out[SHA256_HEX_LEN + 1]);
/* Hash pw with argon2id and a random salt into the encoded form, appended to
 * out. Returns 0, or -1 on failure. */
int password_hash(const char *pw, struct buf *out);
/* Check pw against an encoded argon2id hash. Returns 1 on match, 0 on
 * mismatch, -1 when the hash is malformed. */
int password_verify(const char *encoded, const char *pw);
/* Run a verification against a fixed hash so a log-in for an unknown email
 * costs as much as a real one. */
void password_dummy_verify(const char *pw);

#endif
