/* worker.c - one pre-forked worker process: `threads` threads that each
 * accept FastCGI requests and answer them, sharing a small pool of MariaDB
 * connections. A request that waits on a model holds a thread and some
 * memory, not a database connection; the runs a process and the site hold
 * at once are capped (server_run_enter). */
#include "server.h"

#include <errno.h>
#include <fcgiapp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "admission.h"
#include "app.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "mail_sender.h"
#include "run_worker.h"
#include "runner.h"
#include "upstream.h"
#include "util.h"

/* A thread's stack: deep enough for TLS handshakes and templates, small
 * enough that a thousand waiting runs cost little memory. */
#define THREAD_STACK	(512 * 1024)

static struct {
	int		 fd;		/* the listening socket, non-blocking */
	int		 wake[2];	/* written once when stopping */
	struct db_pool	*pool;
	struct db_pool	*run_pool;	/* the background runners' own */
	pthread_mutex_t	 accept_lock;
	atomic_int	 stopping;
	atomic_llong	 served;
	int64_t		 max_requests;
	struct server_shared *shared;	/* the site's counters */
	int		 slot;		/* this process's slot in them */
	atomic_long	 runs;		/* runs this process holds */
	long		 max_runs_process, max_runs_site;
} w;

/* End the worker. A worker leaves with _exit (the master's atexit work is
 * not its own); under LeakSanitizer it first reports what it leaked over
 * its life, which only shows in a long-lived process. */
static void worker_exit(int status) __attribute__((noreturn));
static void worker_exit(int status)
{
#ifdef __SANITIZE_ADDRESS__
	__lsan_do_leak_check();
#endif
	_exit(status);
}

/* Ask every thread to stop once its request is answered. */
static void stop_all(void)
{
	char c = 1;

	atomic_store(&w.shared->slot_accepting[w.slot], 0);
	if (atomic_exchange(&w.stopping, 1) == 0 &&
	    write(w.wake[1], &c, 1) < 0) {
		/* the pollers also wake within a second */
	}
}

int server_run_enter(void)
{
	long mine, site;

	if (w.shared == NULL)
		return 0;		/* not in a worker (tests, tools) */
	mine = atomic_fetch_add(&w.runs, 1) + 1;
	site = atomic_fetch_add(&w.shared->site_runs, 1) + 1;
	atomic_fetch_add(&w.shared->slot_runs[w.slot], 1);
	if (mine > w.max_runs_process ||
	    (w.max_runs_site > 0 && site > w.max_runs_site)) {
		log_warn("run refused: %ld running in this process, %ld on the"
		    " site", mine - 1, site - 1);
		server_run_leave();
		return -1;
	}
	return 0;
}

void server_run_leave(void)
{
	if (w.shared == NULL)
		return;
	atomic_fetch_sub(&w.runs, 1);
	atomic_fetch_sub(&w.shared->slot_runs[w.slot], 1);
	atomic_fetch_sub(&w.shared->site_runs, 1);
}

/* Whether this process is at its cap of runs, or has more requests in
 * flight than some other accepting process by more than an eighth of the
 * cap (and at least 8): the load then goes to the others first. Requests
 * in flight, not runs: in a burst, requests accepted but not yet admitted
 * would become runs beyond the cap of a process that took them all. */
static int busier_than_others(void)
{
	long mine = atomic_load(&w.shared->slot_busy[w.slot]);
	long margin = w.max_runs_process / 8;
	int i;

	if (atomic_load(&w.runs) >= w.max_runs_process)
		return 1;
	if (margin < 8)
		margin = 8;
	if (mine <= margin)
		return 0;
	for (i = 0; i < SERVER_SLOTS; i++)
		if (i != w.slot && atomic_load(&w.shared->slot_accepting[i]) &&
		    atomic_load(&w.shared->slot_busy[i]) + margin < mine)
			return 1;
	return 0;
}

/* Accept the next request into rq. The caller holds the accept lock, so
 * one thread of the process waits on the socket at a time. Returns 0, or
 * -1 when the process is stopping. */
static int accept_one(FCGX_Request *rq)
{
	struct pollfd p[2];
	int rc;

	for (;;) {
		if (atomic_load(&w.stopping))
			return -1;
		p[0].fd = w.fd;
		p[0].events = POLLIN;
		p[1].fd = w.wake[0];
		p[1].events = POLLIN;
		p[0].revents = p[1].revents = 0;
		if (poll(p, 2, 1000) < 0 && errno != EINTR) {
			log_warn("poll: %s", strerror(errno));
			usleep(100000);
			continue;
		}
		if (p[1].revents || atomic_load(&w.stopping))
			return -1;
		if (!(p[0].revents & POLLIN))
			continue;
		/* A process with many more requests in flight than another,
		 * or at its cap of runs (it would have to refuse a run another
		 * can hold), lets the others take the connection first. Only
		 * when they do not does it accept (a page, or a run it refuses
		 * at once). */
		if (busier_than_others()) {
			usleep(atomic_load(&w.runs) >= w.max_runs_process ?
			    3000 : 1000);
			if (poll(p, 1, 0) <= 0 || !(p[0].revents & POLLIN))
				continue;
		}
		/* Another process may take the connection first: the
		 * socket is non-blocking, so that is EAGAIN, not a wait. */
		if ((rc = FCGX_Accept_r(rq)) == 0) {
			atomic_fetch_add(&w.shared->slot_busy[w.slot], 1);
			return 0;
		}
		if (rc != -EAGAIN && rc != -EWOULDBLOCK && rc != -EINTR) {
			/* EMFILE and the like: do not spin */
			log_warn("accept failed: %s", strerror(-rc));
			usleep(100000);
		}
	}
}

