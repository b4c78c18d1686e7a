/* test_upstream.c - the OpenRouter client against the fake OpenRouter
 * (tests/fakes/openrouter.py, started here on a free port), and the exact
 * decimal and cost arithmetic of upstream.c and models.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "clock.h"
#include "models.h"
#include "msg.h"
#include "upstream.h"

#define FAKE_SCRIPT	"tests/fakes/openrouter.py"
#define PYTHON		"/usr/bin/python3"
#define KEY		"sk-or-v1-unit-test-key-0123456789"

static pid_t fake_pid = -1;
static char fake_dir[64];
static char base_url[128];	/* http://127.0.0.1:PORT/api/v1 */
static char root_url[128];	/* http://127.0.0.1:PORT */

/* ------------------------------------------------------------------ */
/* The fake's lifecycle */

static int start_fake(void **state)
{
	char port_file[128], line[32];
	int64_t deadline;
	FILE *f;

	(void)state;
	if (access(FAKE_SCRIPT, R_OK) != 0) {
		fprintf(stderr, "test_upstream: %s not found (run from the"
		    " source root)\n", FAKE_SCRIPT);
		return -1;
	}
	snprintf(fake_dir, sizeof(fake_dir), "/tmp/pm-fake-XXXXXX");
	if (mkdtemp(fake_dir) == NULL)
		return -1;
	snprintf(port_file, sizeof(port_file), "%s/port", fake_dir);
	if ((fake_pid = fork()) < 0)
		return -1;
	if (fake_pid == 0) {
		/* Die with the test, whatever happens to it. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execl(PYTHON, "python3", FAKE_SCRIPT, "--host", "127.0.0.1",
		    "--port", "0", "--port-file", port_file, "--key", KEY,
		    "--quiet", (char *)NULL);
		_exit(127);
	}
	deadline = clock_mono_us() + 15 * 1000000;
	while (clock_mono_us() < deadline) {
		if ((f = fopen(port_file, "r")) != NULL) {
			int port = 0;

			if (fgets(line, sizeof(line), f) != NULL)
				port = atoi(line);
			fclose(f);
			if (port > 0) {
				snprintf(root_url, sizeof(root_url),
				    "http://127.0.0.1:%d", port);
				snprintf(base_url, sizeof(base_url),
				    "http://127.0.0.1:%d/api/v1", port);
				return upstream_global_init();
			}
		}
		if (waitpid(fake_pid, NULL, WNOHANG) == fake_pid) {
			fake_pid = -1;
			return -1;
		}
		usleep(20000);
	}
	return -1;
}

static int stop_fake(void **state)
{
	char path[128];

	(void)state;
	upstream_global_cleanup();
	if (fake_pid > 0) {
		kill(fake_pid, SIGTERM);
		waitpid(fake_pid, NULL, 0);
		fake_pid = -1;
	}
	snprintf(path, sizeof(path), "%s/port", fake_dir);
	unlink(path);
	rmdir(fake_dir);
	return 0;
}

/* upstream_chat(), checking that its result is the refusal of the outcome
 * recorded in rs; returns that outcome (rs->status). */
static int chat(const struct upstream_req *rq, struct upstream_res *rs)
{
	struct pm_fail f = { 0 }, again = { 0 };
	int rc = upstream_chat(rq, rs, &f);

	assert_int_equal(rc, upstream_fail(rs, rq->timeout_ms, &again));
	assert_true(rc == 0 ? rs->status == UP_OK : f.key != NULL);
	return rs->status;
}

/* upstream_get_json() with the sentence of a failure in err. */
static int get_json(const char *base, const char *path, const char *key,
    json_object **out, struct buf *err)
{
	struct pm_fail f = { 0 };
	int rc = upstream_get_json(base, path, key, 5000, out, &f);

	if (rc != 0)
		pm_fail_text(rc, &f, err);
	pm_fail_clear(&f);
	return rc;
}

/* The fake's request log (an array, oldest first); caller frees. */
static json_object *fake_requests(void)
{
	struct buf err = { 0 };
	json_object *log = NULL;

	assert_int_equal(get_json(root_url, "/__fake/requests", NULL, &log,
	    &err), 0);
	buf_free(&err);
	assert_true(json_object_is_type(log, json_type_array));
	return log;
}

/* The newest entry of the request log whose last user message holds
 * marker (a copy the caller frees), waiting up to wait_ms for its outcome
 * to be no longer "in_progress". */
static json_object *fake_entry(const char *marker, int wait_ms)
{
	int64_t deadline = clock_mono_us() + (int64_t)wait_ms * 1000;

	for (;;) {
		json_object *log = fake_requests(), *found = NULL;
		size_t i = json_object_array_length(log);

		while (i-- > 0 && found == NULL) {
			json_object *e = json_object_array_get_idx(log, i);
			const char *body = json_object_to_json_string(
			    json_object_object_get(e, "body"));

			if (strstr(body, marker) != NULL)
				found = json_object_get(e);
		}
		json_object_put(log);
		assert_non_null(found);
		if (strcmp(json_object_get_string(json_object_object_get(found,
		    "outcome")), "in_progress") != 0 ||
		    clock_mono_us() > deadline)
			return found;
		json_object_put(found);
		usleep(50000);
	}
}

/* ------------------------------------------------------------------ */
/* Calls */

struct collect {
	struct buf	 text;
	int		 calls;
	int		 cancel_after;	/* cancel at this delta, 0 never */
	int64_t		 cancel_at_us;	/* should_cancel after, 0 never */
	int64_t		 first_us;
};

static int on_delta(void *arg, const char *text, size_t len)
{
	struct collect *c = arg;

	assert_true(len > 0);
	if (c->calls++ == 0)
		c->first_us = clock_mono_us();
	buf_append(&c->text, text, len);
	return c->cancel_after > 0 && c->calls >= c->cancel_after;
}

static int should_cancel(void *arg)
{
	struct collect *c = arg;

	return c->cancel_at_us > 0 && clock_mono_us() >= c->cancel_at_us;
}

/* Call the fake with one user message; params may be NULL. */
static int call(const char *user, int stream, json_object *params,
    long timeout_ms, struct collect *c, struct upstream_res *rs)
{
	struct upstream_req rq = { 0 };
	json_object *msgs = json_object_new_array(), *m;
	int st;

	m = json_object_new_object();
	json_object_object_add(m, "role", json_object_new_string("system"));
	json_object_object_add(m, "content", json_object_new_string("Be brief."));
	json_object_array_add(msgs, m);
	m = json_object_new_object();
	json_object_object_add(m, "role", json_object_new_string("user"));
	json_object_object_add(m, "content", json_object_new_string(user));
	json_object_array_add(msgs, m);
	rq.base_url = base_url;
	rq.api_key = KEY;
	rq.model = "openai/gpt-4o-mini";
	rq.messages = msgs;
	rq.params = params;
	rq.stream = stream;
	rq.connect_timeout_ms = 2000;
	rq.timeout_ms = timeout_ms;
	rq.app_referer = "https://pm.example.test/";
	rq.on_delta = on_delta;
	rq.should_cancel = should_cancel;
	rq.arg = c;
	st = chat(&rq, rs);
	json_object_put(msgs);
	assert_int_equal(st, rs->status);
	assert_null(strstr(rs->error_message, KEY));
	return st;
}

/* words in s separated by single spaces: the fake's token count */
static int64_t words(const char *s)
{
	int64_t n = 0;
	int in = 0;

	for (; *s; s++) {
		if (*s == ' ')
			in = 0;
		else if (!in) {
			in = 1;
			n++;
		}
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* Successful calls */

static void test_json_success(void **state)
{
	struct collect c = { 0 };
	struct upstream_res rs = { 0 };
	json_object *params = json_tokener_parse("{\"temperature\":0.5,"
	    "\"top_p\":0.9,\"max_tokens\":50,\"stop\":[\"END\"],"
	    "\"ignored\":1}"), *e, *body, *hdrs;
	const char *user = "hello json world";
	int64_t pt = words("Be brief.") + words(user) + 8, ct = 4;

	(void)state;
	assert_int_equal(call(user, 0, params, 10000, &c, &rs), UP_OK);
	assert_int_equal(rs.http_status, 200);
	assert_string_equal(rs.output.data, "echo: hello json world");
	assert_string_equal(c.text.data, "echo: hello json world");
	assert_int_equal(c.calls, 1);
	assert_string_equal(rs.finish_reason, "stop");
	assert_int_equal(rs.prompt_tokens, pt);
	assert_int_equal(rs.completion_tokens, ct);
	assert_true(rs.has_cost);
	/* 0.00000015 * pt + 0.0000006 * ct USD, in micro-dollars, up. */
	assert_int_equal(rs.cost_micros, (150 * pt + 600 * ct + 999) / 1000);
	assert_memory_equal(rs.upstream_id, "gen-", 4);
	assert_int_equal(rs.retry_after, -1);
	assert_true(rs.ttft_us >= 0 && rs.ttft_us <= rs.latency_us);
	assert_string_equal(rs.error_message, "");
	e = fake_entry(user, 0);
	body = json_object_object_get(e, "body");
	hdrs = json_object_object_get(e, "headers");
	assert_string_equal(json_object_get_string(json_object_object_get(body,
	    "model")), "openai/gpt-4o-mini");
	assert_false(json_object_get_boolean(json_object_object_get(body,
	    "stream")));
	assert_int_equal(json_object_get_int(json_object_object_get(body,
	    "max_tokens")), 50);
	assert_string_equal(json_object_get_string(json_object_object_get(body,
	    "temperature")), "0.5");
	assert_string_equal(json_object_to_json_string(json_object_object_get(
	    body, "stop")), "[ \"END\" ]");
	assert_non_null(json_object_object_get(body, "top_p"));
	assert_null(json_object_object_get(body, "ignored"));
	assert_null(json_object_object_get(body, "usage"));
	assert_string_equal(json_object_get_string(json_object_object_get(hdrs,
	    "X-Title")), UPSTREAM_APP_TITLE);
	assert_string_equal(json_object_get_string(json_object_object_get(hdrs,
	    "HTTP-Referer")), "https://pm.example.test/");
	assert_string_equal(json_object_get_string(json_object_object_get(hdrs,
	    "Content-Type")), "application/json");
	assert_string_equal(json_object_get_string(json_object_object_get(e,
	    "key_label")), "sk-or-v1-..." "6789");
	assert_string_equal(json_object_get_string(json_object_object_get(e,
	    "outcome")), "completed");
	json_object_put(e);
	json_object_put(params);
	upstream_res_free(&rs);
	buf_free(&c.text);
}

static void test_stream_success(void **state)
{
	struct collect c = { 0 };
	struct upstream_res rs = { 0 };
	json_object *e, *body;
	const char *user = "stream me [[fake:words=6,unknown_fields=1,"
	    "delay_ms=250,chunk_delay_ms=20]]";

	(void)state;
	assert_int_equal(call(user, 1, NULL, 10000, &c, &rs), UP_OK);
	assert_int_equal(rs.http_status, 200);
	assert_string_equal(rs.output.data, "w1 w2 w3 w4 w5 w6");
	assert_string_equal(c.text.data, "w1 w2 w3 w4 w5 w6");
	assert_int_equal(c.calls, 6);		/* one delta per word */
	assert_string_equal(rs.finish_reason, "stop");
	assert_int_equal(rs.prompt_tokens, words("Be brief.") + words(user) + 8);
	assert_int_equal(rs.completion_tokens, 6);
	assert_true(rs.has_cost);
	assert_true(rs.cost_micros >= 1);
	/* The first word came after the delay, well before the end. */
	assert_true(rs.ttft_us >= 200000);
	assert_true(rs.ttft_us < rs.latency_us);
	/* One comment at once, then one per 100 ms of delay. */
	assert_true(rs.keepalives >= 3);
	assert_memory_equal(rs.upstream_id, "gen-", 4);
	e = fake_entry("stream me", 0);
	body = json_object_object_get(e, "body");
	assert_true(json_object_get_boolean(json_object_object_get(body,
	    "stream")));
	assert_true(json_object_get_boolean(json_object_object_get(
	    json_object_object_get(body, "usage"), "include")));
	assert_string_equal(json_object_get_string(json_object_object_get(e,
	    "outcome")), "completed");
	json_object_put(e);
	upstream_res_free(&rs);
	buf_free(&c.text);
}

/* The stream and the JSON answer give the same text and usage. */
static void test_stream_equals_json(void **state)
{
	struct collect c1 = { 0 }, c2 = { 0 };
	struct upstream_res a = { 0 }, b = { 0 };
	const char *user = "same \"quoted\" text, with unicode \xc3\xa9\xe2\x82\xac"
	    " and\nnew lines";

	(void)state;
	assert_int_equal(call(user, 0, NULL, 10000, &c1, &a), UP_OK);
	assert_int_equal(call(user, 1, NULL, 10000, &c2, &b), UP_OK);
	assert_int_equal(a.output.len, b.output.len);
	assert_memory_equal(a.output.data, b.output.data, a.output.len);
	assert_int_equal(a.prompt_tokens, b.prompt_tokens);
	assert_int_equal(a.completion_tokens, b.completion_tokens);
	assert_int_equal(a.cost_micros, b.cost_micros);
	assert_true(c2.calls > 1);
	upstream_res_free(&a);
	upstream_res_free(&b);
	buf_free(&c1.text);
	buf_free(&c2.text);
}

static void test_no_cost(void **state)
{
	struct collect c = { 0 };
	struct upstream_res rs = { 0 };
	int stream;

	(void)state;
	for (stream = 0; stream <= 1; stream++) {
		assert_int_equal(call("[[fake:no_cost=1,words=3]]", stream,
		    NULL, 10000, &c, &rs), UP_OK);
		assert_false(rs.has_cost);
		assert_int_equal(rs.cost_micros, 0);
		assert_int_equal(rs.completion_tokens, 3);
		assert_true(rs.prompt_tokens > 0);
		upstream_res_free(&rs);
	}
	buf_free(&c.text);
}

/* The max_tokens cut: finish_reason "length" is a success. */
static void test_length(void **state)
{
	struct collect c = { 0 };
	struct upstream_res rs = { 0 };
	json_object *params = json_tokener_parse("{\"max_tokens\":2}");

	(void)state;
	assert_int_equal(call("[[fake:words=9]]", 1, params, 10000, &c, &rs),
	    UP_OK);
	assert_string_equal(rs.output.data, "w1 w2");
	assert_string_equal(rs.finish_reason, "length");
	json_object_put(params);
	upstream_res_free(&rs);
	buf_free(&c.text);
}

/* Leading whitespace before a JSON answer (a gateway's keep-alive). */
static void test_ws_keepalive(void **state)
{
	struct collect c = { 0 };
	struct upstream_res rs = { 0 };

	(void)state;
	assert_int_equal(call("[[fake:ws_keepalive=1,delay_ms=250,words=2]]",
	    0, NULL, 10000, &c, &rs), UP_OK);
	assert_string_equal(rs.output.data, "w1 w2");
	upstream_res_free(&rs);
	buf_free(&c.text);
}

/* ------------------------------------------------------------------ */
/* Failures */

static void test_http_errors(void **state)
{
	static const struct {
		const char	*user;
		long		 status;
		int		 retry_after;
		const char	*message;
	} cases[] = {
		{ "[[fake:status=429,retry_after=7]]", 429, 7,
		  "Rate limit exceeded" },
		{ "[[fake:status=429]]", 429, 7, "Rate limit exceeded" },
		{ "[[fake:status=502]]", 502, -1, "Upstream provider error" },
		{ "[[fake:status=503]]", 503, -1, "No available provider" },
		{ "[[fake:status=402]]", 402, -1, "Insufficient credits" },
		{ "[[fake:status=503,retry_after=30,message=try later]]", 503,
		  30, "try later" },
		/* A provider message quoting the key never shows it. */
		{ "[[fake:status=400,message=bad key " KEY " here]]", 400, -1,
		  "bad key [redacted] here" },
	};
	struct collect c = { 0 };
	struct upstream_res rs = { 0 };
	size_t i;
	int stream;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (stream = 0; stream <= 1; stream++) {
			assert_int_equal(call(cases[i].user, stream, NULL,
			    10000, &c, &rs), UP_HTTP_ERROR);
			assert_int_equal(rs.http_status, cases[i].status);
			assert_int_equal(rs.retry_after, cases[i].retry_after);
			assert_string_equal(rs.error_message,
			    cases[i].message);
			assert_int_equal(rs.output.len, 0);
			upstream_res_free(&rs);
		}
	}
	buf_free(&c.text);
}

static void test_bad_key(void **state)
{
	struct upstream_req rq = { 0 };
	struct upstream_res rs = { 0 };
	json_object *msgs = json_tokener_parse("[{\"role\":\"user\","
	    "\"content\":\"hi\"}]");

	(void)state;
	rq.base_url = base_url;
	rq.api_key = "sk-or-v1-wrong-key-but-long-enough";
	rq.model = "openai/gpt-4o-mini";
	rq.messages = msgs;
	rq.timeout_ms = 10000;
	assert_int_equal(chat(&rq, &rs), UP_HTTP_ERROR);
	assert_int_equal(rs.http_status, 401);
	assert_string_equal(rs.error_message, "No auth credentials found");
	upstream_res_free(&rs);
	/* No key at all. */
	rq.api_key = NULL;
	assert_int_equal(chat(&rq, &rs), UP_HTTP_ERROR);
	assert_int_equal(rs.http_status, 401);
	upstream_res_free(&rs);
	/* A key that cannot go into a header is refused before sending. */
	rq.api_key = "sk-bad\r\nX-Injected: 1";
	assert_int_equal(chat(&rq, &rs), UP_INVALID);
	assert_null(strstr(rs.error_message, "Injected"));
	upstream_res_free(&rs);
	rq.api_key = KEY;
	rq.model = NULL;
	assert_int_equal(chat(&rq, &rs), UP_INVALID);
	upstream_res_free(&rs);
	json_object_put(msgs);
}

static void test_timeout(void **state)
{
	struct collect c = { 0 };
	struct upstream_res rs = { 0 };
	int stream;

	(void)state;
	for (stream = 0; stream <= 1; stream++) {
		int64_t t0 = clock_mono_us();

		assert_int_equal(call("[[fake:delay_ms=5000]]", stream, NULL,
		    400, &c, &rs), UP_TIMEOUT);
		assert_true(clock_mono_us() - t0 < 1500000);
		assert_true(rs.latency_us >= 350000);
		assert_true(rs.error_message[0] != '\0');
		if (stream) {
			assert_int_equal(rs.http_status, 200);
			assert_true(rs.keepalives >= 2);
		}
		upstream_res_free(&rs);
	}
	/* A stream that times out keeps the words received. */
	assert_int_equal(call("[[fake:words=50,chunk_delay_ms=100]]", 1, NULL,
	    450, &c, &rs), UP_TIMEOUT);
	assert_true(rs.output.len > 0);
	assert_memory_equal(rs.output.data, "w1 ", 3);
	assert_true(rs.ttft_us >= 0);
	upstream_res_free(&rs);
	buf_free(&c.text);
}

static void test_connect_error(void **state)
{
	struct upstream_req rq = { 0 };
	struct upstream_res rs = { 0 };
	struct sockaddr_in sa = { 0 };
	socklen_t len = sizeof(sa);
	json_object *msgs = json_tokener_parse("[{\"role\":\"user\","
	    "\"content\":\"hi\"}]");
	char url[64];
	int s = socket(AF_INET, SOCK_STREAM, 0);

	(void)state;
	/* A port that was free a moment ago: nobody listens there. */
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &len), 0);
	close(s);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1",
	    ntohs(sa.sin_port));
	rq.base_url = url;
	rq.api_key = KEY;
	rq.model = "openai/gpt-4o-mini";
	rq.messages = msgs;
	rq.timeout_ms = 5000;
	assert_int_equal(chat(&rq, &rs), UP_CONNECT);
	assert_int_equal(rs.http_status, 0);
	assert_true(rs.error_message[0] != '\0');
	upstream_res_free(&rs);
	json_object_put(msgs);
}

