"""X-RateLimit-Limit, -Remaining and -Reset on every API answer that
counts against a limit, for the counter with the fewest runs left, and
Retry-After with them on the 429 at the limit: the gateway catalog, whose
Free plan allows 10 runs a minute through the API."""
import os
import unittest

from tests.integration.stack import ROOT, Client, Stack, api, new_user

T0 = 1900000035          # 15 s into a minute (UTC): the runs stay in it


class RateLimitHeadersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="lighttpd", workers=2).start()
        r = cls.stack.admin("plans", "load", os.path.join(ROOT, "conf", "plans", "gateway.json"))
        assert r.returncode == 0, r.stderr
        cls.stack.set_clock(T0)

    @classmethod
    def tearDownClass(cls):
        cls.stack.set_clock(None)
        cls.stack.stop()

    def test_headers_count_down_to_the_limit(self):
        c = new_user(self.stack)                    # the gateway's Free plan
        r = api(c, "POST", "/api/v1/prompts", {"name": "Ping", "slug": "ping",
                                               "model": "openai/gpt-4o-mini",
                                               "user_template": "ping"})
        self.assertEqual(r.status, 201, r.text)
        key = api(c, "POST", "/api/v1/keys", {"name": "k", "scope": "execute"}).json()["key"]
        h = {"Authorization": "Bearer " + key}
        reset = str((T0 // 60 + 1) * 60)
        for n in range(10):
            path, body = (("/api/v1/prompts/ping/execute", {}) if n % 2 == 0 else
                          ("/api/v1/chat/completions", {
                              "model": "openai/gpt-4o-mini",
                              "messages": [{"role": "user", "content": "ping"}]}))
            r = Client(self.stack).request("POST", path, headers=h, json=body)
            self.assertEqual(r.status, 200, r.text)
            self.assertEqual((r.header("x-ratelimit-limit"), r.header("x-ratelimit-remaining"),
                              r.header("x-ratelimit-reset")), ("10", str(9 - n), reset), n)
        # streamed: the headers come with the stream's
        r = Client(self.stack).request("POST", "/api/v1/prompts/ping/execute", headers=h,
                                       json={"stream": True})
        self.assertEqual(r.status, 429, r.text)
        self.assertEqual((r.header("x-ratelimit-limit"), r.header("x-ratelimit-remaining"),
                          r.header("x-ratelimit-reset"), r.header("retry-after")),
                         ("10", "0", reset, str(int(reset) - T0)))
        self.assertEqual(r.json()["error"]["type"], "quota_exceeded")
        # a read counts against nothing: no headers
        r = Client(self.stack).request("GET", "/api/v1/prompts", headers=h)
        self.assertEqual(r.status, 200)
        self.assertIsNone(r.header("x-ratelimit-limit"))

    def test_stream_carries_the_headers(self):
        c = new_user(self.stack)
        self.assertEqual(api(c, "POST", "/api/v1/prompts", {
            "name": "S", "slug": "s", "model": "openai/gpt-4o-mini",
            "user_template": "hi"}).status, 201)
        key = api(c, "POST", "/api/v1/keys", {"name": "k", "scope": "execute"}).json()["key"]
        r = Client(self.stack).request("POST", "/api/v1/chat/completions",
                                       headers={"Authorization": "Bearer " + key},
                                       json={"model": "prompt:s", "messages": [],
                                             "stream": True})
        self.assertEqual(r.status, 200, r.text)
        self.assertTrue(r.text.rstrip().endswith("data: [DONE]"), r.text[-200:])
        self.assertEqual((r.header("x-ratelimit-limit"), r.header("x-ratelimit-remaining")),
                         ("10", "9"))


if __name__ == "__main__":
    unittest.main()


class UsageAndHistoryApiTest(unittest.TestCase):
    """GET /api/v1/usage (each counter with its limit and reset time, per
    plan and per key) and the execution history through the API."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="lighttpd", workers=1).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_usage_and_history(self):
        c = new_user(self.stack, plan="PRO")
        self.assertEqual(api(c, "POST", "/api/v1/prompts", {
            "name": "U", "slug": "u", "model": "openai/gpt-4o-mini",
            "user_template": "hi"}).status, 201)
        k = api(c, "POST", "/api/v1/keys", {"name": "k", "scope": "execute",
                                             "monthly_spend_cap_micros": 5000000}).json()
        h = {"Authorization": "Bearer " + k["key"]}
        ids = []
        for _ in range(3):
            r = Client(self.stack).request("POST", "/api/v1/prompts/u/execute", headers=h,
                                           json={})
            self.assertEqual(r.status, 200, r.text)
            ids.append(r.json()["id"])
        cost = sum(int(x[0]) for x in self.stack.sql(
            "SELECT cost_micros FROM executions WHERE id IN (%s)" % ",".join(map(str, ids))))
        r = Client(self.stack).request("GET", "/api/v1/usage", headers=h)
        self.assertEqual(r.status, 200, r.text)
        u = r.json()
        self.assertEqual(u["plan"], {"code": "PRO", "name": "Pro"})
        by = {x["name"]: x for x in u["limits"]}
        self.assertEqual(by["executions_per_day"]["limit"], None)       # PRO: unlimited
        self.assertEqual(by["concurrent_executions"], {
            "name": "concurrent_executions", "unit": "executions", "limit": 10, "used": 0,
            "remaining": 10, "reset_at": None})
        self.assertEqual(u["api_key"]["id"], k["id"])
        self.assertEqual(u["api_key"]["monthly_spend_micros"], cost)
        self.assertEqual(u["api_key"]["remaining_micros"], 5000000 - cost)
        # with the session: no key part
        self.assertNotIn("api_key", api(c, "GET", "/api/v1/usage").json())
        # the history: newest first, a page at a time, filters
        r = Client(self.stack).request("GET", "/api/v1/executions?limit=2", headers=h)
        self.assertEqual(r.status, 200, r.text)
        page = r.json()
        self.assertEqual([e["id"] for e in page["items"]], ids[::-1][:2])
        self.assertEqual(page["totals"]["executions"], 3)
        r = Client(self.stack).request("GET", "/api/v1/executions?limit=2&cursor=%s"
                                       % page["next_cursor"], headers=h)
        self.assertEqual([e["id"] for e in r.json()["items"]], ids[:1])
        r = Client(self.stack).request("GET", "/api/v1/executions/%d" % ids[0], headers=h)
        self.assertEqual((r.status, r.json()["id"], r.json()["status"]),
                         (200, ids[0], "SUCCEEDED"))
        for bad, status in (("/api/v1/executions?limit=0", 400),
                            ("/api/v1/executions?status=DONE", 400),
                            ("/api/v1/executions/999999999", 404)):
            r = Client(self.stack).request("GET", bad, headers=h)
            self.assertEqual(r.status, status, (bad, r.text))
        # another user's execution is not found
        other = new_user(self.stack, plan="PRO")
        self.assertEqual(api(other, "GET", "/api/v1/executions/%d" % ids[0]).status, 404)
        self.assertEqual(api(other, "GET", "/api/v1/executions").json()["items"], [])
