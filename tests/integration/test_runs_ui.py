"""Runs as people see them: "runs left" updated from the run's own answer,
the Run button disabled at 0 with the reset time and the upgrade link, the
execution linked from the result, what a stopped run counts and keeps (the
output shown after Stop is the output saved), and the demo stand-in
streaming at a human pace while the tests' stand-in stays fast."""
import html
import http.client
import re
import time
import unittest

from tests.integration.stack import (Client, Stack, api, clear_of_utc_midnight, new_user,
                                     sse_events)

FREE_MODEL = "meta-llama/llama-3.1-8b-instruct:free"


def make_prompt(c, slug, template="Tell me about {{topic}}"):
    r = api(c, "POST", "/api/v1/prompts", {"name": slug, "slug": slug,
                                           "user_template": template, "model": FREE_MODEL})
    assert r.status == 201, r.text
    return slug


def stream(c, slug, topic):
    return c.request("POST", "/prompts/%s/run" % slug,
                     form={"_csrf": c.api_token, "var.topic": topic, "model": FREE_MODEL},
                     headers={"Accept": "text/event-stream"})


class RunsUiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="both", workers=3).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def setUp(self):
        clear_of_utc_midnight()

    def day_count(self, c):
        rows = self.stack.sql("SELECT COALESCE(SUM(executions), 0) FROM usage_counters u"
                              " JOIN users x ON x.id = u.user_id WHERE x.email = '%s'"
                              " AND period = 'day'" % c.email)
        return int(rows[0][0])

    def saved(self, eid):
        return self.stack.sql("SELECT status, output, output_tokens FROM executions"
                              " WHERE id = %d" % eid)[0]

    def test_the_end_of_a_run_says_how_many_are_left(self):
        c = new_user(self.stack)
        slug = make_prompt(c, "left")
        for left in (2, 1, 0):
            r = stream(c, slug, "tides")
            self.assertEqual(r.status, 200, r.text)
            eid = int(r.header("x-execution-id"))
            done = [d for e, d in sse_events(r.body) if e == "done"][0]
            self.assertEqual(done["id"], eid)
            self.assertEqual({k: done["daily"][k] for k in ("used", "limit", "left",
                                                            "exhausted")},
                             {"used": 3 - left, "limit": 3, "left": left,
                              "exhausted": left == 0})
            self.assertRegex(done["daily"]["reset"], r"^\d{4}-\d\d-\d\d 00:00:00$")
        # a plan without a daily limit says nothing of it
        p = new_user(self.stack, plan="PRO")
        make_prompt(p, "pro")
        done = [d for e, d in sse_events(stream(p, "pro", "x").body) if e == "done"][0]
        self.assertNotIn("daily", done)
        # the page's script writes it where "runs left" is
        js = c.get("/static/js/run.js").text
        self.assertIn("updateDaily(d.daily)", js)
        self.assertNotIn("refresh to update", js)

    def test_at_zero_runs_left_the_button_is_disabled(self):
        c = new_user(self.stack)
        slug = make_prompt(c, "zero")
        page = c.get("/prompts/zero/run").text
        self.assertIn('<button type="submit" class="button" id="run-button">Run</button>', page)
        self.assertIn('<div class="alert" id="run-limit" role="status" hidden>', page)
        for _ in range(3):
            self.assertEqual(stream(c, slug, "x").status, 200)
        for server in ("lighttpd", "apache"):
            with self.subTest(server=server):
                c.port = self.stack.port_for(server)
                page = c.get("/prompts/zero/run").text
                self.assertIn('<span id="runs-left" data-left="0" data-limit="3" data-of="of">0 of 3</span>'
                              ' runs left today', page)
                self.assertIn('id="run-button" disabled>Run</button>', page)
                m = re.search(r'<div class="alert" id="run-limit" role="status"><p>(.*?)</p>'
                              r'(.*?)</div>', page, re.S)
                self.assertIsNotNone(m, page)
                self.assertRegex(m.group(1), r"^You have used all 3 runs of today\. Runs reset at"
                                             r" midnight UTC \(\d{4}-\d\d-\d\d 00:00:00 UTC\)\.$")
                # the way up, one click: the Upgrade form (or the plans)
                self.assertIn('href="/pricing">Compare plans</a>', m.group(2))
        # the form without script is refused the same, and says it again
        r = c.post_form("/prompts/zero/run", {"var.topic": "x", "model": FREE_MODEL})
        self.assertEqual(r.status, 429)
        self.assertIn('id="run-button" disabled>Run</button>', r.text)
        self.assertEqual(self.day_count(c), 3)
        # the pricing page it links to is there
        self.assertEqual(Client(self.stack).get("/pricing").status, 200)

    def test_the_result_links_the_execution(self):
        c = new_user(self.stack)
        make_prompt(c, "linked")
        r = c.post_form("/prompts/linked/run", {"var.topic": "links", "model": FREE_MODEL})
        self.assertEqual(r.status, 200)
        eid = int(self.stack.sql("SELECT MAX(e.id) FROM executions e JOIN users u ON"
                                 " u.id = e.user_id WHERE u.email = '%s'" % c.email)[0][0])
        self.assertIn('<a href="/executions/%d" id="run-link">execution #%d</a>' % (eid, eid),
                      r.text)
        self.assertEqual(c.get("/executions/%d" % eid).status, 200)
        js = c.get("/static/js/run.js").text
        self.assertIn('a.href = "/executions/" + d.id;', js)

    def stop_after(self, c, slug, topic, deltas, server="lighttpd"):
        """Stream a run and leave (as Stop does) after that many deltas; the
        execution id and the text the browser had shown."""
        conn = http.client.HTTPConnection("127.0.0.1", self.stack.port_for(server), timeout=15)
        cookie = "; ".join("%s=%s" % kv for kv in c.cookies.items())
        conn.request("POST", "/prompts/%s/run" % slug,
                     body="_csrf=%s&var.topic=%s&model=%s" % (c.api_token, topic, FREE_MODEL),
                     headers={"Content-Type": "application/x-www-form-urlencoded",
                              "Cookie": cookie, "Accept": "text/event-stream"})
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        eid = int(resp.getheader("X-Execution-Id"))
        got = b""
        while got.count(b"event: delta") < deltas:
            chunk = resp.read1(200)
            if not chunk:
                break
            got += chunk
        conn.sock.close()                       # Stop: the page drops the stream
        conn.close()
        shown = "".join(d["t"] for e, d in sse_events(got[:got.rfind(b"\n\n") + 2])
                        if e == "delta")
        return eid, shown

    def read_back(self, c, slug, eid):
        """What the page reads after Stop, once the run is settled."""
        for _ in range(100):
            r = c.get("/prompts/%s/run/%d" % (slug, eid))
            self.assertEqual(r.status, 200, r.text)
            if r.json()["status"] != "RUNNING":
                return r.json()
            time.sleep(0.1)
        self.fail("the stopped run was not settled")

    def test_a_stopped_run_shows_exactly_what_was_saved(self):
        for server in ("lighttpd", "apache"):
            with self.subTest(server=server):
                c = new_user(self.stack, server=server)
                slug = make_prompt(c, "stop-" + server, template="{{topic}}")
                eid, shown = self.stop_after(c, slug, "[[fake:words=200,chunk_delay_ms=40]]", 5,
                                             server=server)
                res = self.read_back(c, slug, eid)
                status, output, tokens = self.saved(eid)
                self.assertEqual(res["status"], "CANCELLED")
                self.assertEqual(status, "CANCELLED")
                # the page shows the output saved, not what it had seen
                self.assertEqual(res["output"], output)
                self.assertTrue(output.startswith(shown), (shown, output))
                self.assertTrue(output.startswith("w1 w2 w3 w4 w5"), output)
                self.assertLess(len(output.split()), 200)
                self.assertEqual(res["output_tokens"], int(tokens))
                # output had begun: it counts as a run, and says so
                self.assertEqual(self.day_count(c), 1)
                self.assertEqual(res["daily"]["left"], 2)
                self.assertRegex(res["cost"], r"^\$")

    def test_a_run_stopped_before_its_first_word_counts_nothing(self):
        c = new_user(self.stack)
        slug = make_prompt(c, "early", template="{{topic}}")
        eid, shown = self.stop_after(c, slug, "[[fake:delay_ms=3000]] hi", 0)
        self.assertEqual(shown, "")
        res = self.read_back(c, slug, eid)
        self.assertEqual((res["status"], res["output"]), ("CANCELLED", ""))
        self.assertEqual(self.day_count(c), 0)
        self.assertEqual(res["daily"]["left"], 3)

    def test_the_saved_result_is_the_owners_only(self):
        c = new_user(self.stack)
        make_prompt(c, "mine")
        r = stream(c, "mine", "secret words")
        eid = int(r.header("x-execution-id"))
        res = c.get("/prompts/mine/run/%d" % eid).json()
        self.assertEqual((res["status"], res["output"]),
                         ("SUCCEEDED", "echo: Tell me about secret words"))
        other = new_user(self.stack)
        make_prompt(other, "mine")
        for who, path in ((other, "/prompts/mine/run/%d" % eid),
                          (c, "/prompts/other/run/%d" % eid),
                          (c, "/prompts/mine/run/%d" % (eid + 100000))):
            r = who.get(path)
            self.assertEqual((r.status, r.json()["error"]["type"]), (404, "not_found_error"))
            self.assertNotIn("secret", r.text)
        r = Client(self.stack).get("/prompts/mine/run/%d" % eid)    # signed out: log in
        self.assertEqual(r.status, 303)
        self.assertTrue(r.header("location").startswith("/login"), r.header("location"))

    def test_the_rule_is_said_on_the_run_page(self):
        c = new_user(self.stack)
        make_prompt(c, "rule")
        page = c.get("/prompts/rule/run").text
        self.assertIn("Stop ends a run at once. What the model had written by then is saved and"
                      " shown, and the run counts toward today's runs and its cost like a"
                      " finished one; a run stopped before its first word counts nothing.",
                      html.unescape(page))

    def test_the_tests_stand_in_answers_at_once(self):
        c = new_user(self.stack, plan="PRO")
        make_prompt(c, "quick", template="{{topic}}")
        t0 = time.time()
        r = stream(c, "quick", "[[fake:words=40]]")
        self.assertEqual(r.status, 200)
        self.assertEqual(len([1 for e, _ in sse_events(r.body) if e == "delta"]), 40)
        self.assertLess(time.time() - t0, 1.0)


