"""Model benchmarks: one version on several models at once, against every
golden sample or one set of variable values, side by side (output,
checks, latency, time to first token, tokens, cost), ranked by pass rate
then cost, with the SVG chart drawn on the server; kept, listed and
re-opened; only the models the plan allows."""
import re
import secrets
import unittest

from tests.integration.stack import Stack, api, new_user
from tests.integration.test_byok import configure, fake_keys, load_catalog
from tests.integration.test_regressions import (FREE_MODEL, PAID_MODEL, add_sample,
                                                make_prompt, patient, wait_run)

MODELS = [PAID_MODEL, "openai/gpt-4o-mini", FREE_MODEL]


class BenchmarkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="both", workers=2, settings={
            "run_threads": "4", "run_poll_ms": "200", "run_wait_seconds": "15"})
        cls.stack.start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_three_models_side_by_side_ranked_with_the_chart(self):
        c = new_user(self.stack, plan="PRO")
        slug = make_prompt(c)
        add_sample(self.stack, c, slug, "short", {"topic": "tides"},
                   [{"type": "contains", "value": "tides"}])
        add_sample(self.stack, c, slug, "long", {"topic": "moon"},
                   [{"type": "word-count", "max": 3}])
        r = api(patient(c), "POST", "/api/v1/prompts/%s/benchmarks" % slug,
                {"version": 1, "models": MODELS, "wait": True})
        self.assertEqual(r.status, 200, r.text)
        o = r.json()
        self.assertEqual(r.header("Location"), "/api/v1/benchmarks/%d" % o["id"])
        self.assertEqual((o["kind"], o["total"], o["done"]), ("benchmark", 6, 6))
        self.assertEqual(o["models"], MODELS)
        # Sample by sample, each model in the order chosen.
        self.assertEqual([(i["sample"], i["model"]) for i in o["items"]],
                         [(s, m) for s in ("short", "long") for m in MODELS])
        for i in o["items"]:
            self.assertIsNotNone(i["latency_ms"])
            self.assertIsNotNone(i["ttft_ms"])      # streamed, to measure it
            self.assertLessEqual(i["ttft_ms"], i["latency_ms"])
            self.assertIsNotNone(i["input_tokens"])
            self.assertEqual(i["output"], "echo: Tell me about " +
                             ("tides" if i["sample"] == "short" else "moon"))
        ranking = o["ranking"]
        self.assertEqual(len(ranking), 3)
        self.assertEqual([x["rank"] for x in ranking], [1, 2, 3])
        # Every model passes "short" and fails "long": the same pass rate,
        # so the cheapest comes first (the free model costs nothing).
        self.assertEqual([x["pass_rate"] for x in ranking], [0.5, 0.5, 0.5])
        costs = [x["cost_micros"] for x in ranking]
        self.assertEqual(costs, sorted(costs))
        self.assertEqual(ranking[0]["model"], FREE_MODEL)
        # Kept, listed and re-opened.
        self.assertEqual(api(c, "GET", "/api/v1/benchmarks/%d" % o["id"]).json()["id"], o["id"])
        listed = api(c, "GET", "/api/v1/prompts/%s/benchmarks" % slug).json()["items"]
        self.assertEqual([x["id"] for x in listed], [o["id"]])
        page = c.get("/prompts/%s/benchmarks/%d" % (slug, o["id"]))
        self.assertEqual(page.status, 200)
        svg = re.search(r"<svg class=\"chart\".*?</svg>", page.text, re.S).group(0)
        self.assertEqual(svg.count("<circle"), 3)
        for m in MODELS:
            self.assertIn(m, svg)
        self.assertIn('href="/prompts/%s/benchmarks/%d"' % (slug, o["id"]),
                      c.get("/prompts/%s/benchmarks" % slug).text)
        # The regression endpoint does not read benchmarks.
        self.assertEqual(api(c, "GET", "/api/v1/regressions/%d" % o["id"]).status, 404)

    def test_one_set_of_values_from_the_page(self):
        c = new_user(self.stack, plan="PRO")
        slug = make_prompt(c)
        form = {"_csrf": c.api_token, "version": "1", "mode": "values",
                "variables": '{"topic": "<b>bold</b>"}', "m." + PAID_MODEL: "1",
                "m." + FREE_MODEL: "1"}
        r = c.post_form("/prompts/%s/benchmarks" % slug, form)
        self.assertEqual(r.status, 303, r.text)
        rid = int(r.header("Location").rsplit("/", 1)[1])
        o = wait_run(c, rid, kind="benchmarks")
        self.assertEqual((o["total"], o["passed"]), (2, 2))
        self.assertEqual(o["items"][0]["output"], "echo: Tell me about <b>bold</b>")
        page = c.get("/prompts/%s/benchmarks/%d" % (slug, rid))
        self.assertIn("&lt;b&gt;bold&lt;/b&gt;", page.text)
        self.assertNotIn("<b>bold</b>", page.text)
        r = c.post_form("/prompts/%s/benchmarks" % slug, dict(form, variables="[1]"))
        self.assertEqual(r.status, 400)
        self.assertIn("JSON object", r.text)

    def test_a_free_user_cannot_choose_a_pro_model(self):
        c = new_user(self.stack)
        slug = make_prompt(c, model=FREE_MODEL)
        form = {"_csrf": c.api_token, "version": "1", "mode": "values",
                "variables": '{"topic": "x"}', "m." + FREE_MODEL: "1",
                "m." + PAID_MODEL: "1"}
        r = c.post_form("/prompts/%s/benchmarks" % slug, form)
        self.assertEqual(r.status, 403, r.text)
        self.assertIn("%s is not available on the Free plan" % PAID_MODEL, r.text)
        self.assertEqual(self.stack.sql(
            "SELECT COUNT(*) FROM golden_runs r JOIN users u ON u.id = r.user_id"
            " WHERE u.email = '%s'" % c.email), [("0",)])
        page = c.get("/prompts/%s/benchmarks" % slug)
        self.assertIn('name="m.%s"' % FREE_MODEL, page.text)
        self.assertNotIn('name="m.%s"' % PAID_MODEL, page.text)

    def test_a_wait_longer_than_run_wait_seconds_answers_202(self):
        c = new_user(self.stack, plan="PRO")
        slug = make_prompt(c)
        r = api(c, "POST", "/api/v1/prompts/%s/benchmarks" % slug,
                {"version": 1, "models": [PAID_MODEL], "wait": True,
                 "variables": {"topic": "[[fake:delay_ms=25000]]"}})
        self.assertEqual(r.status, 202, r.text)
        o = r.json()
        self.assertFalse(o["ended"])
        self.assertEqual(r.header("Location"), "/api/v1/benchmarks/%d" % o["id"])
        # Stopped from its page: the sample under way still finishes.
        page = "/prompts/%s/benchmarks/%d" % (slug, o["id"])
        self.assertIn('action="%s/stop"' % page, c.get(page).text)
        r = c.post_form(page + "/stop", {"_csrf": c.api_token})
        self.assertEqual((r.status, r.header("Location")), (303, page))
        o = wait_run(c, o["id"], kind="benchmarks")
        self.assertEqual((o["ended"], o["status"], o["passed"]), (True, "stopped", 1))

    def test_bad_benchmark_bodies(self):
        c = new_user(self.stack, plan="PRO")
        slug = make_prompt(c)
        add_sample(self.stack, c, slug, "s", {"topic": "x"}, [{"type": "contains", "value": "x"}])
        path = "/api/v1/prompts/%s/benchmarks" % slug
        r = api(c, "POST", path, {"version": 1, "models": []})
        self.assertEqual(r.status, 400, r.text)
        self.assertEqual(r.json()["error"]["field"], "models")
        r = api(c, "POST", path, {"version": 1, "models": [PAID_MODEL, PAID_MODEL]})
        self.assertEqual(r.status, 400, r.text)
        self.assertIn("twice", r.json()["error"]["message"])
        r = api(c, "POST", path, {"version": 1, "models": [3]})
        self.assertEqual(r.status, 400, r.text)
        r = api(c, "POST", path, {"version": 1, "models": ["x/none"]})
        self.assertEqual(r.status, 400, r.text)
        self.assertIn("x/none", r.json()["error"]["message"])
        self.assertEqual(self.stack.sql(
            "SELECT COUNT(*) FROM golden_runs r JOIN users u ON u.id = r.user_id"
            " WHERE u.email = '%s'" % c.email), [("0",)])