static void test_garbage(void **state)
{
	struct collect c = { 0 };
	struct upstream_res rs = { 0 };
	int stream;

	(void)state;
	for (stream = 0; stream <= 1; stream++) {
		assert_int_equal(call("[[fake:garbage=1]]", stream, NULL, 10000,
		    &c, &rs), UP_BAD_RESPONSE);
		assert_int_equal(rs.http_status, 200);
		assert_true(rs.error_message[0] != '\0');
		upstream_res_free(&rs);
	}
	buf_free(&c.text);
}

static void test_dropped(void **state)
{
	static const char *const users[] = {
		"[[fake:words=5,drop_after=2]]",
		"[[fake:words=5,drop_after=2,drop_rst=1]]",
		"[[fake:words=5,drop_after=2,framing=close]]",
	};
	struct collect c = { 0 };
	struct upstream_res rs = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		assert_int_equal(call(users[i], 1, NULL, 10000, &c, &rs),
		    UP_DROPPED);
		assert_string_equal(rs.output.data, "w1 w2 ");
		assert_int_equal(rs.http_status, 200);
		assert_string_equal(rs.finish_reason, "");
		assert_int_equal(rs.prompt_tokens, -1);
		upstream_res_free(&rs);
	}
	/* Non-streaming: the connection closes without an answer. */
	assert_int_equal(call("[[fake:drop_after=0]]", 0, NULL, 10000, &c,
	    &rs), UP_DROPPED);
	assert_int_equal(rs.output.len, 0);
	upstream_res_free(&rs);
	buf_free(&c.text);
}

