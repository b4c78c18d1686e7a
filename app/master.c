/* master.c - open the socket, fork and supervise workers, reload, shut down. */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "util.h"

#define BACKOFF_MIN_US   100000		/* first delay after a quick crash */
#define BACKOFF_MAX_US   30000000
#define YOUNG_US         2000000	/* dying younger than this is a crash loop */
#define RESEND_US        250000		/* re-send SIGTERM to lingering workers */

struct slot {
	pid_t	 pid;
	int64_t	 started_us;
	int	 crashes;		/* consecutive young deaths */
	int64_t	 respawn_at_us;		/* 0: not waiting */
};

static struct slot *slots;		/* the current generation */
static int nslots;
static pid_t *draining;			/* older generations finishing up */
static int ndraining;
static int pipefd[2] = { -1, -1 };
static volatile sig_atomic_t got_stop, got_reload;
static struct config configs[2];
static int current_config;
/* The counters shared with the workers, and which process holds each of
 * its slots (0: free). */
static struct server_shared *shared;
static pid_t slot_owner[SERVER_SLOTS];

static void on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (sig == SIGTERM || sig == SIGINT)
		got_stop = 1;
	else if (sig == SIGHUP)
		got_reload = 1;	/* SIGCHLD: the wake-up is enough, reap() runs */
	if (write(pipefd[1], &c, 1) < 0) {
		/* the pipe is full: a wake-up is already pending */
	}
	errno = saved;
}

/* The unix socket this process bound (removed at shutdown): a reload may
 * change the configured one, which is only used after a restart. */
static char bound_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

int server_listen(void)
{
	const char *l = cfg_str(CFG_LISTEN);
	int fd = -1, one = 1;

	if (strncmp(l, "unix:", 5) == 0) {
		struct sockaddr_un sun;
		const char *path = l + 5;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(path) >= sizeof(sun.sun_path) || path[0] != '/') {
			log_error("listen: bad unix socket path %s", path);
			return -1;
		}
		strcpy(sun.sun_path, path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			goto fail;
		unlink(path);
		if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
			goto fail;
		if (chmod(path, (mode_t)cfg_int(CFG_LISTEN_MODE)) != 0)
			goto fail;
		strcpy(bound_path, path);
	} else {
		struct addrinfo hints, *ai = NULL;
		char host[256];
		const char *colon = strrchr(l, ':');
		int rc;

		if (colon == NULL || (size_t)(colon - l) >= sizeof(host)) {
			log_error("listen: expected unix:/path or host:port, got %s", l);
			return -1;
		}
		memcpy(host, l, (size_t)(colon - l));
		host[colon - l] = '\0';
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE;
		if ((rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints,
		    &ai)) != 0) {
			log_error("listen: %s: %s", l, gai_strerror(rc));
			return -1;
		}
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one)) != 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			freeaddrinfo(ai);
			goto fail;
		}
		freeaddrinfo(ai);
	}
	if (listen(fd, (int)cfg_int(CFG_BACKLOG)) != 0)
		goto fail;
	/* The threads of every worker poll the socket: when another takes
	 * the connection first, accept() must not block. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)
		goto fail;
	/* Workers inherit it across fork but not across exec. */
	return fd;
