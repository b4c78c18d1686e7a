/* api_system.c - GET /api/health, the benchmarks' "hello" ceiling
 * (/_hello) and the test-only hooks. */
#include <time.h>

#include "answer.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "log.h"
#include "util.h"

void h_health(struct req *r)
{
	struct json_object *o = json_object_new_object();
	int up = db_ping(r->db) == DB_OK;

	json_object_object_add(o, "status",
	    json_object_new_string(up ? "ok" : "unavailable"));
	json_object_object_add(o, "db", json_object_new_string(up ? "ok" : "down"));
	if (!up)
		resp_header(r, "Retry-After", "5");
	resp_json(r, up ? 200 : 503, o);
}

void h_hello(struct req *r)
{
	resp_send(r, 200, "text/plain; charset=utf-8", "hello\n", 6);
}
/* test_mode only: hold the worker for ?ms= milliseconds (at most 10 s), so
 * tests can have requests in flight while they signal the server. */
void h_test_sleep(struct req *r)
{
	const char *ms = req_query(r, "ms");
	int64_t v = 100;
	struct timespec ts;

	if (ms != NULL && parse_i64(ms, 0, 10000, &v) != 0) {
		answer_error(r, PM_INVALID, "error.bad_query", NULL);
		return;
	}
	log_info("test sleep %lld ms", (long long)v);	/* tests wait for it */
	ts.tv_sec = v / 1000;
	ts.tv_nsec = (v % 1000) * 1000000;
	while (nanosleep(&ts, &ts) != 0)
		;
	resp_send(r, 200, "text/plain; charset=utf-8", "slept\n", 6);
}
