/* mail_tokens.h - links sent by e-mail: password reset and the
 * confirmation of a new e-mail address.
 *
 * A link carries a token_new() token; only its SHA-256 is stored
 * (mail_tokens). A link works once, until it expires; using one voids the
 * user's other pending links of the same purpose. Each link's mail is
 * queued in the same transaction as its token (mail_outbox.h), so the
 * request answers at once whatever the mail server does.
 *
 * Requests for links are counted per address asked for and per client
 * address (mail_requests), whether or not the address has an account, for
 * the limits reset_max_per_address and (password reset only)
 * reset_max_per_client.
 */
#ifndef PM_MAIL_TOKENS_H
#define PM_MAIL_TOKENS_H

#include <stdint.h>

#include "users.h"

struct db;

enum link_purpose {
	LINK_RESET,
	LINK_EMAIL_CHANGE
};

/* What a link's token is worth now. */
enum link_state {
	LINK_OK,	/* pending and not expired */
	LINK_UNKNOWN,	/* malformed, forged, or purged */
	LINK_EXPIRED,
	LINK_USED,
	LINK_VOID,	/* another link was used, or the request cancelled */
	LINK_TAKEN	/* email change: the address has an account now */
};

/* A link and its account. */
struct link_row {
	int64_t		 id;
	int64_t		 user_id;
	enum link_state	 state;
	int64_t		 expires_at;
	char		 email[EMAIL_MAX + 1];		/* the account's now */
	char		 new_email[EMAIL_MAX + 1];	/* email change only */
	char		 new_email_norm[EMAIL_MAX + 1];
};

/* Look up the link of token (any string) for purpose at time now into
 * out; out->state says what it is worth. Returns 0 or a db_err. */
int link_find(struct db *db, enum link_purpose purpose, const char *token,
    int64_t now, struct link_row *out);

/* Count the requests for links of purpose since `since`: for the address
 * email_norm (by_account) and from the client addr (by_addr), with the
 * oldest of each. Returns 0 or a db_err. */
int link_requests_count(struct db *db, enum link_purpose purpose,
    const char *email_norm, const char *addr, int64_t since,
    struct login_count *c);

/* A password reset asked for email_norm by client addr: the request is
 * recorded and, when the address has an account, a link valid for
 * reset_token_seconds is made and its mail queued, by the same statements
 * whether or not it has one. Returns 1 when a mail was queued, 0 when the
 * address has no account, or a db_err. */
int reset_request(struct db *db, const char *email_norm, const char *addr,
    int64_t now);
/* Use the reset link of token: set the password to password_hash (an
 * encoded argon2id hash), void the user's other reset links, end every
 * session of the user, lift the log-in throttling of unknown clients on
 * the account and queue a notice. *state says whether the link was
 * usable (nothing changed when it is not LINK_OK). Returns 0 or a
 * db_err. */
int reset_use(struct db *db, const char *token, const char *password_hash,
    int64_t now, enum link_state *state);

/* A change of e-mail asked by user_id (address old_email, normalised
 * old_norm) for new_email (normalised new_norm) from client addr: voids
 * any earlier request, makes a link valid for email_change_token_seconds,
 * queues it to the new address and a notice to the old one. Returns 0 or
 * a db_err. */
int email_change_request(struct db *db, int64_t user_id,
    const char *old_email, const char *old_norm, const char *new_email,
    const char *new_norm, const char *addr, int64_t now);
/* Confirm the change of e-mail of the link of token: the account's
 * address becomes the new one, unless another account has it now
 * (LINK_TAKEN). Voids the user's other e-mail and reset links. *state
 * says what happened, *user_id whose account it is (nothing changed when
 * the state is not LINK_OK). Returns 0 or a db_err. */
int email_change_confirm(struct db *db, const char *token, int64_t now,
    enum link_state *state, int64_t *user_id);
/* The address user_id asked to change to and is not confirmed yet, into
 * new_email (EMAIL_MAX + 1 bytes), with the link's expiry. Returns 1, 0
 * when there is none, or a db_err. */
int email_change_pending(struct db *db, int64_t user_id, int64_t now,
    char *new_email, int64_t *expires_at);
/* Cancel user_id's pending change of e-mail. Returns 0 or a db_err. */
int email_change_cancel(struct db *db, int64_t user_id);
/* Void user_id's pending reset links (the password changed). Returns 0
 * or a db_err. */
int reset_links_void(struct db *db, int64_t user_id);

#endif
