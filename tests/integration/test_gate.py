"""The promotion gate: a prompt may require that a version pass its golden
samples (and reach a score, and cost at most an amount) before it becomes
PRODUCTION, on every way of promoting (the site, the session's API, API
keys of any scope); the history of promotions, rollbacks and archiving
with who, when, from which version and the gating run; and the CI
example of the API page, run as it is written there."""
import html
import os
import re
import subprocess
import tempfile
import unittest

from tests.integration.stack import Client, Stack, api, new_user
from tests.integration.test_regressions import (PAID_MODEL, add_sample, make_prompt, run_api,
                                                wait_run)


def keyed(stack, key, method, path, body=None):
    h = {"Authorization": "Bearer " + key}
    return Client(stack).request(method, path, headers=h, json=body)


class GateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="both", workers=2, settings={
            "run_threads": "4", "run_poll_ms": "200", "run_wait_seconds": "240"})
        cls.stack.start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def setup_prompt(self):
        """A PRO user's prompt: v1 passes its sample, v2 fails it."""
        c = new_user(self.stack, plan="PRO")
        slug = make_prompt(c, template="About {{topic}}")
        add_sample(self.stack, c, slug, "mentions about", {"topic": "x"},
                   [{"type": "contains", "value": "About"}])
        r = api(c, "POST", "/api/v1/prompts/%s/versions" % slug,
                {"user_template": "Regarding {{topic}}"})
        self.assertEqual(r.status, 201, r.text)
        return c, slug

    def key(self, c, scope):
        r = api(c, "POST", "/api/v1/keys", {"name": "ci " + scope, "scope": scope})
        self.assertEqual(r.status, 201, r.text)
        return r.json()["key"]

    def gate_on(self, c, slug, **extra):
        form = {"_csrf": c.api_token, "required": "1"}
        form.update(extra)
        return c.post_form("/prompts/%s/gate" % slug, form)

    def production(self, c, slug):
        return api(c, "GET", "/api/v1/prompts/%s" % slug).json()["production_version"]

    def test_gate_refuses_until_a_run_passes_on_every_path(self):
        c, slug = self.setup_prompt()
        self.assertEqual(self.gate_on(c, slug).status, 303)
        page = c.get("/prompts/%s/gate" % slug)
        self.assertIn('name="required" value="1" checked', page.text)
        write_key = self.key(c, "write")
        # Never run: refused everywhere, nothing changes.
        r = api(c, "POST", "/api/v1/prompts/%s/versions/1/promote" % slug)
        self.assertEqual(r.status, 409, r.text)
        self.assertIn("never been run", r.json()["error"]["message"])
        r = keyed(self.stack, write_key, "POST", "/api/v1/prompts/%s/versions/1/promote" % slug)
        self.assertEqual(r.status, 409, r.text)
        r = c.post_form("/prompts/%s/versions/1/promote" % slug, {"_csrf": c.api_token})
        self.assertEqual(r.status, 409)
        self.assertIn("cannot be promoted yet", r.text)
        self.assertIn('action="/prompts/%s/versions/1/regressions"' % slug, r.text)
        self.assertIsNone(self.production(c, slug))
        # A failing run: refused, naming the failing sample, with the run.
        o = run_api(c, slug, {"version": 2, "wait": True}).json()
        self.assertEqual(o["result"], "failed")
        r = keyed(self.stack, write_key, "POST", "/api/v1/prompts/%s/versions/2/promote" % slug)
        self.assertEqual(r.status, 409, r.text)
        msg = r.json()["error"]["message"]
        self.assertIn("mentions about", msg)
        self.assertIn(str(o["id"]), msg)
        r = c.post_form("/prompts/%s/versions/2/promote" % slug, {"_csrf": c.api_token})
        self.assertEqual(r.status, 409)
        self.assertIn("/prompts/%s/regressions/%d" % (slug, o["id"]), r.text)
        self.assertIn("mentions about", r.text)
        # The version's page shows its last run beside the promote button.
        page = c.get("/prompts/%s/versions/2" % slug)
        self.assertIn('Last regression run: <a href="/prompts/%s/regressions/%d">'
                      % (slug, o["id"]), page.text)
        self.assertIn("requires a passing regression run",
                      c.get("/prompts/%s/versions/1" % slug).text)
        # A passing run of v1: promoted, recorded with its gating run.
        ok = run_api(c, slug, {"version": 1, "wait": True}).json()
        self.assertEqual(ok["result"], "passed")
        r = keyed(self.stack, write_key, "POST", "/api/v1/prompts/%s/versions/1/promote" % slug)
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(self.production(c, slug), 1)
        rows = self.stack.sql(
            "SELECT h.action, h.gating_run_id, h.from_version FROM version_status_changes h"
            " JOIN prompt_versions v ON v.id = h.version_id JOIN prompts p ON p.id = v.prompt_id"
            " JOIN users u ON u.id = p.user_id WHERE u.email = '%s' AND h.to_status ="
            " 'PRODUCTION'" % c.email)
        self.assertEqual(rows, [("promote", str(ok["id"]), "NULL")])

    def test_minimum_score_and_maximum_cost(self):
        c, slug = self.setup_prompt()
        add_sample(self.stack, c, slug, "second", {"topic": "y"},
                   [{"type": "contains", "value": "y"}, {"type": "contains", "value": "zzz"}],
                   threshold=0.5)
        o = run_api(c, slug, {"version": 1, "wait": True}).json()
        self.assertEqual((o["result"], o["score"]), ("passed", 0.75))
        r = self.gate_on(c, slug, min_score="0.9")
        self.assertEqual(r.status, 303)
        r = api(c, "POST", "/api/v1/prompts/%s/versions/1/promote" % slug)
        self.assertEqual(r.status, 409, r.text)
        self.assertIn("0.75", r.json()["error"]["message"])
        self.assertIn("0.9", r.json()["error"]["message"])
        self.gate_on(c, slug, min_score="0.5", max_cost="0.000001")
        r = api(c, "POST", "/api/v1/prompts/%s/versions/1/promote" % slug)
        self.assertEqual(r.status, 409, r.text)
        self.assertIn("$0.000001", r.json()["error"]["message"])
        self.gate_on(c, slug, min_score="0.5", max_cost="1")
        r = api(c, "POST", "/api/v1/prompts/%s/versions/1/promote" % slug)
        self.assertEqual(r.status, 200, r.text)

    def test_gate_and_history_through_the_api(self):
        c, slug = self.setup_prompt()
        path = "/api/v1/prompts/%s/gate" % slug
        self.assertEqual(api(c, "GET", path).json(),
                         {"required": False, "min_score": None, "max_cost_micros": None})
        r = api(c, "PATCH", path, {"required": True, "min_score": 0.5})
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json(), {"required": True, "min_score": 0.5, "max_cost_micros": None})
        r = api(c, "PATCH", path, {"max_cost_micros": 2000, "min_score": None})
        self.assertEqual(r.json(), {"required": True, "min_score": None, "max_cost_micros": 2000})
        r = api(c, "PATCH", path, {"min_score": 1.5})
        self.assertEqual(r.status, 400, r.text)
        self.assertEqual(r.json()["error"]["field"], "min_score")
        r = api(c, "PATCH", path, {"required": "yes"})
        self.assertEqual(r.status, 400, r.text)
        self.assertEqual(api(c, "GET", path).json()["max_cost_micros"], 2000)
        read_key = self.key(c, "read")
        self.assertEqual(keyed(self.stack, read_key, "GET", path).status, 200)
        r = keyed(self.stack, read_key, "PATCH", path, {"required": False})
        self.assertEqual(r.status, 403, r.text)
        self.assertEqual(api(c, "GET", path).json()["required"], True)
        other = new_user(self.stack, plan="PRO")
        self.assertEqual(api(other, "GET", path).status, 404)
        self.assertEqual(api(other, "PATCH", path, {"required": False}).status, 404)
        h = api(c, "GET", "/api/v1/prompts/%s/history" % slug).json()["items"]
        self.assertEqual([(x["action"], x["version"]) for x in h], [("create", 2), ("create", 1)])
        self.assertEqual(h[0]["by"], c.email)
        self.assertEqual(api(other, "GET", "/api/v1/prompts/%s/history" % slug).status, 404)

    def test_api_key_scopes_of_runs(self):
        c, slug = self.setup_prompt()
        body = {"version": 1}
        path = "/api/v1/prompts/%s/regressions" % slug
        read, execute = self.key(c, "read"), self.key(c, "execute")
        r = keyed(self.stack, read, "POST", path, body)
        self.assertEqual(r.status, 403, r.text)
        r = keyed(self.stack, read, "POST", "/api/v1/prompts/%s/benchmarks" % slug,
                  {"version": 1, "models": [PAID_MODEL]})
        self.assertEqual(r.status, 403, r.text)
        h = {"Authorization": "Bearer " + execute}
        r = Client(self.stack, timeout=300).request("POST", path, headers=h,
                                                    json=dict(body, wait=True))
        self.assertEqual(r.status, 200, r.text)
        rid = r.json()["id"]
        # a run started with a key is on the API channel, with that key
        rows = self.stack.sql("SELECT e.channel, e.api_key_id IS NOT NULL FROM executions e"
                              " JOIN golden_run_items i ON i.execution_id = e.id"
                              " WHERE i.run_id = %d" % rid)
        self.assertEqual(rows, [("API", "1")])
        r = keyed(self.stack, read, "GET", "/api/v1/regressions/%d" % rid)
        self.assertEqual((r.status, r.json()["result"]), (200, "passed"))
        self.assertEqual(keyed(self.stack, read, "GET", path).status, 200)

    def test_bad_gate_settings_are_refused_next_to_the_field(self):
        c, slug = self.setup_prompt()
        r = self.gate_on(c, slug, min_score="2")
        self.assertEqual(r.status, 422)
        self.assertIn("0 to 1", r.text)
        r = self.gate_on(c, slug, max_cost="-3")
        self.assertEqual(r.status, 422)
        self.assertIn("at least 0", r.text)
        self.assertEqual(self.stack.sql(
            "SELECT gate_required FROM prompts p JOIN users u ON u.id = p.user_id"
            " WHERE u.email = '%s'" % c.email), [("0",)])
        other = new_user(self.stack, plan="PRO")
        self.assertEqual(other.get("/prompts/%s/gate" % slug).status, 404)
        self.assertEqual(other.get("/prompts/%s/history" % slug).status, 404)

    def test_history_of_promotions_rollbacks_and_archiving(self):
        c, slug = self.setup_prompt()
        for n in (1, 2):
            r = api(c, "POST", "/api/v1/prompts/%s/versions/%d/promote" % (slug, n))
            self.assertEqual(r.status, 200, r.text)
        r = api(c, "POST", "/api/v1/prompts/%s/versions/1/promote" % slug)
        self.assertEqual(r.status, 200, r.text)
        page = c.get("/prompts/%s/history" % slug)
        self.assertEqual(page.status, 200)
        text = re.sub(r"\s+", " ", page.text)
        self.assertIn("Rolled back", text)
        self.assertIn("v2 in production", text)
        self.assertIn("Promoted to production", text)
        self.assertIn("Created", text)
        self.assertIn(c.email, text)
        order = re.findall(r"<td>(Created|Promoted to production|Rolled back|Archived)</td>", page.text)
        self.assertEqual(order, ["Rolled back", "Promoted to production",
                                 "Promoted to production", "Created", "Created"])
        self.assertIn('href="/prompts/%s/history"' % slug, c.get("/prompts/%s" % slug).text)

    def test_done_when_as_a_new_user_would(self):
        """Save three golden samples from executions, run a regression, see
        a failure with its diff and what changed from the baseline, turn on
        the gate and see promotion refused until a run passes, benchmark
        three models with the chart."""
        c = new_user(self.stack, plan="PRO")
        slug = make_prompt(c, template="Describe {{topic}}")
        for topic in ("tides", "moon", "stars"):
            r = api(c, "POST", "/api/v1/prompts/%s/execute" % slug,
                    {"variables": {"topic": topic}})
            self.assertEqual(r.status, 200, r.text)
            e = r.json()
            r = api(c, "POST", "/api/v1/prompts/%s/samples" % slug, {
                "name": topic, "variables": {"topic": topic},
                "expected_output": e["output"], "checks": [{"type": "equals"}],
                "created_from_execution_id": e["id"]})
            self.assertEqual(r.status, 201, r.text)
        form = {"_csrf": c.api_token}
        r = c.post_form("/prompts/%s/versions/1/regressions" % slug, form)
        self.assertEqual(r.status, 303, r.text)
        first = wait_run(c, int(r.header("Location").rsplit("/", 1)[1]))
        self.assertEqual((first["result"], first["passed"]), ("passed", 3))
        self.assertEqual(c.post_form("/prompts/%s/versions/1/promote" % slug, form).status, 303)
        r = api(c, "POST", "/api/v1/prompts/%s/versions" % slug,
                {"user_template": "Describe {{topic}} briefly"})
        self.assertEqual(r.status, 201, r.text)
        r = c.post_form("/prompts/%s/versions/2/regressions" % slug, form)
        second = wait_run(c, int(r.header("Location").rsplit("/", 1)[1]))
        self.assertEqual((second["result"], second["failed"]), ("failed", 3))
        self.assertEqual(second["baseline"]["newly_failing"], ["tides", "moon", "stars"])
        page = c.get("/prompts/%s/regressions/%d" % (slug, second["id"])).text
        self.assertRegex(page, r"<ins>\s*briefly</ins>")
        self.assertIn("Newly failing", page)
        self.assertEqual(self.gate_on(c, slug).status, 303)
        r = c.post_form("/prompts/%s/versions/2/promote" % slug, form)
        self.assertEqual(r.status, 409)
        self.assertIn("tides, moon, stars", r.text)
        r = api(c, "POST", "/api/v1/prompts/%s/versions" % slug,
                {"user_template": "Describe {{topic}}", "commit_message": "back"})
        self.assertEqual(r.status, 201, r.text)
        r = c.post_form("/prompts/%s/versions/3/regressions" % slug, form)
        third = wait_run(c, int(r.header("Location").rsplit("/", 1)[1]))
        self.assertEqual(third["result"], "passed")
        self.assertEqual(c.post_form("/prompts/%s/versions/3/promote" % slug, form).status, 303)
        self.assertEqual(self.production(c, slug), 3)
        history = c.get("/prompts/%s/history" % slug).text
        self.assertIn('/prompts/%s/regressions/%d">#%d</a> (3 of 3 passed)'
                      % (slug, third["id"], third["id"]), history)
        r = c.post_form("/prompts/%s/benchmarks" % slug, dict(form, version="3", mode="samples",
                        **{"m." + m: "1" for m in (PAID_MODEL, "openai/gpt-4o-mini",
                                                   "meta-llama/llama-3.1-8b-instruct:free")}))
        self.assertEqual(r.status, 303, r.text)
        bench = wait_run(c, int(r.header("Location").rsplit("/", 1)[1]), kind="benchmarks")
        self.assertEqual(bench["total"], 9)
        page = c.get(r.header("Location")).text
        self.assertEqual(page.count("<circle"), 3)

    def test_ci_example_of_the_api_page_fails_the_build_on_a_failing_run(self):
        c, slug = self.setup_prompt()
        key = self.key(c, "execute")
        page = Client(self.stack).get("/docs/api")
        m = re.search(r'<code id="ci-example">(.*?)</code>', page.text, re.S)
        self.assertTrue(m, "no CI example on the API page")
        script = html.unescape(m.group(1))
        with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as f:
            f.write(script)
        try:
            env = dict(os.environ, PM_API_KEY=key, PROMPT=slug,
                       PM_BASE_URL=self.stack.url("").rstrip("/"))
            good = subprocess.run(["sh", f.name], env=dict(env, VERSION="1"),
                                  capture_output=True, text=True, timeout=120)
            self.assertEqual(good.returncode, 0, good.stdout + good.stderr)
            self.assertIn("1 of 1 samples passed", good.stdout)
            bad = subprocess.run(["sh", f.name], env=dict(env, VERSION="2"),
                                 capture_output=True, text=True, timeout=120)
            self.assertNotEqual(bad.returncode, 0, bad.stdout)
            self.assertIn("FAILED mentions about", bad.stdout)
            # A read key may not start runs: the build fails too.
            ro = subprocess.run(["sh", f.name], env=dict(env, VERSION="1",
                                PM_API_KEY=self.key(c, "read")),
                                capture_output=True, text=True, timeout=60)
            self.assertNotEqual(ro.returncode, 0)
        finally:
            os.unlink(f.name)


if __name__ == "__main__":
    unittest.main()