class ByokBenchmarkTest(unittest.TestCase):
    """A plan whose PRO runs one model on the platform's key: the user's own
    OpenAI key opens OpenAI's models to benchmarks, and only those."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="lighttpd", workers=2, settings={
            "run_threads": "4", "run_poll_ms": "200"}).start()
        load_catalog(cls.stack, "byok-bench", {"models": "whitelist",
                                               "model_list": [FREE_MODEL]})

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_models_of_the_users_key_can_be_chosen(self):
        c = new_user(self.stack, plan="PRO")
        slug = make_prompt(c, model=FREE_MODEL)
        page = c.get("/prompts/%s/benchmarks" % slug).text
        self.assertNotIn('name="m.openai/gpt-4o"', page)          # not on the plan
        oa = "sk-proj-" + secrets.token_hex(20) + "bk01"
        fake_keys(self.stack, key=oa, provider="openai")
        configure(c, "openai", oa)
        page = c.get("/prompts/%s/benchmarks" % slug).text
        self.assertRegex(page, r'name="m\.openai/gpt-4o" value="1"> <span class="long">'
                               r'[^<]* · on your own key</span>')
        self.assertNotIn('name="m.anthropic/claude-3-opus"', page)
        form = {"_csrf": c.api_token, "version": "1", "mode": "values",
                "variables": '{"topic": "keys"}', "m.openai/gpt-4o": "1",
                "m." + FREE_MODEL: "1"}
        r = c.post_form("/prompts/%s/benchmarks" % slug, form)
        self.assertEqual(r.status, 303, r.text)
        o = wait_run(c, int(r.header("Location").rsplit("/", 1)[1]), kind="benchmarks")
        self.assertEqual((o["total"], o["passed"]), (2, 2), o)
        billed = dict(self.stack.sql(
            "SELECT e.model, e.billing FROM executions e JOIN users u ON u.id = e.user_id"
            " WHERE u.email = '%s'" % c.email))
        self.assertEqual(billed, {"openai/gpt-4o": "BYOK", FREE_MODEL: "SYSTEM"})
        # a model neither the plan nor a key opens: refused, nothing queued
        before = self.stack.sql("SELECT COUNT(*) FROM golden_runs")
        r = c.post_form("/prompts/%s/benchmarks" % slug,
                        dict(form, **{"m.anthropic/claude-3-opus": "1"}))
        self.assertEqual(r.status, 403, r.text)
        self.assertIn("anthropic/claude-3-opus is not available on the Pro plan", r.text)
        self.assertEqual(self.stack.sql("SELECT COUNT(*) FROM golden_runs"), before)


if __name__ == "__main__":
    unittest.main()