static void test_stream_errors(void **state)
{
	struct collect c = { 0 };
	struct upstream_res rs = { 0 };
	int stream;

	(void)state;
	for (stream = 0; stream <= 1; stream++) {
		assert_int_equal(call("[[fake:words=5,error_chunk_after=2]]",
		    stream, NULL, 10000, &c, &rs), UP_STREAM_ERROR);
		assert_int_equal(rs.http_status, 200);
		assert_string_equal(rs.output.data, "w1 w2 ");
		assert_string_equal(rs.error_message, "Provider disconnected");
		assert_string_equal(rs.finish_reason, "error");
		upstream_res_free(&rs);
		assert_int_equal(call("[[fake:words=3,error_chunk_after=1,"
		    "message=model crashed]]", stream, NULL, 10000, &c, &rs),
		    UP_STREAM_ERROR);
		assert_string_equal(rs.error_message, "model crashed");
		assert_string_equal(rs.output.data, "w1 ");
		upstream_res_free(&rs);
		/* finish_reason "error" alone; the usage still counts. */
		assert_int_equal(call("[[fake:words=3,finish_error=1]]", stream,
		    NULL, 10000, &c, &rs), UP_STREAM_ERROR);
		assert_string_equal(rs.output.data, "w1 w2 w3");
		assert_string_equal(rs.finish_reason, "error");
		assert_true(rs.error_message[0] != '\0');
		assert_int_equal(rs.completion_tokens, 3);
		assert_true(rs.has_cost);
		upstream_res_free(&rs);
	}
	buf_free(&c.text);
}

