/* server.h - the pre-forking FastCGI server: master and workers.
 *
 * The master opens the socket, loads config and templates, forks workers
 * (processes of `threads` threads each, see worker.c) and supervises them: a worker that dies is replaced (with exponential backoff
 * when it keeps dying young), a worker that served max_requests exits and is
 * replaced, SIGTERM/SIGINT stop everything gracefully (in-flight requests
 * finish, then the workers exit; SIGKILL after shutdown_timeout), SIGHUP
 * reloads the config and templates into a new generation of workers while
 * the old ones finish their requests.
 */
#ifndef PM_SERVER_H
#define PM_SERVER_H

/* Open the listening socket named by the config key listen ("unix:/path"
 * or "host:port"), applying listen_mode to a unix socket. Returns the
 * descriptor, or -1 after logging why. */
int server_listen(void);
/* Run the master loop on the listening descriptor fd until shutdown.
 * config_path is re-read on SIGHUP. Returns the process exit status. */
int master_run(int fd, const char *config_path);
/* What the master and its workers share (shared memory made before the
 * first fork): the prompt runs the site holds, and each worker slot's
 * share of them, which the master takes off the total when that worker
 * dies; the requests each slot's worker has accepted and not yet answered
 * (runs among them, and requests that may become runs); and whether the
 * slot's worker is accepting requests (set by the worker while it serves,
 * cleared when it stops or dies), so that a busy worker can leave a
 * connection to a less busy one. */
#define SERVER_SLOTS	512
struct server_shared {
	_Atomic long	 site_runs;
	_Atomic long	 slot_runs[SERVER_SLOTS];
	_Atomic long	 slot_busy[SERVER_SLOTS];
	_Atomic int	 slot_accepting[SERVER_SLOTS];
};

/* Run a worker on fd (made non-blocking by server_listen) in slot slot
 * of shared: `threads` threads accept and answer requests until SIGTERM or
 * max_requests, then the requests in flight finish and the process exits.
 * Never returns. */
void worker_run(int fd, struct server_shared *shared, int slot)
	__attribute__((noreturn));
/* Count one more prompt run in this process and on the site. Returns 0,
 * or -1 (nothing counted) when either is at its cap (max_runs_per_process,
 * max_runs): the caller refuses the run at once. Outside a worker (tests,
 * tools) always 0. Thread-safe. */
int server_run_enter(void);
/* The run counted by server_run_enter() has ended. */
void server_run_leave(void);

#endif
