"""The execution engine end to end against the fake
OpenRouter: plan checks before any upstream call, exact admission under
concurrency, the UTC reset, streaming through lighttpd and Apache,
upstream failures releasing the quota, client disconnects, history."""
import collections
import http.client
import json
import os
import threading
import time
import unittest

from tests.integration.stack import (PASSWORD, Client, Stack, api, clear_of_utc_midnight,
                                     new_user, sse_events, stream_run)

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
FREE_MODEL = "meta-llama/llama-3.1-8b-instruct:free"
PAID_MODEL = "openai/gpt-4o"
def user(stack, server="lighttpd", plan=None):
    return new_user(stack, server=server, plan=plan)


def make_prompt(c, template="Tell me about {{topic}}", model=FREE_MODEL, slug=None, **kw):
    body = {"name": slug or "Run me", "user_template": template, "model": model}
    if slug:
        body["slug"] = slug
    body.update(kw)
    r = api(c, "POST", "/api/v1/prompts", body)
    assert r.status == 201, r.text
    return r.json()["slug"]


def run(c, slug, variables=None, stream=False, model=None, version=None, server=None):
    form = {"_csrf": c.api_token}
    for k, v in (variables or {"topic": "tides"}).items():
        form["var." + k] = v
    if model:
        form["model"] = model
    if version:
        form["version"] = str(version)
    headers = {"Accept": "text/event-stream"} if stream else {}
    return c.request("POST", "/prompts/%s/run" % slug, form=form, headers=headers)


class ExecutionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="both", workers=4,
                          settings={"upstream_timeout_ms": "2000"})
        cls.stack.start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def setUp(self):
        clear_of_utc_midnight()
        self.stack.set_clock(None)
        self.stack.openrouter_clear()

    def day_count(self, c):
        rows = self.stack.sql("SELECT COALESCE(SUM(executions), 0) FROM usage_counters u "
                              "JOIN users x ON x.id = u.user_id WHERE x.email = '%s' "
                              "AND period = 'day'" % c.email)
        return int(rows[0][0])

    def executions(self, c):
        return self.stack.sql("SELECT e.status, e.error_type, e.input_tokens, e.output_tokens, "
                              "e.cost_micros, e.output FROM executions e JOIN users x ON "
                              "x.id = e.user_id WHERE x.email = '%s' ORDER BY e.id" % c.email)

    def test_free_user_story(self):
        """Three streamed runs, the fourth refused with the reset time, a
        non-free model refused before any call, then PRO works."""
        c = user(self.stack)
        slug = make_prompt(c)
        page = c.get("/prompts/%s/run" % slug).text
        self.assertIn("3 of 3</span> runs left today, resets at", page)
        self.assertIn("demo models", page)
        self.assertRegex(page, r'<option value="%s" disabled>[^<]* — upgrade to use</option>'
                         % PAID_MODEL)
        for i in range(3):
            r = run(c, slug, {"topic": "tides %d" % i}, stream=True)
            self.assertEqual(r.status, 200, r.text)
            self.assertTrue(r.header("content-type").startswith("text/event-stream"))
            ev = sse_events(r.body)
            deltas = "".join(d["t"] for e, d in ev if e == "delta")
            self.assertEqual(deltas, "echo: Tell me about tides %d" % i)
            self.assertGreater(len([1 for e, _ in ev if e == "delta"]), 3)   # token by token
            done = [d for e, d in ev if e == "done"][0]
            self.assertEqual(done["output"], deltas)
            self.assertEqual(done["status"], "SUCCEEDED")
            self.assertEqual(done["cost_micros"], 0)          # a free model
        self.assertIn("0 of 3</span> runs left today", c.get("/prompts/%s/run" % slug).text)
        r = run(c, slug, stream=True)
        self.assertEqual(r.status, 429)
        err = r.json()["error"]
        self.assertEqual(err["type"], "quota_exceeded")
        self.assertRegex(err["message"], r"You have used your 3 executions for today\. Your quota "
                                         r"resets at \d{4}-\d\d-\d\d 00:00:00 UTC\. Upgrade to PRO")
        self.assertGreater(int(r.header("retry-after")), 0)
        r = run(c, slug)                        # the form without script
        self.assertEqual(r.status, 429)
        self.assertIn("You have used your 3 executions for today.", r.text)
        self.assertEqual(len(self.stack.openrouter_requests()), 3)
        self.assertEqual(self.day_count(c), 3)           # refusals reserve nothing
        # a non-free model: 403 before any upstream call (the quota is
        # checked after the plan, so this is also true with runs left)
        c2 = user(self.stack)
        slug2 = make_prompt(c2)
        r = run(c2, slug2, model=PAID_MODEL, stream=True)
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["error"]["type"], "plan_limit_error")
        self.assertIn("The model openai/gpt-4o (Free plan) is not included in your plan; "
                      "the Pro plan includes it.", r.json()["error"]["message"])
        slug3 = make_prompt(c2, model=PAID_MODEL, slug="paid-default")
        r = run(c2, slug3, stream=True)
        self.assertEqual(r.status, 403)
        self.assertIn("This version's default model openai/gpt-4o", r.json()["error"]["message"])
        self.assertEqual(len(self.stack.openrouter_requests()), 3)
        self.assertEqual(self.day_count(c2), 0)
        # PRO by hand: the paid model and the API work, without a quota
        r = self.stack.admin("set-plan", c.email, "PRO")
        self.assertEqual(r.returncode, 0, r.stderr)
        for _ in range(2):
            r = run(c, slug, model=PAID_MODEL)
            self.assertEqual(r.status, 200, r.text)
            self.assertIn("echo: Tell me about tides", r.text)
        r = api(c, "POST", "/api/v1/prompts/%s/execute" % slug,
                {"variables": {"topic": "api"}, "model": PAID_MODEL})
        self.assertEqual(r.status, 200, r.text)
        res = r.json()
        self.assertEqual(res["output"], "echo: Tell me about api")
        # cost from the provider's usage.cost: words + 4 per message at
        # the fake's gpt-4o prices (2.5e-6 in, 1e-5 out)
        self.assertEqual(res["usage"], {"input_tokens": 8, "output_tokens": 5})
        self.assertEqual(res["cost_micros"], 70)
        # the history shows every run with tokens and cost
        rows = self.executions(c)
        self.assertEqual([x[0] for x in rows], ["SUCCEEDED"] * 6)
        page = c.get("/executions").text
        self.assertIn("6 executions ·", page)
        self.assertIn(PAID_MODEL, page)
        self.assertIn('title="$0.000070 exactly (70 micro-dollars)">&lt; $0.0001</span>', page)
        eid = res["id"]
        detail = c.get("/executions/%d" % eid).text
        self.assertIn("echo: Tell me about api", detail)
        self.assertIn("Run through the API · Platform key", detail)
        r = user(self.stack).get("/executions/%d" % eid)          # someone else's
        self.assertEqual(r.status, 404)
        self.assertIn("There is nothing at this address.", r.text)
        self.assertNotIn("Tell me about api", r.text)

    def test_admin_chooses_free_tier_models(self):
        email = "root-%d@example.com" % int(time.time() * 1000)
        self.assertEqual(self.stack.admin("create-admin", email, input=PASSWORD + "\n").returncode, 0)
        admin = Client(self.stack)
        self.assertEqual(admin.login(email, PASSWORD).status, 303)
        page = admin.get("/admin").text
        self.assertIn("Active plan catalog: <strong>prompt-manager</strong>", page)
        self.assertIn("mistralai/mistral-7b-instruct:free", page)
        c = user(self.stack)
        slug = make_prompt(c, model="openai/gpt-4o-mini", slug="mini")
        self.assertEqual(run(c, slug, stream=True).status, 403)
        r = c.post_form("/admin/models/free-tier", {"model": "openai/gpt-4o-mini", "free_tier": "on"})
        self.assertEqual(r.status, 403)                  # not an admin
        try:
            r = admin.post_form("/admin/models/free-tier",
                                {"model": "openai/gpt-4o-mini", "free_tier": "on"})
            self.assertEqual((r.status, r.header("location")), (303, "/admin"))
            self.assertEqual(run(c, slug).status, 200)
            r = admin.post_form("/admin/models/free-tier", {"model": "nope/x", "free_tier": "on"})
            self.assertEqual(r.status, 404)
        finally:
            r = self.stack.admin("models", "free-tier", "openai/gpt-4o-mini", "off")
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(run(c, slug, stream=True).status, 403)

    def test_pricing_page_comes_from_the_catalog(self):
        page = Client(self.stack).get("/pricing").text
        for text in ("<h2>Free</h2>", "<h2>Pro</h2>", "$7<span>/month</span>", "or $70 a year",
                     "3 executions a day in the app, reset at 00:00 UTC", "Free models only",
                     "No public API", "Unlimited executions", "All OpenRouter models",
                     "Bring your own OpenRouter key (BYOK)"):
            self.assertIn(text, page)

    def test_runs_interrupted_by_a_dead_worker_give_their_quota_back(self):
        import os
        import signal
        c = user(self.stack)
        slug = make_prompt(c)
        self.assertEqual(run(c, slug).status, 200)
        self.assertEqual(self.day_count(c), 1)

        def stale(age=3600):
            """What a worker killed mid-call leaves: a RUNNING row and
            its reservation in the counters. (The user's id is read
            first: a statement that reads users cannot start a run, whose
            trigger counts it there.)"""
            uid = int(self.stack.sql("SELECT id FROM users WHERE email = '%s'"
                                     % c.email)[0][0])
            self.stack.sql(
                "INSERT INTO executions (user_id, prompt_id, version_id, version_number, model,"
                " channel, status, counted, day_key, month_key, minute_key, input, variables,"
                " params, output, created_at) SELECT e.user_id, e.prompt_id, e.version_id, 1,"
                " e.model, 'UI', 'RUNNING', 1, e.day_key, e.month_key, e.minute_key, '[]', '{}',"
                " '{}', '', UNIX_TIMESTAMP() - %d FROM executions e WHERE e.user_id = %d"
                " ORDER BY e.id LIMIT 1" % (age, uid))
            self.stack.sql("UPDATE usage_counters u JOIN users x ON x.id = u.user_id SET"
                           " executions = executions + 1 WHERE x.email = '%s'" % c.email)

        stale()
        self.assertEqual(self.day_count(c), 2)
        r = self.stack.admin("executions", "sweep")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "1 interrupted execution settled")
        rows = self.executions(c)
        self.assertEqual([(x[0], x[1]) for x in rows], [("SUCCEEDED", "NULL"), ("FAILED", "interrupted")])
        self.assertEqual(self.day_count(c), 1)
        # a worker that starts does the same (here: the reload's new workers)
        stale()
        os.kill(self.stack.master_pid(), signal.SIGHUP)
        for _ in range(100):
            if self.executions(c)[-1][0] != "RUNNING":
                break
            time.sleep(0.1)
        self.assertEqual(self.executions(c)[-1][:2], ("FAILED", "interrupted"))
        self.assertEqual(self.day_count(c), 1)
        self.assertIn("interrupted execution", self.stack.log_text())
        # a run younger than the upstream timeout (2 s) plus a minute may be
        # live: left alone
        stale(age=30)
        r = self.stack.admin("executions", "sweep")
        self.assertEqual(r.stdout.strip(), "0 interrupted executions settled")
        self.assertEqual(self.executions(c)[-1][0], "RUNNING")
        # without an upstream timeout a run may last up to a day
        self.stack.sql("UPDATE executions SET created_at = created_at - 3600 WHERE status ="
                       " 'RUNNING' AND user_id = (SELECT id FROM users WHERE email = '%s')"
                       % c.email)
        no_limit = {"PM_UPSTREAM_TIMEOUT_MS": "0"}
        r = self.stack.admin("executions", "sweep", env=no_limit)
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "0 interrupted executions settled"),
                         r.stderr)
        self.stack.sql("UPDATE executions SET created_at = created_at - 86400 WHERE status ="
                       " 'RUNNING' AND user_id = (SELECT id FROM users WHERE email = '%s')"
                       % c.email)
        r = self.stack.admin("executions", "sweep", env=no_limit)
        self.assertEqual(r.stdout.strip(), "1 interrupted execution settled")
        self.assertEqual(self.day_count(c), 1)

    def test_free_plan_has_no_api(self):
        c = user(self.stack)
        slug = make_prompt(c)
        r = api(c, "POST", "/api/v1/prompts/%s/execute" % slug, {"variables": {"topic": "x"}})
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["error"], {"type": "plan_limit_error", "message":
                         "Running prompts through the API is not included in the Free plan; "
                         "the Pro plan includes it."})
        self.assertEqual(self.stack.openrouter_requests(), [])

    def test_bad_input(self):
        c = user(self.stack, plan="PRO")
        slug = make_prompt(c, template="Hi {{name}}, {{age}}",
                           variables=[{"name": "age", "type": "number"}])
        r = api(c, "POST", "/api/v1/prompts/%s/execute" % slug,
                {"variables": {"name": "a", "age": 1}, "model": "nope/unknown"})
        self.assertEqual((r.status, r.json()["error"]["message"]),
                         (400, "The model nope/unknown is not in the model catalog."))
        r = api(c, "POST", "/api/v1/prompts/%s/execute" % slug,
                {"variables": {"age": "x", "extra": 1}})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"]["message"], 'The variable "age" must be a number.'
                         ' (2 more problems listed in the details.)')
        found = {(d["code"], d["variable"]) for d in r.json()["error"]["details"]}
        self.assertEqual(found, {("vars.missing", "name"), ("vars.type_number", "age"),
                                 ("vars.unknown", "extra")})
        r = run(c, slug, {"name": "a", "age": "old"})
        self.assertEqual(r.status, 400)
        self.assertIn("The variable &quot;age&quot; must be a number.", r.text)
        r = api(c, "POST", "/api/v1/prompts/%s/execute" % slug, {"variables": {}, "colour": 1})
        self.assertEqual((r.status, r.json()["error"]), (400, {
            "type": "invalid_request_error", "field": "colour",
            "message": 'The field "colour" is not accepted here; send only: variables, version,'
                       ' model, max_tokens, stream.'}))
        for body, field, message in (
                ({"variables": {}, "max_tokens": 0}, "max_tokens",
                 'The field "max_tokens" must be between 1 and 1000000.'),
                ({"variables": {}, "version": "2"}, "version", 'The field "version" must be an integer.'),
                ({"variables": {}, "stream": "yes"}, "stream", 'The field "stream" must be true or false.'),
                ({"variables": {}, "model": "m" * 201}, "model",
                 'The field "model" must be 0 to 200 characters long.'),
                ([], None, "The request body must be a JSON object.")):
            r = api(c, "POST", "/api/v1/prompts/%s/execute" % slug, body)
            want = {"type": "invalid_request_error", "message": message}
            if field:
                want["field"] = field
            self.assertEqual((r.status, r.json()["error"]), (400, want), body)
        self.assertEqual(self.stack.openrouter_requests(), [])
        self.assertEqual(self.executions(c), [])
        self.assertEqual(api(c, "POST", "/api/v1/prompts/nope/execute", {}).status, 404)

    def test_utc_midnight_reset(self):
        c = user(self.stack)
        slug = make_prompt(c)
        day = (int(time.time()) // 86400 + 1) * 86400        # a coming midnight
        self.stack.set_clock(day - 30)
        for _ in range(3):
            self.assertEqual(run(c, slug).status, 200)
        r = run(c, slug)
        self.assertEqual(r.status, 429)
        self.assertEqual(r.header("retry-after"), "30")
        self.assertIn(time.strftime("%Y-%m-%d 00:00:00 UTC", time.gmtime(day)), r.text)
        self.stack.set_clock(day + 5)
        self.assertEqual(run(c, slug).status, 200)
        self.assertIn("2 of 3</span> runs left today", c.get("/prompts/%s/run" % slug).text)

    def test_upstream_failures_are_recorded_and_release_the_quota(self):
        c = user(self.stack)
        slug = make_prompt(c, template="{{topic}}")
        cases = [
            ("[[fake:delay_ms=4000]]", 504, "upstream_timeout",
             "The model did not answer within 2 seconds. The run was not counted against your"
             " quota."),
            ("[[fake:garbage=1]]", 502, "upstream_error",
             "The model provider sent an answer that could not be read. The run was not counted"
             " against your quota."),
            ("[[fake:status=429,retry_after=7]]", 429, "rate_limit_error",
             "The model provider is rate-limiting requests (Rate limit exceeded). Try again in 7"
             " seconds; the run was not counted."),
            ("[[fake:status=503]]", 502, "upstream_error",
             "The model provider failed (HTTP 503): No available provider. The run was not"
             " counted against your quota."),
            # every documented error of OpenRouter: a clear message, nothing counted
            ("[[fake:status=400]]", 502, "upstream_error", "(HTTP 400)"),
            ("[[fake:status=401]]", 502, "upstream_error", "(HTTP 401)"),
            ("[[fake:status=402]]", 502, "upstream_error",
             "The model provider failed (HTTP 402): Insufficient credits."),
            ("[[fake:status=403]]", 502, "upstream_error", "(HTTP 403)"),
            ("[[fake:status=408]]", 502, "upstream_error",
             "The model provider failed (HTTP 408): Request timed out."),
        ]
        for directive, status, etype, text in cases:
            with self.subTest(directive=directive):
                r = run(c, slug, {"topic": directive})
                self.assertEqual(r.status, status, r.text)
                self.assertIn(text, r.text)
                if status == 429:
                    self.assertEqual(r.header("retry-after"), "7")
        self.assertEqual(self.day_count(c), 0)           # nothing consumed
        rows = self.executions(c)
        self.assertEqual([x[0] for x in rows], ["FAILED"] * 9)
        self.assertEqual([x[1] for x in rows], ["upstream_timeout", "upstream_bad_response",
                                                "upstream_rate_limited"] +
                         ["upstream_error"] * 6)
        self.assertEqual(len(self.stack.openrouter_requests()), 9)
        # mid-stream failures after HTTP 200
        for directive, text in (("[[fake:error_chunk_after=2]]", "Provider disconnected"),
                                ("[[fake:drop_after=2]]", "lost before the answer was complete")):
            r = run(c, slug, {"topic": "a b c d e f " + directive}, stream=True)
            self.assertEqual(r.status, 200)
            ev = sse_events(r.body)
            self.assertEqual([e for e, _ in ev][:2], ["delta", "delta"])
            self.assertEqual(ev[-1][0], "error")
            self.assertIn(text, ev[-1][1]["message"])
        rows = self.executions(c)
        self.assertEqual([x[0] for x in rows[-2:]], ["FAILED", "FAILED"])
        self.assertTrue(rows[-1][5].startswith("echo: a "))       # partial output kept
        self.assertEqual(self.day_count(c), 0)
        # and the quota is intact: three good runs still pass
        for _ in range(3):
            self.assertEqual(run(c, slug, {"topic": "ok"}).status, 200)

    def test_keepalives_and_unknown_fields_are_ignored(self):
        c = user(self.stack)
        slug = make_prompt(c, template="{{topic}}")
        r = run(c, slug, {"topic": "x y [[fake:unknown_fields=1,delay_ms=300,no_cost=1]]"},
                stream=True)
        ev = sse_events(r.body)
        done = [d for e, d in ev if e == "done"][0]
        self.assertEqual(done["output"], "echo: x y [[fake:unknown_fields=1,delay_ms=300,no_cost=1]]")
        self.assertEqual(done["status"], "SUCCEEDED")

    def test_client_disconnect_cancels_upstream(self):
        for server in ("lighttpd", "apache"):
            with self.subTest(server=server):
                self.check_disconnect(server)

    def check_disconnect(self, server):
        self.stack.openrouter_clear()
        c = user(self.stack, server=server, plan="PRO")
        slug = make_prompt(c, template="{{topic}}", slug="leave-" + server)
        body = "_csrf=%s&var.topic=%s" % (c.api_token, "go+[[fake:words=400,chunk_delay_ms=50]]")
        conn, resp = stream_run(self.stack, c, server, slug, body)
        self.assertEqual(resp.status, 200)
        got = resp.read1(200)
        self.assertIn(b"event: delta", got)
        conn.sock.close()                       # the browser goes away
        conn.close()
        ok = False
        for _ in range(100):
            time.sleep(0.1)
            reqs = self.stack.openrouter_requests()
            rows = self.executions(c)
            if reqs and reqs[-1].get("outcome") == "disconnected" and rows and rows[-1][0] != "RUNNING":
                ok = True
                break
        self.assertTrue(ok, (reqs[-1:] if reqs else None, rows))
        status, etype, tin, tout, cost, output = rows[-1]
        self.assertEqual(status, "CANCELLED")
        self.assertTrue(output.startswith("w1 w2"), output[:40])
        words = len(output.split())
        self.assertLess(words, 400)
        # the partial usage is settled: one token per chunk received
        self.assertEqual(int(tout), words)
        self.assertGreater(int(tin), 0)
        self.assertEqual(self.stack.sql("SELECT cost_source FROM executions ORDER BY id DESC LIMIT 1"),
                         [("price_table",)])

    def test_cost_from_the_price_table_without_provider_cost(self):
        c = user(self.stack, plan="PRO")
        slug = make_prompt(c, template="{{topic}}", model=PAID_MODEL, slug="pricey")
        r = api(c, "POST", "/api/v1/prompts/%s/execute" % slug,
                {"variables": {"topic": "one two [[fake:no_cost=1]]"}})
        self.assertEqual(r.status, 200, r.text)
        res = r.json()
        # gpt-4o at the fake's prices: 2500 nano$ per input token,
        # 10000 per output token; 7 in (3 words + 4), 4 out ("echo: one
        # two [[...]]") -> 57.5 micro-dollars, rounded up
        self.assertEqual(res["usage"], {"input_tokens": 7, "output_tokens": 4})
        self.assertEqual(res["cost_micros"], 58)
        self.assertEqual(self.stack.sql("SELECT cost_source, cost_micros FROM executions WHERE id = %d"
                                        % res["id"]), [("price_table", "58")])

    def test_history_pagination(self):
        c = user(self.stack, plan="PRO")
        slug = make_prompt(c, template="{{topic}}", slug="many")
        for i in range(27):
            self.assertEqual(api(c, "POST", "/api/v1/prompts/%s/execute" % slug,
                                 {"variables": {"topic": "n%d" % i}}).status, 200)
        page1 = c.get("/executions").text
        self.assertIn("27 executions ·", page1)
        import re
        nxt = re.search(r'href="/executions\?(cursor=\d+)"', page1)
        self.assertIsNotNone(nxt)
        ids1 = re.findall(r'href="/executions/(\d+)"', page1)
        page2 = c.get("/executions?" + nxt.group(1)).text
        ids2 = re.findall(r'href="/executions/(\d+)"', page2)
        self.assertEqual(len(ids1), 25)
        self.assertEqual(len(ids2), 2)
        self.assertFalse(set(ids1) & set(ids2))
        self.assertNotIn("Older »", page2)

    def test_streaming_through_apache(self):
        c = user(self.stack, server="apache")
        slug = make_prompt(c)
        t0 = time.time()
        r = run(c, slug, {"topic": "apache"}, stream=True)
        self.assertEqual(r.status, 200)
        ev = sse_events(r.body)
        self.assertEqual("".join(d["t"] for e, d in ev if e == "delta"), "echo: Tell me about apache")
        self.assertLess(time.time() - t0, 10)

    def test_tokens_are_not_buffered_by_either_web_server(self):
        """Each token reaches the client when it leaves the upstream: with
        300 ms between upstream chunks, deltas arrive spread out, through
        lighttpd and through Apache."""
        for server in ("lighttpd", "apache"):
            with self.subTest(server=server):
                c = user(self.stack, server=server, plan="PRO")
                slug = make_prompt(c, template="{{topic}}", slug="stream-" + server)
                body = "_csrf=%s&var.topic=%s" % (c.api_token, "[[fake:words=6,chunk_delay_ms=300]]")
                conn = http.client.HTTPConnection("127.0.0.1", self.stack.port_for(server), timeout=20)
                cookie = "; ".join("%s=%s" % kv for kv in c.cookies.items())
                t0 = time.time()
                conn.request("POST", "/prompts/%s/run" % slug, body=body, headers={
                    "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
                    "Accept": "text/event-stream"})
                resp = conn.getresponse()
                self.assertEqual(resp.status, 200)
                arrivals, buf = [], b""
                while True:
                    chunk = resp.read1(65536)
                    if not chunk:
                        break
                    buf += chunk
                    while b"\n\n" in buf:
                        block, buf = buf.split(b"\n\n", 1)
                        if block.startswith(b"event: delta"):
                            arrivals.append(time.time() - t0)
                conn.close()
                self.assertEqual(len(arrivals), 6)
                gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
                self.assertTrue(all(g > 0.15 for g in gaps), gaps)
                self.assertLess(arrivals[0], 1.0)

    def test_history_filters_and_pagination(self):
        c = user(self.stack, plan="PRO")
        a = make_prompt(c, slug="alpha")
        b = make_prompt(c, slug="beta")
        for i in range(3):
            self.assertEqual(run(c, a, {"topic": str(i)}).status, 200)
        self.assertEqual(run(c, b, {"topic": "[[fake:status=502]]"}).status, 502)
        self.assertEqual(run(c, b, {"topic": "z"}, model=PAID_MODEL).status, 200)
        page = c.get("/executions?prompt=alpha").text
        self.assertIn("3 executions ·", page)
        self.assertIn("1 execution ·", c.get("/executions?status=FAILED").text)
        self.assertIn("1 execution ·", c.get("/executions?model=" + PAID_MODEL).text)
        self.assertIn("5 executions ·", c.get("/executions?billing=SYSTEM").text)
        today = time.strftime("%Y-%m-%d", time.gmtime())
        self.assertIn("5 executions ·", c.get("/executions?from=%s&to=%s" % (today, today)).text)
        self.assertIn("No execution matches these filters.", c.get("/executions?from=2001-01-01&to=2001-01-02").text)
        r = c.get("/executions?from=yesterday")
        self.assertEqual(r.status, 400)
        self.assertIn("Dates are written YYYY-MM-DD (UTC).", r.text)
        self.assertIn("No executions yet.", user(self.stack).get("/executions").text)


class CatalogRulesTest(unittest.TestCase):
    """The two neighbouring catalogs enforce their own rules. The tests
    share a stack whose active catalog each of them switches."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="lighttpd", workers=2).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def setUp(self):
        self.stack.openrouter_clear()
        self.addCleanup(self.stack.set_clock, None)

    def test_500_parallel_runs_with_3_left_admit_exactly_3(self):
        """The daily quota under concurrency, on a FREE plan without a cap
        of runs at once (that cap is tested in test_concurrency)."""
        with open(os.path.join(ROOT, "conf", "plans", "prompt-manager.json")) as f:
            cat = json.load(f)
        cat["catalog"] = "free-uncapped"
        for p in cat["plans"]:
            p["max_concurrent_executions"] = None
        path = self.stack.path("free-uncapped.json")
        with open(path, "w") as f:
            json.dump(cat, f)
        r = self.stack.admin("plans", "load", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        c = user(self.stack)
        slug = make_prompt(c)
        statuses, lock = [], threading.Lock()

        def go(k):
            cl = Client(self.stack)
            cl.cookies = dict(c.cookies)
            r = cl.request("POST", "/prompts/%s/run" % slug,
                           form={"_csrf": c.api_token, "var.topic": "t%d" % k})
            with lock:
                statuses.append(r.status)

        threads = [threading.Thread(target=go, args=(k,)) for k in range(500)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        seen = collections.Counter(statuses)
        self.assertEqual(len(statuses), 500)
        self.assertEqual((seen[200], seen[429]), (3, 497), seen)
        self.assertEqual(len(self.stack.openrouter_requests()), 3)
        self.assertEqual(int(self.stack.sql(
            "SELECT executions FROM usage_counters u JOIN users x ON x.id = u.user_id"
            " WHERE x.email = '%s' AND period = 'day'" % c.email)[0][0]), 3)
        self.assertEqual(int(self.stack.sql(
            "SELECT COUNT(*) FROM executions e JOIN users x ON x.id = e.user_id"
            " WHERE x.email = '%s'" % c.email)[0][0]), 3)

    def test_gateway_burst_and_whitelist(self):
        stack = self.stack
        r = stack.admin("plans", "load", "gateway")
        self.assertEqual(r.returncode, 0, r.stderr)
        c = user(stack)
        slug = make_prompt(c, model="openai/gpt-4o-mini")
        stack.set_clock((int(time.time()) // 60 + 1) * 60 + 5)   # early in a minute
        url = "/api/v1/prompts/%s/execute" % slug
        # a gateway: requests come through the API only
        r = run(c, slug, stream=True)
        self.assertEqual(r.status, 403)
        self.assertIn("Running prompts from the app is not included in the Free plan; use the"
                      " API.", r.text)
        for _ in range(10):
            r = api(c, "POST", url, {"variables": {"topic": "burst"}})
            self.assertEqual(r.status, 200, r.text)
        r = api(c, "POST", url, {"variables": {"topic": "burst"}})
        self.assertEqual(r.status, 429)
        self.assertIn("at most 10 per minute", r.json()["error"]["message"])
        self.assertEqual(r.header("retry-after"), "55")
        r = api(c, "POST", url, {"variables": {"topic": "x"}, "model": PAID_MODEL})
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["error"]["type"], "plan_limit_error")
        self.assertIn("nor in any other plan", r.json()["error"]["message"])
        self.assertEqual(len(stack.openrouter_requests()), 10)

    def test_spend_caps_and_token_cap(self):
        """agents-platform: $1/day spend cap and 50K tokens per execution
        (FREE); gateway: the monthly upstream-cost budget."""
        clear_of_utc_midnight()
        stack = self.stack
        self.assertEqual(stack.admin("plans", "load", "agents-platform").returncode, 0)
        c = user(stack)
        slug = make_prompt(c, model="openai/gpt-4o-mini")
        r = run(c, slug, stream=True)
        self.assertEqual(r.status, 200)
        now = int(time.time())
        day = int(time.strftime("%Y%m%d", time.gmtime(now)))
        stack.sql("UPDATE usage_counters u JOIN users x ON x.id = u.user_id SET spend_micros = 999990 "
                  "WHERE x.email = '%s' AND period = 'day' AND period_key = %d" % (c.email, day))
        r = run(c, slug, stream=True)
        self.assertEqual(r.status, 429)
        self.assertIn("over your daily spend cap of $1.00", r.json()["error"]["message"])
        c2 = user(stack)
        slug2 = make_prompt(c2, model="openai/gpt-4o-mini", params={"max_tokens": 60000})
        r = run(c2, slug2, stream=True)
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["error"]["message"],
                         "max_tokens 60000 is over your plan's limit of 50000 tokens per execution.")
        self.assertEqual(len(stack.openrouter_requests()), 1)
        page = Client(stack).get("/pricing").text       # the caps, to the cent
        for text in ("Spend cap: $1 a day", "Spend cap: $5 a day", "Spend cap: $20 a day"):
            self.assertIn("<li>%s</li>" % text, page)
        self.assertEqual(stack.admin("plans", "load", "gateway").returncode, 0)
        self.assertIn("<li>Upstream cost budget: $10 a month</li>",
                      Client(stack).get("/pricing").text)
        c3 = user(stack)
        slug3 = make_prompt(c3, model="openai/gpt-4o-mini")
        month = int(time.strftime("%Y%m", time.gmtime(now)))
        stack.sql("INSERT INTO usage_counters (user_id, period, period_key, executions, spend_micros) "
                  "SELECT id, 'month', %d, 5, 9999999 FROM users WHERE email = '%s'" % (month, c3.email))
        r = api(c3, "POST", "/api/v1/prompts/%s/execute" % slug3, {"variables": {"topic": "x"}})
        self.assertEqual(r.status, 429)
        self.assertIn("monthly model budget of $10.00", r.json()["error"]["message"])
        self.assertGreater(int(r.header("retry-after")), 0)

    def test_run_page_counts_per_seat_limits_like_admission(self):
        """A per-seat daily limit: the run page shows what admission
        enforces (limit x seats), not the per-seat number."""
        stack = self.stack
        with open(os.path.join(ROOT, "conf", "plans", "prompt-manager.json")) as f:
            cat = json.load(f)
        cat["catalog"] = "seats"
        free = [p for p in cat["plans"] if p["code"] == "FREE"][0]
        free.update({"executions_per_day": 2, "limits_per_seat": True, "seats_included": 3})
        path = stack.path("seats.json")
        with open(path, "w") as f:
            json.dump(cat, f)
        r = stack.admin("plans", "load", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        c = user(stack)
        slug = make_prompt(c)
        self.assertIn("6 of 6</span> runs left today", c.get("/prompts/%s/run" % slug).text)
        for _ in range(6):
            self.assertEqual(run(c, slug).status, 200)
        self.assertEqual(run(c, slug).status, 429)
        self.assertIn("0 of 6</span> runs left today", c.get("/prompts/%s/run" % slug).text)

    def test_agents_platform_monthly_cap_and_throttle(self):
        stack = self.stack
        self.assertEqual(stack.admin("plans", "load", "agents-platform").returncode, 0)
        free, pro = user(stack), user(stack, plan="PRO")
        now = (int(time.time()) // 60 + 1) * 60 + 5
        stack.set_clock(now)
        month = int(time.strftime("%Y%m", time.gmtime(now)))
        for c, n in ((free, 100), (pro, 3000)):
            stack.sql("INSERT INTO usage_counters (user_id, period, period_key, executions) "
                      "SELECT id, 'month', %d, %d FROM users WHERE email = '%s'" % (month, n, c.email))
        s1 = make_prompt(free, model="openai/gpt-4o-mini")
        r = run(free, s1, stream=True)
        self.assertEqual(r.status, 429)
        self.assertIn("You have used your 100 executions for this month", r.json()["error"]["message"])
        s2 = make_prompt(pro, model="openai/gpt-4o-mini")
        self.assertEqual(run(pro, s2).status, 200)             # 1 per minute after 3,000
        r = run(pro, s2, stream=True)
        self.assertEqual(r.status, 429)
        self.assertIn("limited to 1 per minute", r.json()["error"]["message"])
        stack.set_clock(now + 60)
        self.assertEqual(run(pro, s2).status, 200)


if __name__ == "__main__":
    unittest.main()
