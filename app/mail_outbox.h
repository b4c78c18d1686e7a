/* mail_outbox.h - mail queued in MariaDB (table mail_outbox) and the
 * queries of the background sender that delivers it.
 *
 * A page never talks to the mail server: it queues the message, in the
 * same transaction as what the message is about (a link's token, an
 * account's deletion), and the sender of some worker process delivers it
 * (mail_sender.h). Rows are claimed with an UPDATE that sets the claimer
 * and a lease, so several processes never send one row at once, and a
 * process that dies while sending leaves its rows to the next sender.
 * A delivered row is deleted; a failed attempt schedules the next one
 * with a growing wait; a row still undelivered after the give-up time is
 * marked failed and kept.
 *
 * Subjects and bodies come from the message catalog: mail.<kind>.subject
 * and mail.<kind>.body, with {name} placeholders.
 */
#ifndef PM_MAIL_OUTBOX_H
#define PM_MAIL_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct db;

/* The subject and body of a message of kind (catalog keys
 * mail.<kind>.subject and mail.<kind>.body) with the n {name}
 * placeholders filled, appended to subject and body. */
void mail_compose(const char *kind, const char *const *names,
    const char *const *values, size_t n, struct buf *subject,
    struct buf *body);
/* Append to out the absolute link to path on this site (public_base_url
 * + path), with ?token= when token is not NULL. */
void mail_link(struct buf *out, const char *path, const char *token);
/* Whether links can be made: public_base_url is set. */
int mail_links_configured(void);

/* Queue a message to address to (user_id 0: no account, e.g. its
 * farewell). Run inside the caller's transaction when it has one.
 * Returns the row's id or a db_err. */
int64_t mail_queue(struct db *db, int64_t user_id, const char *kind,
    const char *to, const char *subject, const char *body, int64_t now);
/* Queue a message carrying the link whose token hash is token_hash: to
 * the account's address, or (to_new_email) to the address the link
 * confirms. Queues nothing when no such link exists. Returns the number
 * of rows queued (0 or 1) or a db_err. */
int64_t mail_queue_for_link(struct db *db, const char *token_hash,
    int to_new_email, const char *kind, const char *subject,
    const char *body, int64_t now);
/* Delete the unsent mail of the user's pending links of purpose
 * ("reset", "email_change"), then void those links. Returns 0 or a
 * db_err. */
int mail_links_void(struct db *db, int64_t user_id, const char *purpose);

/* One claimed message. */
struct mail_job {
	int64_t	 id;
	int64_t	 created_at;
	int64_t	 attempts;	/* failed attempts before this one */
	int	 dead_link;	/* its link was used, voided or expired */
	char	*kind, *to, *subject, *body;
};

/* Claim up to max messages due at now for claimer (a process identity,
 * runner.h) until now + lease, and read them into *jobs (caller frees
 * with mail_jobs_free). Returns how many, or a db_err. */
int mail_claim(struct db *db, const char *claimer, int64_t now,
    int64_t lease, int max, struct mail_job **jobs);
/* Free n jobs of mail_claim. Accepts NULL. */
void mail_jobs_free(struct mail_job *jobs, int n);
/* The message was accepted by the server (or dropped, its link dead):
 * delete its row if claimer still holds it. Returns 0 or a db_err. */
int mail_done(struct db *db, int64_t id, const char *claimer);
/* An attempt failed with error (no secret in it): schedule the next one
 * at next_at, or (give_up) mark the row failed; a message of no account
 * (a deleted account's farewell) is deleted instead. Releases the claim.
 * Returns 0 or a db_err. */
int mail_retry_later(struct db *db, int64_t id, const char *claimer,
    int64_t next_at, int give_up, const char *error);
/* The wait before the next attempt after `failures` failed ones: base
 * doubled after each failure, at most max. */
int64_t mail_backoff(int64_t failures, int64_t base, int64_t max);
/* Release the claims of processes that are gone (gone(claimer) is 1),
 * so their rows are sent again at once. Returns the number of rows
 * released or a db_err. */
int64_t mail_release_gone(struct db *db, int (*gone)(const char *claimer));
/* Delete links that expired or ended before `before`, and link requests
 * older than `requests_before`. Returns 0 or a db_err. */
int mail_purge(struct db *db, int64_t before, int64_t requests_before);

#endif