class DemoStackTest(unittest.TestCase):
    """A stack that is not a test stack (make run) gets the demo stand-in:
    answers stream at a human pace and the run page lists no test model."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="lighttpd", workers=1, settings={"test_mode": "false"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_demo_answers_stream_at_a_human_pace(self):
        c = new_user(self.stack)
        make_prompt(c, "demo", template="{{topic}}")
        page = c.get("/prompts/demo/run").text
        self.assertIn("demo models", page)
        self.assertNotIn("fake/fast", page)
        conn = http.client.HTTPConnection("127.0.0.1", self.stack.port, timeout=20)
        cookie = "; ".join("%s=%s" % kv for kv in c.cookies.items())
        conn.request("POST", "/prompts/demo/run",
                     body="_csrf=%s&var.topic=one+two+three+four+five+six+seven&model=%s"
                     % (c.api_token, FREE_MODEL),
                     headers={"Content-Type": "application/x-www-form-urlencoded",
                              "Cookie": cookie, "Accept": "text/event-stream"})
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        times, buf = [], b""
        while True:
            chunk = resp.read1(4096)
            if not chunk:
                break
            buf += chunk
            times += [time.monotonic()] * chunk.count(b"event: delta")
        conn.close()
        ev = sse_events(buf)
        self.assertEqual("".join(d["t"] for e, d in ev if e == "delta"),
                         "echo: one two three four five six seven")
        self.assertEqual(len(times), 8)
        # 40 ms a token: the 8 tokens take at least 7 pauses, and arrive apart
        self.assertGreaterEqual(times[-1] - times[0], 7 * 0.03)
        self.assertGreater(len(set(round(t, 2) for t in times)), 4)


if __name__ == "__main__":
    unittest.main()
