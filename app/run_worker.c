/* run_worker.c - the background runners of a worker process (see
 * run_worker.h). */
#include "run_worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "run_item.h"
#include "run_queue.h"
#include "runner.h"
#include "upstream.h"
#include "util.h"

/* How often a runner gives back what dead processes held. */
#define RELEASE_SECONDS	5
/* Stack of a runner: TLS handshakes and the checks' parsers. */
#define RUNNER_STACK	(1024 * 1024)

static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;
	pthread_t	*tids;
	int		 started;	/* threads running, under lock */
	unsigned	 kicks;		/* under lock */
	atomic_int	 stopping;
	atomic_llong	 last_release;
	struct db_pool	*pool;
} rw = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int stopping(void *arg)
{
	(void)arg;
	return atomic_load(&rw.stopping);
}

/* A statement that records an outcome is tried again while the database
 * is away, for a little while: a finished item should not run twice. */
static int retried(int rc)
{
	return rc == DB_DOWN || rc == DB_RETRY;
}

/* Run the claimed item j and record what it gave. */
static void run_one(struct db *db, const struct run_job *j, const char *me)
{
	struct item_run ir;
	enum item_verdict v = run_item(db, j, stopping, &ir);
	int rc, tries = 0;

	db_release(db);
	do {
		if (tries++ > 0)
			usleep(200000);
		if (stopping(NULL) || v == ITEM_REQUEUE)
			rc = run_requeue(db, j, me, clock_now() +
			    (stopping(NULL) ? 0 : 1));
		else if (v == ITEM_LIMIT && ir.o.status == NULL)
			rc = run_stop_limit(db, j, me, buf_cstr(&ir.message),
			    clock_now());
		else {
			rc = run_finish(db, j, me, &ir.o, clock_now());
			if (rc >= 0 && v == ITEM_LIMIT)
				rc = run_stop_limit(db, j, me,
				    buf_cstr(&ir.message), clock_now());
		}
		db_release(db);
	} while (retried(rc) && tries < 25);
	if (rc < 0)
		log_error("run %lld: the outcome of item %lld could not be"
		    " recorded (%s); it runs again when its lease ends",
		    (long long)j->run_id, (long long)j->item_id,
		    db_strerror(rc));
	else if (rc == 0 && v == ITEM_DONE)
		log_warn("run %lld: item %lld was taken over by another runner"
		    " (its lease ended); this outcome is dropped",
		    (long long)j->run_id, (long long)j->item_id);
	item_run_free(&ir);
}

/* Give back the items of dead processes, once per RELEASE_SECONDS for
 * the whole process. */
static void release_gone(struct db *db, int64_t now)
{
	long long last = atomic_load(&rw.last_release);
	int n;

	if (now - last < RELEASE_SECONDS && now >= last)
		return;
	if (!atomic_compare_exchange_strong(&rw.last_release, &last, now))
		return;
	if ((n = run_release(db, now, runner_gone)) > 0)
		log_warn("runs: %d sample%s left by a stopped process queued"
		    " again or marked interrupted", n, n == 1 ? "" : "s");
	db_release(db);
}

/* Sleep until kicked, stopped or ms passed. */
static void nap(unsigned seen, int64_t ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&rw.lock);
	while (rw.kicks == seen && !stopping(NULL))
		if (pthread_cond_timedwait(&rw.wake, &rw.lock, &until) ==
		    ETIMEDOUT)
			break;
	pthread_mutex_unlock(&rw.lock);
}

static void *runner(void *arg)
{
	struct db *db = db_handle(rw.pool);
	const char *me = runner_self();
	/* The first runner looks for work every run_poll_ms; the others,
	 * idle, wait to be woken (a run queued here, or the first runner
	 * finding work), or ten times as long: an idle process sends one
	 * query per run_poll_ms, not one per runner. */
	int64_t poll = cfg_int(CFG_RUN_POLL_MS) * (arg == NULL ? 1 : 10);
	/* The lease of a claim covers one call to a model and a minute; an
	 * item with rubric checks gets one more call per judge. */
	int64_t call = cfg_int(CFG_UPSTREAM_TIMEOUT_MS) / 1000 + 1;
	int64_t lease = call + 60;
	struct run_job j;
	unsigned seen;
	int rc, db_down = 0;

	while (!stopping(NULL)) {
		pthread_mutex_lock(&rw.lock);
		seen = rw.kicks;
		pthread_mutex_unlock(&rw.lock);
		release_gone(db, clock_now());
		rc = run_claim(db, me, clock_now(), lease, &j);
		db_release(db);
		if (rc < 0 && rc != DB_RETRY && !db_down)
			log_warn("runs: the database does not answer (%s);"
			    " retrying", db_strerror(rc));
		db_down = rc < 0 && rc != DB_RETRY;
		if (rc == 1) {
			run_kick();	/* there may be more: wake the others */
			if (run_job_calls(&j) > 1)
				(void)run_lease(db, &j, me, clock_now() +
				    call * run_job_calls(&j) + 60);
			run_one(db, &j, me);
			run_job_free(&j);
			continue;
		}
		nap(seen, poll);
	}
	db_close(db);
	upstream_thread_cleanup();
	return NULL;
}

int run_worker_start(struct db_pool *pool)
{
	int64_t n = cfg_int(CFG_RUN_THREADS), i;
	pthread_condattr_t ca;
	pthread_attr_t attr;
	int rc = 0;

	if (n <= 0)
		return 0;
	rw.pool = pool;
	atomic_store(&rw.stopping, 0);
	atomic_store(&rw.last_release, 0);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&rw.wake, &ca);
	pthread_condattr_destroy(&ca);
	rw.tids = xcalloc((size_t)n, sizeof(*rw.tids));
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, RUNNER_STACK);
	pthread_mutex_lock(&rw.lock);
	for (i = 0; i < n; i++) {
		if ((rc = pthread_create(&rw.tids[i], &attr, runner,
		    i == 0 ? NULL : &rw)) != 0) {
			log_error("runs: cannot start runner %lld of %lld: %s",
			    (long long)i + 1, (long long)n, strerror(rc));
			break;
		}
		rw.started++;
	}
	pthread_mutex_unlock(&rw.lock);
	pthread_attr_destroy(&attr);
	return rw.started > 0 ? 0 : -1;
}

void run_worker_stop(void)
{
	int i, n;

	pthread_mutex_lock(&rw.lock);
	n = rw.started;
	rw.started = 0;
	atomic_store(&rw.stopping, 1);
	pthread_cond_broadcast(&rw.wake);
	pthread_mutex_unlock(&rw.lock);
	for (i = 0; i < n; i++)
		pthread_join(rw.tids[i], NULL);
	if (rw.tids != NULL) {
		pthread_cond_destroy(&rw.wake);
		free(rw.tids);
		rw.tids = NULL;
	}
}

void run_kick(void)
{
	pthread_mutex_lock(&rw.lock);
	if (rw.started > 0) {
		rw.kicks++;
		pthread_cond_broadcast(&rw.wake);
	}
	pthread_mutex_unlock(&rw.lock);
}
