/* benchmarks.h - what a model benchmark shows: the models ranked by pass
 * rate, then cost, and the chart of cost against latency, an SVG drawn
 * here on the server. Pure functions of a run object (golden_run_get). */
#ifndef PM_BENCHMARKS_H
#define PM_BENCHMARKS_H

#include <json-c/json.h>

#include "buf.h"

/* The models of benchmark run (borrowed, with its items) ranked: a new
 * array of {"rank","model","total","passed","pass_rate" (0..1),
 * "errors","cost_micros" (its samples' executions, judges apart),
 * "cost","judge_cost_micros","latency_ms","ttft_ms" (means of the
 * samples that answered, null when none),"input_tokens","output_tokens"},
 * by pass rate descending, then cost ascending, then model id. */
json_object *bench_ranking(json_object *run);

/* Append to out an SVG (role="img", with a <title>) plotting each model
 * of ranking (from bench_ranking) as a point: mean latency across, cost
 * up, labelled with its id; every label escaped. A model with no latency
 * is left out. */
void bench_chart_svg(json_object *ranking, struct buf *out);

#endif
