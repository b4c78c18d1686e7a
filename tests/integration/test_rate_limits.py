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
