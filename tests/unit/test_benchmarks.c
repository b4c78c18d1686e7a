/* test_benchmarks.c - a benchmark's ranking (pass rate, then cost, then
 * model id; means of latency and time to first token over the samples
 * that answered) and its SVG chart (one point per model that answered,
 * every label escaped). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "benchmarks.h"
#include "buf.h"

/* A run object as golden_run_get gives it, from items "model status cost
 * latency ttft" (latency -1: no answer). */
static json_object *run_of(const char *const *items, size_t n)
{
	json_object *run = json_object_new_object(), *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++) {
		char model[64], status[16];
		long long cost, lat, ttft;
		json_object *it = json_object_new_object();

		assert_int_equal(sscanf(items[i], "%63s %15s %lld %lld %lld", model,
		    status, &cost, &lat, &ttft), 5);
		json_object_object_add(it, "model", json_object_new_string(model));
		json_object_object_add(it, "status", json_object_new_string(status));
		json_object_object_add(it, "cost_micros", json_object_new_int64(cost));
		json_object_object_add(it, "judge_cost_micros", json_object_new_int64(1));
		json_object_object_add(it, "input_tokens", json_object_new_int64(10));
		json_object_object_add(it, "output_tokens", json_object_new_int64(5));
		if (lat >= 0) {
			json_object_object_add(it, "output", json_object_new_string("x"));
			json_object_object_add(it, "latency_ms", json_object_new_int64(lat));
			json_object_object_add(it, "ttft_ms", json_object_new_int64(ttft));
		}
		json_object_array_add(a, it);
	}
	json_object_object_add(run, "items", a);
	return run;
}

static const char *model_at(json_object *r, size_t i)
{
	return json_object_get_string(json_object_object_get(
	    json_object_array_get_idx(r, i), "model"));
}

static int64_t num_at(json_object *r, size_t i, const char *k)
{
	return json_object_get_int64(json_object_object_get(
	    json_object_array_get_idx(r, i), k));
}

static void test_rank_by_pass_rate_then_cost(void **state)
{
	static const char *const items[] = {
		"b/cheap passed 10 100 10", "a/dear passed 90 300 30",
		"c/bad failed 1 50 5",
		"b/cheap failed 10 300 30", "a/dear passed 90 100 10",
		"c/bad error 0 -1 -1",
	};
	json_object *run = run_of(items, 6), *r = bench_ranking(run);

	(void)state;
	assert_int_equal(json_object_array_length(r), 3);
	assert_string_equal(model_at(r, 0), "a/dear");		/* 2 of 2 */
	assert_string_equal(model_at(r, 1), "b/cheap");		/* 1 of 2 */
	assert_string_equal(model_at(r, 2), "c/bad");		/* 0 of 2 */
	assert_int_equal(num_at(r, 0, "rank"), 1);
	assert_int_equal(num_at(r, 0, "passed"), 2);
	assert_int_equal(num_at(r, 0, "cost_micros"), 180);
	assert_int_equal(num_at(r, 0, "judge_cost_micros"), 2);
	assert_int_equal(num_at(r, 0, "latency_ms"), 200);
	assert_int_equal(num_at(r, 0, "ttft_ms"), 20);
	assert_int_equal(num_at(r, 0, "input_tokens"), 20);
	/* c answered once: its means are of that one */
	assert_int_equal(num_at(r, 2, "latency_ms"), 50);
	assert_int_equal(num_at(r, 2, "errors"), 1);
	assert_true(json_object_get_double(json_object_object_get(
	    json_object_array_get_idx(r, 1), "pass_rate")) == 0.5);
	json_object_put(r);
	json_object_put(run);
}

static void test_equal_pass_rate_cheapest_first_then_by_id(void **state)
{
	static const char *const items[] = {
		"z/two passed 5 10 1", "y/one passed 5 10 1", "x/dear passed 9 10 1",
	};
	json_object *run = run_of(items, 3), *r = bench_ranking(run);

	(void)state;
	assert_string_equal(model_at(r, 0), "y/one");
	assert_string_equal(model_at(r, 1), "z/two");
	assert_string_equal(model_at(r, 2), "x/dear");
	json_object_put(r);
	json_object_put(run);
}

static void test_chart_escapes_labels_and_skips_silent_models(void **state)
{
	static const char *const items[] = {
		"evil/<script>&\"x\" passed 100 400 10", "quiet/m error 0 -1 -1",
		"fast/m passed 0 0 0",
	};
	json_object *run = run_of(items, 3), *r = bench_ranking(run);
	struct buf svg = { 0 };
	const char *s;

	(void)state;
	bench_chart_svg(r, &svg);
	s = buf_cstr(&svg);
	assert_true(strncmp(s, "<svg ", 5) == 0);
	assert_non_null(strstr(s, "</svg>"));
	assert_null(strstr(s, "<script>"));
	assert_non_null(strstr(s, "evil/&lt;script&gt;&amp;&quot;x&quot;"));
	assert_null(strstr(s, "quiet/m"));
	/* two points: the dearest and slowest at the top right of the plot
	 * (x = 80 + 540, y = 360 - 50 - 290), the free one at the origin */
	assert_non_null(strstr(s, "cx=\"620\" cy=\"20\""));
	assert_non_null(strstr(s, "cx=\"80\" cy=\"310\""));
	buf_free(&svg);
	json_object_put(r);
	json_object_put(run);
}

static void test_empty_run(void **state)
{
	json_object *run = run_of(NULL, 0), *r = bench_ranking(run);
	struct buf svg = { 0 };

	(void)state;
	assert_int_equal(json_object_array_length(r), 0);
	bench_chart_svg(r, &svg);
	assert_null(strstr(buf_cstr(&svg), "<circle"));
	buf_free(&svg);
	json_object_put(r);
	json_object_put(run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rank_by_pass_rate_then_cost),
		cmocka_unit_test(test_equal_pass_rate_cheapest_first_then_by_id),
		cmocka_unit_test(test_chart_escapes_labels_and_skips_silent_models),
		cmocka_unit_test(test_empty_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
