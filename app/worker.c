/* worker.c - one pre-forked worker: accept FastCGI requests and answer them. */
#include "server.h"

#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "app.h"
#include "admission.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "log.h"

static volatile sig_atomic_t stop_requested;

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

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* A worker that starts may be replacing one that died mid-execution:
 * settle executions left RUNNING for longer than any upstream call may
 * last, so their reserved quota comes back. */
static void sweep_interrupted(struct db *db)
{
	int64_t now = clock_now();
	int n = admission_sweep(db, now);

	if (n > 0)
		log_warn("settled %d interrupted execution(s)", n);
}

void worker_run(int fd)
{
	struct sigaction sa;
	sigset_t stopset;
	FCGX_Request rq;
	struct buf err = { 0 };
	struct db *db;
	int64_t served = 0, max = cfg_int(CFG_MAX_REQUESTS);

	/* Handlers are inherited across fork: install the worker's own,
	 * without SA_RESTART so a blocked accept() returns on SIGTERM. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&stopset);
	sigaddset(&stopset, SIGTERM);
	sigaddset(&stopset, SIGINT);
	sigprocmask(SIG_BLOCK, &stopset, NULL);

	if ((db = db_open(&err)) == NULL) {
		log_error("worker cannot start: %s", buf_cstr(&err));
		buf_free(&err);
		_exit(2);
	}
	/* Connect now so the first request does not pay for it; a database
	 * that is down is retried by each request. */
	(void)db_ping(db);
	sweep_interrupted(db);
	if (FCGX_InitRequest(&rq, fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_error("FCGX_InitRequest failed");
		_exit(2);
	}
	log_debug("worker started");
	for (;;) {
		struct req r;
		int rc;

		/* Signals are delivered only while waiting for a request, so
		 * a request in progress always completes. */
		sigprocmask(SIG_UNBLOCK, &stopset, NULL);
		if (stop_requested) {
			sigprocmask(SIG_BLOCK, &stopset, NULL);
			break;
		}
		rc = FCGX_Accept_r(&rq);
		sigprocmask(SIG_BLOCK, &stopset, NULL);
		if (rc < 0) {
			if (stop_requested)
				break;
			if (errno != EINTR) {
				/* EMFILE and the like: do not spin */
				log_warn("accept failed: %s", strerror(errno));
				usleep(100000);
			}
			continue;
		}
		if (req_begin(&r, &rq, db) == 0)
			app_dispatch(&r);
		req_end(&r);
		FCGX_Finish_r(&rq);
		if (max > 0 && ++served >= max) {
			log_info("worker served %lld requests, retiring",
			    (long long)served);
			break;
		}
		if (stop_requested)
			break;
	}
	FCGX_Free(&rq, 0);
	db_close(db);
	app_unload();
	worker_exit(0);
}