fail:
	log_error("listen on %s: %s", l, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* A free slot of the shared counters, or -1. */
static int free_slot(void)
{
	int i;

	for (i = 0; i < SERVER_SLOTS; i++)
		if (slot_owner[i] == 0)
			return i;
	return -1;
}

/* A process has ended: the runs it still counted end with it (its
 * executions are settled by the next sweep). */
static void slot_release(pid_t pid)
{
	int i;

	for (i = 0; i < SERVER_SLOTS; i++)
		if (slot_owner[i] == pid) {
			long left = atomic_exchange(&shared->slot_runs[i], 0);

			atomic_fetch_sub(&shared->site_runs, left);
			atomic_store(&shared->slot_accepting[i], 0);
			atomic_store(&shared->slot_busy[i], 0);
			slot_owner[i] = 0;
			if (left > 0)
				log_warn("worker %d ended holding %ld run%s",
				    (int)pid, left, left == 1 ? "" : "s");
			return;
		}
}

static pid_t spawn(int fd)
{
	int slot = free_slot();
	pid_t pid;

	if (slot < 0) {
		log_error("fork: every one of the %d worker slots is in use",
		    SERVER_SLOTS);
		return -1;
	}
	atomic_store(&shared->slot_runs[slot], 0);
	atomic_store(&shared->slot_busy[slot], 0);
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		free(slots);
		free(draining);
		worker_run(fd, shared, slot);
	}
	if (pid < 0)
		log_error("fork failed: %s", strerror(errno));
	else
		slot_owner[slot] = pid;
	return pid;
}

static void start_slot(struct slot *s, int fd)
{
	s->pid = spawn(fd);
	s->started_us = clock_mono_us();
	s->respawn_at_us = s->pid > 0 ? 0 : clock_mono_us() + BACKOFF_MIN_US;
}

static void drain_add(pid_t pid)
{
	draining = xrealloc(draining, (size_t)(ndraining + 1) * sizeof(*draining));
	draining[ndraining++] = pid;
}

/* A child exited: decide what replaces it. */
static void child_exited(pid_t pid, int status, int stopping)
{
	int64_t now = clock_mono_us();
	int i, crashed;

	slot_release(pid);
	for (i = 0; i < ndraining; i++)
		if (draining[i] == pid) {
			draining[i] = draining[--ndraining];
			return;
		}
	for (i = 0; i < nslots; i++)
		if (slots[i].pid == pid)
			break;
	if (i == nslots)
		return;
	slots[i].pid = 0;
	crashed = WIFSIGNALED(status) || WEXITSTATUS(status) != 0;
	if (WIFSIGNALED(status))
		log_warn("worker %d killed by signal %d", (int)pid,
		    WTERMSIG(status));
	else if (crashed)
		log_warn("worker %d exited with status %d", (int)pid,
		    WEXITSTATUS(status));
	if (stopping)
		return;
	if (!crashed) {
		slots[i].crashes = 0;
		slots[i].respawn_at_us = now;
	} else if (now - slots[i].started_us < YOUNG_US) {
		int64_t delay = BACKOFF_MIN_US;
		int k;

		slots[i].crashes++;
		for (k = 1; k < slots[i].crashes && delay < BACKOFF_MAX_US; k++)
			delay *= 2;
		if (delay > BACKOFF_MAX_US)
			delay = BACKOFF_MAX_US;
		slots[i].respawn_at_us = now + delay;
		log_warn("worker slot %d crashed %d times in a row, next start"
		    " in %lld ms", i, slots[i].crashes, (long long)delay / 1000);
	} else {
		slots[i].crashes = 0;
		slots[i].respawn_at_us = now;
	}
}

static void reap(int stopping)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		child_exited(pid, status, stopping);
}

static int live_children(void)
{
	int i, n = ndraining;

	for (i = 0; i < nslots; i++)
		if (slots[i].pid > 0)
			n++;
	return n;
}

static void signal_all(int sig, int include_current)
{
	int i;

	for (i = 0; i < ndraining; i++)
		kill(draining[i], sig);
	if (include_current)
		for (i = 0; i < nslots; i++)
			if (slots[i].pid > 0)
				kill(slots[i].pid, sig);
}

/* SIGHUP: re-read config and templates; on success start a new generation
 * and let the old one finish its requests. */
