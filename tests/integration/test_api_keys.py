"""API keys of the public API: created from a signed-in session (shown in
full once, stored as a prefix and a keyed hash), listed, revoked; requests
with "Authorization: Bearer pm_live_..." instead of a session, within the
key's scope; one 401 for every bad key; a key in the address refused; the
plan decides whether and how many."""
import json
import os
import re
import threading
import time
import unittest

from tests.integration.stack import Client, Stack, api, new_user

KEY_RE = re.compile(r"^pm_live_[0-9A-Za-z]{44}$")
BAD_KEY = ("Authentication required: the API key is missing, unknown, expired or"
           " revoked. Send a valid key as \"Authorization: Bearer pm_live_...\""
           " (or log in on the site).")


def keyed(stack, key, method, path, body=None, headers=None, server="lighttpd"):
    """A request with the API key and no cookie."""
    h = {"Authorization": "Bearer " + key}
    h.update(headers or {})
    return Client(stack, server=server).request(method, path, headers=h, json=body)


class ApiKeysTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="both", workers=2).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def create(self, c, scope="write", **extra):
        body = {"name": "ci key", "scope": scope}
        body.update(extra)
        r = api(c, "POST", "/api/v1/keys", body)
        self.assertEqual(r.status, 201, r.text)
        return r.json()

    def prompt(self, c, slug="hello"):
        r = api(c, "POST", "/api/v1/prompts", {
            "name": "Hello", "slug": slug, "model": "openai/gpt-4o-mini",
            "user_template": "Say {{what}}"})
        self.assertEqual(r.status, 201, r.text)

    def test_create_list_and_use(self):
        c = new_user(self.stack, plan="PRO")
        self.prompt(c)
        k = self.create(c, scope="execute", monthly_spend_cap_micros=5000000)
        self.assertRegex(k["key"], KEY_RE)
        self.assertEqual(k["prefix"], k["key"][:16])
        self.assertEqual((k["name"], k["scope"], k["monthly_spend_cap_micros"]),
                         ("ci key", "execute", 5000000))
        self.assertEqual(c.last.header("cache-control"), "no-store")
        # the key is never stored nor listed: its prefix and a keyed hash
        row = self.stack.sql("SELECT prefix, hash FROM api_keys WHERE id = %d" % k["id"])[0]
        self.assertEqual(row[0], k["key"][:16])
        self.assertRegex(row[1], r"^[0-9a-f]{64}$")
        self.assertNotIn(k["key"][16:], json.dumps(self.stack.sql(
            "SELECT * FROM api_keys")))
        items = api(c, "GET", "/api/v1/keys").json()["items"]
        self.assertEqual([(i["id"], i["prefix"], i["state"], i["last_used_at"]) for i in items],
                         [(k["id"], k["prefix"], "active", None)])
        self.assertNotIn(k["key"], json.dumps(items))
        # with the key, through both servers: reads and runs, no cookie, no CSRF token
        for server in ("lighttpd", "apache"):
            r = keyed(self.stack, k["key"], "GET", "/api/v1/prompts", server=server)
            self.assertEqual(r.status, 200, r.text)
            self.assertEqual([p["slug"] for p in r.json()["items"]], ["hello"])
            r = keyed(self.stack, k["key"], "POST", "/api/v1/prompts/hello/execute",
                      {"variables": {"what": "hi"}}, server=server)
            self.assertEqual(r.status, 200, r.text)
        self.assertEqual(self.stack.sql(
            "SELECT channel, COUNT(*) FROM executions e JOIN users u ON u.id = e.user_id"
            " WHERE u.email = '%s' GROUP BY channel" % c.email), [("API", "2")])
        self.assertIsNotNone(api(c, "GET", "/api/v1/keys").json()["items"][0]["last_used_at"])

    def test_last_used_written_at_most_once_a_minute(self):
        c = new_user(self.stack, plan="PRO")
        k = api(c, "POST", "/api/v1/keys", {"name": "t", "scope": "read"}).json()
        used = lambda: self.stack.sql("SELECT last_used_at FROM api_keys WHERE id = %d"
                                      % k["id"])[0][0]
        t0 = (int(time.time()) // 60 + 2) * 60
        self.addCleanup(self.stack.set_clock, None)
        for at, expect in ((t0, t0), (t0 + 30, t0), (t0 + 59, t0), (t0 + 60, t0 + 60),
                           (t0 + 61, t0 + 60)):
            self.stack.set_clock(at)
            self.assertEqual(keyed(self.stack, k["key"], "GET", "/api/v1/prompts").status, 200)
            self.assertEqual(int(used()), expect, at - t0)

    def test_monthly_spend_cap_of_a_key(self):
        c = new_user(self.stack, plan="PRO")
        self.prompt(c)
        free_key = self.create(c, scope="execute")["key"]
        r = keyed(self.stack, free_key, "POST", "/api/v1/prompts/hello/execute",
                  {"variables": {"what": "hi"}, "max_tokens": 50})
        self.assertEqual(r.status, 200, r.text)
        reserve = int(self.stack.sql("SELECT reserved_micros FROM executions WHERE id = %d"
                                     % r.json()["id"])[0][0])
        self.assertGreater(reserve, 0)
        k = self.create(c, scope="execute", monthly_spend_cap_micros=reserve)
        run = lambda: keyed(self.stack, k["key"], "POST", "/api/v1/prompts/hello/execute",
                            {"variables": {"what": "hi"}, "max_tokens": 50})
        first = run()
        self.assertEqual(first.status, 200, first.text)
        cost = first.json()["cost_micros"]
        self.assertGreater(cost, 0)
        # what the key has spent this month: the actual cost, not the reservation
        self.assertEqual(self.stack.sql("SELECT spend_micros FROM api_key_usage WHERE key_id = %d"
                                        % k["id"]), [(str(cost),)])
        second = run()
        self.assertEqual(second.status, 429, second.text)
        err = second.json()["error"]
        self.assertEqual(err["type"], "quota_exceeded")
        self.assertRegex(err["message"], r"^This API key's monthly spend cap of (< )?\$[0-9.]+ is"
                         r" reached; it resets at \d{4}-\d\d-01 00:00:00 UTC\.$")
        self.assertIsNotNone(second.header("retry-after"))
        self.assertEqual(self.stack.sql("SELECT COUNT(*) FROM executions WHERE api_key_id = %d"
                                        % k["id"]), [("1",)])
        self.assertEqual(self.stack.sql("SELECT spend_micros FROM api_key_usage WHERE key_id = %d"
                                        % k["id"]), [(str(cost),)])
        # the other key of the same user is not capped
        self.assertEqual(keyed(self.stack, free_key, "POST", "/api/v1/prompts/hello/execute",
                               {"variables": {"what": "hi"}}).status, 200)

    def test_scopes(self):
        c = new_user(self.stack, plan="PRO")
        self.prompt(c)
        read = self.create(c, scope="read")["key"]
        execute = self.create(c, scope="execute")["key"]
        write = self.create(c, scope="write")["key"]
        body = {"name": "By key", "model": "openai/gpt-4o-mini", "user_template": "x"}
        cases = [(read, "POST", "/api/v1/prompts", body, "read", "write"),
                 (execute, "POST", "/api/v1/prompts", body, "execute", "write"),
                 (read, "POST", "/api/v1/prompts/hello/execute", {}, "read", "execute"),
                 (read, "DELETE", "/api/v1/prompts/hello", None, "read", "write")]
        for key, method, path, b, has, needs in cases:
            r = keyed(self.stack, key, method, path, b)
            self.assertEqual(r.status, 403, (method, path, r.text))
            self.assertEqual(r.json()["error"], {
                "type": "permission_error",
                "message": "This API key's scope is %s; this request needs the %s scope."
                           % (has, needs)})
        self.assertEqual(len(api(c, "GET", "/api/v1/prompts").json()["items"]), 1)
        # render reads: a read key may
        r = keyed(self.stack, read, "POST", "/api/v1/prompts/hello/render",
                  {"variables": {"what": "x"}})
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(keyed(self.stack, execute, "POST", "/api/v1/prompts/hello/execute",
                               {"variables": {"what": "x"}}).status, 200)
        r = keyed(self.stack, write, "POST", "/api/v1/prompts", body)
        self.assertEqual(r.status, 201, r.text)
        # keys are managed from a session only, whatever the scope
        for method, path, b in (("GET", "/api/v1/keys", None),
                                ("POST", "/api/v1/keys", {"name": "x", "scope": "read"}),
                                ("DELETE", "/api/v1/keys/1", None)):
            r = keyed(self.stack, write, method, path, b)
            self.assertEqual(r.status, 403, r.text)
            self.assertEqual(r.json()["error"]["message"],
                             "API keys are managed from a signed-in session, not with an"
                             " API key.")
        self.assertEqual(len(api(c, "GET", "/api/v1/keys").json()["items"]), 3)

    def test_one_answer_for_every_bad_key(self):
        c = new_user(self.stack, plan="PRO")
        k = self.create(c)
        expiring = self.create(c, expires_at=int(time.time()) + 3600)
        revoked = self.create(c)
        r = api(c, "DELETE", "/api/v1/keys/%d" % revoked["id"])
        self.assertEqual(r.status, 204)
        self.assertEqual(api(c, "DELETE", "/api/v1/keys/%d" % revoked["id"]).status, 404)
        other = new_user(self.stack, plan="PRO")
        r = api(other, "DELETE", "/api/v1/keys/%d" % k["id"])      # not theirs
        self.assertEqual((r.status, r.json()["error"]["message"]),
                         (404, "There is no such API key."))
        r = keyed(self.stack, k["key"], "GET", "/api/v1/me")
        self.assertEqual(r.json(), {"id": r.json()["id"], "email": c.email, "role": "user",
                                    "api_key": {"id": k["id"], "scope": "write"}})
        forged = k["key"][:16] + ("A" if k["key"][16] != "A" else "B") + k["key"][17:]
        bad = [revoked["key"], forged, "pm_live_" + "x" * 44, "pm_live_short", "garbage"]
        for key in bad:
            r = keyed(self.stack, key, "GET", "/api/v1/me")
            self.assertEqual((r.status, r.json()["error"]["message"]), (401, BAD_KEY), key)
            self.assertEqual(r.header("www-authenticate"), "Bearer")
        for h in ("Basic dXNlcjpwYXNz", "Bearer", ""):
            r = Client(self.stack).request("GET", "/api/v1/me", headers={"Authorization": h})
            self.assertEqual((r.status, r.json()["error"]["message"]), (401, BAD_KEY), h)
        r = Client(self.stack).get("/api/v1/me")                    # nothing at all
        self.assertEqual((r.status, r.json()["error"]["message"]), (401, BAD_KEY))
        # expired: the same answer once its time has passed
        self.assertEqual(keyed(self.stack, expiring["key"], "GET", "/api/v1/me").status, 200)
        try:
            self.stack.set_clock(int(time.time()) + 7200)
            r = keyed(self.stack, expiring["key"], "GET", "/api/v1/me")
            self.assertEqual((r.status, r.json()["error"]["message"]), (401, BAD_KEY))
            states = {i["id"]: i["state"] for i in api(c, "GET", "/api/v1/keys").json()["items"]}
            self.assertEqual(states, {k["id"]: "active", expiring["id"]: "expired",
                                      revoked["id"]: "revoked"})
        finally:
            self.stack.set_clock(None)
        # a key in the address is refused, even a good one, before anything runs
        for path, server in (("/api/v1/me?api_key=" + k["key"], "lighttpd"),
                             ("/api/v1/prompts?x=" + k["key"], "apache")):
            r = Client(self.stack, server=server).get(path)
            self.assertEqual(r.status, 400)
            self.assertEqual(r.json()["error"]["message"],
                             "API keys go in the Authorization header, never in the address:"
                             " this one may now be in a log. Revoke it and create another.")
        # and no log of the stack holds it (nor any key used above)
        logs = self.stack.path("log")
        for name in os.listdir(logs):
            with open(os.path.join(logs, name), errors="replace") as f:
                text = f.read()
            for key in (k["key"], expiring["key"], revoked["key"]):
                self.assertNotIn(key[16:], text, name)

    def test_keys_reach_only_their_owner(self):
        a = new_user(self.stack, plan="PRO")
        b = new_user(self.stack, plan="PRO")
        self.prompt(b, slug="secret")
        ka = self.create(a)["key"]
        for method, path, body in (("GET", "/api/v1/prompts/secret", None),
                                   ("POST", "/api/v1/prompts/secret/execute", {}),
                                   ("DELETE", "/api/v1/prompts/secret", None)):
            r = keyed(self.stack, ka, method, path, body)
            self.assertEqual(r.status, 404, (method, r.text))
        self.assertEqual(len(api(b, "GET", "/api/v1/prompts").json()["items"]), 1)

    def test_bad_bodies(self):
        c = new_user(self.stack, plan="PRO")
        for body, field in (({"scope": "read"}, "name"), ({"name": "x"}, "scope"),
                            ({"name": "x", "scope": "admin"}, "scope"),
                            ({"name": "", "scope": "read"}, "name"),
                            ({"name": "x", "scope": "read", "expires_at": "soon"}, "expires_at"),
                            ({"name": "x", "scope": "read", "expires_at": 1}, "expires_at"),
                            ({"name": "x", "scope": "read", "monthly_spend_cap_micros": -1},
                             "monthly_spend_cap_micros"),
                            ({"name": "x", "scope": "read", "colour": "red"}, "colour")):
            r = api(c, "POST", "/api/v1/keys", body)
            self.assertEqual(r.status, 400, (body, r.text))
            self.assertIn(field, r.json()["error"]["message"] + r.text, body)
        self.assertEqual(api(c, "GET", "/api/v1/keys").json()["items"], [])

    def test_plan_decides(self):
        free = new_user(self.stack)
        r = api(free, "POST", "/api/v1/keys", {"name": "x", "scope": "read"})
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["error"], {
            "type": "plan_limit_error",
            "message": "Your plan does not include API keys. The Pro plan does: see the"
                       " pricing page."})
        self.assertEqual(self.stack.sql("SELECT COUNT(*) FROM api_keys k JOIN users u ON"
                                        " u.id = k.user_id WHERE u.email = '%s'" % free.email),
                         [("0",)])
        # a PRO user downgraded to FREE: the keys stop working, saying why
        c = new_user(self.stack, plan="PRO")
        key = self.create(c)["key"]
        self.assertEqual(keyed(self.stack, key, "GET", "/api/v1/me").status, 200)
        self.assertEqual(self.stack.admin("set-plan", c.email, "FREE").returncode, 0)
        r = keyed(self.stack, key, "GET", "/api/v1/me")
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["error"], {
            "type": "plan_limit_error",
            "message": "The public API requires Pro; your plan is Free."})
        self.assertEqual(self.stack.admin("set-plan", c.email, "PRO").returncode, 0)
        self.assertEqual(keyed(self.stack, key, "GET", "/api/v1/me").status, 200)