/* on_delta asks to stop: the transfer ends at once and the fake sees the
 * client go away. */
static void test_cancel_on_delta(void **state)
{
	struct collect c = { { 0 }, 0, 2, 0, 0 };
	struct upstream_res rs = { 0 };
	json_object *e;
	int64_t t0 = clock_mono_us();

	(void)state;
	assert_int_equal(call("cancel-delta [[fake:words=100,"
	    "chunk_delay_ms=50]]", 1, NULL, 20000, &c, &rs), UP_CANCELLED);
	assert_int_equal(c.calls, 2);
	assert_string_equal(rs.output.data, "w1 w2 ");
	/* Stopped right after the second word, not after 100 * 50 ms (the
	 * bound leaves room for a loaded machine and the sanitizers). */
	assert_true(clock_mono_us() - c.first_us < 1000000);
	assert_true(clock_mono_us() - t0 < 2000000);
	e = fake_entry("cancel-delta", 3000);
	assert_string_equal(json_object_get_string(json_object_object_get(e,
	    "outcome")), "disconnected");
	assert_true(json_object_get_int(json_object_object_get(e,
	    "chunks_sent")) < 10);
	json_object_put(e);
	upstream_res_free(&rs);
	buf_free(&c.text);
}

/* should_cancel turns true while the upstream is silent (a long delay
 * with keep-alives, or no byte at all): stopped within the poll period. */
