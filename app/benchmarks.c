/* benchmarks.c - a benchmark's ranking and chart (see benchmarks.h). */
#include "benchmarks.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "jsonx.h"
#include "money.h"
#include "msg.h"
#include "util.h"

/* The chart's size and margins, in SVG units. */
#define W	640
#define H	360
#define ML	80
#define MR	20
#define MT	20
#define MB	50

struct tally {
	const char	*model;
	int64_t		 total, passed, errors, cost, judge, in, out;
	int64_t		 latency, ttft, answered, with_ttft;
};

static int64_t num(json_object *o, const char *k)
{
	return json_object_get_int64(json_object_object_get(o, k));
}

static struct tally *tally_of(struct tally *t, size_t *n, const char *model)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp(t[i].model, model) == 0)
			return &t[i];
	memset(&t[*n], 0, sizeof(t[*n]));
	t[*n].model = model;
	return &t[(*n)++];
}

static double rate(const struct tally *t)
{
	return t->total ? (double)t->passed / (double)t->total : 0;
}

static int by_rank(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;
	double rx = rate(x), ry = rate(y);

	if (rx != ry)
		return rx > ry ? -1 : 1;
	if (x->cost != y->cost)
		return x->cost < y->cost ? -1 : 1;
	return strcmp(x->model, y->model);
}

json_object *bench_ranking(json_object *run)
{
	json_object *items = json_object_object_get(run, "items"), *a;
	size_t n = 0, i, len = json_object_array_length(items);
	struct tally *t = xcalloc(len ? len : 1, sizeof(*t));
	char m[40];

	for (i = 0; i < len; i++) {
		json_object *it = json_object_array_get_idx(items, i);
		const char *st = json_str_member(it, "status", NULL);
		struct tally *e = tally_of(t, &n, json_str_member(it, "model", NULL));

		e->total++;
		e->passed += strcmp(st, "passed") == 0;
		e->errors += strcmp(st, "error") == 0;
		e->cost += num(it, "cost_micros");
		e->judge += num(it, "judge_cost_micros");
		e->in += num(it, "input_tokens");
		e->out += num(it, "output_tokens");
		if (json_object_object_get(it, "latency_ms") != NULL &&
		    json_object_object_get(it, "output") != NULL) {
			e->latency += num(it, "latency_ms");
			e->answered++;
		}
		if (json_object_object_get(it, "ttft_ms") != NULL) {
			e->ttft += num(it, "ttft_ms");
			e->with_ttft++;
		}
	}
	qsort(t, n, sizeof(*t), by_rank);
	a = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "rank", json_object_new_int64((int64_t)i + 1));
		json_object_object_add(o, "model", json_object_new_string(t[i].model));
		json_object_object_add(o, "total", json_object_new_int64(t[i].total));
		json_object_object_add(o, "passed", json_object_new_int64(t[i].passed));
		json_object_object_add(o, "pass_rate", json_new_double(
		    (double)(int64_t)(rate(&t[i]) * 10000 + 0.5) / 10000));
		json_object_object_add(o, "errors", json_object_new_int64(t[i].errors));
		json_object_object_add(o, "cost_micros", json_object_new_int64(t[i].cost));
		money_micros(t[i].cost, m, sizeof(m));
		json_object_object_add(o, "cost", json_object_new_string(m));
		json_object_object_add(o, "judge_cost_micros",
		    json_object_new_int64(t[i].judge));
		json_object_object_add(o, "latency_ms", t[i].answered ?
		    json_object_new_int64(t[i].latency / t[i].answered) : NULL);
		json_object_object_add(o, "ttft_ms", t[i].with_ttft ?
		    json_object_new_int64(t[i].ttft / t[i].with_ttft) : NULL);
		json_object_object_add(o, "input_tokens", json_object_new_int64(t[i].in));
		json_object_object_add(o, "output_tokens",
		    json_object_new_int64(t[i].out));
		json_object_array_add(a, o);
	}
	free(t);
	return a;
}

/* The position of v in [0, max] on an axis of length len (0 when max is
 * 0: every point on the axis). */
static int64_t scale(int64_t v, int64_t max, int64_t len)
{
	return max > 0 ? v * len / max : 0;
}

void bench_chart_svg(json_object *ranking, struct buf *out)
{
	size_t i, n = json_object_array_length(ranking);
	int64_t max_lat = 0, max_cost = 0, pw = W - ML - MR, ph = H - MT - MB;
	const char *title = msg_get("runs.chart_title");
	char m[40];

	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(ranking, i);

		if (num(o, "latency_ms") > max_lat)
			max_lat = num(o, "latency_ms");
		if (num(o, "cost_micros") > max_cost)
			max_cost = num(o, "cost_micros");
	}
	buf_printf(out, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\""
	    " viewBox=\"0 0 %d %d\" role=\"img\" aria-labelledby=\"chart-title\">"
	    "<title id=\"chart-title\">", W, H);
	esc_html(out, title, strlen(title));
	buf_printf(out, "</title><g class=\"axes\"><line x1=\"%d\" y1=\"%d\""
	    " x2=\"%d\" y2=\"%d\"/><line x1=\"%d\" y1=\"%d\" x2=\"%d\""
	    " y2=\"%d\"/></g>", ML, H - MB, W - MR, H - MB, ML, MT, ML, H - MB);
	buf_printf(out, "<text class=\"axis-label\" x=\"%d\" y=\"%d\""
	    " text-anchor=\"middle\">", ML + (int)pw / 2, H - 12);
	esc_html(out, msg_get("runs.chart_x"), strlen(msg_get("runs.chart_x")));
	buf_printf(out, " (0–%lld ms)</text>", (long long)max_lat);
	money_human(max_cost, m, sizeof(m));
	buf_printf(out, "<text class=\"axis-label\" x=\"14\" y=\"%d\""
	    " transform=\"rotate(-90 14 %d)\" text-anchor=\"middle\">",
	    MT + (int)ph / 2, MT + (int)ph / 2);
	esc_html(out, msg_get("runs.chart_y"), strlen(msg_get("runs.chart_y")));
	buf_printf(out, " (0–%s)</text>", m);
	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(ranking, i);
		const char *model = json_str_member(o, "model", NULL);
		int64_t x, y;

		if (json_object_object_get(o, "latency_ms") == NULL)
			continue;
		x = ML + scale(num(o, "latency_ms"), max_lat, pw);
		y = H - MB - scale(num(o, "cost_micros"), max_cost, ph);
		buf_printf(out, "<g class=\"point\"><circle cx=\"%lld\" cy=\"%lld\""
		    " r=\"6\"/><text x=\"%lld\" y=\"%lld\"%s>", (long long)x,
		    (long long)y, (long long)(x > W / 2 ? x - 10 : x + 10),
		    (long long)(y - 10 < MT + 10 ? y + 20 : y - 10),
		    x > W / 2 ? " text-anchor=\"end\"" : "");
		esc_html(out, model, strlen(model));
		buf_puts(out, "</text></g>");
	}
	buf_puts(out, "</svg>");
}