class KeyCountTest(unittest.TestCase):
    """The plan's number of keys, exact when created at once (a catalog
    whose PRO allows 2)."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="lighttpd", workers=2).start()
        root = os.path.join(os.path.dirname(__file__), "..", "..")
        with open(os.path.join(root, "conf", "plans", "prompt-manager.json")) as f:
            doc = json.load(f)
        for p in doc["plans"]:
            if p["code"] == "PRO":
                p["api_keys"] = 2
        path = cls.stack.path("two-keys.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        r = cls.stack.admin("plans", "load", path)
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_exactly_the_plans_number(self):
        c = new_user(self.stack, plan="PRO")
        out = [None] * 8

        def go(k):
            out[k] = api(c, "POST", "/api/v1/keys", {"name": "k%d" % k, "scope": "read"})
        ts = [threading.Thread(target=go, args=(k,)) for k in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        self.assertEqual(sorted(r.status for r in out), [201] * 2 + [403] * 6)
        refused = [r for r in out if r.status == 403][0]
        self.assertEqual(refused.json()["error"]["message"],
                         "Your plan allows 2 API keys, and you have as many. Revoke one,"
                         " or upgrade for more.")
        first = [r for r in out if r.status == 201][0].json()
        self.assertEqual(api(c, "DELETE", "/api/v1/keys/%d" % first["id"]).status, 204)
        r = api(c, "POST", "/api/v1/keys", {"name": "again", "scope": "read"})
        self.assertEqual(r.status, 201, r.text)
        self.assertEqual(sorted(i["state"] for i in api(c, "GET", "/api/v1/keys").json()["items"]),
                         ["active", "active", "revoked"])


if __name__ == "__main__":
    unittest.main()


class KeysPageTest(unittest.TestCase):
    """Settings > API keys on the site."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="lighttpd", workers=1).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_create_show_once_and_revoke(self):
        c = new_user(self.stack, plan="PRO")
        page = c.get("/settings/keys")
        self.assertEqual(page.status, 200)
        self.assertIn("No key yet", page.text)
        token = c.csrf("/settings/keys")
        r = c.request("POST", "/settings/keys", form={
            "_csrf": token, "name": "Billing job", "scope": "read", "expires": "2099-12-31",
            "cap": "2.50"})
        self.assertEqual(r.status, 200, r.text[:500])
        m = re.search(r'id="new-key-text">(pm_live_[0-9A-Za-z]{44})<', r.text)
        self.assertIsNotNone(m, r.text[:2000])
        key = m.group(1)
        self.assertIn("it is shown this once", r.text)
        row = self.stack.sql("SELECT name, scope, expires_at, monthly_spend_cap_micros"
                             " FROM api_keys k JOIN users u ON u.id = k.user_id"
                             " WHERE u.email = '%s'" % c.email)
        self.assertEqual(row, [("Billing job", "read", "4102444800", "2500000")])
        # the key works, then the page never shows it again
        self.assertEqual(keyed(self.stack, key, "GET", "/api/v1/me").status, 200)
        again = c.get("/settings/keys").text
        self.assertNotIn(key, again)
        self.assertIn(key[:16] + "…", again)
        self.assertIn("Billing job", again)
        # bad input: the form again with the message, nothing created
        for form, text in (({"name": "", "scope": "read"}, "Give the key a name"),
                           ({"name": "x", "scope": "root"}, "The scope must be one of"),
                           ({"name": "x", "scope": "read", "expires": "tomorrow"},
                            "Give the expiry as a date"),
                           ({"name": "x", "scope": "read", "expires": "2001-01-01"},
                            "The expiry date must be in the future."),
                           ({"name": "x", "scope": "read", "cap": "lots"},
                            "Give the monthly cap in dollars")):
            form["_csrf"] = token
            r = c.request("POST", "/settings/keys", form=form)
            self.assertEqual(r.status, 422, form)
            self.assertIn(text, r.text, form)
            self.assertIsNone(re.search(r"pm_live_[0-9A-Za-z]{44}", r.text))
        self.assertEqual(len(api(c, "GET", "/api/v1/keys").json()["items"]), 1)
        # revoke, confirmed on the page (data-confirm), then refused
        kid = api(c, "GET", "/api/v1/keys").json()["items"][0]["id"]
        self.assertIn('data-confirm="Revoke the key', again)
        r = c.request("POST", "/settings/keys/%d/revoke" % kid, form={"_csrf": token})
        self.assertEqual(r.status, 303)
        self.assertIn("The key is revoked", c.get("/settings/keys").text)
        self.assertEqual(keyed(self.stack, key, "GET", "/api/v1/me").status, 401)
        self.assertEqual(c.request("POST", "/settings/keys/%d/revoke" % kid,
                                   form={"_csrf": token}).status, 404)
        # without the CSRF token nothing is created
        r = c.request("POST", "/settings/keys", form={"name": "x", "scope": "read"})
        self.assertEqual(r.status, 403)
        self.assertEqual(len(api(c, "GET", "/api/v1/keys").json()["items"]), 1)

    def test_free_sees_what_it_is(self):
        c = new_user(self.stack)
        page = c.get("/settings/keys").text
        self.assertIn("Not in your Free plan", page)
        self.assertIn('href="/pricing"', page)
        self.assertNotIn('action="/settings/keys"', page)
        r = c.request("POST", "/settings/keys", form={
            "_csrf": c.csrf("/settings/keys"), "name": "x", "scope": "read"})
        self.assertEqual(r.status, 403)
        self.assertIn("Your plan does not include API keys", r.text)