static void test_cancel_polled(void **state)
{
	struct collect c = { 0 };
	struct upstream_res rs = { 0 };
	json_object *e;
	int stream;

	(void)state;
	for (stream = 0; stream <= 1; stream++) {
		int64_t t0 = clock_mono_us();
		char user[64];

		snprintf(user, sizeof(user), "cancel-poll-%d"
		    " [[fake:delay_ms=5000]]", stream);
		c.cancel_at_us = t0 + 300000;
		assert_int_equal(call(user, stream, NULL, 20000, &c, &rs),
		    UP_CANCELLED);
		assert_true(clock_mono_us() - t0 < 300000 +
		    6 * UPSTREAM_POLL_MS * 1000);	/* not the 5 s delay */
		upstream_res_free(&rs);
		snprintf(user, sizeof(user), "cancel-poll-%d", stream);
		e = fake_entry(user, 3000);
		assert_string_equal(json_object_get_string(
		    json_object_object_get(e, "outcome")), "disconnected");
		json_object_put(e);
	}
	buf_free(&c.text);
}

/* The connection is reused after a complete call, replaced after a
 * cancelled one: calls keep working either way. */
static void test_reuse(void **state)
{
	struct collect c = { 0 };
	struct upstream_res rs = { 0 };
	int i;

	(void)state;
	for (i = 0; i < 5; i++) {
		assert_int_equal(call("again [[fake:words=2]]", i % 2, NULL,
		    10000, &c, &rs), UP_OK);
		assert_string_equal(rs.output.data, "w1 w2");
		upstream_res_free(&rs);
	}
	buf_free(&c.text);
}

