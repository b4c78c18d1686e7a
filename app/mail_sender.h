/* mail_sender.h - the background sender of a worker process: one thread
 * that delivers the mail queued in mail_outbox (mail_outbox.h) through
 * the configured SMTP server (mail_smtp.h).
 *
 * It wakes when a request of its process queued mail (mail_kick), and
 * every mail_poll_seconds for mail queued by other processes or due for
 * another attempt. A failed delivery is retried after mail_retry_seconds,
 * doubled after each failure up to mail_retry_max_seconds; after
 * mail_give_up_seconds the message is marked failed. Any number of
 * processes may run one: each row is claimed by one sender at a time.
 * Once an hour it also deletes links long expired and old link requests.
 */
#ifndef PM_MAIL_SENDER_H
#define PM_MAIL_SENDER_H

struct db_pool;

/* Start this process's sender on connections of pool, unless smtp_url
 * is empty (then mail stays queued, which is logged). Returns 0, or -1
 * when the thread or its secret cannot be had (logged; the process runs
 * on without sending). */
int mail_sender_start(struct db_pool *pool);
/* Stop the sender: a delivery under way is abandoned (its row is sent
 * again later) and the thread joined. Accepts a sender never started. */
void mail_sender_stop(void);
/* Wake this process's sender now: mail was just queued (committed).
 * Does nothing when it does not run. */
void mail_kick(void);

#endif
