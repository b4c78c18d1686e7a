/* mail_sender.c - one thread per worker process delivering mail_outbox. */
#include "mail_sender.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "log.h"
#include "mail_outbox.h"
#include "mail_smtp.h"
#include "runner.h"
#include "util.h"

/* Messages claimed at a time, and how often old links are purged. */
#define BATCH		10
#define HOUSEKEEPING	3600
/* Links that ended are kept this long, so that a late click is told what
 * became of its link rather than that it never existed. */
#define LINKS_KEPT	(7 * 86400)

static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;
	pthread_t	 tid;
	int		 started;	/* under lock */
	int		 kicked;	/* under lock */
	atomic_int	 stopping;
	struct db_pool	*pool;
	char		*password;	/* smtp_password_file's, or NULL */
	char		 from_addr[320];
	const char	*id_domain;	/* of Message-IDs */
} ms = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int stopping(void)
{
	return atomic_load(&ms.stopping);
}

/* Deliver one claimed message and record the outcome. The database
 * connection is given back before the mail server is called. */
static void deliver(struct db *db, const struct mail_job *j, const char *me)
{
	struct smtp_server srv = {
		cfg_str(CFG_SMTP_URL), cfg_str(CFG_SMTP_STARTTLS),
		cfg_str(CFG_SMTP_USERNAME), ms.password, cfg_str(CFG_SMTP_CA_FILE),
		(long)cfg_int(CFG_SMTP_TIMEOUT_SECONDS) * 1000, stopping
	};
	struct mail_message m = { cfg_str(CFG_MAIL_FROM), j->to, j->subject,
	    j->body, NULL, clock_now() };
	struct buf data = { 0 }, err = { 0 };
	unsigned char rnd[6];
	char mid[96], hex[13];
	int64_t now, failures;
	int give_up, rc;

	if (j->dead_link) {
		log_info("mail %lld (%s) dropped: its link was used, replaced or"
		    " expired before it could be delivered", (long long)j->id,
		    j->kind);
		(void)mail_done(db, j->id, me);
		return;
	}
	rand_bytes(rnd, sizeof(rnd));
	hex_encode(rnd, sizeof(rnd), hex);
	snprintf(mid, sizeof(mid), "%lld.%s@%s", (long long)j->id, hex,
	    ms.id_domain);
	m.message_id = mid;
	mail_format(&m, &data);
	db_release(db);
	rc = smtp_send(&srv, ms.from_addr, j->to, data.data, data.len, &err);
	explicit_bzero(data.data, data.len);
	buf_free(&data);
	if (rc == 0) {
		log_info("mail %lld (%s) delivered", (long long)j->id, j->kind);
		if (mail_done(db, j->id, me) != 0)
			log_warn("mail %lld was delivered but its row could not be"
			    " deleted: it may be sent again", (long long)j->id);
		buf_free(&err);
		return;
	}
	now = clock_now();
	failures = j->attempts + 1;
	give_up = now - j->created_at >= cfg_int(CFG_MAIL_GIVE_UP_SECONDS);
	if (give_up)
		log_error("mail %lld (%s) not delivered after %lld attempts,"
		    " giving up (kept in mail_outbox as failed, unless its"
		    " account is gone): %s",
		    (long long)j->id, j->kind, (long long)failures, err.data);
	else
		log_warn("mail %lld (%s) not delivered (attempt %lld): %s",
		    (long long)j->id, j->kind, (long long)failures, err.data);
	if (mail_retry_later(db, j->id, me, now + mail_backoff(failures,
	    cfg_int(CFG_MAIL_RETRY_SECONDS), cfg_int(CFG_MAIL_RETRY_MAX_SECONDS)),
	    give_up, err.data) != 0)
		log_warn("mail %lld: the failed attempt could not be recorded;"
		    " it is tried again when its claim ends", (long long)j->id);
	buf_free(&err);
}

/* Claim what is due and deliver it. Returns the number claimed, or -1
 * when the database did not answer. */
static int send_due(struct db *db, const char *me)
{
	int64_t lease = cfg_int(CFG_SMTP_TIMEOUT_SECONDS) + 60;
	struct mail_job *jobs = NULL;
	int n, i;

	n = mail_claim(db, me, clock_now(), lease, BATCH, &jobs);
	db_release(db);
	if (n == DB_RETRY)	/* a deadlock with another sender's claim */
		return 0;
	if (n < 0)
		return -1;
	for (i = 0; i < n && !stopping(); i++) {
		deliver(db, &jobs[i], me);
		db_release(db);
	}
	/* A message left when stopping stays claimed by this process: the
	 * next sender of this host sees the process gone and takes it. */
	mail_jobs_free(jobs, n);
	return n;
}