static void test_get_json(void **state)
{
	struct buf err = { 0 };
	json_object *doc = NULL, *data;

	(void)state;
	assert_int_equal(get_json(base_url, "/models", NULL, &doc, &err), 0);
	data = json_object_object_get(doc, "data");
	assert_true(json_object_array_length(data) >= 5);
	json_object_put(doc);
	assert_int_equal(get_json(base_url, "/key", KEY, &doc, &err), 0);
	assert_non_null(json_object_object_get(json_object_object_get(doc,
	    "data"), "usage"));
	json_object_put(doc);
	assert_int_equal(buf_cstr(&err)[0], '\0');
	/* Wrong key: the provider's message, never the key. */
	assert_int_equal(get_json(base_url, "/key",
	    "sk-or-v1-not-the-right-key", &doc, &err), PM_UPSTREAM);
	assert_null(doc);
	assert_non_null(strstr(buf_cstr(&err), "401"));
	assert_non_null(strstr(buf_cstr(&err), "No auth credentials found"));
	assert_null(strstr(buf_cstr(&err), "not-the-right-key"));
	buf_reset(&err);
	assert_int_equal(get_json(base_url, "/nope", KEY, &doc, &err), PM_UPSTREAM);
	assert_non_null(strstr(buf_cstr(&err), "404"));
	buf_free(&err);
}

int main(void)
{
	struct buf err = { 0 };
	const struct CMUnitTest fake[] = {
		cmocka_unit_test(test_json_success),
		cmocka_unit_test(test_stream_success),
		cmocka_unit_test(test_stream_equals_json),
		cmocka_unit_test(test_no_cost),
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_ws_keepalive),
		cmocka_unit_test(test_http_errors),
		cmocka_unit_test(test_bad_key),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_connect_error),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_dropped),
		cmocka_unit_test(test_stream_errors),
		cmocka_unit_test(test_cancel_on_delta),
		cmocka_unit_test(test_cancel_polled),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_get_json),
	};
	int failed;

	/* Failures are told in the catalog's sentences. */
	if (msg_load("templates", "en", &err) != 0) {
		fprintf(stderr, "%s (run from the repository root)\n", buf_cstr(&err));
		return 1;
	}
	failed = cmocka_run_group_tests_name("fake_openrouter", fake,
	    start_fake, stop_fake);
	return failed != 0;
}
