/* runner.c - process identities ("host:pid:start") and their liveness. */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static char self[RUNNER_MAX + 1];
static pid_t self_pid;

/* The start time of process pid (field 22 of /proc/PID/stat), or 0 when
 * there is no such process. */
static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	size_t n;
	int field;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) state ...": comm may hold spaces and parentheses */
	if ((p = strrchr(buf, ')')) == NULL)
		return 0;
	for (field = 2; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p != NULL)
		t = strtoull(p + 1, NULL, 10);
	return t;
}

/* This host's name into out (size bytes). */
static void host_name(char *out, size_t size)
{
	if (gethostname(out, size) != 0)
		snprintf(out, size, "localhost");
	out[size - 1] = '\0';
	out[strcspn(out, ":")] = '\0';
}

const char *runner_self(void)
{
	char host[64];
	pid_t pid = getpid();

	if (self_pid != pid) {
		host_name(host, sizeof(host));
		snprintf(self, sizeof(self), "%s:%d:%llu", host, (int)pid,
		    start_time(pid));
		self_pid = pid;
	}
	return self;
}

int runner_gone(const char *runner)
{
	char host[64], mine[64];
	long pid;
	unsigned long long start;
	int n = 0;

	if (runner == NULL ||
	    sscanf(runner, "%63[^:]:%ld:%llu%n", host, &pid, &start, &n) != 3 ||
	    runner[n] != '\0' || pid <= 0)
		return 0;
	host_name(mine, sizeof(mine));
	if (strcmp(host, mine) != 0)
		return 0;
	return start_time((pid_t)pid) != start;
}
