/* main_fcgi.c - pm-fcgi: the pre-forking FastCGI server. */
#include <fcgiapp.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "app.h"
#include "config.h"
#include "log.h"
#include "server.h"
#include "upstream.h"

/* Each request in flight holds a FastCGI connection and, while it waits
 * on a model, a connection to it: as many descriptors as the system
 * lets us have. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: pm-fcgi [-t] [-c config-file]\n"
	    "  -c FILE  configuration (default: $PM_CONFIG, var/app.conf,\n"
	    "           conf/app.conf, /etc/prompt-manager/app.conf)\n"
	    "  -t       check the configuration and templates, then exit\n");
	exit(2);
}

int main(int argc, char *argv[])
{
	static struct config conf;
	const char *path = NULL;
	struct buf err = { 0 };
	int ch, check_only = 0, fd;

	while ((ch = getopt(argc, argv, "c:th")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 't':
			check_only = 1;
			break;
		default:
			usage();
		}
	}
	if (path == NULL)
		path = config_default_path();
	/* Big temporary buffers (argon2's 19 MiB) go back to the system
	 * when freed, and a few malloc arenas serve every thread, keeping
	 * each worker small. */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	mallopt(M_ARENA_MAX, 4);
	raise_fd_limit();
	log_init("pm-fcgi", LOG_INFO);
	if (config_load(&conf, path, &err) != 0) {
		log_error("configuration: %s", buf_cstr(&err));
		return 1;
	}
	cfg = &conf;
	log_init("pm-fcgi", (enum log_level)log_level_parse(cfg_str(CFG_LOG_LEVEL)));
	if (app_load(&err) != 0) {
		log_error("%s", buf_cstr(&err));
		return 1;
	}
	if (check_only) {
		printf("configuration %s and templates are valid\n",
		    path ? path : "(defaults)");
		return 0;
	}
	if (FCGX_Init() != 0) {
		log_error("FCGX_Init failed");
		return 1;
	}
	/* libcurl is initialised once here, before the workers are forked;
	 * each worker then keeps its own connection cache. */
	if (upstream_global_init() != 0) {
		log_error("libcurl cannot start");
		return 1;
	}
	if ((fd = server_listen()) < 0)
		return 1;
	return master_run(fd, path);
}
