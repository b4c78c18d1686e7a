/* run_worker.h - the background runners of a worker process: run_threads
 * threads that take the items of golden runs (regressions, trials,
 * benchmarks) from the queue in MariaDB (run_queue.h) and run them
 * (run_item.h), never inside an HTTP request.
 *
 * Each thread runs one item at a time, blocking on the model on its own
 * libcurl multi handle (upstream.c's per-thread cache), like a request
 * thread would, but one that no request is waiting for: a run goes on
 * when the browser that started it leaves. The items of one account run
 * at most its plan's cap of runs at once across every process (the claim
 * counts them). When nothing is due the first thread looks again every
 * run_poll_ms and the others sleep until woken (a request of the process
 * queued a run, run_kick, or a thread found work) or ten times as long. Every 5 s, and when
 * the process starts, the items held by dead processes of this host (or
 * past their lease, any host) are queued again or marked interrupted.
 */
#ifndef PM_RUN_WORKER_H
#define PM_RUN_WORKER_H

struct db_pool;

/* Start run_threads runners on connections of pool. Returns 0, or -1
 * when no thread could start (logged; the process serves requests, and
 * the runners of other processes take the items). */
int run_worker_start(struct db_pool *pool);
/* Stop the runners: an item under way is cancelled and queued again;
 * the threads are joined. Accepts runners never started. */
void run_worker_stop(void);
/* Wake this process's idle runners: a run was just queued. */
void run_kick(void);

#endif