/* Give back what dead senders of this host held; forget old links. */
static void housekeeping(struct db *db, int64_t now)
{
	int64_t n = mail_release_gone(db, runner_gone);

	if (n > 0)
		log_warn("mail: messages left by a stopped process will be"
		    " sent again: %lld", (long long)n);
	if (mail_purge(db, now - LINKS_KEPT,
	    now - cfg_int(CFG_RESET_WINDOW_SECONDS)) != 0)
		log_warn("mail: old links could not be purged");
	db_release(db);
}

/* Sleep until kicked, stopped or `seconds` passed. */
static void nap(int64_t seconds)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += seconds;
	pthread_mutex_lock(&ms.lock);
	while (!ms.kicked && !stopping())
		if (pthread_cond_timedwait(&ms.wake, &ms.lock, &until) ==
		    ETIMEDOUT)
			break;
	ms.kicked = 0;
	pthread_mutex_unlock(&ms.lock);
}

static void *sender(void *arg)
{
	struct db *db = db_handle(ms.pool);
	const char *me = runner_self();
	int64_t last_house = 0, now;
	int n, db_down = 0;

	(void)arg;
	while (!stopping()) {
		now = clock_now();
		if (now - last_house >= HOUSEKEEPING || now < last_house) {
			housekeeping(db, now);
			last_house = now;
		}
		if ((n = send_due(db, me)) < 0 && !db_down)
			log_warn("mail: the database does not answer; retrying");
		db_down = n < 0;
		if (n == BATCH)
			continue;	/* more may be due */
		nap(cfg_int(CFG_MAIL_POLL_SECONDS));
	}
	db_close(db);
	return NULL;
}

int mail_sender_start(struct db_pool *pool)
{
	const char *pwfile = cfg_str(CFG_SMTP_PASSWORD_FILE), *at;
	pthread_condattr_t ca;
	pthread_attr_t attr;
	struct buf err = { 0 };
	int rc;

	if (cfg_str(CFG_SMTP_URL)[0] == '\0') {
		log_warn("mail: smtp_url is not set; messages are queued, not sent");
		return 0;
	}
	if (*pwfile != '\0' &&
	    (ms.password = config_read_secret(pwfile, &err)) == NULL) {
		log_error("mail: %s; messages are queued, not sent", err.data);
		buf_free(&err);
		return -1;
	}
	mail_address_of(cfg_str(CFG_MAIL_FROM), ms.from_addr,
	    sizeof(ms.from_addr));
	at = strrchr(ms.from_addr, '@');
	ms.id_domain = at != NULL && at[1] != '\0' ? at + 1 : "localhost";
	ms.pool = pool;
	atomic_store(&ms.stopping, 0);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ms.wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&attr);
	/* TLS handshakes want more than a request thread's stack. */
	pthread_attr_setstacksize(&attr, 1024 * 1024);
	rc = pthread_create(&ms.tid, &attr, sender, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		log_error("mail: cannot start the sender: %s", strerror(rc));
		pthread_cond_destroy(&ms.wake);
		return -1;
	}
	pthread_mutex_lock(&ms.lock);
	ms.started = 1;
	pthread_mutex_unlock(&ms.lock);
	return 0;
}

void mail_sender_stop(void)
{
	int started;

	pthread_mutex_lock(&ms.lock);
	started = ms.started;
	ms.started = 0;
	atomic_store(&ms.stopping, 1);
	if (started)
		pthread_cond_signal(&ms.wake);
	pthread_mutex_unlock(&ms.lock);
	if (started) {
		pthread_join(ms.tid, NULL);
		pthread_cond_destroy(&ms.wake);
	}
	if (ms.password != NULL) {
		explicit_bzero(ms.password, strlen(ms.password));
		free(ms.password);
		ms.password = NULL;
	}
}

void mail_kick(void)
{
	pthread_mutex_lock(&ms.lock);
	if (ms.started) {
		ms.kicked = 1;
		pthread_cond_signal(&ms.wake);
	}
	pthread_mutex_unlock(&ms.lock);
}