static void *serve(void *arg)
{
	struct db *db = db_handle(w.pool);
	FCGX_Request rq;

	(void)arg;
	if (FCGX_InitRequest(&rq, w.fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_error("FCGX_InitRequest failed");
		stop_all();
		db_close(db);
		return NULL;
	}
	for (;;) {
		struct req r;
		int rc;

		pthread_mutex_lock(&w.accept_lock);
		rc = accept_one(&rq);
		pthread_mutex_unlock(&w.accept_lock);
		if (rc != 0)
			break;
		if (req_begin(&r, &rq, db) == 0)
			app_dispatch(&r);
		req_end(&r);
		db_release(db);
		FCGX_Finish_r(&rq);
		atomic_fetch_sub(&w.shared->slot_busy[w.slot], 1);
		if (w.max_requests > 0 &&
		    atomic_fetch_add(&w.served, 1) + 1 == w.max_requests) {
			log_info("worker served %lld requests, retiring",
			    (long long)w.max_requests);
			stop_all();
		}
	}
	FCGX_Free(&rq, 0);
	db_close(db);
	upstream_thread_cleanup();
	return NULL;
}

/* A worker that starts may be replacing one that died mid-execution:
 * settle what such workers left RUNNING, so their reserved quota comes
 * back. */
static void sweep_interrupted(void)
{
	struct db *db = db_handle(w.pool);
	int n = admission_sweep(db, clock_now(), runner_gone);

	if (n > 0)
		log_warn("settled %d interrupted execution%s", n,
		    n == 1 ? "" : "s");
	db_close(db);
}

void worker_run(int fd, struct server_shared *shared, int slot)
{
	struct sigaction sa;
	sigset_t all, stopset;
	struct buf err = { 0 };
	pthread_attr_t attr;
	pthread_t *tids;
	int64_t threads = cfg_int(CFG_THREADS), i, started = 0;
	int sig;

	/* Handlers are inherited across fork: the worker's own. Every
	 * thread blocks the signals; the main thread waits for them. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&stopset);
	sigaddset(&stopset, SIGTERM);
	sigaddset(&stopset, SIGINT);
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGABRT);
	pthread_sigmask(SIG_BLOCK, &all, NULL);

	memset(&w, 0, sizeof(w));
	w.fd = fd;
	w.shared = shared;
	w.slot = slot;
	w.max_requests = cfg_int(CFG_MAX_REQUESTS);
	w.max_runs_process = cfg_int(CFG_MAX_RUNS_PER_PROCESS) > 0 ?
	    cfg_int(CFG_MAX_RUNS_PER_PROCESS) : threads > 8 ? threads - 8 :
	    (threads + 1) / 2;
	w.max_runs_site = cfg_int(CFG_MAX_RUNS);
	pthread_mutex_init(&w.accept_lock, NULL);
	if (pipe(w.wake) != 0 ||
	    (w.pool = db_pool_open((size_t)cfg_int(CFG_DB_POOL_SIZE), &err)) == NULL) {
		log_error("worker cannot start: %s", err.len ? buf_cstr(&err) :
		    strerror(errno));
		buf_free(&err);
		_exit(2);
	}
	sweep_interrupted();
	(void)mail_sender_start(w.pool);	/* logs why when it cannot */
	/* The runners of golden samples get connections of their own (opened
	 * when first used): however many wait on a lock, the requests' pool
	 * stays free for pages and the API. */
	if (cfg_int(CFG_RUN_THREADS) > 0 && (w.run_pool = db_pool_open(
	    (size_t)cfg_int(CFG_RUN_THREADS), &err)) == NULL) {
		log_error("runs: no database pool: %s", buf_cstr(&err));
		buf_free(&err);
	}
	if (w.run_pool != NULL) {
		db_pool_read_committed(w.run_pool);
		(void)run_worker_start(w.run_pool);	/* likewise */
	}
	atomic_store(&w.shared->slot_accepting[w.slot], 1);
	tids = xcalloc((size_t)threads, sizeof(*tids));
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, THREAD_STACK);
	for (i = 0; i < threads; i++) {
		if (pthread_create(&tids[i], &attr, serve, NULL) != 0) {
			log_error("cannot start thread %lld of %lld: %s",
			    (long long)i + 1, (long long)threads, strerror(errno));
			break;
		}
		started++;
	}
	pthread_attr_destroy(&attr);
	if (started == 0)
		_exit(2);
	log_debug("worker started with %lld threads", (long long)started);
	/* Wait for SIGTERM / SIGINT, or for the threads to stop by
	 * themselves (max_requests): then the requests in flight finish. */
	while (!atomic_load(&w.stopping)) {
		struct timespec tick = { 0, 200 * 1000000 };

		sig = sigtimedwait(&stopset, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT)
			stop_all();
	}
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	mail_sender_stop();
	run_worker_stop();
	if (w.run_pool != NULL)
		db_pool_close(w.run_pool);
	db_pool_close(w.pool);
	close(w.wake[0]);
	close(w.wake[1]);
	app_unload();
	worker_exit(0);
}