static void reload(int fd, const char *config_path)
{
	int next = 1 - current_config, i, n;
	struct buf err = { 0 };
	const struct config *old = cfg;

	if (config_load(&configs[next], config_path, &err) != 0) {
		log_error("reload: %s (keeping the running configuration)",
		    buf_cstr(&err));
		config_free(&configs[next]);
		buf_free(&err);
		return;
	}
	cfg = &configs[next];
	if (app_load(&err) != 0) {
		log_error("reload: %s (keeping the running configuration)",
		    buf_cstr(&err));
		cfg = old;
		config_free(&configs[next]);
		buf_free(&err);
		return;
	}
	if (strcmp(old->str[CFG_LISTEN], cfg_str(CFG_LISTEN)) != 0)
		log_warn("reload: listen changed; restart to use the new socket");
	config_free(&configs[current_config]);
	current_config = next;
	log_init("pm-fcgi", (enum log_level)log_level_parse(cfg_str(CFG_LOG_LEVEL)));
	for (i = 0; i < nslots; i++)
		if (slots[i].pid > 0) {
			kill(slots[i].pid, SIGTERM);
			drain_add(slots[i].pid);
		}
	free(slots);
	n = (int)cfg_int(CFG_WORKERS);
	slots = xcalloc((size_t)n, sizeof(*slots));
	nslots = n;
	for (i = 0; i < nslots; i++)
		start_slot(&slots[i], fd);
	log_info("reloaded: %d workers in the new generation, %d finishing",
	    nslots, ndraining);
}

int master_run(int fd, const char *config_path)
{
	struct sigaction sa;
	int64_t stop_started = 0, last_resend = 0;
	int i;

	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		log_error("shared memory: %s", strerror(errno));
		return 1;
	}
	/* The master keeps its own copy of the config it was started with. */
	configs[0] = *cfg;
	cfg = &configs[0];
	current_config = 0;
	if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) != 0) {
		log_error("pipe: %s", strerror(errno));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	sigaction(SIGPIPE, &sa, NULL);

	nslots = (int)cfg_int(CFG_WORKERS);
	slots = xcalloc((size_t)nslots, sizeof(*slots));
	for (i = 0; i < nslots; i++)
		start_slot(&slots[i], fd);
	log_info("master %d listening on %s with %d workers", (int)getpid(),
	    cfg_str(CFG_LISTEN), nslots);

	for (;;) {
		struct pollfd p = { pipefd[0], POLLIN, 0 };
		int64_t now = clock_mono_us(), wait_us = 1000000;
		char drain[64];

		for (i = 0; i < nslots && !stop_started; i++)
			if (slots[i].pid == 0 && slots[i].respawn_at_us > now &&
			    slots[i].respawn_at_us - now < wait_us)
				wait_us = slots[i].respawn_at_us - now;
		if (stop_started)
			wait_us = RESEND_US / 5;
		(void)poll(&p, 1, (int)(wait_us / 1000) + 1);
		while (read(pipefd[0], drain, sizeof(drain)) > 0)
			;
		now = clock_mono_us();
		reap(stop_started != 0);

		if (got_stop && !stop_started) {
			log_info("shutting down: waiting for in-flight requests");
			stop_started = now;
			last_resend = now;
			signal_all(SIGTERM, 1);
		}
		if (stop_started) {
			if (live_children() == 0)
				break;
			if (now - stop_started >
			    cfg_int(CFG_SHUTDOWN_TIMEOUT) * 1000000) {
				log_warn("shutdown timeout: killing %d workers",
				    live_children());
				signal_all(SIGKILL, 1);
			} else if (now - last_resend >= RESEND_US) {
				/* A worker that was between its stop check and
				 * accept() missed the first signal. */
				signal_all(SIGTERM, 1);
				last_resend = now;
			}
			continue;
		}
		if (got_reload) {
			got_reload = 0;
			reload(fd, config_path);
		}
		if (ndraining > 0)
			signal_all(SIGTERM, 0);
		for (i = 0; i < nslots; i++)
			if (slots[i].pid == 0 && slots[i].respawn_at_us <= now) {
				start_slot(&slots[i], fd);
				if (slots[i].pid > 0)
					log_info("started worker %d in slot %d",
					    (int)slots[i].pid, i);
			}
	}
	if (bound_path[0] != '\0')
		unlink(bound_path);
	close(fd);
	free(slots);
	free(draining);
	log_info("stopped");
	return 0;
}
