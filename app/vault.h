/* vault.h - the encryption of stored secrets (users' provider keys) with
 * AES-256-GCM (OpenSSL EVP).
 *
 * A master key is 32 random bytes, kept as 64 hex digits in a file the
 * configuration names (`openssl rand -hex 32`). Each master key has an id,
 * the first 16 hex digits of a SHA-256 of a label and the key (it tells
 * which key sealed a secret without saying anything of the key), stored
 * beside every ciphertext. During a rotation the vault holds two keys: it
 * seals with the new one and opens with either.
 *
 * A sealed secret is base64url text of: a random 96-bit nonce, the
 * ciphertext, the 128-bit tag. The associated data binds the owner and the
 * provider ("pm-vault-v1", user id, provider name), so a ciphertext copied
 * to another user's row or another provider does not open. Plaintexts are
 * wiped from memory by their users (explicit_bzero) once used.
 */
#ifndef PM_VAULT_H
#define PM_VAULT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define VAULT_KEY_ID_LEN 16

struct vault_key {
	char		 id[VAULT_KEY_ID_LEN + 1];
	unsigned char	 k[32];
};

struct vault {
	struct vault_key cur;		/* seals and opens */
	int		 has_old;
	struct vault_key old;		/* opens only (rotation) */
};

enum vault_err {
	VAULT_OK = 0,
	VAULT_NOKEY = -1,	/* sealed with a master key the vault lacks */
	VAULT_BAD = -2		/* not a sealed secret, tampered, or another
				 * owner's or provider's */
};

/* Parse a master key: 64 hex digits (surrounding white space allowed)
 * into k with its id. Returns 0, or -1 with the reason in err (never
 * any part of the key). */
int vault_key_parse(const char *text, struct vault_key *k, struct buf *err);
/* Load the vault from the master key file path and, when old_path is not
 * NULL or "", the previous key of a rotation. Returns 0, or -1 with the
 * reason (naming the file) in err. */
int vault_load(struct vault *v, const char *path, const char *old_path,
    struct buf *err);
/* Seal n bytes of plain for user_id and provider with the current key:
 * the sealed text is appended to out and the key's id copied to key_id.
 * Returns 0 (it cannot fail but for lack of memory, which aborts). */
int vault_seal(const struct vault *v, int64_t user_id, const char *provider,
    const char *plain, size_t n, struct buf *out,
    char key_id[VAULT_KEY_ID_LEN + 1]);
/* Open sealed (NUL-terminated) made by key key_id for user_id and
 * provider; the plaintext is appended to plain (wipe it after use).
 * Returns VAULT_OK, VAULT_NOKEY or VAULT_BAD (plain unchanged). */
int vault_open(const struct vault *v, const char *key_id, int64_t user_id,
    const char *provider, const char *sealed, struct buf *plain);
/* Whether a secret sealed with key_id must be sealed again with the
 * current key (a rotation is under way). */
int vault_stale(const struct vault *v, const char *key_id);
/* Wipe the keys. */
void vault_wipe(struct vault *v);

#endif
