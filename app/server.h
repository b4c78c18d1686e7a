/* server.h - the pre-forking FastCGI server: master and workers.
 *
 * The master opens the socket, loads config and templates, forks workers and
 * supervises them: a worker that dies is replaced (with exponential backoff
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
/* Run a worker on fd: accept and answer requests until told to stop or
 * max_requests is reached. Never returns. */
void worker_run(int fd) __attribute__((noreturn));

#endif
