/* runner.h - the identity of the process that runs something, and
 * whether such a process still runs: "host:pid:start", where start is the
 * process's start time in clock ticks since boot (/proc/PID/stat), so that
 * a pid used again by another process is not taken for it. */
#ifndef PM_RUNNER_H
#define PM_RUNNER_H

#define RUNNER_MAX	120

/* This process's identity (computed once per process; thread-safe after
 * the first call in each process). */
const char *runner_self(void);
/* Whether runner names a process of this host that no longer runs: 1, or
 * 0 when it still runs, belongs to another host or is not an identity. */
int runner_gone(const char *runner);

#endif
